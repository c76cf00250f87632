"""Outages with real processes: Redis stopped mid-traffic, the database connection cut.

A web server (gunicorn) and a Celery worker run as subprocesses against the test database; the
test stops their Redis or cuts their database connections, drives traffic through HTTP as users
and partners would, and checks that nothing answers 500 and nothing is lost.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from celery import Celery
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group

from access import services
from access.models import AccessRequest, Grant, Notification, NotificationState, RequestState
from accounts.services import api_token_create
from tests.access.factories import approved_request, submitted_request
from tests.accounts.factories import PASSWORD
from tests.outage import (
    RedisServer,
    TcpProxy,
    celery_worker,
    database_url,
    service_env,
    wait_for,
    web_server,
)

pytestmark = [
    pytest.mark.postgres,
    # The server and the worker read the data from their own connections: it must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def can_sign_in_elsewhere(*users) -> None:
    """The tests hash passwords with a fast hasher the server process does not have: give these
    users a hash of the production kind."""
    for user in users:
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        user.save(update_fields=["password"])


def token_header(user) -> dict[str, str]:
    _, raw = api_token_create(user=user)
    return {"Authorization": f"Token {raw}"}


def admin_sign_in(base: str, email: str, session: requests.Session | None = None):
    """Sign in for the admin as a browser does: /admin/login/ hands over to allauth's form;
    fetch it (CSRF cookie), post it with the e-mail address."""
    session = session or requests.Session()
    page = session.get(f"{base}/admin/login/?next=/admin/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        page.url,
        data={"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )


@pytest.fixture
def stewards_admin(steward):
    steward.is_staff = True
    steward.save()
    steward.groups.add(Group.objects.get(name="Stewards"))
    return steward


@pytest.mark.redis
def test_redis_stopped_mid_traffic_is_not_an_outage(
    tmp_path: Path, stewards_admin, researcher, restricted, restricted_file, sent_tasks
):
    redis = RedisServer().start()
    # One request waits for a decision; another was approved earlier and has its grant.
    waiting = submitted_request(researcher, restricted)
    other = restricted.__class__.objects.create(
        slug="soil-samples", title="Soil samples", description="d", publisher=restricted.publisher,
        data_space=restricted.data_space, licence=restricted.licence, access_rights="RESTRICTED",
    )  # fmt: skip
    from tests.catalogue.factories import file_distribution

    file_distribution(other, b"sample,value\n1,2\n", "samples.csv")
    earlier = approved_request(researcher, stewards_admin, other)
    grant = services.grant_provision(access_request_id=earlier.pk)
    steward_auth, researcher_auth = token_header(stewards_admin), token_header(researcher)
    can_sign_in_elsewhere(stewards_admin, researcher)

    env = service_env(database=database_url(), redis=redis.url, var_dir=tmp_path / "var")
    worker = celery_worker(env, tmp_path)
    server, base = web_server(env, tmp_path)
    statuses: list[tuple[str, int]] = []

    def call(method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{base}{path}", timeout=20, **kwargs)
        statuses.append((path, response.status_code))
        return response

    try:
        assert call("GET", "/readyz").status_code == 200
        assert call("GET", "/api/v1/datasets/?q=soil").status_code == 200

        redis.stop()  # mid-traffic: the web server and the worker both lose it

        for _ in range(3):  # throttling fails open: the catalogue stays readable
            assert call("GET", "/api/v1/datasets/?q=soil").status_code == 200
        assert call("GET", f"/api/v1/datasets/{restricted.slug}/").status_code == 200
        # Sign-in works: the admin's form, and a token for the API.
        signed_in = admin_sign_in(base, stewards_admin.email)
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"
        token = call(
            "POST",
            "/api/v1/auth/token/",
            json={"username": researcher.username, "password": PASSWORD},
        )
        assert token.status_code == 201, token.text
        # A steward decides: the approval stands though its grant cannot be queued now.
        approval = call(
            "POST",
            f"/api/v1/access-requests/{waiting.pk}/approve/",
            json={"comment": "Approved during the outage."},
            headers=steward_auth,
        )
        assert approval.status_code == 200, approval.text
        assert approval.json()["state"] == RequestState.APPROVED
        # Downloads work: fresh links, and the bytes.
        files = call("GET", f"/api/v1/grants/{grant.pk}/", headers=researcher_auth).json()["files"]
        assert files[0]["download_url"].startswith(base)
        download = call("GET", files[0]["download_url"].removeprefix(base))
        assert download.status_code == 200 and download.content == b"sample,value\n1,2\n"
        # Readiness says what is down, in JSON.
        ready = call("GET", "/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["broker"] != "ok" and checks["cache"] != "ok"
        assert ready.headers["Retry-After"]

        assert not [s for s in statuses if s[1] >= 500 and s[0] != "/readyz"], statuses

        # Redis comes back, empty, on the same port: the sweeps, which beat runs every minute,
        # do what the outage held up (sent here by hand rather than waiting for beat).
        restarted = RedisServer()
        restarted.port = redis.port
        restarted.start()
        assert wait_for(lambda: call("GET", "/readyz").status_code == 200, timeout=30)
        beat = Celery("beat", broker=restarted.url, set_as_current=False)
        queue = env["CELERY_TASK_DEFAULT_QUEUE"]

        def swept() -> bool:
            beat.send_task("access.provision_missing_grants", queue=queue)
            beat.send_task("access.send_due_notifications", queue=queue)
            return (
                Grant.objects.filter(access_request=waiting).exists()
                and not Notification.objects.exclude(state=NotificationState.SENT).exists()
            )

        assert wait_for(swept, timeout=60, every=2), worker.output()
        announcement = Notification.objects.get(
            event__access_request=waiting, event__action="grant_provisioned"
        )
        assert "Approved during the outage." in announcement.body
        restarted.stop()
    finally:
        server.stop()
        worker.stop()
        redis.stop()


def test_a_dropped_database_connection_is_a_503_to_retry_and_nothing_is_half_written(
    tmp_path: Path, stewards_admin, researcher, restricted
):
    waiting = submitted_request(researcher, restricted)
    steward_auth = token_header(stewards_admin)
    can_sign_in_elsewhere(stewards_admin)
    db_host = "127.0.0.1"
    from django.db import connection

    proxy = TcpProxy(db_host, int(connection.settings_dict["PORT"] or 5432)).start()
    env = service_env(
        database=database_url(host="127.0.0.1", port=proxy.port),
        redis="",
        var_dir=tmp_path / "var",
        CELERY_BROKER_URL="memory://",
    )
    server, base = web_server(env, tmp_path)
    try:
        signed_in = requests.Session()
        admin_sign_in(base, stewards_admin.email, session=signed_in)
        assert signed_in.get(f"{base}/admin/", timeout=10).status_code == 200
        assert requests.get(f"{base}/api/v1/datasets/", timeout=10).status_code == 200

        proxy.cut()  # the server's open connection dies; new ones are refused

        for response in (
            requests.get(f"{base}/api/v1/datasets/", timeout=20),
            requests.post(
                f"{base}/api/v1/access-requests/{waiting.pk}/approve/",
                json={},
                headers=steward_auth,
                timeout=20,
            ),
            signed_in.get(f"{base}/admin/access/accessrequest/", timeout=20),
        ):
            assert response.status_code == 503, (response.request.url, response.text[:300])
            assert response.headers["Retry-After"] == "30"
            assert response.headers["Content-Type"] == "application/json"
            assert response.json()["error"]["code"] == "service_unavailable"

        proxy.restore()
        assert wait_for(
            lambda: requests.get(f"{base}/api/v1/datasets/", timeout=10).status_code == 200
        )
        waiting.refresh_from_db()
        assert waiting.state == RequestState.SUBMITTED  # the refused approval left no trace
        assert services.audit_log_verify().ok
    finally:
        server.stop()
        proxy.stop()


@pytest.mark.redis
def test_a_task_whose_database_connection_drops_is_retried(
    tmp_path: Path, steward, researcher, restricted, restricted_file, sent_tasks
):
    redis = RedisServer().start()
    from django.db import connection

    proxy = TcpProxy("127.0.0.1", int(connection.settings_dict["PORT"] or 5432)).start()
    env = service_env(
        database=database_url(host="127.0.0.1", port=proxy.port),
        redis=redis.url,
        var_dir=tmp_path / "var",
    )
    worker = celery_worker(env, tmp_path)
    try:
        request = approved_request(researcher, steward, restricted)
        client = Celery("client", broker=redis.url, set_as_current=False)
        queue = env["CELERY_TASK_DEFAULT_QUEUE"]
        # Let the worker connect, then take the database away and hand it the task.
        client.send_task("workers.heartbeat", queue=queue)
        assert wait_for(lambda: "workers.heartbeat" in worker.output(), timeout=30)
        proxy.cut()
        client.send_task("access.provision_grant", args=[str(request.pk)], queue=queue)
        assert wait_for(lambda: "Retry in" in worker.output(), timeout=30), worker.output()
        assert not Grant.objects.filter(access_request=request).exists()
        proxy.restore()
        assert wait_for(
            lambda: Grant.objects.filter(access_request=request).exists(), timeout=60
        ), worker.output()
        assert AccessRequest.objects.get(pk=request.pk).grant.state == "active"
    finally:
        worker.stop()
        proxy.stop()
        redis.stop()
