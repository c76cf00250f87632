"""Datasets matched by the publisher's own identifier, kept in step without rewriting what did not
change, and withdrawn (not deleted) when they leave the source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from access import services as access_services
from access.models import GrantState
from catalogue import services
from catalogue.models import (
    AccessRights,
    Dataset,
    DatasetEvent,
    DatasetEventAction,
    DataSpace,
    Licence,
    Theme,
)
from catalogue.services import DatasetData, DistributionData, UpsertOutcome
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def record(publisher, **overrides) -> DatasetData:
    values = {
        "title": "Soil carbon",
        "description": "Topsoil organic carbon on 400 farms.",
        "publisher": publisher,
        "data_space": DataSpace.objects.get(slug="agriculture"),
        "licence": Licence.objects.get(identifier="CC-BY-4.0"),
        "access_rights": AccessRights.RESTRICTED,
        "themes": (Theme.objects.get(code="AGRI"),),
        "keywords": ("soil", "carbon"),
        "languages": ("en",),
    }
    values.update(overrides)
    return DatasetData(**values)


FILES = (
    DistributionData(
        identifier="f1", title="Carbon 2023", format="CSV", access_url="https://x.example/c.csv"
    ),
)


def test_upsert_creates_then_leaves_an_unchanged_record_untouched(steward, publisher):
    created = services.dataset_upsert(
        user=steward, identifier="SOIL-1", data=record(publisher), distributions=FILES
    )
    assert created.outcome == UpsertOutcome.CREATED
    dataset = created.dataset
    assert dataset.identifier == "SOIL-1"
    assert [d.identifier for d in dataset.distributions.all()] == ["f1"]
    modified = Dataset.objects.get(pk=dataset.pk).modified
    events = DatasetEvent.objects.filter(dataset_ref=dataset.pk).count()

    again = services.dataset_upsert(
        user=steward, identifier="SOIL-1", data=record(publisher), distributions=FILES
    )
    assert again.outcome == UpsertOutcome.UNCHANGED
    assert Dataset.objects.get(pk=dataset.pk).modified == modified
    assert DatasetEvent.objects.filter(dataset_ref=dataset.pk).count() == events
    assert Dataset.objects.filter(identifier="SOIL-1").count() == 1


def test_upsert_updates_only_what_changed_and_says_what(steward, publisher):
    first = services.dataset_upsert(user=steward, identifier="SOIL-1", data=record(publisher))
    changed = services.dataset_upsert(
        user=steward,
        identifier="SOIL-1",
        data=record(publisher, title="Soil carbon (revised)", themes=()),
        distributions=FILES,
    )
    assert changed.outcome == UpsertOutcome.UPDATED
    assert set(changed.changed_fields) == {"title", "themes", "distributions"}
    dataset = Dataset.objects.get(pk=first.dataset.pk)
    assert dataset.title == "Soil carbon (revised)"
    assert dataset.modified > first.dataset.modified
    event = DatasetEvent.objects.filter(dataset_ref=dataset.pk).last()
    assert event.action == DatasetEventAction.UPDATED
    assert set(event.changed_fields) == {"title", "themes", "distributions"}

    # A file that left the source goes; a file added by hand (no identifier) stays.
    dataset.distributions.create(title="Hand-made", format="PDF")
    services.dataset_upsert(
        user=steward,
        identifier="SOIL-1",
        data=record(publisher, title="Soil carbon (revised)"),
        distributions=(),
    )
    assert list(dataset.distributions.values_list("title", flat=True)) == ["Hand-made"]


def test_source_modified_date_is_kept_and_is_itself_a_change(steward, publisher):
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    created = services.dataset_upsert(
        user=steward, identifier="A", data=record(publisher, modified=when)
    )
    assert created.dataset.modified == when
    later = datetime(2024, 6, 1, 12, tzinfo=UTC)
    result = services.dataset_upsert(
        user=steward, identifier="A", data=record(publisher, modified=later)
    )
    assert result.outcome == UpsertOutcome.UPDATED
    assert Dataset.objects.get(pk=created.dataset.pk).modified == later


def test_identifiers_are_per_publisher_and_checked(steward, publisher, other_dataset):
    services.dataset_upsert(user=steward, identifier="X-1", data=record(publisher))
    # Another publisher's record with the same identifier is another dataset, which this
    # steward may not write.
    with pytest.raises(PermissionDeniedError):
        services.dataset_upsert(
            user=steward, identifier="X-1", data=record(other_dataset.publisher)
        )
    for bad in ["", " X-1", "X\x00", "a" * 256, "line\nbreak"]:
        with pytest.raises(ApplicationError) as caught:
            services.dataset_upsert(user=steward, identifier=bad, data=record(publisher))
        assert "identifier" in caught.value.fields
    with pytest.raises(ConflictError):
        services.dataset_create(user=steward, data=record(publisher, identifier="X-1"))
    duplicate_files = (FILES[0], FILES[0])
    with pytest.raises(ApplicationError):
        services.dataset_upsert(
            user=steward, identifier="X-2", data=record(publisher), distributions=duplicate_files
        )
    assert not Dataset.objects.filter(identifier="X-2").exists()  # nothing half-written


def test_withdrawn_dataset_leaves_listings_and_requests_but_its_grants_stay(
    api_client, steward, steward_client, researcher, grant, restricted
):
    response = steward_client.post(
        f"/api/v1/datasets/{restricted.pk}/withdraw/", {"reason": "Superseded by v2"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["withdrawn_reason"] == "Superseded by v2"
    assert response.json()["withdrawn_at"]

    listed = api_client.get("/api/v1/datasets/").json()
    assert str(restricted.pk) not in [row["id"] for row in listed["results"]]
    assert api_client.get(f"/api/v1/datasets/{restricted.pk}/").status_code == 200
    ckan = api_client.get("/api/3/action/package_list").json()["result"]
    assert restricted.slug not in ckan
    shown = api_client.get("/api/3/action/package_show", {"id": restricted.slug}).json()
    assert shown["result"]["state"] == "deleted"
    turtle = b"".join(api_client.get("/catalogue.ttl").streaming_content).decode()
    assert str(restricted.pk) not in turtle

    with pytest.raises(ConflictError) as caught:
        access_services.access_request_create(
            requester=researcher,
            dataset=restricted,
            purpose="A study of soil moisture over ten years.",
            accept_licence=True,
            licence_version=restricted.licence.versions.order_by("-version").first().version,
        )
    assert caught.value.extra["rule"] == "dataset_withdrawn"
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE

    event = DatasetEvent.objects.filter(dataset_ref=restricted.pk).last()
    assert (event.action, event.actor, event.detail["reason"]) == (
        DatasetEventAction.WITHDRAWN,
        steward,
        "Superseded by v2",
    )
    back = steward_client.post(f"/api/v1/datasets/{restricted.pk}/reinstate/")
    assert back.status_code == 200 and back.json()["withdrawn_at"] is None


def test_only_the_publishers_stewards_withdraw(researcher_client, other_dataset, steward_client):
    for client in (researcher_client, steward_client):
        response = client.post(
            f"/api/v1/datasets/{other_dataset.pk}/withdraw/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 404
    assert Dataset.objects.get(pk=other_dataset.pk).withdrawn_at is None


def test_upsert_reinstates_a_withdrawn_record(steward, publisher):
    created = services.dataset_upsert(user=steward, identifier="B", data=record(publisher))
    services.dataset_withdraw(user=steward, dataset=created.dataset, reason="Left the source")
    again = services.dataset_upsert(user=steward, identifier="B", data=record(publisher))
    assert again.outcome == UpsertOutcome.UPDATED
    assert Dataset.objects.get(pk=created.dataset.pk).withdrawn_at is None


def test_identifier_through_the_api(steward_client, publisher):
    body = {
        "title": "Soil carbon",
        "description": "Topsoil.",
        "publisher": publisher.slug,
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
        "identifier": "BA/2024/17",
    }
    created = steward_client.post("/api/v1/datasets/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["identifier"] == "BA/2024/17"
    again = steward_client.post("/api/v1/datasets/", {**body, "title": "Other"}, format="json")
    assert again.status_code == 409
    assert "identifier" in again.json()["error"]["fields"]
    bad = steward_client.post(
        "/api/v1/datasets/", {**body, "identifier": "tab\there"}, format="json"
    )
    assert bad.status_code == 400
    DatasetFactory(publisher=publisher)  # one without identifier does not collide
    DatasetFactory(publisher=publisher)
