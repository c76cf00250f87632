"""Stewards register datasets and files through the API; everyone else is kept out."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.models import Dataset, Distribution, LicenceVersion
from catalogue.services import licence_publish_text
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory, PublisherFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/datasets/"


def new_dataset(**overrides) -> dict:
    body = {
        "title": "Soil carbon in Bavarian farmland",
        "description": "Topsoil organic carbon sampled on 400 farms, 2019-2023.",
        "publisher": "bauer-agrar",
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
        "access_rights": "RESTRICTED",
        "themes": ["AGRI", "ENVI"],
        "keywords": ["soil", "carbon", " Soil "],
        "languages": ["en", "de"],
        "temporal_start": "2019-01-01",
        "temporal_end": "2023-12-31",
        "contact_email": "data@bauer-agrar.example.org",
    }
    body.update(overrides)
    return body


def test_token_is_obtained_with_username_and_password(api_client, steward):
    response = api_client.post(
        "/api/v1/auth/token/",
        {"username": "steward", "password": "correct horse battery staple"},
        format="json",
    )
    assert response.status_code == 201
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = api_client.post(URL, new_dataset(publisher=PublisherFactory().slug), format="json")
    # Authenticated (403: not a steward of that publisher), not 401.
    assert created.status_code == 403


def test_wrong_password_and_bad_token_are_401(api_client, steward):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "steward", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    api_client.credentials(HTTP_AUTHORIZATION="Token pst_forged")
    assert api_client.get(URL).status_code == 401


def test_revoked_token_stops_working(steward_client):
    assert steward_client.delete("/api/v1/auth/token/").status_code == 204
    assert steward_client.get(URL).status_code == 401


def test_steward_registers_a_dataset_by_slugs_and_identifiers(steward_client, publisher):
    response = steward_client.post(URL, new_dataset(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "soil-carbon-in-bavarian-farmland"
    assert body["publisher"]["slug"] == "bauer-agrar"
    assert body["licence"]["id"] == "CC-BY-4.0"
    assert body["keywords"] == ["soil", "carbon"]  # duplicates folded
    assert body["distributions"] == []
    # It is immediately searchable and readable by slug and by id.
    found = steward_client.get(URL, {"q": "carbon", "publisher": "bauer-agrar"}).json()
    assert [r["id"] for r in found["results"]] == [body["id"]]
    assert steward_client.get(f"{URL}{body['slug']}/").json()["id"] == body["id"]


def test_steward_edits_and_deletes_own_dataset(steward_client, publisher):
    dataset = DatasetFactory(publisher=publisher, title="Old title")
    response = steward_client.patch(
        f"{URL}{dataset.id}/", {"title": "New title", "keywords": ["x"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    dataset.refresh_from_db()
    assert dataset.keywords == ["x"]
    assert steward_client.delete(f"{URL}{dataset.slug}/").status_code == 204
    assert not Dataset.objects.filter(pk=dataset.pk).exists()


def test_other_publishers_datasets_are_not_found_for_writing(steward_client, publisher):
    foreign = DatasetFactory(publisher=PublisherFactory(slug="someone-else"))
    assert (
        steward_client.patch(f"{URL}{foreign.id}/", {"title": "x"}, format="json").status_code
        == 404
    )
    assert steward_client.delete(f"{URL}{foreign.id}/").status_code == 404
    upload = SimpleUploadedFile("a.csv", b"a,b\n1,2\n")
    response = steward_client.post(f"{URL}{foreign.id}/distributions/", {"file": upload})
    assert response.status_code == 404
    # Moving one's own dataset to a publisher one does not steward is refused too.
    own = DatasetFactory(publisher=publisher)
    moved = steward_client.patch(f"{URL}{own.id}/", {"publisher": "someone-else"}, format="json")
    assert moved.status_code == 403
    foreign.refresh_from_db()
    assert foreign.title != "x"


def test_anonymous_and_researchers_cannot_write(api_client, researcher_client, publisher):
    dataset = DatasetFactory(publisher=publisher)
    assert api_client.post(URL, new_dataset(), format="json").status_code == 401
    assert api_client.delete(f"{URL}{dataset.id}/").status_code == 401
    assert researcher_client.post(URL, new_dataset(), format="json").status_code == 403
    assert researcher_client.delete(f"{URL}{dataset.id}/").status_code == 404
    assert Dataset.objects.count() == 1


def test_upload_records_size_and_sha256_and_stores_the_bytes(steward_client, publisher):
    dataset = DatasetFactory(publisher=publisher)
    content = b"farm,carbon\n" + b"".join(b"f%d,%d\n" % (i, i * 3) for i in range(5000))
    digest = hashlib.sha256(content).hexdigest()
    response = steward_client.post(
        f"{URL}{dataset.id}/distributions/",
        {
            "file": SimpleUploadedFile("carbon.csv", content, content_type="text/csv"),
            "title": "Carbon samples",
            "checksum": f"sha256:{digest}",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["byte_size"] == len(content)
    assert body["checksum"] == f"sha256:{digest}"
    assert body["format"] == "CSV"
    assert body["media_type"] == "text/csv"
    stored = Distribution.objects.get(pk=body["id"])
    with stored.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
    detail = steward_client.get(f"{URL}{dataset.id}/").json()
    assert [d["checksum"] for d in detail["distributions"]] == [f"sha256:{digest}"]


def test_upload_with_mismatching_checksum_stores_nothing(steward_client, publisher, settings):
    dataset = DatasetFactory(publisher=publisher)
    response = steward_client.post(
        f"{URL}{dataset.id}/distributions/",
        {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"), "checksum": "sha256:" + "0" * 64},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "checksum_mismatch"
    assert "checksum" in response.json()["error"]["fields"]
    assert not Distribution.objects.exists()
    assert not any(settings.DISTRIBUTION_ROOT.rglob("*.csv"))


def test_restricted_bytes_are_never_reachable_from_the_catalogue(
    api_client, steward_client, publisher
):
    restricted = DatasetFactory(publisher=publisher, access_rights="RESTRICTED")
    public = DatasetFactory(publisher=publisher, access_rights="PUBLIC")
    for dataset in (restricted, public):
        steward_client.post(
            f"{URL}{dataset.id}/distributions/", {"file": SimpleUploadedFile("d.csv", b"x,y\n")}
        )
    restricted_file = api_client.get(f"{URL}{restricted.id}/").json()["distributions"][0]
    public_file = api_client.get(f"{URL}{public.id}/").json()["distributions"][0]
    assert restricted_file["download_url"] is None
    forged = f"{URL}{restricted.id}/distributions/{restricted_file['id']}/download/"
    assert api_client.get(forged).status_code == 404
    download = api_client.get(public_file["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"x,y\n"


def test_licence_text_change_makes_a_new_version_and_keeps_the_old(api_client):
    from catalogue.models import Licence

    licence = Licence.objects.get(identifier="CC-BY-4.0")
    old_text = licence.versions.get().text
    licence_publish_text(licence=licence, text="Updated terms.")
    licence_publish_text(licence=licence, text="Updated terms.")  # unchanged: no new version
    versions = LicenceVersion.objects.filter(licence=licence).order_by("version")
    assert [(v.version, v.text) for v in versions] == [(1, old_text), (2, "Updated terms.")]
    listed = next(
        item
        for item in api_client.get("/api/v1/licences/", {"page_size": 100}).json()["results"]
        if item["id"] == "CC-BY-4.0"
    )
    assert listed["version"] == 2
    assert listed["text"] == "Updated terms."
    assert [v["version"] for v in listed["versions"]] == [2, 1]


def test_reference_lists(api_client, publisher):
    DatasetFactory(publisher=publisher)
    spaces = api_client.get("/api/v1/data-spaces/", {"page_size": 100}).json()
    assert spaces["count"] == 14
    assert {"health", "agriculture", "mobility", "research-eosc"} <= {
        s["slug"] for s in spaces["results"]
    }
    licences = {
        item["id"]
        for item in api_client.get("/api/v1/licences/", {"page_size": 100}).json()["results"]
    }
    assert {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "EUPL-1.2"} <= licences
    publishers = api_client.get("/api/v1/publishers/").json()["results"]
    assert {
        "slug": publishers[0]["slug"],
        "count": publishers[0]["dataset_count"],
    } == {"slug": "bauer-agrar", "count": 1}


def test_superuser_may_register_for_any_publisher(api_client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    api_client.force_authenticate(admin)
    other = PublisherFactory(slug="any-publisher")
    response = api_client.post(URL, new_dataset(publisher=other.slug), format="json")
    assert response.status_code == 201
