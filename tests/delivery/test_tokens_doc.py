"""The verification code of docs/tokens.md, run as written against a live server: PyJWT and the
JWKS and status lists fetched over real HTTP, nothing of Passerelle's own code."""

from __future__ import annotations

import re
from pathlib import Path

import jwt
import pytest
from django.conf import settings as django_settings

from access import services as access_services
from delivery import services

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DOC = Path(django_settings.BASE_DIR) / "docs" / "tokens.md"


def doc_snippet() -> dict:
    """The last ```python block of docs/tokens.md, executed into a namespace."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict = {}
    exec(compile(blocks[-1], str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


@pytest.fixture
def site(live_server, settings) -> str:
    # Tokens name the server they came from: the live server's address.
    settings.SITE_URL = live_server.url
    return live_server.url


def test_the_documented_verifier_sees_a_grant_token_valid_then_revoked(
    site, grant, steward, researcher
):
    snippet = doc_snippet()
    token = services.grant_token(grant)
    claims = snippet["verify"](token, site, snippet["VISA"])
    assert claims["grant"] == str(grant.pk) and claims["sub"] == researcher.username
    assert snippet["status"](claims, site) == 0
    access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
    assert snippet["status"](claims, site) == 1
    # The JWT alone still verifies until it expires: that is what the status list is for.
    assert snippet["verify"](token, site, snippet["VISA"])["jti"] == claims["jti"]


def test_the_documented_verifier_reads_a_passport(site, grant, steward, researcher):
    snippet = doc_snippet()
    passport = services.passport_issue(user=researcher)
    assert snippet["passport_datasets"](passport, site) == [str(grant.dataset_id)]
    access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
    assert snippet["passport_datasets"](passport, site) == []


def test_the_documented_verifier_refuses_a_token_of_the_wrong_type(site, grant, researcher):
    snippet = doc_snippet()
    with pytest.raises(jwt.InvalidTokenError):
        snippet["verify"](services.grant_token(grant), site, snippet["PASSPORT"])
