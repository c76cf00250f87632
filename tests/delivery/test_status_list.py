"""Token status lists: a revoked grant's token reads INVALID in the signed list its status claim
points to, fetched and verified over HTTP with the JWKS alone."""

from __future__ import annotations

import base64
import zlib
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone

from access import services as access_services
from access.models import Grant
from delivery import services
from delivery.services.status_lists import status_list_cache_key, status_list_get

pytestmark = pytest.mark.django_db

JWT_TYPE = "application/statuslist+jwt"


def status_of(client, token: str) -> int:
    """What an offline verifier does (docs/tokens.md): follow the token's status claim, verify
    the list with the JWKS, inflate it and read the token's bit."""
    jwks = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json())
    reference = jwt.decode(token, options={"verify_signature": False})["status"]["status_list"]
    response = client.get(urlsplit(reference["uri"]).path, HTTP_ACCEPT=JWT_TYPE)
    assert response.status_code == 200
    assert response["Content-Type"] == JWT_TYPE
    listed = response.content.decode()
    header = jwt.get_unverified_header(listed)
    assert header["typ"] == "statuslist+jwt"
    claims = jwt.decode(listed, jwks[header["kid"]].key, algorithms=["EdDSA"])
    assert claims["sub"] == reference["uri"]
    assert claims["status_list"]["bits"] == 1
    lst = claims["status_list"]["lst"]
    array = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    idx = reference["idx"]
    return (array[idx // 8] >> (idx % 8)) & 1


def test_a_revoked_grants_token_is_invalid_in_the_status_list(
    api_client, grant, steward, grantee_client
):
    token = grantee_client.get(f"/api/v1/grants/{grant.pk}/").json()["token"]
    assert status_of(api_client, token) == 0  # VALID
    access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
    assert status_of(api_client, token) == 1  # INVALID


def test_an_expired_grant_is_invalid_before_the_sweep_marks_it(api_client, grant):
    token = services.grant_token(grant)
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )
    assert status_of(api_client, token) == 1


def test_the_list_is_public_cacheable_and_negotiated(api_client, grant, settings):
    path = "/api/v1/status-lists/0"
    default = api_client.get(path)
    assert default["Content-Type"] == JWT_TYPE
    assert default["Cache-Control"] == f"public, max-age={settings.STATUS_LIST_TTL}"
    assert jwt.decode(default.content, options={"verify_signature": False})["ttl"] == 60
    as_json = api_client.get(path, HTTP_ACCEPT="application/statuslist+json")
    assert as_json["Content-Type"] == "application/statuslist+json"
    body = as_json.json()
    assert body["sub"].endswith(path) and body["status_list"]["bits"] == 1
    assert api_client.head(path).status_code == 200
    assert api_client.post(path).status_code == 405
    refused = api_client.get(path, HTTP_ACCEPT="text/html")
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


def test_unused_indexes_are_invalid_and_the_list_has_its_fixed_size(api_client, grant, settings):
    claims = api_client.get(
        "/api/v1/status-lists/0", HTTP_ACCEPT="application/statuslist+json"
    ).json()
    lst = claims["status_list"]["lst"]
    array = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    assert len(array) == settings.STATUS_LIST_SIZE // 8
    grant.refresh_from_db()
    unused = grant.status_index + 1
    assert (array[unused // 8] >> (unused % 8)) & 1 == 1
    assert (array[grant.status_index // 8] >> (grant.status_index % 8)) & 1 == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/status-lists/7",
        "/api/v1/status-lists/99999999999999999999999999999999",
        "/api/v1/status-lists/-1",
        "/api/v1/status-lists/%D9%A1",  # ARABIC-INDIC DIGIT ONE
        "/api/v1/status-lists/abc",
    ],
)
def test_lists_that_do_not_exist_are_json_404s(api_client, grant, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_nul_byte_in_the_path_is_a_json_400(api_client, grant):
    response = api_client.get("/api/v1/status-lists/0%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_lists_past_the_first_follow_the_index(api_client, grant, researcher, settings):
    settings.STATUS_LIST_SIZE = 8
    Grant.objects.filter(pk=grant.pk).update(status_index=8 * 3 + 5)
    grant.refresh_from_db()
    reference = jwt.decode(services.grant_token(grant), options={"verify_signature": False})
    assert reference["status"]["status_list"]["idx"] == 5
    assert reference["status"]["status_list"]["uri"].endswith("/api/v1/status-lists/3")
    assert status_of(api_client, services.grant_token(grant)) == 0


def test_a_rotated_key_signs_the_list_and_the_jwks_verifies_it(api_client, grant):
    from django.core.management import call_command

    first = jwt.get_unverified_header(api_client.get("/api/v1/status-lists/0").content)["kid"]
    call_command("rotate_signing_key")
    token = services.grant_token(grant)
    assert jwt.get_unverified_header(token)["kid"] != first
    assert status_of(api_client, token) == 0


def _redis_cache() -> dict:
    from django.conf import settings

    if not settings.USING_REDIS:
        pytest.skip("Redis is not answering")
    # The production backend (core.cache), on the test run's Redis database.
    return {"default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": settings.REDIS_URL}}


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_a_built_list_is_served_from_the_cache_until_it_lapses(grant, steward, backend):
    cache_settings = _redis_cache() if backend == "redis" else None
    with override_settings(
        STATUS_LIST_CACHE_SECONDS=300, **({"CACHES": cache_settings} if cache_settings else {})
    ):
        caches["default"].delete(status_list_cache_key(0))
        before = status_list_get(number=0)
        access_services.grant_revoke(user=steward, grant=grant, reason="misuse")
        # The documented delay: the cached list still says VALID...
        assert status_list_get(number=0).token == before.token
        caches["default"].delete(status_list_cache_key(0))
        # ...until it lapses (here: removed), when the revocation shows.
        assert status_list_get(number=0).token != before.token


def test_the_list_is_built_when_redis_is_down(grant, steward):
    dead = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # Nothing listens on port 1; without IGNORE_EXCEPTIONS every call raises.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with override_settings(CACHES=dead, STATUS_LIST_CACHE_SECONDS=300):
        with pytest.raises(Exception):  # noqa: B017 - the cache really is down
            caches["default"].get("probe")
        listed = status_list_get(number=0)
    assert listed.claims["status_list"]["bits"] == 1


def test_building_a_list_costs_a_fixed_number_of_queries(grant, django_assert_max_num_queries):
    services.signing_key_current()
    with django_assert_max_num_queries(4):
        status_list_get(number=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_transactions_get_disjoint_status_indexes():
    """Two provisioning batches at once, each holding its transaction open while the other
    allocates: the sequence never hands out a number twice (a MAX()+1 would, here)."""
    import threading

    from django.db import connection, transaction

    from access.models import grant_status_indexes_allocate

    both_allocated = threading.Barrier(2, timeout=10)
    results: list[list[int]] = []

    def batch() -> None:
        try:
            with transaction.atomic():
                results.append(grant_status_indexes_allocate(50))
                both_allocated.wait()
        finally:
            connection.close()

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert not set(results[0]) & set(results[1])
    assert len(set(results[0]) | set(results[1])) == 100
