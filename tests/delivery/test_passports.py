"""GA4GH passports: one visa per active grant, verifiable offline with PyJWT and the JWKS alone,
and checked server-side by passport_grants (helper D's DRS endpoints rely on it)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from access import services as access_services
from access.models import Grant
from catalogue.models import AccessRights
from delivery import services
from delivery.services.passports import PASSPORT_TYPE, PassportInvalidError
from delivery.services.tokens import VISA_TYPE
from tests.access.factories import approved_request
from tests.accounts.factories import UserFactory, partner_api, partner_client, token_client
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def verify_offline(token: str, jwks: dict, *, typ: str) -> dict:
    """What a partner does with PyJWT and /.well-known/jwks.json only (docs/tokens.md)."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == typ
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(token, key.key, algorithms=["EdDSA"], issuer="http://127.0.0.1:8000")


@pytest.fixture
def two_grants(grant, researcher, steward, publisher):
    other = DatasetFactory(
        slug="second", publisher=publisher, access_rights=AccessRights.RESTRICTED
    )
    second = access_services.grant_provision(
        access_request_id=approved_request(researcher, steward, other).pk
    )
    return grant, second


def test_passport_verifies_offline_with_one_visa_per_active_grant(
    grantee_client, two_grants, researcher
):
    body = grantee_client.get("/api/v1/me/passport/").json()
    jwks = grantee_client.get("/.well-known/jwks.json").json()
    claims = verify_offline(body["passport"], jwks, typ=PASSPORT_TYPE)
    assert claims["sub"] == researcher.username
    assert claims["exp"] - claims["iat"] <= 3600
    visas = [verify_offline(v, jwks, typ=VISA_TYPE) for v in claims["ga4gh_passport_v1"]]
    assert {v["grant"] for v in visas} == {str(g.pk) for g in two_grants}
    for visa in visas:
        assert visa["sub"] == researcher.username
        assert visa["ga4gh_visa_v1"]["type"] == "ControlledAccessGrants"
        assert visa["ga4gh_visa_v1"]["by"] == "dac"
        assert visa["status"]["status_list"]["uri"].endswith("/api/v1/status-lists/0")
    assert {g.pk for g in services.passport_grants(body["passport"])} == {g.pk for g in two_grants}


def test_revoked_and_expired_grants_have_no_visa(grantee_client, two_grants, steward):
    first, second = two_grants
    access_services.grant_revoke(user=steward, grant=first, reason="misuse")
    expire(second)
    passport = grantee_client.get("/api/v1/me/passport/").json()["passport"]
    assert jwt.decode(passport, options={"verify_signature": False})["ga4gh_passport_v1"] == []
    assert services.passport_grants(passport) == []


def test_passport_grants_drops_a_grant_revoked_after_issue(two_grants, researcher, steward):
    first, second = two_grants
    passport = services.passport_issue(user=researcher)
    access_services.grant_revoke(user=steward, grant=first, reason="misuse")
    assert [g.pk for g in services.passport_grants(passport)] == [second.pk]


def expire(grant: Grant) -> None:
    """The grant's end passed a second ago (the sweep that marks it expired has not run)."""
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )


def _tamper(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


def test_passport_grants_rejects_a_tampered_passport(grant, researcher):
    passport = services.passport_issue(user=researcher)
    forged = _tamper(passport, lambda c: c.update(sub="someone-else"))
    with pytest.raises(PassportInvalidError, match="does not verify"):
        services.passport_grants(forged)


def test_passport_grants_rejects_a_visa_of_another_subject(grant, researcher):
    other = UserFactory(username="mallory")
    visa = services.grant_token(grant)
    # A genuine visa of the researcher, in a genuine passport of mallory's: refused.
    passport = services.passport_issue(user=other)
    from delivery.services.signing import jwt_sign

    claims = jwt.decode(passport, options={"verify_signature": False})
    claims["ga4gh_passport_v1"] = [visa]
    rebuilt = jwt_sign(claims, typ=PASSPORT_TYPE)
    with pytest.raises(PassportInvalidError, match="not the passport's subject"):
        services.passport_grants(rebuilt)


def test_passport_grants_rejects_a_passport_signed_by_a_foreign_key(grant, researcher):
    genuine = services.passport_issue(user=researcher)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    kid = jwt.get_unverified_header(genuine)["kid"]
    foreign = jwt.encode(
        claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
        headers={"kid": kid, "typ": PASSPORT_TYPE},
    )  # fmt: skip
    with pytest.raises(PassportInvalidError, match="does not verify"):
        services.passport_grants(foreign)


def test_passport_grants_rejects_an_expired_passport(grant, researcher):
    passport = services.passport_issue(user=researcher, now=timezone.now() - timedelta(hours=2))
    with pytest.raises(PassportInvalidError, match="expired"):
        services.passport_grants(passport)


def test_passport_grants_rejects_a_retired_key(grant, researcher):
    passport = services.passport_issue(user=researcher)
    kid = jwt.get_unverified_header(passport)["kid"]
    call_command("rotate_signing_key")
    assert services.passport_grants(passport)  # still published: still good
    call_command("rotate_signing_key", "--retire", kid)
    with pytest.raises(PassportInvalidError, match="published keys"):
        services.passport_grants(passport)


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c", "\x00.\x00.\x00", "é.é.é", "x" * 3_000_000, "eyJ0eXAiOjF9.e30.AA"],
)
def test_passport_grants_rejects_garbage(garbage, db):
    with pytest.raises(PassportInvalidError):
        services.passport_grants(garbage)


def test_a_visa_is_not_a_passport(grant, researcher):
    with pytest.raises(PassportInvalidError, match="type"):
        services.passport_grants(services.grant_token(grant))


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def rival_grant(researcher, other_dataset):
    rival_steward = UserFactory(username="rival-steward")
    other_dataset.publisher.stewards.add(rival_steward)
    return access_services.grant_provision(
        access_request_id=approved_request(researcher, rival_steward, other_dataset).pk
    )


def test_a_partner_sees_visas_only_for_the_grants_it_can_see(
    api_client, grant, rival_grant, publisher, researcher
):
    reader, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    response = partner_api(reader, secret).get(f"/api/v1/passports/{researcher.username}/")
    assert response.status_code == 200
    jwks = api_client.get("/.well-known/jwks.json").json()
    claims = verify_offline(response.json()["passport"], jwks, typ=PASSPORT_TYPE)
    assert claims["sub"] == researcher.username
    grants = [verify_offline(v, jwks, typ=VISA_TYPE)["grant"] for v in claims["ga4gh_passport_v1"]]
    assert grants == [str(grant.pk)]  # not the rival publisher's grant
    # The researcher's own passport has both.
    mine = services.passport_issue(user=researcher)
    assert len(jwt.decode(mine, options={"verify_signature": False})["ga4gh_passport_v1"]) == 2


def test_a_partner_that_sees_no_grant_of_the_user_gets_404(grant, other_dataset, researcher):
    rival, secret = partner_client(
        "Rival", scopes=("grants:read",), publishers=[other_dataset.publisher]
    )
    api = partner_api(rival, secret)
    known = api.get(f"/api/v1/passports/{researcher.username}/")
    unknown = api.get("/api/v1/passports/nobody-at-all/")
    assert known.status_code == unknown.status_code == 404
    assert known.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"


def test_a_partner_without_grants_read_is_refused(grant, publisher, researcher):
    decider, secret = partner_client("Decider", scopes=("access:decide",), publishers=[publisher])
    response = partner_api(decider, secret).get(f"/api/v1/passports/{researcher.username}/")
    assert response.status_code == 403


def test_a_partners_own_passport_is_empty(grant, publisher):
    reader, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    passport = partner_api(reader, secret).get("/api/v1/me/passport/").json()["passport"]
    assert jwt.decode(passport, options={"verify_signature": False})["ga4gh_passport_v1"] == []


def test_people_never_read_someone_elses_passport(grant, researcher, steward):
    # Not a stranger, and not the steward who approved the grant either: a passport opens the
    # files by DRS, in the researcher's name.
    for user in (UserFactory(username="stranger"), steward):
        response = token_client(user).get(f"/api/v1/passports/{researcher.username}/")
        assert response.status_code == 403
        assert "/api/v1/me/passport/" in response.json()["error"]["message"]


def test_anonymous_callers_get_no_passport(api_client, grant):
    assert api_client.get("/api/v1/me/passport/").status_code == 401


@pytest.mark.parametrize(("name", "status"), [("%D9%A1", 404), ("x" * 5000, 404), ("%00", 400)])
def test_odd_usernames_are_clean_4xx(grant, publisher, name, status):
    reader, secret = partner_client("Reader", scopes=("grants:read",), publishers=[publisher])
    response = partner_api(reader, secret).get(f"/api/v1/passports/{name}/")
    assert response.status_code == status
    assert "error" in response.json()
