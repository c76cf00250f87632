"""Partner clients obtain OAuth2 client-credentials tokens, with the scopes they were granted
only; expired, revoked and deactivated clients' tokens stop working; secrets rotate with an
overlap; introspection and revocation concern only the client's own tokens."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from accounts import services
from accounts.models import PartnerClient
from tests.accounts.factories import (
    bearer_client,
    obtain_partner_token,
    partner_api,
    partner_client,
)
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client, secret, **data):
    return APIClient().post(
        "/o/token/",
        {"grant_type": "client_credentials", **data},
        HTTP_AUTHORIZATION=basic(client.application.client_id, secret),
    )


GRANTS_URL = "/api/v1/grants/"


# --- issuing ---------------------------------------------------------------------------------


def test_a_client_obtains_a_bearer_token_with_its_scopes_and_the_configured_lifetime():
    client, secret = partner_client(scopes=("access:request", "grants:read"))
    body = obtain_partner_token(client, secret)
    assert body["token_type"] == "Bearer"
    # PARTNER_TOKEN_LIFETIME is what django-oauth-toolkit is configured with (the server it
    # builds keeps the lifetime it started with, so the test reads it rather than changing it).
    lifetime = settings.PARTNER_TOKEN_LIFETIME
    assert settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"] == lifetime
    assert body["expires_in"] == lifetime
    assert set(body["scope"].split()) == {"access:request", "grants:read"}
    assert "refresh_token" not in body
    # Stored only as its SHA-256: the database holds no usable token.
    stored = AccessToken.objects.get()
    expected_expiry = timezone.now() + timedelta(seconds=lifetime)
    assert abs((stored.expires - expected_expiry).total_seconds()) < 60
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert bearer_client(body["access_token"]).get(GRANTS_URL).status_code == 200


def test_the_secret_is_stored_hashed_and_the_body_credentials_also_work():
    client, secret = partner_client()
    client.application.refresh_from_db()
    assert secret not in client.application.client_secret
    response = APIClient().post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": client.application.client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.content


def test_a_client_may_ask_for_fewer_scopes_than_it_holds():
    client, secret = partner_client(scopes=("access:request", "grants:read"))
    body = obtain_partner_token(client, secret, scope="grants:read")
    assert body["scope"] == "grants:read"


@pytest.mark.parametrize("scope", ["access:decide", "catalogue:write", "admin", "grants:read x"])
def test_a_scope_not_granted_or_unknown_is_invalid_scope(scope):
    client, secret = partner_client(scopes=("access:request", "grants:read"))
    response = token_request(client, secret, scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_a_wrong_secret_or_unknown_client_is_invalid_client():
    client, secret = partner_client()
    assert token_request(client, secret + "x").status_code == 401
    response = APIClient().post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("no-such-client", secret),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token"])
def test_only_the_client_credentials_grant_is_offered(grant_type):
    client, secret = partner_client()
    response = token_request(
        client, secret, grant_type=grant_type, username="x", password="y", code="z"
    )
    assert response.status_code in (400, 401)
    assert not AccessToken.objects.exists()


def test_no_authorisation_page_is_routed():
    assert APIClient().get("/o/authorize/").status_code == 404


# --- expired, revoked, deactivated --------------------------------------------------------------


def test_an_expired_token_is_refused_with_a_message():
    client, secret = partner_client(scopes=("grants:read",))
    token = obtain_partner_token(client, secret)["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = bearer_client(token).get(GRANTS_URL)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_an_unknown_bearer_token_is_refused():
    response = bearer_client("not-a-token").get(GRANTS_URL)
    assert response.status_code == 401
    assert "/o/token/" in response.json()["error"]["message"]


def test_deactivating_a_client_stops_its_tokens_at_once_and_it_obtains_no_new_one():
    client, secret = partner_client(scopes=("grants:read",))
    api = partner_api(client, secret)
    assert api.get(GRANTS_URL).status_code == 200
    services.partner_client_set_active(client=client, active=False)
    assert api.get(GRANTS_URL).status_code == 401
    assert token_request(client, secret).status_code == 401
    services.partner_client_set_active(client=client, active=True)
    assert partner_api(client, secret).get(GRANTS_URL).status_code == 200


def test_a_deactivated_client_is_refused_even_if_a_token_survived():
    client, secret = partner_client(scopes=("grants:read",))
    api = partner_api(client, secret)
    PartnerClient.objects.filter(pk=client.pk).update(is_active=False)  # tokens not deleted
    response = api.get(GRANTS_URL)
    assert response.status_code == 401
    assert "deactivated" in response.json()["error"]["message"]


def test_a_scope_removed_from_the_client_leaves_its_live_tokens_at_once():
    client, secret = partner_client(scopes=("grants:read", "access:request"))
    api = partner_api(client, secret)
    PartnerClient.objects.filter(pk=client.pk).update(scopes=["access:request"])
    response = api.get(GRANTS_URL)
    assert response.status_code == 403
    assert "grants:read" in response.json()["error"]["message"]


# --- rotation -----------------------------------------------------------------------------------


def test_a_rotated_secret_keeps_working_until_the_overlap_ends():
    client, old = partner_client()
    new = services.partner_client_rotate_secret(client=client, overlap=timedelta(hours=1))
    assert token_request(client, new).status_code == 200
    assert token_request(client, old).status_code == 200  # during the overlap
    PartnerClient.objects.filter(pk=client.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert token_request(client, old).status_code == 401
    assert token_request(client, new).status_code == 200


def test_a_rotation_without_overlap_ends_the_old_secret_now():
    client, old = partner_client()
    new = services.partner_client_rotate_secret(client=client, overlap=timedelta(0))
    assert token_request(client, old).status_code == 401
    assert token_request(client, new).status_code == 200


def test_a_second_rotation_forgets_the_first_secret():
    client, first = partner_client()
    second = services.partner_client_rotate_secret(client=client)
    third = services.partner_client_rotate_secret(client=client)
    assert token_request(client, first).status_code == 401
    assert token_request(client, second).status_code == 200
    assert token_request(client, third).status_code == 200


def test_the_commands_create_a_client_and_rotate_its_secret():
    PublisherFactory(slug="bauer-agrar")
    out = io.StringIO()
    call_command(
        "create_partner_client",
        "--name", "Hospital DAC",
        "--publisher", "bauer-agrar",
        "--scopes", "access:decide", "grants:read",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    client = PartnerClient.objects.get(name="Hospital DAC")
    assert lines["client_id"] == client.application.client_id
    assert list(client.publishers.values_list("slug", flat=True)) == ["bauer-agrar"]
    assert client.scopes == ["access:decide", "grants:read"]
    assert not client.service_user.has_usable_password() and not client.service_user.is_staff
    assert token_request(client, lines["client_secret"]).status_code == 200

    out = io.StringIO()
    call_command(
        "rotate_partner_secret", "Hospital DAC", "--overlap-hours", "0",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    new = dict(line.split(": ", 1) for line in out.getvalue().splitlines())["client_secret"]
    assert token_request(client, lines["client_secret"]).status_code == 401
    assert token_request(client, new).status_code == 200


def test_the_command_refuses_unknown_scopes_and_publishers():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_partner_client", "--name", "X", "--scopes", "everything")
    with pytest.raises(CommandError, match="Unknown publisher"):
        call_command(
            "create_partner_client", "--name", "X", "--publisher", "nope", "--scopes",
            "grants:read",
        )  # fmt: skip
    assert not PartnerClient.objects.exists()


# --- introspection and revocation --------------------------------------------------------------


def introspect(client, secret, token):
    return APIClient().post(
        "/o/introspect/",
        {"token": token},
        HTTP_AUTHORIZATION=basic(client.application.client_id, secret),
    )


def test_a_client_introspects_its_own_token():
    client, secret = partner_client(scopes=("grants:read",))
    token = obtain_partner_token(client, secret)["access_token"]
    body = introspect(client, secret, token).json()
    assert body["active"] is True
    assert body["scope"] == "grants:read"
    assert body["client_id"] == client.application.client_id
    assert body["exp"] > body["iat"]


def test_a_client_learns_nothing_about_another_clients_token():
    mine, my_secret = partner_client("Mine", scopes=("grants:read",))
    theirs, their_secret = partner_client("Theirs", scopes=("grants:read",))
    their_token = obtain_partner_token(theirs, their_secret)["access_token"]
    assert introspect(mine, my_secret, their_token).json() == {"active": False}
    assert introspect(mine, my_secret + "x", their_token).status_code == 401
    assert APIClient().post("/o/introspect/", {"token": their_token}).status_code == 401


def test_introspection_of_an_expired_or_revoked_token_is_inactive():
    client, secret = partner_client(scopes=("grants:read",))
    token = obtain_partner_token(client, secret)["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert introspect(client, secret, token).json() == {"active": False}


def test_a_client_revokes_its_own_token_and_not_anothers():
    mine, my_secret = partner_client("Mine", scopes=("grants:read",))
    theirs, their_secret = partner_client("Theirs", scopes=("grants:read",))
    my_token = obtain_partner_token(mine, my_secret)["access_token"]
    their_token = obtain_partner_token(theirs, their_secret)["access_token"]

    def revoke(token):
        return APIClient().post(
            "/o/revoke_token/",
            {"token": token},
            HTTP_AUTHORIZATION=basic(mine.application.client_id, my_secret),
        )

    assert revoke(their_token).status_code == 200  # RFC 7009: no hint either way
    assert bearer_client(their_token).get(GRANTS_URL).status_code == 200
    assert revoke(my_token).status_code == 200
    assert bearer_client(my_token).get(GRANTS_URL).status_code == 401


# --- the scope contract on endpoints ------------------------------------------------------------


def test_an_endpoint_without_required_scopes_is_closed_to_partners_with_a_clear_message():
    client, secret = partner_client(scopes=("access:request", "grants:read"))
    response = partner_api(client, secret).post(
        "/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json"
    )
    assert response.status_code == 403
    assert "Partner clients cannot call this endpoint" in response.json()["error"]["message"]


def test_a_missing_scope_is_named_in_the_refusal():
    client, secret = partner_client(scopes=("access:request",))
    response = partner_api(client, secret).get(GRANTS_URL)
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "grants:read" in message and "access:request" in message


def test_a_personal_token_sent_as_bearer_is_not_a_partner_token():
    from tests.accounts.factories import UserFactory

    _, raw = services.api_token_create(user=UserFactory())
    response = bearer_client(raw).get(GRANTS_URL)
    assert response.status_code == 401
    assert "Token <token>" in response.json()["error"]["message"]


def test_a_malformed_bearer_header_is_a_401_not_a_500():
    for header in ("Bearer", "Bearer a b", "Bearer \u00e9t\u00e9"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        assert api.get(GRANTS_URL).status_code == 401, header


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_creates_a_client_showing_the_secret_once_and_rotates_it(client):
    from tests.accounts.factories import UserFactory

    publisher = PublisherFactory(slug="bauer-agrar")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    response = client.post(
        "/admin/accounts/partnerclient/add/",
        {
            "name": "Bauer DAC",
            "publishers": [publisher.pk],
            "research_organisation": "",
            "scopes": ["access:decide", "grants:read"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    created = PartnerClient.objects.get(name="Bauer DAC")
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert list(created.publishers.all()) == [publisher]
    assert created.scopes == ["access:decide", "grants:read"]
    assert token_request(created, secret).status_code == 200
    # The change page never shows it again.
    page = client.get(f"/admin/accounts/partnerclient/{created.pk}/change/").content.decode()
    assert secret not in page

    rotated = client.post(
        "/admin/accounts/partnerclient/",
        {"action": "rotate_secret", "_selected_action": [created.pk]},
    )
    new = rotated.context["secret"]
    assert new != secret and new in rotated.content.decode()
    assert token_request(created, new).status_code == 200
    assert token_request(created, secret).status_code == 200  # overlap


def test_the_admin_refuses_a_client_without_scopes(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/accounts/partnerclient/add/", {"name": "Nothing", "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"]
    assert not PartnerClient.objects.exists()


def test_deactivating_in_the_admin_ends_the_tokens(client):
    from tests.accounts.factories import UserFactory

    partner, secret = partner_client(scopes=("grants:read",))
    api = partner_api(partner, secret)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    client.post(
        "/admin/accounts/partnerclient/",
        {"action": "deactivate", "_selected_action": [partner.pk]},
    )
    assert api.get(GRANTS_URL).status_code == 401
    assert not AccessToken.objects.exists()
