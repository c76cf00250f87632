"""Hostile or odd input answers 4xx in the one JSON error shape, never 500: NUL bytes in paths,
query parameters and JSON, digits that are not ASCII, pages past any real offset, date-times out
of range, JSON nested thousands deep, bodies over the limit, unknown paths under /api/."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
GRANT = "00000000-0000-0000-0000-000000000000"

API_CASES = [
    # NUL bytes, in every kind of parameter and in paths
    ("/api/v1/datasets/?q=%00", 400),
    ("/api/v1/datasets/?publisher=%00", 400),
    ("/api/v1/datasets/?keyword=a%00b", 400),
    ("/api/v1/datasets/?theme=%00", 400),
    ("/api/v1/datasets/?format=%00", 400),
    ("/api/v1/datasets/?licence=%00", 400),
    ("/api/v1/datasets/?modified_since=%00", 400),
    ("/api/v1/datasets/%00/", 400),
    ("/api/v1/datasets/a%00b/distributions/", 400),
    ("/api/v1/access-requests/?dataset=%00", 400),
    ("/api/v1/access-requests/?state=%00", 400),
    ("/api/v1/access-requests/%00/", 400),
    ("/api/v1/grants/%00/", 400),
    (f"/api/v1/downloads/{GRANT}/{GRANT}/?expires=1&signature=%00", 400),
    # digits that str.isdigit accepts but are not a number here
    ("/api/v1/datasets/?page=%D9%A1", 400),  # ARABIC-INDIC DIGIT ONE
    ("/api/v1/datasets/?page=%C2%B2", 400),  # SUPERSCRIPT TWO
    ("/api/v1/datasets/?page_size=%C2%B2", 400),
    ("/api/v1/access-requests/?page=%C2%B2", 400),
    ("/api/v1/grants/?link_ttl=%D9%A1", 400),
    ("/api/v1/grants/?link_ttl=%C2%B2", 400),
    (f"/api/v1/downloads/{GRANT}/{GRANT}/?expires=%C2%B2&signature=x", 403),
    # pages past any real offset
    ("/api/v1/datasets/?page=99999999999999999999999", 400),
    ("/api/v1/datasets/?q=soil&page=9999999999999999", 404),
    ("/api/v1/datasets/?ordering=title&page=9999999999999999", 404),
    ("/api/v1/licences/?page=9999999999999999", 404),
    ("/api/v1/access-requests/?page=9999999999", 404),
    # date-times that parse but do not exist in UTC, or cannot exist at all
    ("/api/v1/datasets/?modified_since=9999-12-31T23:59:59-23:59", 400),
    ("/api/v1/datasets/?modified_since=0001-01-01T00:00:00%2B23:59", 400),
    ("/api/v1/datasets/?modified_since=2024-01-01T00:00:00%2B99:00", 400),
    # unknown paths under /api/
    ("/api/v1/nothing-here/", 404),
    ("/api/whatever", 404),
]


@pytest.mark.parametrize(("url", "status"), API_CASES)
def test_odd_api_input_is_a_4xx_in_the_error_shape(url, status, steward_client):
    response = steward_client.get(url)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] and error["message"]


def test_unknown_api_paths_are_json_even_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_unknown_api_paths_are_a_json_404_not_a_csrf_page(method, db):
    # A partner's typo (an empty id: /access-requests//approve/) met Django's HTML CSRF page.
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/access-requests//approve/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


ADMIN_URLS = [
    "/admin/catalogue/dataset/?q=%00",
    "/admin/catalogue/dataset/?publisher__id__exact=%00",
    "/admin/catalogue/dataset/?modified__gte=%00",
    "/admin/access/accessrequest/?q=%00",
    "/admin/access/accessrequest/?state__exact=%00",
    "/admin/catalogue/dataset/%00/change/",
    "/admin/access/accessrequest/%00/change/",
]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_nul_bytes_in_admin_filters_and_paths_are_400(url, client, admin_user):
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL byte" in response.json()["error"]["message"]


def test_json_nested_thousands_deep_is_400(steward_client):
    body = '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = steward_client.post("/api/v1/datasets/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


def test_a_body_over_the_limit_is_413_before_it_is_parsed(steward_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"title": "' + "x" * 2000 + '"}'
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        response = steward_client.post("/api/v1/datasets/", body, content_type=content_type)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"


def test_nul_bytes_in_json_fields_are_400_naming_the_field(steward_client, publisher):
    response = steward_client.post(
        "/api/v1/datasets/",
        {
            "title": "Soil\x00moisture",
            "description": "d",
            "publisher": publisher.slug,
            "data_space": "agriculture",
            "licence": "CC0-1.0",
            "keywords": ["soil\x00"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"title", "keywords"} <= set(response.json()["error"]["fields"])
    response = steward_client.post(
        "/api/v1/access-requests/",
        {"dataset": "x\x00", "purpose": "We study\x00 " * 10, "accept_licence": True},
        format="json",
    )
    assert response.status_code == 400
    assert {"dataset", "purpose"} <= set(response.json()["error"]["fields"])
