"""Personal API tokens: a stale token's 401 says why, and a token sent as Bearer gets a hint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db
URL = "/api/v1/access-requests/"


def get_with(client, header: str):
    return client.get(URL, HTTP_AUTHORIZATION=header)


def message(response) -> str:
    assert response.status_code == 401, response.content
    return response.json()["error"]["message"]


def test_a_token_sent_as_bearer_gets_a_hint(client, researcher):
    _, raw = api_token_create(user=researcher)
    assert "'Authorization: Token <token>'" in message(get_with(client, f"Bearer {raw}"))
    assert get_with(client, f"Token {raw}").status_code == 200


def test_an_unknown_token_says_so(client):
    assert message(get_with(client, "Token pst_not-a-real-token")).startswith("Unknown token")


def test_a_revoked_token_says_when_it_was_revoked(client, researcher):
    token, raw = api_token_create(user=researcher)
    api_token_revoke(token=token)
    text = message(get_with(client, f"Token {raw}"))
    assert text.startswith("This token was revoked on ")
    assert "obtain a new one" in text


def test_an_expired_token_says_when_it_expired(client, researcher):
    token, raw = api_token_create(user=researcher)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert message(get_with(client, f"Token {raw}")).startswith("This token expired on ")


def test_a_disabled_account_says_so(client, researcher):
    _, raw = api_token_create(user=researcher)
    researcher.is_active = False
    researcher.save()
    assert "disabled" in message(get_with(client, f"Token {raw}"))


def test_the_401_names_the_scheme(client):
    response = get_with(client, "Token pst_x")
    assert response["WWW-Authenticate"] == "Token"
