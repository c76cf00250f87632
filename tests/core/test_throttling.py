"""Throttling counts per client address as this deployment can vouch for it: a client that
writes its own X-Forwarded-For gets no fresh budget. Checked against a real gunicorn server."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.outage import database_url, service_env, web_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def serve(tmp_path: Path, proxies: int):
    env = service_env(
        database=database_url(),
        redis="",
        var_dir=tmp_path / "var",
        CELERY_BROKER_URL="memory://",
        NUM_PROXIES=str(proxies),
        THROTTLE_ANON="3/minute",
        THROTTLE_TOKEN="2/minute",
    )
    return web_server(env, tmp_path)


def get(base: str, forwarded: str) -> requests.Response:
    return requests.get(
        f"{base}/api/v1/licences/", headers={"X-Forwarded-For": forwarded}, timeout=10
    )


def test_reached_directly_a_forged_forwarded_for_changes_nothing(tmp_path: Path):
    server, base = serve(tmp_path, proxies=0)
    try:
        assert [get(base, f"10.0.0.{n}").status_code for n in range(3)] == [200, 200, 200]
        refused = get(base, "192.0.2.250")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "throttled"
        assert refused.json()["error"]["retry_after_seconds"] > 0
        token = [
            requests.post(
                f"{base}/api/v1/auth/token/",
                json={"username": "nobody", "password": "x"},
                headers={"X-Forwarded-For": f"10.1.0.{n}"},
                timeout=10,
            ).status_code
            for n in range(3)
        ]
        assert token == [401, 401, 429]
    finally:
        server.stop()


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(tmp_path: Path):
    server, base = serve(tmp_path, proxies=1)
    try:
        # nginx appends the address it saw (203.0.113.9); what precedes it is the client's.
        statuses = [get(base, f"10.0.0.{n}, 203.0.113.9").status_code for n in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert get(base, "203.0.113.10").status_code == 200  # another client has its budget
    finally:
        server.stop()
