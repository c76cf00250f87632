"""The catalogue in the workspace, "Request access", and the researcher's own requests."""

from __future__ import annotations

import pytest
from django.test import Client

from access import services
from access.models import AccessRequest, RequestState
from catalogue.models import AccessRights, Theme
from catalogue.services import licence_publish_text
from tests.access.factories import PURPOSE, submitted_request
from tests.catalogue.factories import DatasetFactory, file_distribution

pytestmark = pytest.mark.django_db

CATALOGUE = "/workspace/workspace/cataloguedataset/"
REQUESTS = "/workspace/workspace/myrequest/"


@pytest.fixture
def client(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


@pytest.fixture
def weather(publisher):
    return DatasetFactory(
        title="Weather stations of Lower Saxony",
        description="Hourly récoltes and rainfall.",
        publisher=publisher,
        access_rights=AccessRights.PUBLIC,
        themes=[Theme.objects.get(code="ENVI")],
    )


def titles(response) -> list[str]:
    return [dataset.title for dataset in response.context["cl"].result_list]


# --- the catalogue ------------------------------------------------------------------------------


def test_catalogue_lists_every_dataset_as_the_api_does(client, restricted, weather, other_dataset):
    response = client.get(CATALOGUE)

    assert response.status_code == 200
    assert sorted(titles(response)) == sorted(
        [restricted.title, weather.title, other_dataset.title]
    )


@pytest.mark.postgres
def test_catalogue_search_is_the_apis_full_text_search(client, restricted, weather, other_dataset):
    # Stemmed ("moistures" finds "moisture"), accents optional, the web syntax's exclusion.
    assert titles(client.get(CATALOGUE, {"q": "moistures"})) == [restricted.title]
    assert titles(client.get(CATALOGUE, {"q": "recoltes"})) == [weather.title]
    assert restricted.title not in titles(client.get(CATALOGUE, {"q": "bavarian or rival -soil"}))
    api = client.get("/api/v1/datasets/", {"q": "farm or weather"}).json()
    workspace = titles(client.get(CATALOGUE, {"q": "farm or weather"}))
    assert sorted(workspace) == sorted(row["title"] for row in api["results"])


def test_a_query_the_search_cannot_read_is_explained_not_a_crash(client, restricted):
    response = client.get(CATALOGUE, {"q": '"unclosed'})

    assert response.status_code == 200
    assert titles(response) == []
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ['Search: The query has an unclosed quotation mark (").']


def test_catalogue_filters_are_the_apis_facets_with_counts(
    client, restricted, weather, other_dataset
):
    file_distribution(restricted)
    response = client.get(CATALOGUE)
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert filters == {"data space", "publisher", "licence", "access rights", "themes", "format"}

    assert sorted(titles(client.get(CATALOGUE, {"access_rights__exact": "RESTRICTED"}))) == [
        other_dataset.title,
        restricted.title,
    ]
    assert titles(client.get(CATALOGUE, {"format": "CSV"})) == [restricted.title]
    envi = Theme.objects.get(code="ENVI")
    assert titles(client.get(CATALOGUE, {"themes__id__exact": envi.pk})) == [weather.title]
    page = client.get(CATALOGUE, {"_facets": "1"}).content.decode()
    assert "Restricted (2)" in page and "Public (1)" in page


def test_dataset_page_shows_description_licence_files_and_request_access(client, restricted):
    distribution = file_distribution(restricted, title="Moisture readings")

    response = client.get(f"{CATALOGUE}{restricted.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert restricted.description in page
    assert restricted.licence.title in page and "version 1" in page
    assert "Moisture readings" in page and "CSV" in page
    assert f"{distribution.byte_size / 1024:.1f}".rstrip("0") in page  # "..." KB
    assert f'href="{CATALOGUE}{restricted.pk}/request/" id="request-access"' in page
    assert 'name="_save"' not in page  # read-only


def test_public_dataset_has_no_request_button(client, weather):
    page = client.get(f"{CATALOGUE}{weather.pk}/change/").content.decode()

    assert 'id="request-access"' not in page


def test_dataset_with_an_open_request_links_to_it_instead(client, researcher, restricted):
    mine = submitted_request(researcher, restricted)

    page = client.get(f"{CATALOGUE}{restricted.pk}/change/").content.decode()

    assert 'id="request-access"' not in page
    assert f'href="{REQUESTS}{mine.pk}/change/" id="open-request"' in page


# --- "Request access" ---------------------------------------------------------------------------


def request_form_data(**overrides) -> dict:
    return {
        "purpose": PURPOSE,
        "project_title": "SoilNet",
        "affiliation": "TU München",
        "duration_days": "120",
        "scope": "whole",
        "accept_licence": "on",
        "licence_version": "1",
        **overrides,
    }


def test_request_form_shows_the_default_duration_files_and_the_exact_licence_text(
    client, restricted
):
    file_distribution(restricted, title="Moisture readings")
    text = restricted.licence.current_version.text

    response = client.get(f"{CATALOGUE}{restricted.pk}/request/")

    assert response.status_code == 200
    form = response.context["form"]
    assert form.fields["duration_days"].initial == 90
    assert "scope" in form.fields and "distributions" in form.fields
    page = response.content.decode()
    assert 'id="licence-text"' in page
    assert response.context["licence_version"].text == text
    assert "I accept this licence" in page


def test_researcher_requests_access_through_the_workspace_form(client, researcher, restricted):
    response = client.post(f"{CATALOGUE}{restricted.pk}/request/", request_form_data())

    created = AccessRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{REQUESTS}{created.pk}/change/"
    assert (created.requester, created.state, created.duration_days) == (
        researcher, RequestState.SUBMITTED, 120,
    )  # fmt: skip
    assert (created.project_title, created.affiliation) == ("SoilNet", "TU München")
    assert created.whole_dataset and created.licence_version.version == 1
    page = client.get(response["Location"]).content.decode()
    assert "was submitted" in page


def test_researcher_asks_for_chosen_files_only(client, restricted):
    wanted = file_distribution(restricted, title="Wanted", filename="a.csv")
    file_distribution(restricted, title="Not wanted", filename="b.csv")

    client.post(
        f"{CATALOGUE}{restricted.pk}/request/",
        request_form_data(scope="chosen", distributions=[str(wanted.pk)]),
    )

    created = AccessRequest.objects.get()
    assert not created.whole_dataset
    assert list(created.distributions.all()) == [wanted]


def test_chosen_files_with_none_ticked_is_refused_on_the_form(client, restricted):
    file_distribution(restricted)

    response = client.post(
        f"{CATALOGUE}{restricted.pk}/request/", request_form_data(scope="chosen")
    )

    assert response.status_code == 200
    assert "Tick the files you need" in str(response.context["form"].errors["distributions"])
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purpose": "Research."}, "purpose", "five words"),
        ({"accept_licence": ""}, "accept_licence", "You must accept CC-BY-4.0 version 1."),
        ({"duration_days": "400"}, "duration_days", "Between 1 and 365; got 400."),
    ],
)
def test_service_refusals_are_shown_on_the_form_fields(
    client, restricted, overrides, field, message
):
    response = client.post(f"{CATALOGUE}{restricted.pk}/request/", request_form_data(**overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "Please correct the errors below." in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_second_open_request_is_refused_with_a_link_to_the_first(client, researcher, restricted):
    first = submitted_request(researcher, restricted)

    response = client.post(f"{CATALOGUE}{restricted.pk}/request/", request_form_data())

    assert response.status_code == 200
    assert "already have an open request" in str(response.context["form"].non_field_errors())
    assert f'href="{REQUESTS}{first.pk}/change/"' in response.content.decode()
    assert AccessRequest.objects.count() == 1


def test_licence_changed_while_the_form_was_open_shows_the_new_text_to_accept(client, restricted):
    licence_publish_text(licence=restricted.licence, text="New terms: cite us twice.")

    response = client.post(f"{CATALOGUE}{restricted.pk}/request/", request_form_data())

    assert response.status_code == 200
    assert response.context["licence_version"].version == 2
    assert "New terms: cite us twice." in response.content.decode()
    assert "no longer current" in str(response.context["form"].non_field_errors())
    assert not AccessRequest.objects.exists()


# --- my requests --------------------------------------------------------------------------------


def test_my_requests_show_state_deadline_submitted_and_decision(
    client, researcher, steward, restricted
):
    mine = submitted_request(researcher, restricted)
    services.access_request_reject(user=steward, request=mine, reason="Not for commercial use.")

    response = client.get(REQUESTS)

    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [mine.pk]
    page = response.content.decode()
    for text in ("Rejected", "Not for commercial use.", "Submitted", "Deadline", "Decision"):
        assert text in page


def test_request_page_shows_the_hash_chained_history(client, researcher, restricted):
    mine = submitted_request(researcher, restricted)
    events = list(mine.events.order_by("position"))

    page = client.get(f"{REQUESTS}{mine.pk}/change/").content.decode()

    assert 'id="history"' in page
    for event in events:
        assert f'title="{event.hash}"' in page
    assert "Draft → Submitted" in page
    assert 'id="withdraw-request"' in page
    assert 'id="edit-request"' not in page  # submitted: not editable


def test_researcher_withdraws_a_submitted_request(client, researcher, restricted):
    mine = submitted_request(researcher, restricted)

    assert client.get(f"{REQUESTS}{mine.pk}/withdraw/").status_code == 200
    response = client.post(f"{REQUESTS}{mine.pk}/withdraw/", {"comment": "Found other data."})

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == RequestState.WITHDRAWN
    assert mine.events.last().comment == "Found other data."
    page = client.get(f"{REQUESTS}{mine.pk}/change/").content.decode()
    assert 'id="withdraw-request"' not in page


def test_withdrawing_twice_is_a_message_not_an_error(client, researcher, restricted):
    mine = submitted_request(researcher, restricted)
    client.post(f"{REQUESTS}{mine.pk}/withdraw/")

    response = client.post(f"{REQUESTS}{mine.pk}/withdraw/", follow=True)

    assert response.status_code == 200
    assert any("withdrawn" in str(m).lower() for m in response.context["messages"])


def test_returned_request_is_edited_and_resubmitted_accepting_the_changed_licence(
    client, researcher, steward, restricted
):
    mine = submitted_request(researcher, restricted)
    services.access_request_return(user=steward, request=mine, comment="Name the project.")
    licence_publish_text(licence=restricted.licence, text="Version two of the terms.")
    edit_url = f"{REQUESTS}{mine.pk}/edit/"
    assert 'id="edit-request"' in client.get(f"{REQUESTS}{mine.pk}/change/").content.decode()

    page = client.get(edit_url).content.decode()
    assert "Version two of the terms." in page
    data = request_form_data(project_title="SoilNet II", licence_version="2", _submit="1")
    del data["accept_licence"]
    refused = client.post(edit_url, data)
    assert "You must accept" in " ".join(refused.context["form"].errors["accept_licence"])
    mine.refresh_from_db()
    assert mine.state == RequestState.RETURNED

    response = client.post(edit_url, {**data, "accept_licence": "on"})

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == RequestState.SUBMITTED
    assert mine.project_title == "SoilNet II"
    assert mine.licence_version.version == 2


def test_a_submitted_request_cannot_be_edited(client, researcher, restricted):
    mine = submitted_request(researcher, restricted)

    response = client.post(
        f"{REQUESTS}{mine.pk}/edit/", request_form_data(_submit="1"), follow=True
    )

    assert any("Only a draft or returned" in str(m) for m in response.context["messages"])
    mine.refresh_from_db()
    assert mine.project_title == ""
