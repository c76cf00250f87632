"""The webhook API: partner clients with webhooks:manage register and manage their own
endpoints; bad input is a 400 in the one error shape; another client's endpoint is a 404."""

from __future__ import annotations

import uuid

import pytest

from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.services import webhooks
from tests.accounts.factories import partner_api, partner_client
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"


@pytest.fixture
def partner(publisher):
    client, secret = partner_client(
        "Bauer Agrar IT", scopes=("webhooks:manage", "grants:read"), publishers=[publisher]
    )
    return client, partner_api(client, secret)


@pytest.fixture
def other_partner(db):
    client, secret = partner_client(
        "Rival IT", scopes=("webhooks:manage",), publishers=[PublisherFactory(slug="rival")]
    )
    return client, partner_api(client, secret)


def create(api, **body):
    body = {"url": URL, "event_types": ["grant.provisioned", "grant.revoked"], **body}
    return api.post("/api/v1/webhooks/", body, format="json")


def test_partner_registers_an_endpoint_and_sees_the_secret_once(partner):
    client, api = partner
    response = create(api, description="Our grant mirror")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["grant.provisioned", "grant.revoked"]
    assert body["enabled"] is True
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.owner_client == client
    # Stored encrypted, never in clear, and never shown again.
    assert body["secret"].encode() not in bytes(endpoint.secret_encrypted)
    assert webhooks.webhook_signing_secrets(endpoint) == [body["secret"]]
    again = api.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in again
    assert [e["id"] for e in api.get("/api/v1/webhooks/").json()["results"]] == [body["id"]]


def test_unknown_event_types_are_refused_with_the_valid_list(partner):
    _, api = partner
    response = create(api, event_types=["grant.provisioned", "grant.exploded"])
    assert response.status_code == 400
    error = response.json()["error"]
    assert "grant.exploded" in error["message"]
    assert "dataset.withdrawn" in error["fields"]["event_types"][0]
    assert create(api, event_types=[]).status_code == 400
    assert create(api, event_types="grant.revoked").status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "javascript:alert(1)",
        "http://user:pw@example.org/hook",
        "http://exa\x00mple.org/hook",
        "http://example.org/ho ok",
        "",
        "http://" + "a" * 2100 + ".org/",
    ],
)
def test_bad_urls_are_refused(partner, url):
    _, api = partner
    response = create(api, url=url)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]


def test_nul_bytes_and_unknown_fields_are_400(partner):
    _, api = partner
    assert create(api, description="a\x00b").status_code == 400
    assert create(api, secret="whsec_mine").status_code == 400
    assert create(api, event_types=["grant.revoked\x00"]).status_code == 400
    nested = {"url": URL, "event_types": [[[[["grant.revoked"]]]]]}
    assert api.post("/api/v1/webhooks/", nested, format="json").status_code == 400


def test_private_addresses_are_refused_unless_allowed(partner, settings):
    _, api = partner
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    for url in ("http://127.0.0.1:8000/hook", "http://10.1.2.3/hook", "http://[::1]/hook",
                "http://169.254.169.254/latest/meta-data", "http://localhost/hook"):  # fmt: skip
        response = create(api, url=url)
        assert response.status_code == 400, url
        assert "private" in response.json()["error"]["fields"]["url"][0]
        assert "WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in response.json()["error"]["message"]
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert create(api).status_code == 201


def test_a_token_without_the_scope_and_people_are_refused(publisher, steward_client):
    client, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    api = partner_api(client, secret)
    response = create(api)
    assert response.status_code == 403
    assert "webhooks:manage" in response.json()["error"]["message"]
    assert steward_client.get("/api/v1/webhooks/").status_code == 403
    assert create(steward_client).status_code == 403


def test_another_clients_endpoint_is_404_everywhere(partner, other_partner):
    _, api = partner
    _, rival = other_partner
    theirs = create(rival).json()["id"]
    for method, path, body in [
        ("get", f"/api/v1/webhooks/{theirs}/", None),
        ("patch", f"/api/v1/webhooks/{theirs}/", {"enabled": False}),
        ("delete", f"/api/v1/webhooks/{theirs}/", None),
        ("get", f"/api/v1/webhooks/{theirs}/deliveries/", None),
        ("post", f"/api/v1/webhooks/{theirs}/rotate-secret/", None),
        ("post", f"/api/v1/webhooks/{theirs}/replay/", {"from_position": 1}),
        ("post", f"/api/v1/webhooks/{theirs}/test/", None),
        ("post", f"/api/v1/webhooks/{theirs}/deliveries/{uuid.uuid4()}/replay/", None),
        ("get", "/api/v1/webhooks/not-a-uuid/", None),
    ]:
        response = getattr(api, method)(path, body, format="json")
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["error"]["code"]
    assert api.get("/api/v1/webhooks/").json()["count"] == 0
    assert WebhookEndpoint.objects.get(pk=theirs).enabled


def test_patch_changes_and_disables_and_delete_removes(partner):
    _, api = partner
    endpoint_id = create(api).json()["id"]
    path = f"/api/v1/webhooks/{endpoint_id}/"
    assert api.patch(path, {}, format="json").status_code == 400
    assert api.patch(path, {"event_types": ["nope"]}, format="json").status_code == 400
    response = api.patch(
        path, {"enabled": False, "event_types": ["dataset.created"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert response.json()["disabled_reason"] == "Disabled by its owner."
    assert response.json()["event_types"] == ["dataset.created"]
    response = api.patch(path, {"enabled": True}, format="json")
    assert response.json()["enabled"] is True and response.json()["disabled_reason"] == ""
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_rotating_the_secret_shows_the_new_one_and_both_sign_for_a_while(partner):
    _, api = partner
    created = create(api).json()
    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert webhooks.webhook_signing_secrets(endpoint) == [rotated["secret"], created["secret"]]


def test_deliveries_log_test_ping_and_replays(
    partner, sent_tasks, django_capture_on_commit_callbacks
):
    _, api = partner
    endpoint_id = create(api).json()["id"]
    base = f"/api/v1/webhooks/{endpoint_id}"
    ping = api.post(f"{base}/test/")
    assert ping.status_code == 202
    assert ping.json()["event_type"] == "webhook.test" and ping.json()["position"] == 1
    log = api.get(f"{base}/deliveries/").json()
    assert log["count"] == 1
    first = log["results"][0]
    assert first["status"] == "pending" and first["attempts"] == 0
    assert api.get(f"{base}/deliveries/?page_size=1000").status_code == 400
    assert api.get(f"{base}/deliveries/?colour=red").status_code == 400

    again = api.post(f"{base}/deliveries/{first['id']}/replay/")
    assert again.status_code == 202
    assert again.json()["position"] == 1 and again.json()["replay_of"] == first["id"]
    assert again.json()["message_id"] == first["message_id"]
    assert api.post(f"{base}/deliveries/not-a-uuid/replay/").status_code == 404

    assert api.post(f"{base}/replay/", {"from_position": 0}, format="json").status_code == 400
    arabic_one = "\u0661"
    assert (
        api.post(f"{base}/replay/", {"from_position": arabic_one}, format="json").status_code == 400
    )
    assert api.post(f"{base}/replay/", {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post(f"{base}/replay/", {"from_position": 1}, format="json")
    assert replay.status_code == 202
    assert replay.json() == {"queued": 1, "next_position": None}
    assert WebhookDelivery.objects.filter(endpoint_id=endpoint_id).count() == 3
    assert ("delivery.send_webhooks", [endpoint_id]) in sent_tasks


def test_replay_from_a_position_is_bounded(partner, settings, sent_tasks):
    _, api = partner
    settings.WEBHOOK_REPLAY_MAX = 2
    endpoint_id = create(api).json()["id"]
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    for _ in range(5):
        webhooks.webhook_endpoint_test(endpoint=endpoint)
    response = api.post(
        f"/api/v1/webhooks/{endpoint_id}/replay/", {"from_position": 2}, format="json"
    )
    assert response.json() == {"queued": 2, "next_position": 4}
    copies = WebhookDelivery.objects.filter(endpoint=endpoint, replay_of__isnull=False)
    assert sorted(copies.values_list("position", flat=True)) == [2, 3]


def test_a_client_may_register_a_bounded_number_of_endpoints(partner, settings):
    _, api = partner
    settings.WEBHOOK_MAX_ENDPOINTS_PER_CLIENT = 2
    assert create(api).status_code == 201
    assert create(api).status_code == 201
    response = create(api)
    assert response.status_code == 409


def test_the_delivery_log_takes_the_same_queries_however_long_the_page(
    partner, django_assert_max_num_queries
):
    _, api = partner
    endpoint_id = create(api).json()["id"]
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    first = webhooks.webhook_endpoint_test(endpoint=endpoint)
    webhooks.webhook_delivery_replay(delivery=first)
    for _ in range(40):
        webhooks.webhook_endpoint_test(endpoint=endpoint)
    api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/")  # warm the token's cache
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?page_size=100")
    assert response.json()["count"] == 42
    assert [r["position"] for r in response.json()["results"]][-2:] == [1, 1]
