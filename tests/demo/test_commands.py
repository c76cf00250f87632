"""The management commands that fill a catalogue: seed_demo (the demo) and generate_catalogue."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.selectors import email_is_verified
from catalogue.models import AccessRights, Dataset, Distribution, Publisher
from demo.data import DATASETS, DEMO_EMAIL_DOMAIN, DEMO_FILES_DIR, PUBLISHERS
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-password-for-the-tests"
USERNAMES = ("admin", "steward", "researcher")


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch) -> FileSystemStorage:
    """Distribution files of these tests in their own directory: the shared test directory is
    emptied after every test, by any xdist worker."""
    storage = FileSystemStorage(location=tmp_path / "distributions")
    monkeypatch.setattr(Distribution._meta.get_field("file"), "storage", storage)
    return storage


def seed_demo(monkeypatch, *, password: str | None = DEMO_PASSWORD) -> str:
    if password is None:
        monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DEMO_PASSWORD", password)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def generate(count: int, *, seed: int = 42) -> str:
    out = io.StringIO()
    call_command(
        "generate_catalogue",
        f"--count={count}",
        f"--seed={seed}",
        "--batch-size=120",
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def row_counts() -> dict[str, int]:
    User = get_user_model()
    return {
        "datasets": Dataset.objects.count(),
        "distributions": Distribution.objects.count(),
        "publishers": Publisher.objects.count(),
        "stewards": Publisher.stewards.through.objects.count(),
        "theme links": Dataset.themes.through.objects.count(),
        "users": User.objects.count(),
        "group memberships": User.groups.through.objects.count(),
        "groups": Group.objects.count(),
    }


# --- seed_demo ---------------------------------------------------------------------------------


def test_seed_demo_loads_a_varied_catalogue(monkeypatch):
    seed_demo(monkeypatch)

    datasets = Dataset.objects.all()
    assert datasets.count() >= 40
    assert datasets.values("data_space").distinct().count() >= 10
    assert Publisher.objects.filter(slug__in=[p.slug for p in PUBLISHERS]).count() >= 6
    assert set(datasets.values_list("access_rights", flat=True)) == set(AccessRights.values)
    licences = set(datasets.values_list("licence__identifier", flat=True))
    assert {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "EUPL-1.2"} <= licences
    assert {"DL-DE-BY-2.0", "LicenseRef-Etalab-2.0"} <= licences
    assert sum(identifier.startswith("LicenseRef-Passerelle-") for identifier in licences) == 3
    languages = {code for row in datasets.values_list("languages", flat=True) for code in row}
    assert {"en", "fr", "de", "nl", "it", "es", "fi"} <= languages
    assert datasets.filter(themes__isnull=True).count() == 0
    assert datasets.filter(keywords=[]).count() == 0
    french = Dataset.objects.get(slug="rendements-recoltes-val-de-loire")
    assert french.languages == ["fr"]
    assert "récoltes" in french.title
    assert french.landing_page.startswith("https://")
    assert french.contact_email
    assert french.temporal_start.year == 2019
    assert french.temporal_end.year == 2023


def test_seed_demo_accounts_log_in_with_demo_password(monkeypatch):
    seed_demo(monkeypatch)

    users = {name: authenticate(username=name, password=DEMO_PASSWORD) for name in USERNAMES}
    assert all(users.values()), users
    assert all(user.email.endswith(f"@{DEMO_EMAIL_DOMAIN}") for user in users.values())
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["steward"].is_staff and not users["steward"].is_superuser
    # The researcher works in the workspace, not the admin: no staff flag.
    assert not users["researcher"].is_staff and not users["researcher"].is_superuser
    # Every demo account signs in through allauth, which admits verified addresses only.
    assert all(email_is_verified(user=user) for user in users.values())
    assert users["steward"].groups.filter(name="Stewards").exists()
    assert users["researcher"].groups.filter(name="Researchers").exists()


def test_seed_demo_steward_stewards_every_demo_publisher(monkeypatch):
    seed_demo(monkeypatch)

    steward = get_user_model().objects.get(username="steward")
    demo_slugs = {p.slug for p in PUBLISHERS}
    assert set(steward.stewarded_publishers.values_list("slug", flat=True)) == demo_slugs
    assert not get_user_model().objects.get(username="researcher").stewarded_publishers.exists()


def test_seed_demo_files_record_size_and_sha256_of_the_stored_bytes(monkeypatch, private_storage):
    seed_demo(monkeypatch)

    files = Distribution.objects.exclude(file="").select_related("dataset")
    assert files.values("dataset").distinct().count() >= 6
    assert {d.format for d in files} >= {"CSV", "JSON", "GEOJSON", "TXT"}
    for distribution in files:
        with private_storage.open(distribution.file.name, "rb") as stored:
            content = stored.read()
        assert distribution.byte_size == len(content) > 0
        assert distribution.sha256 == hashlib.sha256(content).hexdigest()
        source = DEMO_FILES_DIR / distribution.file.name.rsplit("/", 1)[-1]
        assert content == source.read_bytes()
    services = Distribution.objects.filter(file="")
    assert services.count() >= 5
    assert all(d.access_url.startswith("https://") for d in services)


def test_seed_demo_gives_every_restricted_dataset_a_file_to_download(monkeypatch, private_storage):
    seed_demo(monkeypatch)

    # Approving any of them yields something a grant can deliver: bytes, their size and hash.
    restricted = Dataset.objects.filter(access_rights=AccessRights.RESTRICTED)
    assert restricted.count() == sum(spec.access_rights == "RESTRICTED" for spec in DATASETS)
    without_file = []
    for dataset in restricted.prefetch_related("distributions"):
        stored = [d for d in dataset.distributions.all() if d.file]
        if not stored:
            without_file.append(dataset.slug)
        for distribution in stored:
            source = (DEMO_FILES_DIR / distribution.file.name.rsplit("/", 1)[-1]).read_bytes()
            assert distribution.byte_size == len(source), distribution.file.name
            assert distribution.sha256 == hashlib.sha256(source).hexdigest(), distribution.file.name
            with private_storage.open(distribution.file.name, "rb") as file:
                assert file.read() == source
    assert without_file == []


def test_demo_files_are_small_and_each_is_used_by_a_dataset():
    used = {demo_file.filename for spec in DATASETS for demo_file in spec.files}
    present = {path.name for path in DEMO_FILES_DIR.iterdir() if path.is_file()}

    assert used == present
    sizes = {name: (DEMO_FILES_DIR / name).stat().st_size for name in present}
    assert max(sizes.values()) <= 10_000, sizes


def test_seed_demo_keeps_each_dataset_modified_date(monkeypatch):
    seed_demo(monkeypatch)

    # Adding a file stamps "now"; the seeder restores the date written in the demo data.
    for spec in DATASETS:
        if spec.files:
            modified = Dataset.objects.get(slug=spec.slug).modified
            assert modified.date().isoformat() == spec.modified


def test_seed_demo_twice_changes_nothing(monkeypatch):
    seed_demo(monkeypatch)
    counts = row_counts()
    modified = dict(Dataset.objects.values_list("slug", "modified"))
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    output = seed_demo(monkeypatch)

    assert row_counts() == counts
    assert dict(Dataset.objects.values_list("slug", "modified")) == modified
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    assert re.search(r"datasets:\s+\d+ \(0 created\)", output), output
    assert re.search(r"distributions:\s+\d+ \(0 created\)", output), output


def test_seed_demo_generates_a_password_once_and_keeps_it(monkeypatch):
    first = seed_demo(monkeypatch, password=None)
    match = re.search(r"shown only this once\): (\S+)", first)
    assert match, first
    password = match[1]
    assert len(password) >= 12
    assert authenticate(username="researcher", password=password)

    second = seed_demo(monkeypatch, password=None)

    assert password not in second
    assert "kept their passwords" in second
    assert all(authenticate(username=name, password=password) for name in USERNAMES)


def test_seed_demo_refuses_under_production_settings(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    with (
        override_settings(SETTINGS_MODULE="config.settings.production", DEBUG=False),
        pytest.raises(CommandError, match="production settings"),
    ):
        call_command("seed_demo", stdout=io.StringIO())

    assert not Dataset.objects.exists()
    assert not get_user_model().objects.filter(username__in=USERNAMES).exists()


def test_seed_demo_does_not_take_over_a_real_account(monkeypatch):
    UserFactory(username="admin", email="admin@example.org")

    with pytest.raises(CommandError, match="not a demo account"):
        seed_demo(monkeypatch)

    admin = get_user_model().objects.get(username="admin")
    assert admin.email == "admin@example.org"
    assert not admin.check_password(DEMO_PASSWORD)


# --- generate_catalogue ------------------------------------------------------------------------


def test_generate_catalogue_creates_varied_datasets_with_themes_keywords_and_files():
    output = generate(300)

    datasets = Dataset.objects.filter(publisher__slug__startswith="synthetic-")
    assert datasets.count() == 300
    assert "Created 300 datasets" in output
    assert datasets.filter(themes__isnull=True).count() == 0
    assert datasets.filter(distributions__isnull=True).count() == 0
    for dataset in datasets.prefetch_related("themes", "distributions"):
        assert 1 <= len(dataset.themes.all()) <= 3
        assert 2 <= len(dataset.keywords) <= 6
        assert 1 <= len(dataset.languages) <= 2
        assert 1 <= len(dataset.distributions.all()) <= 3
        for distribution in dataset.distributions.all():
            if distribution.format == "API":
                assert distribution.access_url.startswith("https://")
            else:
                assert distribution.byte_size > 0
                assert re.fullmatch(r"[0-9a-f]{64}", distribution.sha256)
    assert datasets.values("data_space").distinct().count() >= 10
    assert datasets.values("publisher").distinct().count() >= 30
    assert set(datasets.values_list("access_rights", flat=True)) == set(AccessRights.values)
    languages = {code for row in datasets.values_list("languages", flat=True) for code in row}
    assert {"en", "fr", "de", "nl", "it", "es"} <= languages
    assert datasets.filter(languages__0="en").count() > 150  # mostly English
    years = {d.year for d in datasets.values_list("modified", flat=True)}
    assert len(years) >= 4


def test_generate_catalogue_twice_gives_new_slugs_and_the_same_content():
    generate(150)
    first_titles = sorted(Dataset.objects.values_list("title", flat=True))

    generate(150)

    assert Dataset.objects.count() == 300
    assert Dataset.objects.values("slug").distinct().count() == 300
    titles = list(Dataset.objects.values_list("title", flat=True))
    assert sorted(titles) == sorted(first_titles * 2)
    assert Publisher.objects.filter(slug__startswith="synthetic-").count() == 50


@pytest.mark.postgres
def test_generate_catalogue_rows_are_found_by_full_text_search(api_client):
    generate(300)

    assert not Dataset.objects.filter(search_vector__isnull=True).exists()
    # A word from the vocabulary of one data space finds some datasets, not all.
    for word in ("harvest", "hospital", "museum", "traffic"):
        expected = Dataset.objects.filter(title__icontains=word) | Dataset.objects.filter(
            description__icontains=word
        )
        response = api_client.get(f"/api/v1/datasets/?q={word}")
        assert response.status_code == 200, response.content
        found = response.json()["count"]
        assert 0 < found < 300, word
        assert found >= expected.count(), word
