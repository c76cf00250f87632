"""Grant tokens: short-lived, a fresh jti each, re-issued on demand to those who may hold one,
and checked by RFC 7662 introspection at /o/introspect/ (partner client credentials)."""

from __future__ import annotations

import base64
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from access import services as access_services
from access.models import Grant
from delivery import services
from tests.accounts.factories import (
    UserFactory,
    obtain_partner_token,
    partner_api,
    partner_client,
    token_client,
)

pytestmark = pytest.mark.django_db


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- lifetime and identity --------------------------------------------------------------------


def test_a_token_lives_an_hour_at_most_with_a_jti_of_its_own(grant):
    first, second = services.grant_token(grant), services.grant_token(grant)
    a, b = claims_of(first), claims_of(second)
    assert a["jti"] != b["jti"] and str(grant.pk) not in (a["jti"], b["jti"])
    assert a["grant"] == b["grant"] == str(grant.pk)
    assert a["exp"] - a["iat"] == 3600
    assert jwt.get_unverified_header(first)["typ"] == "vnd.ga4gh.visa+jwt"


def test_a_token_never_outlives_its_grant(grant):
    soon = timezone.now() + timedelta(minutes=10)
    Grant.objects.filter(pk=grant.pk).update(expires_at=soon)
    grant.refresh_from_db()
    assert claims_of(services.grant_token(grant))["exp"] == int(soon.timestamp())


def test_the_lifetime_is_a_setting(grant, settings):
    settings.GRANT_TOKEN_LIFETIME = 120
    claims = claims_of(services.grant_token(grant))
    assert claims["exp"] - claims["iat"] == 120


# --- re-issue -----------------------------------------------------------------------------------


def test_the_grantee_gets_a_fresh_token(researcher_client, grant):
    response = researcher_client.post(f"/api/v1/grants/{grant.pk}/token/")
    assert response.status_code == 200
    body = response.json()
    claims = claims_of(body["token"])
    assert body["jti"] == claims["jti"]
    assert claims["grant"] == str(grant.pk)
    again = researcher_client.post(f"/api/v1/grants/{grant.pk}/token/").json()
    assert again["jti"] != body["jti"]


def test_a_partner_with_grants_read_gets_one_and_a_partner_without_is_refused(grant, publisher):
    reader, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    body = partner_api(reader, secret).post(f"/api/v1/grants/{grant.pk}/token/").json()
    assert claims_of(body["token"])["grant"] == str(grant.pk)
    writer, secret = partner_client("Writer", scopes=("catalogue:write",), publishers=[publisher])
    refused = partner_api(writer, secret).post(f"/api/v1/grants/{grant.pk}/token/")
    assert refused.status_code == 403


def test_a_partner_of_another_publisher_and_a_stranger_get_404(grant, other_dataset):
    rival, secret = partner_client(
        "Rival", scopes=("grants:read",), publishers=[other_dataset.publisher]
    )
    assert partner_api(rival, secret).post(f"/api/v1/grants/{grant.pk}/token/").status_code == 404
    stranger = token_client(UserFactory(username="stranger"))
    response = stranger.post(f"/api/v1/grants/{grant.pk}/token/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_steward_sees_the_grant_but_gets_no_token(steward_client, grant):
    response = steward_client.post(f"/api/v1/grants/{grant.pk}/token/")
    assert response.status_code == 403


def test_an_ended_grant_gets_no_token(researcher_client, grant, steward):
    access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
    response = researcher_client.post(f"/api/v1/grants/{grant.pk}/token/")
    assert response.status_code == 409
    assert response.json()["error"]["state"] == "revoked"


def test_an_expired_grant_gets_no_token_before_the_sweep(researcher_client, grant):
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )
    response = researcher_client.post(f"/api/v1/grants/{grant.pk}/token/")
    assert response.status_code == 409
    assert response.json()["error"]["state"] == "expired"


@pytest.mark.parametrize(
    ("bad", "status"), [("abc", 404), ("%D9%A1", 404), ("x" * 5000, 404), ("%00", 400)]
)
def test_malformed_grant_ids_are_clean_4xx(researcher_client, grant, bad, status):
    response = researcher_client.post(f"/api/v1/grants/{bad}/token/")
    assert response.status_code == status
    assert response.json()["error"]["code"] == ("not_found" if status == 404 else "invalid")


def test_anonymous_callers_are_401(api_client, grant):
    assert api_client.post(f"/api/v1/grants/{grant.pk}/token/").status_code == 401


# --- introspection (RFC 7662) -------------------------------------------------------------------


def introspect(client, secret: str, token: str):
    credentials = base64.b64encode(f"{client.application.client_id}:{secret}".encode()).decode()
    return APIClient().post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )


@pytest.fixture
def reader(publisher):
    return partner_client("Reader", scopes=("grants:read",), publishers=[publisher])


def test_introspection_says_active_then_inactive_after_revocation(reader, grant, steward):
    client, secret = reader
    token = services.grant_token(grant)
    response = introspect(client, secret, token)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    claims = claims_of(token)
    assert body == {
        "active": True,
        "token_type": "grant",
        "iss": "http://127.0.0.1:8000",
        "sub": grant.grantee.username,
        "iat": claims["iat"],
        "exp": claims["exp"],
        "jti": claims["jti"],
        "grant": str(grant.pk),
        "dataset": str(grant.dataset_id),
        "grant_expires_at": int(grant.expires_at.timestamp()),
    }
    access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
    assert introspect(client, secret, token).json() == {"active": False}


def test_a_partner_of_another_publisher_learns_nothing(grant, other_dataset):
    rival, secret = partner_client(
        "Rival", scopes=("grants:read",), publishers=[other_dataset.publisher]
    )
    assert introspect(rival, secret, services.grant_token(grant)).json() == {"active": False}


def test_a_partner_without_grants_read_learns_nothing(grant, publisher):
    decider, secret = partner_client("Decider", scopes=("access:decide",), publishers=[publisher])
    assert introspect(decider, secret, services.grant_token(grant)).json() == {"active": False}


def test_the_submitting_client_introspects_its_researchers_token(grant, researcher):
    # A partner that submitted the request for its researcher follows the grant (grants:read).
    office, secret = partner_client("Office", scopes=("access:request", "grants:read"))
    grant.access_request.submitted_by_client = office
    grant.access_request.save(update_fields=["submitted_by_client"])
    assert introspect(office, secret, services.grant_token(grant)).json()["active"] is True


def test_expired_forged_and_retired_key_tokens_are_inactive(reader, grant):
    client, secret = reader
    expired = services.grant_token(grant, now=timezone.now() - timedelta(hours=2))
    assert introspect(client, secret, expired).json() == {"active": False}
    header, payload, signature = services.grant_token(grant).split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert introspect(client, secret, forged).json() == {"active": False}
    token = services.grant_token(grant)
    kid = jwt.get_unverified_header(token)["kid"]
    call_command("rotate_signing_key")
    assert introspect(client, secret, token).json()["active"] is True
    call_command("rotate_signing_key", "--retire", kid)
    assert introspect(client, secret, token).json() == {"active": False}


@pytest.mark.parametrize(
    "garbage",
    ["a.b.c", "\x00.\x00.\x00", "é.é.é", "x" * 100_000 + ".a.b", "eyJ9.e30.", "..", "a.b"],
)
def test_garbage_is_inactive_not_an_error(reader, garbage, db):
    client, secret = reader
    response = introspect(client, secret, garbage)
    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_the_partners_own_access_tokens_still_introspect(reader):
    client, secret = reader
    own = obtain_partner_token(client, secret)["access_token"]
    body = introspect(client, secret, own).json()
    assert body["active"] is True and body["token_type"] == "Bearer"


def test_introspection_needs_client_credentials(grant):
    response = APIClient().post("/o/introspect/", {"token": services.grant_token(grant)})
    assert response.status_code == 401
