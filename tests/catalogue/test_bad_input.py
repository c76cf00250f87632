"""Malformed requests get a 4xx in the one JSON error shape, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/datasets/"


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error["fields"], error
    return error


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"data_space": "atlantis"}, "data_space"),
        ({"publisher": "nobody"}, "publisher"),
        ({"licence": "WTFPL"}, "licence"),
        ({"access_rights": "SECRET"}, "access_rights"),
        ({"theme": "NOPE"}, "theme"),
        ({"format": "DOCX"}, "format"),
        ({"modified_since": "yesterday"}, "modified_since"),
        ({"ordering": "-id"}, "ordering"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page": "-1"}, "page"),
        ({"q": "soil\x00"}, "q"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": '"unclosed phrase'}, "q"),
        ({"q": "-only -exclusions"}, "q"),
        ({"q": "or soil"}, "q"),
        ({"q": "soil or"}, "q"),
        ({"licence_id": "CC0-1.0"}, "licence_id"),
    ],
)
def test_bad_search_parameters_are_400(api_client, params, field):
    error = assert_error(api_client.get(URL, params), 400, field)
    assert error["code"] in {"invalid", "invalid_query"}


def test_a_page_past_the_end_is_404_and_says_which_pages_exist(api_client):
    DatasetFactory()
    error = assert_error(api_client.get(URL, {"page": 5}), 404)
    assert "last page (1)" in error["message"]


def test_unknown_dataset_is_404_in_the_error_shape(api_client):
    error = assert_error(api_client.get(f"{URL}no-such-dataset/"), 404)
    assert "no-such-dataset" in error["message"]
    assert_error(api_client.get("/api/v1/nowhere/"), 404)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"licence": "WTFPL"}, "licence"),
        ({"data_space": "atlantis"}, "data_space"),
        ({"publisher": "nobody"}, "publisher"),
        ({"themes": ["NOPE"]}, "themes"),
        ({"languages": ["xx"]}, "languages"),
        ({"access_rights": "SECRET"}, "access_rights"),
        ({"title": ""}, "title"),
        ({"temporal_start": "2024-01-01", "temporal_end": "2023-01-01"}, "temporal_end"),
        ({"landing_page": "not a url"}, "landing_page"),
        ({"keywords": "soil"}, "keywords"),
    ],
)
def test_bad_dataset_input_is_400_and_creates_nothing(steward_client, publisher, overrides, field):
    from catalogue.models import Dataset

    body = {
        "title": "T",
        "description": "D",
        "publisher": publisher.slug,
        "data_space": "agriculture",
        "licence": "CC0-1.0",
    }
    body.update(overrides)
    assert_error(steward_client.post(URL, body, format="json"), 400, field)
    assert not Dataset.objects.exists()


def test_malformed_json_is_400(steward_client, publisher):
    response = steward_client.post(URL, "{not json", content_type="application/json")
    assert_error(response, 400)


def test_duplicate_slug_is_409(steward_client, publisher):
    DatasetFactory(slug="taken", publisher=publisher)
    body = {
        "title": "T",
        "description": "D",
        "slug": "taken",
        "publisher": publisher.slug,
        "data_space": "agriculture",
        "licence": "CC0-1.0",
    }
    assert_error(steward_client.post(URL, body, format="json"), 409, "slug")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "no file"}, "file"),
        ({"file": "not-a-file"}, "file"),
        ({"file": True, "checksum": "md5:abc"}, "checksum"),
        ({"file": True, "format": "DOCX"}, "format"),
        ({"file": b""}, "file"),  # empty
        ({"file": True, "media_type": "text/csv\r\nX-Injected: 1"}, "media_type"),
        ({"file": True, "media_type": "csv"}, "media_type"),
        ({"file": True, "media_type": "text/csv; charset"}, "media_type"),
    ],
)
def test_bad_uploads_are_400(steward_client, publisher, data, field):
    dataset = DatasetFactory(publisher=publisher)
    if data.get("file") is True:
        data = {**data, "file": SimpleUploadedFile("data.csv", b"a\n")}
    elif isinstance(data.get("file"), bytes):
        data = {**data, "file": SimpleUploadedFile("data.csv", data["file"])}
    response = steward_client.post(f"{URL}{dataset.id}/distributions/", data)
    assert_error(response, 400, field)
    assert not dataset.distributions.exists()


def test_upload_with_uninferrable_format_asks_for_it(steward_client, publisher):
    dataset = DatasetFactory(publisher=publisher)
    response = steward_client.post(
        f"{URL}{dataset.id}/distributions/", {"file": SimpleUploadedFile("blob.bin", b"\x00\x01")}
    )
    assert_error(response, 400, "format")


@pytest.mark.parametrize("size", [1500, 3 * 1024 * 1024])  # counted while read; refused at once
def test_an_upload_over_the_limit_is_413_and_stores_nothing(
    steward_client, publisher, settings, size
):
    settings.MAX_DISTRIBUTION_UPLOAD_BYTES = 1000
    dataset = DatasetFactory(publisher=publisher)
    response = steward_client.post(
        f"{URL}{dataset.id}/distributions/", {"file": SimpleUploadedFile("big.csv", b"x" * size)}
    )
    assert_error(response, 413, "file")
    assert response.json()["error"]["max_bytes"] == 1000
    assert not dataset.distributions.exists()
    assert not any(Path(settings.DISTRIBUTION_ROOT).rglob("*.csv"))


def test_an_upload_at_the_limit_is_accepted_with_a_valid_media_type(
    steward_client, publisher, settings
):
    settings.MAX_DISTRIBUTION_UPLOAD_BYTES = 1000
    dataset = DatasetFactory(publisher=publisher)
    response = steward_client.post(
        f"{URL}{dataset.id}/distributions/",
        {
            "file": SimpleUploadedFile("exact.csv", b"y" * 1000),
            "media_type": 'text/csv; charset=utf-8; header="present"',
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["byte_size"] == 1000


def test_a_misspelt_field_is_400_not_silently_ignored(steward_client, publisher):
    dataset = DatasetFactory(publisher=publisher, title="Soil moisture")
    for body in ({"titel": "Typo"}, {"\x00": 1, "title": "Fine"}):
        response = steward_client.patch(f"{URL}{dataset.slug}/", body, format="json")
        error = assert_error(response, 400)
        assert set(error["fields"]) == set(body) - {"title"}
        assert "Unknown field" in error["fields"][next(iter(error["fields"]))][0]
    dataset.refresh_from_db()
    assert dataset.title == "Soil moisture"
