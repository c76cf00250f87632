"""Administrators register endpoints for publishers (or all) in the admin, see the secret once,
and manage every endpoint and delivery."""

from __future__ import annotations

import pytest

from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.services import webhooks

pytestmark = pytest.mark.django_db

ADD = "/admin/delivery/webhookendpoint/add/"


def test_an_administrator_registers_an_endpoint_for_a_publisher_and_sees_the_secret_once(
    admin_client, publisher
):
    response = admin_client.post(
        ADD,
        {
            "url": "http://127.0.0.1:9/hooks",
            "event_types": ["dataset.created", "grant.revoked"],
            "description": "Data office",
            "publishers": [publisher.pk],
            "enabled": "on",
        },
    )
    assert response.status_code == 200, response.content[:500]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.owner_client is None and list(endpoint.publishers.all()) == [publisher]
    assert endpoint.event_types == ["grant.revoked", "dataset.created"]
    assert "no-store" in response["Cache-Control"]
    (secret,) = webhooks.webhook_signing_secrets(endpoint)
    assert secret in response.content.decode()
    page = admin_client.get(f"/admin/delivery/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()


def test_the_admin_form_refuses_no_publishers_and_bad_urls(admin_client, settings):
    response = admin_client.post(
        ADD, {"url": "http://127.0.0.1:9/hooks", "event_types": ["dataset.created"]}
    )
    assert response.status_code == 200 and "Choose the publishers" in response.content.decode()
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_client.post(
        ADD,
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["dataset.created"],
         "all_publishers": "on"},
    )  # fmt: skip
    assert response.status_code == 200 and "private" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_admin_lists_and_replay_action(admin_client, publisher):
    made = webhooks.webhook_endpoint_create(
        client=None, url="http://127.0.0.1:9/hooks", event_types=["dataset.created"],
        publishers=[publisher],
    )  # fmt: skip
    ping = webhooks.webhook_endpoint_test(endpoint=made.endpoint)
    assert admin_client.get("/admin/delivery/webhookendpoint/").status_code == 200
    assert admin_client.get("/admin/delivery/webhookdelivery/").status_code == 200
    response = admin_client.post(
        "/admin/delivery/webhookdelivery/",
        {"action": "replay", "_selected_action": [str(ping.pk)]},
    )
    assert response.status_code == 302
    copy = WebhookDelivery.objects.get(replay_of=ping)
    assert copy.message_id == ping.message_id and copy.sequence == 2
    response = admin_client.post(
        "/admin/delivery/webhookendpoint/",
        {"action": "disable", "_selected_action": [str(made.endpoint.pk)]},
    )
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.get().enabled


def test_an_administrator_moves_an_endpoint_to_another_publisher(
    admin_client, publisher, other_dataset
):
    endpoint = webhooks.webhook_endpoint_create(
        client=None, url="http://127.0.0.1:9/hooks", event_types=["grant.revoked"],
        publishers=[publisher],
    ).endpoint  # fmt: skip
    rival = other_dataset.publisher
    response = admin_client.post(
        f"/admin/delivery/webhookendpoint/{endpoint.pk}/change/",
        {
            "url": "http://127.0.0.1:9/hooks",
            "event_types": ["grant.revoked", "dataset.updated"],
            "description": "",
            "publishers": [rival.pk],
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    endpoint.refresh_from_db()
    assert list(endpoint.publishers.all()) == [rival]
    assert endpoint.event_types == ["grant.revoked", "dataset.updated"]
    # The secret did not change with the edit.
    assert len(webhooks.webhook_signing_secrets(endpoint)) == 1
