"""Webhooks end to end: real PostgreSQL, Redis and Celery worker, and a real HTTP receiver on
127.0.0.1. Messages arrive signed (verified with the ``standardwebhooks`` package), in order,
once the receiver is back, whatever it did meanwhile; a receiver that keeps failing gets its
endpoint disabled and its owner an e-mail."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import standardwebhooks
from django.core import mail

from access import services as access_services
from access.models import AccessRequest, Grant, RequestState
from delivery.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from delivery.services import webhooks
from tests.access.factories import approved_request, submitted_request
from tests.accounts.factories import partner_api, partner_client
from tests.delivery.webhook_receiver import Receiver, wait_for
from workers.celery import app as celery_app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@contextmanager
def worker():
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def partner(publisher):
    client, secret = partner_client(
        "Bauer Agrar IT", scopes=("webhooks:manage",), publishers=[publisher]
    )
    client.service_user.email = "it@bauer-agrar.example"
    client.service_user.save(update_fields=["email"])
    return client, secret


def register(client, receiver, *types: str) -> webhooks.EndpointWithSecret:
    return webhooks.webhook_endpoint_create(
        client=client, url=receiver.url, event_types=list(types)
    )


def verified(secret: str, receiver: Receiver) -> list[dict]:
    """Every message the receiver got, checked as a receiver would check it."""
    hook = standardwebhooks.Webhook(secret)
    return [hook.verify(body, headers) for headers, body in receiver.received]


def grant_of(request: AccessRequest) -> Grant:
    assert wait_for(lambda: Grant.objects.filter(access_request=request).exists())
    return Grant.objects.get(access_request=request)


def test_grant_provisioned_then_revoked_arrive_signed_and_in_order(
    partner, receiver, steward, researcher, restricted, restricted_file
):
    client, _ = partner
    made = register(client, receiver, "grant.provisioned", "grant.revoked")
    with worker():
        request = approved_request(researcher, steward, restricted)
        grant = grant_of(request)  # provisioned by the worker
        access_services.grant_revoke(user=steward, grant=grant, reason="The project ended.")
        assert wait_for(lambda: len(receiver.received) == 2)
        # Nothing more comes (no duplicate, no approval: the endpoint did not ask for it).
        assert not wait_for(lambda: len(receiver.received) > 2, timeout=1.5)

    provisioned, revoked = verified(made.secret, receiver)
    assert [provisioned["type"], revoked["type"]] == ["grant.provisioned", "grant.revoked"]
    assert [provisioned["data"]["position"], revoked["data"]["position"]] == [1, 2]
    assert provisioned["data"]["audit_position"] < revoked["data"]["audit_position"]
    assert provisioned["data"]["grant"] == {
        "id": str(grant.pk),
        "state": "active",
        "grantee": "researcher",
        "valid_from": provisioned["data"]["grant"]["valid_from"],
        "expires_at": grant.expires_at.isoformat().replace("+00:00", "Z"),
    }
    assert revoked["data"]["grant"]["state"] == "revoked"
    assert revoked["data"]["comment"] == "The project ended."
    assert revoked["data"]["access_request"]["id"] == str(request.pk)
    assert revoked["data"]["access_request"]["dataset"]["id"] == str(restricted.pk)
    for headers, body in receiver.received:
        assert headers["webhook-id"].startswith("msg_")
        assert headers["content-type"] == "application/json"
        assert b"whsec_" not in body and b"token" not in body and b"/downloads/" not in body
    # The signature is the secret's: another secret does not verify it.
    other = standardwebhooks.Webhook(webhooks._secret_new())
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        other.verify(receiver.received[0][1], receiver.received[0][0])
    log = WebhookDelivery.objects.filter(endpoint=made.endpoint).order_by("sequence")
    assert [(d.status, d.attempts, d.response_status) for d in log] == [
        ("delivered", 1, 204),
        ("delivered", 1, 204),
    ]


def test_a_receiver_down_for_a_while_gets_every_event_in_order_once_back(
    partner, receiver, steward, researcher, restricted, restricted_file, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.3] * 200
    client, _ = partner
    made = register(
        client, receiver, "access_request.approved", "grant.provisioned", "grant.revoked"
    )
    receiver.stop()
    with worker():
        request = approved_request(researcher, steward, restricted)
        grant = grant_of(request)
        access_services.grant_revoke(user=steward, grant=grant, reason="Ended.")
        assert request.state == RequestState.APPROVED  # the action did not wait for anyone
        head = WebhookDelivery.objects.filter(endpoint=made.endpoint, sequence=1)
        assert wait_for(lambda: head.filter(attempts__gte=3).exists())
        assert WebhookDelivery.objects.filter(endpoint=made.endpoint).count() == 3
        # Strictly in order: nothing after the head was tried while it failed.
        assert not WebhookDelivery.objects.filter(
            endpoint=made.endpoint, sequence__gt=1, attempts__gt=0
        ).exists()
        assert head.get().last_error == "The connection was refused."
        receiver.start()
        assert wait_for(lambda: len(receiver.received) == 3)
        assert not wait_for(lambda: len(receiver.received) > 3, timeout=1.0)
    messages = verified(made.secret, receiver)
    assert [m["type"] for m in messages] == [
        "access_request.approved",
        "grant.provisioned",
        "grant.revoked",
    ]
    assert [m["data"]["position"] for m in messages] == [1, 2, 3]
    first = head.get()
    assert first.status == WebhookDeliveryStatus.DELIVERED and first.attempts >= 4


@pytest.mark.parametrize("failure", ["500", "hang", "close", "redirect", "trickle"])
def test_a_misbehaving_receiver_costs_a_retry_only(
    failure, partner, receiver, steward, researcher, restricted, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.1] * 10
    client, _ = partner
    made = register(client, receiver, "access_request.approved")
    receiver.script.extend([failure, failure])
    with worker():
        request = approved_request(researcher, steward, restricted)
        assert request.state == RequestState.APPROVED
        delivery = WebhookDelivery.objects.filter(endpoint=made.endpoint)
        assert wait_for(lambda: delivery.filter(status="delivered").exists(), timeout=60)
    (message,) = verified(made.secret, receiver)
    assert message["data"]["access_request"]["id"] == str(request.pk)
    logged = delivery.get()
    assert logged.attempts == 3
    assert logged.response_status == 204 and logged.last_error == ""


def test_each_failure_is_logged_with_its_reason(
    partner, receiver, steward, researcher, restricted, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.1] * 10
    client, _ = partner
    made = register(client, receiver, "access_request.approved")
    approved_request(researcher, steward, restricted)
    webhooks.webhooks_fan_out()
    delivery = WebhookDelivery.objects.get(endpoint=made.endpoint)
    for failure, status, error in [
        ("500", 500, "HTTP 500."),
        ("redirect", 307, "HTTP 307: redirects are not followed."),
        ("close", None, "The server closed the connection without an answer."),
        ("hang", None, "No complete answer within 2 seconds."),
    ]:
        receiver.script.append(failure)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created)
        assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 0
        delivery.refresh_from_db()
        assert (delivery.response_status, delivery.last_error) == (status, error)
        if failure == "500":
            assert (
                delivery.response_excerpt.startswith("boom")
                and len(delivery.response_excerpt) == 1024
            )
    assert delivery.status == "pending" and delivery.attempts == 4
    assert receiver.received == []


def notices() -> list:
    return [m for m in mail.outbox if "Webhook endpoint disabled" in m.subject]


def test_a_failing_endpoint_is_disabled_its_owner_told_and_re_enabling_resumes(
    partner, receiver, steward, researcher, restricted, restricted_file, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.1, 0.1]
    client, secret = partner
    made = register(client, receiver, "access_request.approved", "grant.provisioned")
    receiver.default = "500"
    with worker():
        request = approved_request(researcher, steward, restricted)
        endpoint = WebhookEndpoint.objects.filter(pk=made.endpoint.pk)
        assert wait_for(lambda: endpoint.filter(enabled=False).exists())
        assert wait_for(lambda: len(notices()) == 1)
        grant_of(request)
    (notice,) = notices()
    assert notice.to == ["it@bauer-agrar.example"]
    assert "disabled" in notice.subject
    assert made.endpoint.url in notice.body and "HTTP 500" in notice.body
    disabled = endpoint.get()
    assert "failed every attempt" in disabled.disabled_reason
    failed = WebhookDelivery.objects.get(endpoint=disabled, sequence=1)
    assert (failed.status, failed.attempts) == ("failed", 3)
    # Messages keep queuing while it is disabled; none is sent.
    webhooks.webhooks_fan_out()
    waiting = WebhookDelivery.objects.get(endpoint=disabled, sequence=2)
    assert waiting.event_type == "grant.provisioned" and waiting.attempts == 0

    receiver.default = "ok"
    api = partner_api(client, secret)
    with worker():
        response = api.patch(f"/api/v1/webhooks/{disabled.pk}/", {"enabled": True}, format="json")
        assert response.status_code == 200 and response.json()["enabled"] is True
        assert wait_for(lambda: len(receiver.received) == 1)
        # The given-up message, sent again on request.
        replay = api.post(f"/api/v1/webhooks/{disabled.pk}/deliveries/{failed.pk}/replay/")
        assert replay.status_code == 202
        assert wait_for(lambda: len(receiver.received) == 2)
    messages = verified(made.secret, receiver)
    assert [(m["type"], m["data"]["position"]) for m in messages] == [
        ("grant.provisioned", 2),
        ("access_request.approved", 1),
    ]
    assert receiver.received[1][0]["webhook-id"] == failed.message_id


def test_the_broker_down_breaks_no_action_and_the_dispatch_delivers_later(
    partner, receiver, steward, researcher, restricted, dead_broker
):
    client, _ = partner
    made = register(client, receiver, "access_request.submitted", "access_request.approved")
    request = approved_request(researcher, steward, restricted)  # no task could be sent
    assert AccessRequest.objects.get(pk=request.pk).state == RequestState.APPROVED
    assert receiver.received == []
    # What beat does every few seconds (here without a broker: the sending is done inline).
    webhooks.webhooks_dispatch()
    assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 2
    assert [m["type"] for m in verified(made.secret, receiver)] == [
        "access_request.submitted",
        "access_request.approved",
    ]


def test_during_a_rotation_both_secrets_sign(partner, receiver, steward, researcher, restricted):
    client, _ = partner
    made = register(client, receiver, "access_request.submitted")
    rotated = webhooks.webhook_secret_rotate(endpoint=made.endpoint)
    submitted_request(researcher, restricted)
    webhooks.webhooks_fan_out()
    assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 1
    headers, body = receiver.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (made.secret, rotated.secret):
        assert standardwebhooks.Webhook(secret).verify(body, headers)["type"] == (
            "access_request.submitted"
        )


def test_a_private_address_is_not_called_unless_allowed(
    partner, receiver, steward, researcher, restricted, settings
):
    client, _ = partner
    made = register(client, receiver, "access_request.submitted")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    submitted_request(researcher, restricted)
    webhooks.webhooks_fan_out()
    assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 0
    delivery = WebhookDelivery.objects.get(endpoint=made.endpoint)
    assert "private" in delivery.last_error and delivery.attempts == 1
    assert receiver.received == []


def test_one_sender_per_endpoint_at_a_time(partner, receiver, steward, researcher, restricted):
    import uuid

    client, _ = partner
    made = register(client, receiver, "access_request.submitted")
    submitted_request(researcher, restricted)
    webhooks.webhooks_fan_out()
    other_worker = uuid.uuid4()
    assert webhooks._lease_take(made.endpoint.pk, other_worker)
    assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 0
    assert receiver.received == []
    webhooks._lease_release(made.endpoint.pk, other_worker)
    assert webhooks.webhook_endpoint_deliver(endpoint_id=made.endpoint.pk) == 1
    assert json.loads(receiver.received[0][1])["type"] == "access_request.submitted"
