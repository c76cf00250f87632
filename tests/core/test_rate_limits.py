"""Rate limits per OAuth2 client, per user and per address, counted in a real Redis (one of our
own per test, from tests/outage.py), with the IETF RateLimit fields on every counted response,
and failing open when Redis stops."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.api.throttling import Caller, CallerRateThrottle, rate_from_settings
from tests.accounts.factories import PASSWORD, UserFactory
from tests.outage import RedisServer

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

URL = "/api/v1/licences/"


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def limits(settings, monkeypatch, redis_server):
    """Throttling as deployed (the test settings turn it off), with small rates, in Redis."""
    settings.RATE_LIMIT_REDIS_URL = redis_server.url
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "2/minute",
            "user": "3/minute",
            "client": "4/minute",
            "token": "2/minute",
        },
    }
    # The views read their throttle classes from APIView when the module was imported.
    monkeypatch.setattr(APIView, "throttle_classes", [CallerRateThrottle])
    return redis_server


def user_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def partner_client(service_user, application_id: int) -> APIClient:
    """A partner's request as django-oauth-toolkit authenticates it: ``request.auth`` is the
    access token, whose ``application_id`` names the client."""
    client = APIClient()
    client.force_authenticate(service_user, token=SimpleNamespace(application_id=application_id))
    return client


def test_past_the_limit_429_with_retry_after_and_ratelimit_fields(limits, researcher):
    client = user_client(researcher)
    answers = [client.get(URL) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    first = answers[0]
    assert first["RateLimit-Policy"] == '"user";q=3;w=60'
    assert first["RateLimit-Limit"] == "3"
    assert first["RateLimit"].startswith('"user";r=2;t=')
    assert 1 <= int(first["RateLimit-Reset"]) <= 60

    refused = client.get(URL)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    wait = refused.json()["error"]["retry_after_seconds"]
    assert 1 <= wait <= 60 and int(refused["Retry-After"]) == wait
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["RateLimit"] == f'"user";r=0;t={refused["RateLimit-Reset"]}'


def test_two_users_do_not_share_a_bucket(limits, researcher, steward):
    first, second = user_client(researcher), user_client(steward)
    assert [first.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get(URL).status_code == 200
    assert second.get(URL)["RateLimit-Remaining"] == "1"


def test_a_forged_forwarded_for_gets_no_fresh_budget(limits, api_client):
    statuses = [
        api_client.get(URL, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert api_client.get(URL)["RateLimit-Policy"] == '"anon";q=2;w=60'


def test_a_partner_counts_against_its_client_whichever_user_it_acts_as(limits):
    one, other = UserFactory(username="svc-a"), UserFactory(username="svc-b")
    answers = [partner_client(one, 7).get(URL) for _ in range(2)]
    answers += [partner_client(other, 7).get(URL) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert answers[0]["RateLimit-Policy"] == '"client";q=4;w=60'
    # Another client, and the service user's own budget as a person, are untouched.
    assert partner_client(one, 8).get(URL).status_code == 200
    assert user_client(one).get(URL)["RateLimit-Policy"] == '"user";q=3;w=60'


def generous_for_client_7(caller: Caller) -> str | None:
    return "100/minute" if caller.key == "client:7" else rate_from_settings(caller)


def test_the_rate_of_a_caller_comes_from_the_hook(limits, settings):
    settings.THROTTLE_RATE_FOR_CALLER = "tests.core.test_rate_limits.generous_for_client_7"
    service_user = UserFactory(username="svc")
    favoured = partner_client(service_user, 7).get(URL)
    assert favoured["RateLimit-Policy"] == '"client";q=100;w=60'
    assert partner_client(service_user, 9).get(URL)["RateLimit-Policy"] == '"client";q=4;w=60'


def test_sign_in_keeps_its_own_token_budget(limits, api_client, researcher):
    body = {"username": researcher.username, "password": PASSWORD}
    answers = [api_client.post("/api/v1/auth/token/", body, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[0]["RateLimit-Policy"] == '"token";q=2;w=60'
    assert api_client.get(URL).status_code == 200  # reading has a budget of its own


def test_replays_count_against_the_limit_and_a_429_is_never_replayed(limits, researcher):
    from tests.access.factories import submitted_request
    from tests.catalogue.factories import DatasetFactory

    request = submitted_request(researcher, DatasetFactory(access_rights="RESTRICTED"))
    client = user_client(researcher)
    path = f"/api/v1/access-requests/{request.pk}/comments/"

    def post():
        return client.post(
            path, {"comment": "Hello"}, format="json", headers={"Idempotency-Key": "k"}
        )

    assert [post().status_code for _ in range(3)] == [201, 201, 201]
    refused = post()
    assert refused.status_code == 429 and "Idempotent-Replayed" not in refused


def test_with_redis_stopped_requests_pass(limits, researcher, caplog):
    client = user_client(researcher)
    assert client.get(URL)["RateLimit-Remaining"] == "2"
    limits.stop()
    with caplog.at_level(logging.WARNING, logger="passerelle.ratelimit"):
        answers = [client.get(URL) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 6
    assert not any("RateLimit" in a for a in answers)
    # One line a minute at most, not one per request.
    assert len([r for r in caplog.records if r.name == "passerelle.ratelimit"]) <= 1


def test_signed_download_links_are_not_limited_per_address(limits, grant, grantee_client):
    """A cluster stages a grant's files from one address: the anonymous budget (2/minute here)
    applies to the API, never to the signed links of a manifest."""
    link = grantee_client.get(f"/api/v1/grants/{grant.pk}/").json()["files"][0]["download_url"]
    link = link.replace("http://127.0.0.1:8000", "")
    anonymous = APIClient()
    assert [anonymous.get(link, HTTP_RANGE="bytes=0-9").status_code for _ in range(6)] == [206] * 6
    assert [anonymous.get(URL).status_code for _ in range(3)] == [200, 200, 429]
