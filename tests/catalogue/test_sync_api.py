"""Catalogue sync through the API: PUT by the publisher's identifier, and all-or-nothing bulk."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from catalogue.models import Dataset, DatasetEvent, DatasetEventAction, Distribution
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db

CHECKSUM = "sha256:" + "ab" * 32


def body(owner, **overrides) -> dict:
    values = {
        "title": "Soil carbon",
        "description": "Topsoil organic carbon on 400 farms.",
        "publisher": owner.slug,
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
        "themes": ["AGRI"],
        "keywords": ["soil", "carbon"],
        "languages": ["en"],
    }
    values.update(overrides)
    return values


def put(client, identifier: str, data: dict):
    return client.put(
        f"/api/v1/datasets/by-identifier/{quote(identifier, safe='')}/", data, format="json"
    )


def test_put_creates_then_updates_then_changes_nothing(steward_client, publisher):
    created = put(steward_client, "BA/2024/17", body(publisher))
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["outcome"] == "created"
    assert answer["dataset"]["identifier"] == "BA/2024/17"
    assert answer["dataset"]["publisher"]["slug"] == publisher.slug
    dataset_id = answer["dataset"]["id"]

    same = put(steward_client, "BA/2024/17", body(publisher))
    assert same.status_code == 200
    assert same.json()["outcome"] == "unchanged"
    assert same.json()["changed_fields"] == []
    assert same.json()["dataset"]["modified"] == answer["dataset"]["modified"]

    changed = put(steward_client, "BA/2024/17", body(publisher, title="Soil carbon, revised"))
    assert changed.status_code == 200
    assert changed.json()["outcome"] == "updated"
    assert changed.json()["changed_fields"] == ["title"]
    assert changed.json()["dataset"]["id"] == dataset_id
    assert changed.json()["dataset"]["modified"] > answer["dataset"]["modified"]
    assert Dataset.objects.filter(publisher=publisher, identifier="BA/2024/17").count() == 1
    actions = list(
        DatasetEvent.objects.filter(dataset_ref=dataset_id).values_list("action", flat=True)
    )
    assert actions == [DatasetEventAction.CREATED, DatasetEventAction.UPDATED]


def test_put_keeps_files_in_step_by_their_identifiers(steward_client, publisher):
    files = [
        {"identifier": "api", "title": "Live API", "format": "API",
         "access_url": "https://api.example.org/soil"},
        {"identifier": "csv", "title": "Carbon", "download_url": "https://files.example.org/c.csv",
         "checksum": CHECKSUM, "byte_size": 1200},
    ]  # fmt: skip
    created = put(steward_client, "S-1", body(publisher, distributions=files))
    assert created.status_code == 201, created.content
    listed = {d["identifier"]: d for d in created.json()["dataset"]["distributions"]}
    assert listed["csv"]["fetch_status"] == "pending"
    assert listed["csv"]["source_checksum"] == CHECKSUM
    assert listed["csv"]["checksum"] is None  # nothing held yet
    assert listed["csv"]["format"] == "CSV"  # from the URL's name
    assert listed["api"]["fetch_status"] is None

    again = put(steward_client, "S-1", body(publisher, distributions=files))
    assert again.json()["outcome"] == "unchanged"
    # Leaving "distributions" out keeps them; an empty list removes those with an identifier.
    kept = put(steward_client, "S-1", body(publisher))
    assert kept.json()["outcome"] == "unchanged"
    emptied = put(steward_client, "S-1", body(publisher, distributions=[]))
    assert emptied.json()["changed_fields"] == ["distributions"]
    assert not Distribution.objects.filter(dataset__identifier="S-1").exists()


def test_other_publishers_identifiers_are_not_writable(
    steward_client, researcher_client, publisher, other_dataset
):
    rival = other_dataset.publisher
    Dataset.objects.filter(pk=other_dataset.pk).update(identifier="R-1")
    for client in (steward_client, researcher_client):
        response = put(client, "R-1", body(rival, title="Taken over"))
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"
    anonymous = put(__import__("rest_framework.test").test.APIClient(), "R-1", body(rival))
    assert anonymous.status_code == 401
    assert Dataset.objects.get(pk=other_dataset.pk).title == other_dataset.title
    # The same identifier under the steward's own publisher is another dataset.
    own = put(steward_client, "R-1", body(publisher))
    assert own.status_code == 201
    assert Dataset.objects.filter(identifier="R-1").count() == 2


@pytest.mark.parametrize(
    ("identifier", "overrides", "field"),
    [
        ("A%00B", {}, "identifier"),
        (" padded", {}, "identifier"),
        ("x" * 256, {}, "identifier"),
        ("OK", {"identifier": "OTHER"}, "identifier"),
        ("OK", {"publisher": "nobody"}, "publisher"),
        ("OK", {"licence": 42}, "licence"),
        ("OK", {"themes": ["NOPE"]}, "themes[0]"),
        ("OK", {"colour": "blue"}, "colour"),
        ("OK", {"slug": "bulk"}, "slug"),
        ("OK", {"distributions": [{"identifier": "f", "download_url": "ftp://x.example/f.csv",
                                   "checksum": CHECKSUM}]}, "distributions[0].download_url"),
        ("OK", {"distributions": [{"identifier": "f", "download_url": "https://x.example/f.csv"}]},
         "distributions[0].checksum"),
        ("OK", {"distributions": [{"identifier": "f", "title": "a", "format": "CSV"},
                                  {"identifier": "f", "title": "b", "format": "CSV"}]},
         "distributions"),
    ],
)  # fmt: skip
def test_put_refuses_bad_input_and_writes_nothing(
    steward_client, publisher, identifier, overrides, field
):
    path_identifier = identifier if "%" in identifier else quote(identifier, safe="")
    response = steward_client.put(
        f"/api/v1/datasets/by-identifier/{path_identifier}/",
        body(publisher, **overrides),
        format="json",
    )
    assert response.status_code in (400, 409), response.content
    if "%00" not in identifier:  # a NUL byte is refused for the whole path by the middleware
        assert field in response.json()["error"]["fields"], response.json()
    assert not Dataset.objects.filter(publisher=publisher).exists()


def bulk(client, items, **kwargs):
    return client.post("/api/v1/datasets/bulk/", {"items": items}, format="json", **kwargs)


def test_bulk_reports_each_item_and_writes_them_in_one_go(steward_client, publisher):
    put(steward_client, "K-1", body(publisher, title="Existing"))
    items = [
        {**body(publisher, title="Existing"), "identifier": "K-1"},
        {**body(publisher, title="New one"), "identifier": "K-2"},
        {**body(publisher, title="New two"), "identifier": "K-3", "keywords": ["x"]},
    ]
    response = bulk(steward_client, items)
    assert response.status_code == 200, response.content
    report = response.json()
    assert [(r["index"], r["identifier"], r["outcome"]) for r in report["items"]] == [
        (0, "K-1", "unchanged"),
        (1, "K-2", "created"),
        (2, "K-3", "created"),
    ]
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 1}
    items[2]["keywords"] = ["y"]
    again = bulk(steward_client, items).json()
    assert [r["outcome"] for r in again["items"]] == ["unchanged", "unchanged", "updated"]
    assert again["items"][2]["changed_fields"] == ["keywords"]


def test_bulk_is_all_or_nothing_with_a_report_of_every_bad_item(steward_client, publisher):
    items = [
        {**body(publisher), "identifier": "G-1"},
        {**body(publisher, licence="NOT-A-LICENCE"), "identifier": "G-2"},
        {**body(publisher), "identifier": "G-3"},
        {**body(publisher, temporal_start="2024-05-01", temporal_end="2024-01-01"),
         "identifier": "G-4"},
        {**body(publisher), "identifier": "G-5", "distributions": [
            {"identifier": "f", "download_url": "https://x.example/f.csv", "checksum": "md5:1"}]},
    ]  # fmt: skip
    response = bulk(steward_client, items)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert "nothing was written" in error["message"]
    failing = {item["index"]: item for item in error["items"]}
    assert sorted(failing) == [1, 3, 4]
    assert failing[1]["identifier"] == "G-2"
    assert "licence" in failing[1]["errors"]
    assert "temporal_end" in failing[3]["errors"]
    assert "distributions[0].checksum" in failing[4]["errors"]
    assert not Dataset.objects.filter(publisher=publisher).exists()


def test_bulk_refuses_duplicates_naming_them(steward_client, publisher):
    items = [{**body(publisher), "identifier": i} for i in ("D-1", "D-2", "D-1")]
    response = bulk(steward_client, items)
    assert response.status_code == 400
    (item,) = response.json()["error"]["items"]
    assert (item["index"], item["identifier"]) == (2, "D-1")
    assert "D-1" in item["message"] and "index 0" in item["message"]
    assert not Dataset.objects.exists() or not Dataset.objects.filter(identifier="D-2").exists()


def test_bulk_items_of_a_publisher_not_stewarded_are_forbidden(
    steward_client, publisher, other_dataset
):
    items = [
        {**body(publisher), "identifier": "P-1"},
        {**body(other_dataset.publisher), "identifier": "P-2"},
    ]
    response = bulk(steward_client, items)
    assert response.status_code == 403
    (item,) = response.json()["error"]["items"]
    assert item["index"] == 1 and "publisher" in item["errors"]
    assert not Dataset.objects.filter(identifier__in=["P-1", "P-2"]).exists()


def test_bulk_over_the_limit_is_refused_before_the_items_are_read(
    steward_client, publisher, settings, django_assert_max_num_queries
):
    settings.SYNC_BULK_MAX_ITEMS = 5
    items = [{**body(publisher), "identifier": f"L-{n}"} for n in range(6)]
    with django_assert_max_num_queries(3):  # the token, nothing per item
        response = bulk(steward_client, items)
    assert response.status_code == 413
    assert "at most 5" in response.json()["error"]["message"]

    settings.SYNC_BULK_MAX_BYTES = 500
    too_big = steward_client.post(
        "/api/v1/datasets/bulk/",
        json.dumps({"items": items[:5]}),
        content_type="application/json",
    )
    assert too_big.status_code == 413
    assert not Dataset.objects.exists() or not Dataset.objects.filter(identifier="L-0").exists()


@pytest.mark.parametrize(
    "payload",
    [[], {"items": {}}, {"items": []}, {"items": [1, "x"]}, {"items": [{}], "extra": 1}],
)
def test_bulk_shapes_that_are_not_a_batch_are_400(steward_client, payload):
    response = steward_client.post("/api/v1/datasets/bulk/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid", "permission_denied")


def test_unchanged_batch_costs_a_constant_number_of_queries(
    steward_client, publisher, django_assert_max_num_queries
):
    def items(count):
        return [
            {**body(publisher, title=f"Set {n}"), "identifier": f"Q-{n}",
             "distributions": [{"identifier": "f", "title": "CSV", "format": "CSV",
                                "access_url": f"https://x.example/{n}"}]}
            for n in range(count)
        ]  # fmt: skip

    assert bulk(steward_client, items(60)).status_code == 200
    with django_assert_max_num_queries(14) as small:
        assert bulk(steward_client, items(10)).json()["counts"]["unchanged"] == 10
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert bulk(steward_client, items(60)).json()["counts"]["unchanged"] == 60


def test_a_person_who_stewards_nothing_cannot_bulk_write(publisher):
    nobody = token_client(UserFactory(username="nobody"))
    response = bulk(nobody, [{**body(publisher), "identifier": "N-1"}])
    assert response.status_code == 403
    assert not Dataset.objects.filter(identifier="N-1").exists()
    assert PublisherFactory(slug="bauer-agrar") == publisher


def test_new_datasets_of_a_batch_get_free_slugs(steward_client, publisher):
    from tests.catalogue.factories import DatasetFactory

    DatasetFactory(slug="same", publisher=publisher)
    DatasetFactory(slug="same-4", publisher=publisher)
    items = [{**body(publisher, title="Same"), "identifier": f"S-{n}"} for n in range(3)]
    items.append({**body(publisher, title="Bulk"), "identifier": "S-bulk"})
    items.append({**body(publisher, title="Fresh"), "identifier": "S-fresh"})
    response = bulk(steward_client, items)
    assert response.status_code == 200, response.content
    slugs = [row["slug"] for row in response.json()["items"]]
    assert slugs == ["same-5", "same-6", "same-7", "bulk-2", "fresh"]
    # The reserved path segments stay routes, not datasets.
    assert steward_client.get("/api/v1/datasets/bulk/").status_code == 405


@pytest.mark.parametrize("identifier", ["Bodenproben/ä/2024", "a b?c#d%e", "x/", "١٢٣"])
def test_identifiers_with_slashes_spaces_and_non_ascii_round_trip(
    steward_client, publisher, identifier
):
    created = put(steward_client, identifier, body(publisher))
    assert created.status_code == 201, created.content
    assert created.json()["dataset"]["identifier"] == identifier
    assert put(steward_client, identifier, body(publisher)).json()["outcome"] == "unchanged"


@pytest.mark.parametrize("payload", [[], "text", {"items": []}, None])
def test_put_bodies_that_are_not_a_dataset_are_400(steward_client, payload):
    response = steward_client.put(
        "/api/v1/datasets/by-identifier/X/", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400, response.content


def test_a_resend_is_known_unchanged_but_never_hides_a_change_made_since(
    steward_client, publisher, django_assert_max_num_queries
):
    items = [{**body(publisher, title=f"Set {n}"), "identifier": f"F-{n}"} for n in range(30)]
    assert bulk(steward_client, items).json()["counts"]["created"] == 30
    reordered = [dict(reversed(list(item.items()))) for item in items]  # keys in another order
    with django_assert_max_num_queries(6):  # the token, the rows: no item validated again
        again = bulk(steward_client, reordered).json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 30}
    assert [r["identifier"] for r in again["items"]] == [f"F-{n}" for n in range(30)]

    # A steward's edit, a withdrawal: the same items again put the source's version back.
    edited = Dataset.objects.get(identifier="F-1")
    patch = steward_client.patch(f"/api/v1/datasets/{edited.pk}/", {"title": "Hand"}, format="json")
    assert patch.status_code == 200
    withdrawn = Dataset.objects.get(identifier="F-2")
    withdraw = f"/api/v1/datasets/{withdrawn.pk}/withdraw/"
    assert steward_client.post(withdraw, {"reason": "x"}, format="json").status_code == 200
    report = bulk(steward_client, items).json()
    outcomes = {r["identifier"]: r["outcome"] for r in report["items"]}
    assert outcomes["F-1"] == "updated" and outcomes["F-2"] == "updated"
    assert report["counts"]["unchanged"] == 28
    assert Dataset.objects.get(identifier="F-1").title == "Set 1"
    assert Dataset.objects.get(identifier="F-2").withdrawn_at is None

    # A bad item among known ones is reported at its own index; nothing is written.
    items[5] = {**items[5], "licence": "NOPE"}
    items[7] = {**items[7], "title": "Changed"}
    refused = bulk(steward_client, items)
    assert refused.status_code == 400
    assert [i["index"] for i in refused.json()["error"]["items"]] == [5]
    assert Dataset.objects.get(identifier="F-7").title == "Set 7"
    # A known item sent twice is a duplicate like any other.
    twice = bulk(steward_client, [items[0], items[0]])
    assert twice.status_code == 400
    assert twice.json()["error"]["items"][0]["index"] == 1
