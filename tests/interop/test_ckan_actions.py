"""The CKAN Action API through the real URL routing: envelopes, actions, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from catalogue.models import AccessRights, Dataset, Theme
from tests.catalogue.factories import (
    DatasetFactory,
    DistributionFactory,
    PublisherFactory,
    file_distribution,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def catalogue(db):
    """Three datasets of two publishers, modified on known dates."""
    bauer = PublisherFactory(slug="bauer-agrar", name="Bauer Agrar Institut")
    vigne = PublisherFactory(slug="vigne-ouest", name="Observatoire de la vigne")
    soil = DatasetFactory(
        slug="soil-moisture",
        title="Soil moisture on Bavarian farms",
        description="Weekly soil moisture readings from farm stations.",
        publisher=bauer,
        access_rights=AccessRights.RESTRICTED,
        keywords=["soil", "moisture"],
        themes=[Theme.objects.get(code="AGRI")],
    )
    file_distribution(soil)
    harvest = DatasetFactory(
        slug="vendanges-2025",
        title="Vendanges et récoltes 2025",
        description="Dates des vendanges par parcelle.",
        publisher=vigne,
        keywords=["vendanges", "soil"],
    )
    public_file = file_distribution(harvest, filename="vendanges.csv")
    DistributionFactory(dataset=harvest, format="JSON", media_type="application/json",
                        access_url="https://vigne.example.org/api")  # fmt: skip
    closed = DatasetFactory(
        slug="closed-cohort",
        title="Closed cohort",
        publisher=bauer,
        access_rights=AccessRights.NON_PUBLIC,
        licence=soil.licence.__class__.objects.get(identifier="CC0-1.0"),
    )
    DistributionFactory(dataset=closed)
    for slug, day in (("soil-moisture", 10), ("vendanges-2025", 20), ("closed-cohort", 1)):
        Dataset.objects.filter(slug=slug).update(modified=datetime(2026, 1, day, tzinfo=UTC))
    return {"soil": soil, "harvest": harvest, "closed": closed, "public_file": public_file}


def call(client: Client, action: str, version: str = "3/", **params):
    return client.get(f"/api/{version}action/{action}", params)


def post(client: Client, action: str, body, content_type: str = "application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/3/action/{action}", data=data, content_type=content_type)


def result(response):
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["success"] is True
    assert body["help"].startswith("http://testserver/api/")
    return body["result"]


def ckan_error(response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False and "help" in body
    assert body["error"]["__type"] == error_type
    assert body["error"]["message"]
    return body["error"]


# --- package_search -----------------------------------------------------------------------------


def names(search_result) -> list[str]:
    return [package["name"] for package in search_result["results"]]


def test_search_everything_newest_first_on_both_paths(client, catalogue):
    for version in ("3/", ""):
        found = result(call(client, "package_search", version=version))
        assert found["count"] == 3
        assert names(found) == ["vendanges-2025", "soil-moisture", "closed-cohort"]


def test_full_text_uses_the_catalogue_search_with_its_accent_folding(client, catalogue):
    assert names(result(call(client, "package_search", q="recoltes"))) == ["vendanges-2025"]
    assert names(result(call(client, "package_search", q="moisture -bavarian"))) == []


def test_fq_terms_filter_and_combine_with_q(client, catalogue):
    found = result(call(client, "package_search", q="*:*", fq="organization:bauer-agrar"))
    assert sorted(names(found)) == ["closed-cohort", "soil-moisture"]
    found = result(call(client, "package_search", fq="organization:bauer-agrar tags:soil"))
    assert names(found) == ["soil-moisture"]
    found = result(call(client, "package_search", fq="tags:AGRI"))  # a theme code is a tag
    assert names(found) == ["soil-moisture"]
    found = result(call(client, "package_search", fq="license_id:CC0-1.0"))
    assert names(found) == ["closed-cohort"]
    found = result(call(client, "package_search", fq="res_format:json"))
    assert names(found) == ["vendanges-2025"]
    found = result(call(client, "package_search", fq="organization:(bauer-agrar OR vigne-ouest)"))
    assert found["count"] == 3
    found = result(call(client, "package_search", fq="organization:nobody"))
    assert found["count"] == 0 and found["results"] == []


def test_exclusions_and_or_between_one_fields_terms(client, catalogue):
    found = result(call(client, "package_search", fq="-organization:bauer-agrar"))
    assert names(found) == ["vendanges-2025"]
    found = result(call(client, "package_search", fq="-tags:soil -groups:agri"))
    assert names(found) == ["closed-cohort"]
    found = result(
        call(client, "package_search", fq="organization:vigne-ouest OR organization:bauer-agrar")
    )
    assert found["count"] == 3


def test_ckanext_harvest_paging_by_id(client, catalogue):
    """Its gather stage: sort=id asc, 100 rows a page, until a page comes back empty."""
    ids, start = [], 0
    while True:
        page = result(call(client, "package_search", sort="id asc", rows=2, start=start,
                           fq="metadata_modified:[2026-01-05T00:00:00.000000Z TO *]"))  # fmt: skip
        if not page["results"]:
            break
        ids += [package["id"] for package in page["results"]]
        start += 2
    assert ids == sorted(str(catalogue[key].id) for key in ("soil", "harvest"))


def test_incremental_harvest_by_metadata_modified(client, catalogue):
    found = result(
        call(client, "package_search", q="metadata_modified:[2026-01-10T00:00:00Z TO *]")
    )
    assert names(found) == ["vendanges-2025", "soil-moisture"]
    found = result(
        call(client, "package_search", fq="metadata_modified:{2026-01-10T00:00:00Z TO *]")
    )
    assert names(found) == ["vendanges-2025"]
    found = result(
        call(client, "package_search", q="metadata_modified:[* TO 2026-01-05]", sort="name asc")
    )
    assert names(found) == ["closed-cohort"]


def test_rows_start_and_sort_page_through(client, catalogue):
    found = result(call(client, "package_search", rows=2, start=0, sort="name asc"))
    assert found["count"] == 3 and names(found) == ["closed-cohort", "soil-moisture"]
    found = result(call(client, "package_search", rows=2, start=2, sort="name asc"))
    assert names(found) == ["vendanges-2025"]
    found = result(call(client, "package_search", sort="metadata_modified asc"))
    assert names(found) == ["closed-cohort", "soil-moisture", "vendanges-2025"]
    found = result(call(client, "package_search", sort="title_string asc"))
    assert names(found) == ["closed-cohort", "soil-moisture", "vendanges-2025"]
    assert result(call(client, "package_search", rows=0))["results"] == []
    assert result(call(client, "package_search", start=50))["results"] == []


def test_facets_in_both_shapes(client, catalogue):
    found = result(
        call(
            client,
            "package_search",
            **{"facet.field": '["organization", "tags", "res_format", "license_id", "groups"]'},
        )
    )
    assert found["facets"]["organization"] == {"bauer-agrar": 2, "vigne-ouest": 1}
    assert found["facets"]["tags"] == {"soil": 2, "AGRI": 1, "moisture": 1, "vendanges": 1}
    assert found["facets"]["res_format"] == {"CSV": 3, "JSON": 1}
    assert found["facets"]["groups"] == {"agri": 1}
    items = found["search_facets"]["organization"]["items"]
    assert items[0] == {"name": "bauer-agrar", "display_name": "Bauer Agrar Institut", "count": 2}
    limited = result(
        call(client, "package_search", **{"facet.field": '["tags"]', "facet.limit": "1"})
    )
    assert limited["facets"]["tags"] == {"soil": 2}
    assert result(call(client, "package_search"))["facets"] == {}


def test_search_runs_a_constant_number_of_queries(client, catalogue, django_assert_max_num_queries):
    for _ in range(30):
        file_distribution(DatasetFactory(keywords=["bulk"]))
    # 12, and the search's transaction with its time limit (savepoint, set, reset, release).
    with django_assert_max_num_queries(16):
        found = result(
            call(client, "package_search", rows=1000, **{"facet.field": '["organization","tags"]'})
        )
    assert len(found["results"]) == 33


# --- packages -----------------------------------------------------------------------------------


def test_package_show_maps_a_dataset_to_a_package(client, catalogue):
    harvest = catalogue["harvest"]
    package = result(call(client, "package_show", id="vendanges-2025"))
    assert package == result(call(client, "package_show", id=str(harvest.id)))
    assert package["id"] == str(harvest.id)
    assert package["name"] == "vendanges-2025"
    assert package["title"] == "Vendanges et récoltes 2025"
    assert package["notes"] == "Dates des vendanges par parcelle."
    assert package["organization"]["name"] == "vigne-ouest"
    assert package["organization"]["title"] == "Observatoire de la vigne"
    assert package["owner_org"] == "vigne-ouest"
    assert (package["license_id"], package["isopen"]) == ("CC-BY-4.0", True)
    assert package["license_title"] and package["license_url"].startswith("http")
    assert package["metadata_modified"] == "2026-01-20T00:00:00.000000"
    assert [tag["name"] for tag in package["tags"]] == ["vendanges", "soil"]
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["access_rights"] == "PUBLIC"
    assert extras["data_space"] == "agriculture"
    csv, api = package["resources"]
    public_file = catalogue["public_file"]
    assert (
        csv["url"]
        == csv["download_url"]
        == (
            f"http://testserver/api/v1/datasets/{harvest.id}/distributions/{public_file.id}/download/"
        )
    )
    assert (csv["format"], csv["hash"], csv["size"]) == (
        "CSV",
        public_file.sha256,
        public_file.byte_size,
    )
    assert api["url"] == "https://vigne.example.org/api" and api["download_url"] is None


def test_restricted_files_point_at_the_access_request_page_never_the_bytes(client, catalogue):
    soil = catalogue["soil"]
    (resource,) = result(call(client, "package_show", id="soil-moisture"))["resources"]
    assert (
        resource["url"]
        == f"http://testserver/workspace/workspace/cataloguedataset/{soil.id}/request/"
    )
    assert resource["download_url"] is None and resource["restricted"] is True
    assert "/download/" not in json.dumps(result(call(client, "package_search", q="moisture")))
    (closed_resource,) = result(call(client, "package_show", id="closed-cohort"))["resources"]
    assert closed_resource["url"] == f"http://testserver/api/v1/datasets/{catalogue['closed'].id}/"
    assert closed_resource["download_url"] is None


def test_package_show_unknown_or_missing_id(client, catalogue):
    error = ckan_error(call(client, "package_show", id="nothing"), 404, "Not Found Error")
    assert "nothing" in error["message"]
    error = ckan_error(call(client, "package_show"), 409, "Validation Error")
    assert error["name_or_id"] == ["Missing value"]


def test_package_list_in_name_order_with_paging(client, catalogue):
    assert result(call(client, "package_list")) == [
        "closed-cohort", "soil-moisture", "vendanges-2025",
    ]  # fmt: skip
    assert result(call(client, "package_list", limit=1, offset=1)) == ["soil-moisture"]


# --- organizations, licences, tags, status -----------------------------------------------------


def test_organization_list_names_and_all_fields(client, catalogue):
    assert result(call(client, "organization_list")) == ["bauer-agrar", "vigne-ouest"]
    assert result(call(client, "organization_list", sort="package_count asc")) == [
        "vigne-ouest", "bauer-agrar",
    ]  # fmt: skip
    full = result(post(client, "organization_list", {"all_fields": True}))
    assert full[0]["name"] == full[0]["id"] == "bauer-agrar"
    assert full[0]["title"] == "Bauer Agrar Institut"
    assert full[0]["package_count"] == 2 and full[0]["is_organization"] is True
    ckan_error(call(client, "organization_list", all_fields="maybe"), 409, "Validation Error")


def test_organization_show_with_its_datasets(client, catalogue):
    organization = result(call(client, "organization_show", id="bauer-agrar"))
    assert organization["title"] == "Bauer Agrar Institut" and "packages" not in organization
    organization = result(
        call(client, "organization_show", id="bauer-agrar", include_datasets="true")
    )
    assert [p["name"] for p in organization["packages"]] == ["soil-moisture", "closed-cohort"]
    ckan_error(call(client, "organization_show", id="nobody"), 404, "Not Found Error")


def test_license_list_tag_list_and_status(client, catalogue):
    licences = result(call(client, "license_list"))
    by_id = {licence["id"]: licence for licence in licences}
    assert by_id["CC-BY-4.0"]["is_okd_compliant"] is True and by_id["CC-BY-4.0"]["title"]
    assert result(call(client, "tag_list")) == ["AGRI", "moisture", "soil", "vendanges"]
    assert result(call(client, "tag_list", query="OI")) == ["moisture", "soil"]
    status = result(call(client, "status_show"))
    assert status["ckan_version"].startswith("2.") and status["site_url"] == "http://testserver/"
    assert result(call(client, "help_show", name="package_search")).startswith("Search datasets")


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"fq": "maintainer:someone"},
        {"q": "organization:a OR tags:b"},
        {"q": "metadata_modified:[2026-13-45 TO *]"},
        {"q": 'tags:"unclosed'},
        {"q": "wheat or"},  # the catalogue's own search refuses a dangling "or"
        {"q": "soil\x01moisture"},
        {"sort": "popularity desc"},
        {"facet.field": '["maintainer"]'},
    ],
)
def test_queries_it_cannot_read_answer_search_query_error(client, catalogue, params):
    ckan_error(call(client, "package_search", **params), 400, "Search Query Error")


@pytest.mark.parametrize(
    "params",
    [
        {"rows": "ten"},
        {"start": "-1"},
        {"start": "99999999999999999999"},
        {"facet.field": "tags"},
        {"facet.limit": "x"},
        {"facet.limit": "99999999999999999999"},
    ],
)
def test_bad_parameters_answer_validation_error(client, catalogue, params):
    ckan_error(call(client, "package_search", **params), 409, "Validation Error")


def test_offsets_past_any_real_one_are_validation_errors_not_500s(client, catalogue):
    for action in ("package_list", "organization_list"):
        for name in ("offset", "limit"):
            response = call(client, action, **{name: "99999999999999999999"})
            ckan_error(response, 409, "Validation Error")


def test_rows_above_1000_are_capped_not_refused(client, catalogue):
    assert result(call(client, "package_search", rows=100000))["count"] == 3


@pytest.mark.parametrize(
    "url",
    [
        "/api/3/action/package_search?q=%00",
        "/api/3/action/package_search?fq=organization:a%00b",
        "/api/3/action/package_show?id=%00",
        "/api/action/package_search?a%00=1",
        "/api/3/action/package_search?q=" + "a" * 5000,
        "/api/3/action/package_create",
        "/api/3/action/no_such_action",
    ],
)
def test_nul_bytes_huge_parameters_and_unknown_actions_are_bad_requests(client, url):
    ckan_error(client.get(url), 400, "Bad Request")


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        '"a string"',
        json.dumps({"q": "soil\x00"}),
        json.dumps({"fq": ["organization:\x00"]}),
        json.dumps({"q": {"nested": "object"}}),
        json.dumps({"q": "x" * 70000}),
        b"\xff\xfe",
    ],
)
def test_bad_json_bodies_are_bad_requests(client, db, body):
    ckan_error(post(client, "package_search", body), 400, "Bad Request")


def test_post_with_a_json_body_answers_like_get(client, catalogue):
    body = {"fq": "organization:bauer-agrar", "sort": "name asc", "rows": 1,
            "facet.field": ["organization"]}  # fmt: skip
    found = result(post(client, "package_search", body))
    assert found["count"] == 2 and names(found) == ["closed-cohort"]
    assert found["facets"] == {"organization": {"bauer-agrar": 2}}


def test_fq_list_adds_its_terms(client, catalogue):
    body = {"fq": "tags:soil", "fq_list": ["organization:vigne-ouest"]}
    assert names(result(post(client, "package_search", body))) == ["vendanges-2025"]
    ckan_error(post(client, "package_search", {"fq_list": [1]}), 409, "Validation Error")


def test_too_many_query_parameters_are_a_bad_request(client, db):
    query_string = "&".join(f"p{i}=1" for i in range(1200))
    ckan_error(client.get(f"/api/3/action/package_search?{query_string}"), 400, "Bad Request")


def test_the_rest_of_the_api_keeps_its_own_error_shape_for_nul_bytes(client, db):
    response = client.get("/api/v1/datasets/?q=%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
