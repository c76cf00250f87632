"""A partner client with catalogue:write syncs its own publishers' datasets, and only those."""

from __future__ import annotations

import pytest

from catalogue.models import Dataset, DatasetEvent
from tests.accounts.factories import partner_api, partner_client
from tests.catalogue.factories import PublisherFactory
from tests.catalogue.test_sync_api import body, put

pytestmark = pytest.mark.django_db


def test_a_partner_upserts_its_publishers_datasets_and_is_the_recorded_actor(publisher):
    client, secret = partner_client(
        "Bauer sync", scopes=("catalogue:write",), publishers=[publisher]
    )
    api = partner_api(client, secret)
    created = put(api, "BA/2024/17", body(publisher))
    assert created.status_code == 201, created.content
    event = DatasetEvent.objects.get(dataset_ref=created.json()["dataset"]["id"])
    assert event.actor == client.service_user
    assert put(api, "BA/2024/17", body(publisher)).json()["outcome"] == "unchanged"


def test_a_partner_cannot_sync_another_publishers_datasets(publisher):
    other = PublisherFactory(slug="rival-farms")
    client, secret = partner_client(
        "Bauer sync", scopes=("catalogue:write",), publishers=[publisher]
    )
    response = put(partner_api(client, secret), "RF/1", body(other))
    assert response.status_code == 403, response.content
    assert not Dataset.objects.filter(publisher=other).exists()


def test_syncing_needs_catalogue_write(publisher):
    client, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    response = put(partner_api(client, secret), "BA/1", body(publisher))
    assert response.status_code == 403
    assert "catalogue:write" in response.json()["error"]["message"]
