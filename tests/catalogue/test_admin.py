"""The catalogue admin goes through the services: the same rules as the API, and no 500s."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue import services
from catalogue.models import Dataset, DataSpace, Distribution, Licence, LicenceVersion, Theme
from core.errors import ApplicationError
from tests.accounts.factories import UserFactory, admin_user_in
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalogue_dataset_add")
CHANGELIST_URL = reverse("admin:catalogue_dataset_changelist")


def change_url(dataset: Dataset) -> str:
    return reverse("admin:catalogue_dataset_change", args=[dataset.pk])


def management_form(prefix: str, total: int, initial: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def form_data(response) -> dict:
    """What the browser would post back unchanged from a rendered admin change form."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[key] = str(getattr(value, "pk", value))
    return data


def dataset_post(publisher, **overrides) -> dict:
    data = {
        "title": "Soil moisture, Bavaria",
        "slug": "",
        "description": "Weekly soil moisture at 120 stations.",
        "publisher": publisher.pk,
        "data_space": DataSpace.objects.get(slug="agriculture").pk,
        "licence": Licence.objects.get(identifier="CC-BY-4.0").pk,
        "access_rights": "PUBLIC",
        "themes": [Theme.objects.get(code="AGRI").pk, Theme.objects.get(code="ENVI").pk],
        "keywords": "soil, Soil,  moisture ",
        "languages": "de, EN",
        **management_form("new_distributions", 1),
    }
    data.update(overrides)
    return data


@pytest.fixture
def steward_admin_client(client, admin_steward):
    client.force_login(admin_steward)
    return client


def stored_files() -> list[Path]:
    root = Path(settings.DISTRIBUTION_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_groups_give_stewards_dataset_rights_and_researchers_read_access():
    stewards = set(
        Group.objects.get(name="Stewards").permissions.values_list("codename", flat=True)
    )
    researchers = set(
        Group.objects.get(name="Researchers")
        .permissions.filter(content_type__app_label="catalogue")  # the access app adds its own
        .values_list("codename", flat=True)
    )
    assert {"add_dataset", "change_dataset", "delete_dataset", "add_distribution"} <= stewards
    assert {"view_licence", "view_publisher", "view_theme"} <= stewards
    assert "change_licence" not in stewards
    assert researchers == {
        f"view_{model}"
        for model in (
            "dataset", "distribution", "publisher", "licence", "licenceversion", "dataspace",
            "theme",
        )
    }  # fmt: skip


def test_changing_licence_text_in_admin_publishes_version_2_and_keeps_version_1(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    licence = Licence.objects.get(identifier="CC-BY-4.0")
    original = licence.versions.get().text
    url = reverse("admin:catalogue_licence_change", args=[licence.pk])
    page = client.get(url)
    assert page.context["adminform"].form["text"].value() == original

    data = form_data(page)
    data["text"] = "Creative Commons Attribution 4.0, with a corrected summary."
    response = client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "The text is now version 2." in response.content.decode()
    versions = {v.version: v.text for v in LicenceVersion.objects.filter(licence=licence)}
    assert versions == {1: original, 2: data["text"]}


def test_saving_licence_with_unchanged_text_publishes_no_version(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    licence = Licence.objects.get(identifier="CC-BY-4.0")
    url = reverse("admin:catalogue_licence_change", args=[licence.pk])
    data = form_data(client.get(url))
    data["title"] = "Creative Commons Attribution 4.0 International"

    response = client.post(url, data)

    assert response.status_code == 302
    assert licence.versions.count() == 1


def test_steward_browses_but_cannot_change_another_publishers_dataset(
    steward_admin_client, publisher, other_dataset
):
    own = DatasetFactory(title="Bauer soil samples", publisher=publisher)

    # The catalogue is public: every dataset is listed, one's own can be filtered out.
    changelist = steward_admin_client.get(CHANGELIST_URL).content.decode()
    assert own.title in changelist
    assert other_dataset.title in changelist
    mine = steward_admin_client.get(CHANGELIST_URL, {"stewarded": "yes"}).content.decode()
    assert own.title in mine
    assert other_dataset.title not in mine

    # Another publisher's dataset opens read-only: no save button, and a save is refused.
    page = steward_admin_client.get(change_url(other_dataset))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    data = dataset_post(other_dataset.publisher, title="Taken over")
    response = steward_admin_client.post(change_url(other_dataset), data)
    assert response.status_code == 403
    other_dataset.refresh_from_db()
    assert other_dataset.title == "Rival harvest records"

    delete = reverse("admin:catalogue_dataset_delete", args=[other_dataset.pk])
    assert steward_admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Dataset.objects.filter(pk=other_dataset.pk).exists()
    bulk = {"action": "delete_selected", "_selected_action": [other_dataset.pk], "post": "yes"}
    steward_admin_client.post(CHANGELIST_URL, bulk)
    assert Dataset.objects.filter(pk=other_dataset.pk).exists()


@pytest.mark.parametrize("who", ["researcher", "steward of another publisher"])
def test_dataset_opened_read_only_shows_keywords_as_a_list_and_languages_by_name(
    client, admin_steward, other_dataset, who
):
    other_dataset.keywords = ["soil", "carbon", "crop yield"]
    other_dataset.languages = ["en", "de"]
    other_dataset.save()
    if who == "researcher":
        client.force_login(admin_user_in(UserFactory(username="rui"), "Researchers"))
    else:
        client.force_login(admin_steward)

    page = client.get(change_url(other_dataset))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    content = page.content.decode()
    assert "soil, carbon, crop yield" in content
    assert "English (en), German (de)" in content
    assert "[&quot;" not in content and '["' not in content  # no JSON, escaped or not


def test_steward_edits_keywords_and_languages_as_comma_separated_text(
    steward_admin_client, publisher
):
    dataset = DatasetFactory(publisher=publisher, keywords=["soil", "carbon"], languages=["en"])
    page = steward_admin_client.get(change_url(dataset))
    form = page.context["adminform"].form
    assert 'value="soil, carbon"' in str(form["keywords"])
    assert 'value="en"' in str(form["languages"])

    data = form_data(page)
    data.update({"keywords": "soil, carbon, nitrate", "languages": "en, DE"})
    response = steward_admin_client.post(change_url(dataset), data)

    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.keywords, dataset.languages) == (["soil", "carbon", "nitrate"], ["en", "de"])


def test_temporal_end_before_start_is_a_form_error_not_a_500(steward_admin_client, publisher):
    data = dataset_post(publisher, temporal_start="2024-06-30", temporal_end="2024-01-01")

    response = steward_admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["temporal_end"] == ["Must be on or after temporal_start."]
    assert not Dataset.objects.exists()


def test_steward_registers_dataset_with_file_through_the_services(steward_admin_client, publisher):
    content = b"station,week,moisture\nS001,1,0.31\nS002,1,0.27\n"
    upload = SimpleUploadedFile("moisture 2024.csv", content, content_type="text/csv")
    data = dataset_post(publisher, **{"new_distributions-0-file": upload})

    response = steward_admin_client.post(ADD_URL, data, follow=True)

    assert response.status_code == 200
    assert "was added successfully" in response.content.decode()
    dataset = Dataset.objects.get()
    assert dataset.slug == "soil-moisture-bavaria"
    assert dataset.keywords == ["soil", "moisture"]
    assert dataset.languages == ["de", "en"]
    assert set(dataset.themes.values_list("code", flat=True)) == {"AGRI", "ENVI"}
    distribution = dataset.distributions.get()
    assert distribution.format == "CSV"
    assert distribution.title == "moisture 2024.csv"
    assert distribution.byte_size == len(content)
    assert distribution.sha256 == hashlib.sha256(content).hexdigest()
    assert distribution.file.read() == content


def test_steward_cannot_register_dataset_for_a_publisher_they_do_not_steward(
    steward_admin_client, other_dataset
):
    data = dataset_post(other_dataset.publisher, title="Sneaky")

    response = steward_admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert "publisher" in response.context["adminform"].form.errors
    assert not Dataset.objects.filter(title="Sneaky").exists()


def test_file_whose_format_cannot_be_inferred_is_an_inline_error(steward_admin_client, publisher):
    upload = SimpleUploadedFile("readings.dat", b"\x00\x01")
    data = dataset_post(publisher, **{"new_distributions-0-file": upload})

    response = steward_admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["format"] == ["This field is required for this file."]
    assert not Dataset.objects.exists()
    assert stored_files() == []


def test_a_file_over_the_upload_limit_is_an_inline_error(steward_admin_client, publisher, settings):
    settings.MAX_DISTRIBUTION_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile("readings.csv", b"x" * 1001)
    data = dataset_post(publisher, **{"new_distributions-0-file": upload})

    response = steward_admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["file"] == ["At most 1,000 bytes."]
    assert not Dataset.objects.exists()
    assert stored_files() == []


def test_service_refusal_during_save_rolls_everything_back(
    steward_admin_client, publisher, monkeypatch
):
    real_add_file = services.distribution_add_file

    def refuse_the_second_file(**kwargs):
        if Distribution.objects.exists():
            raise ApplicationError("The storage refused the second file.")
        return real_add_file(**kwargs)

    monkeypatch.setattr(services, "distribution_add_file", refuse_the_second_file)
    data = dataset_post(
        publisher,
        **management_form("new_distributions", 2),
        **{
            f"new_distributions-{i}-file": SimpleUploadedFile(f"part{i}.csv", b"a,b\n1,2\n")
            for i in range(2)
        },
    )

    response = steward_admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["The storage refused the second file."]
    assert form["title"].value() == "Soil moisture, Bavaria"  # what the steward typed stays
    assert not Dataset.objects.exists()
    assert not Distribution.objects.exists()
    assert stored_files() == []  # the first file, stored before the refusal, is gone too


def test_steward_edits_dataset_and_removes_a_file(
    steward_admin_client, publisher, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory(publisher=publisher, title="Old title", keywords=["soil"])
    upload = SimpleUploadedFile("old.csv", b"x\n1\n", content_type="text/csv")
    services.distribution_add_file(user=publisher.stewards.get(), dataset=dataset, upload=upload)
    assert len(stored_files()) == 1
    data = form_data(steward_admin_client.get(change_url(dataset)))
    data.update({"title": "New title", "keywords": "soil, nitrate", "distributions-0-DELETE": "on"})

    with django_capture_on_commit_callbacks(execute=True):
        response = steward_admin_client.post(change_url(dataset), data)

    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.title, dataset.keywords) == ("New title", ["soil", "nitrate"])
    assert not dataset.distributions.exists()
    assert stored_files() == []


def test_steward_deletes_dataset_through_the_service(
    steward_admin_client, publisher, django_capture_on_commit_callbacks
):
    dataset = DatasetFactory(publisher=publisher)
    upload = SimpleUploadedFile("data.csv", b"x\n1\n", content_type="text/csv")
    services.distribution_add_file(user=publisher.stewards.get(), dataset=dataset, upload=upload)
    delete = reverse("admin:catalogue_dataset_delete", args=[dataset.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = steward_admin_client.post(delete, {"post": "yes"})

    assert response.status_code == 302
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert stored_files() == []


@pytest.mark.parametrize(
    "name",
    [
        "catalogue_dataset_changelist",
        "catalogue_dataset_add",
        "catalogue_licence_changelist",
        "catalogue_licence_add",
        "catalogue_publisher_changelist",
        "catalogue_dataspace_changelist",
        "catalogue_theme_changelist",
    ],
)
def test_catalogue_admin_pages_render_for_a_superuser(client, name):
    DatasetFactory(themes=[Theme.objects.get(code="AGRI")])
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert client.get(reverse(f"admin:{name}")).status_code == 200


def test_superuser_adds_licence_with_its_first_text_version(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    data = {
        "identifier": "LicenseRef-Test-1.0",
        "title": "Test licence",
        "permits_commercial_use": "on",
        "text": "  You may use this data for tests.  ",
        **management_form("versions", 0),
    }

    response = client.post(reverse("admin:catalogue_licence_add"), data)

    assert response.status_code == 302
    version = LicenceVersion.objects.get(licence__identifier="LicenseRef-Test-1.0")
    assert (version.version, version.text) == (1, "You may use this data for tests.")
