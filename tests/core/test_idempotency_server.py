"""Idempotency-Key through a real gunicorn server, as a partner's HTTP client meets it: two
retries on the wire at the same moment, and a file upload whose multipart boundary changes with
every attempt (requests draws a new one each time)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection, transaction

from access.models import AccessEvent, AccessRequest
from access.services import access_request_create
from accounts.services import api_token_create
from tests.access.factories import PURPOSE, submitted_request
from tests.outage import database_url, service_env, web_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def server(tmp_path: Path, sent_tasks):
    env = service_env(
        database=database_url(),
        redis="",
        var_dir=tmp_path / "var",
        CELERY_BROKER_URL="memory://",
        THROTTLE_DISABLED="1",
    )
    process, base = web_server(env, tmp_path)
    yield base
    process.stop()


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user)
    return {"Authorization": f"Token {raw}"}


def waiting_for_locks(count: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid() AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return True
            time.sleep(0.05)
    return False


def test_two_retries_on_the_wire_at_once_comment_once(server, researcher, restricted):
    submitted = submitted_request(researcher, restricted)
    headers = {**auth(researcher), "Idempotency-Key": "wire-1"}
    url = f"{server}/api/v1/access-requests/{submitted.pk}/comments/"
    results: list = [None, None]

    def send(index: int) -> None:
        results[index] = requests.post(url, json={"comment": "Hello"}, headers=headers, timeout=30)

    # The row the comment service locks is held here: both requests are in flight together.
    with transaction.atomic():
        AccessRequest.objects.select_for_update().get(pk=submitted.pk)
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        assert waiting_for_locks(2)
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert results[0].content == results[1].content
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert AccessEvent.objects.filter(access_request=submitted, action="commented").count() == 1


def test_an_upload_retried_with_a_new_boundary_is_stored_once(server, researcher, restricted):
    draft = access_request_create(
        requester=researcher, dataset=restricted, purpose=PURPOSE, accept_licence=True, submit=False
    )
    url = f"{server}/api/v1/access-requests/{draft.pk}/attachments/"
    headers = {**auth(researcher), "Idempotency-Key": "upload-wire"}

    def upload(content: bytes) -> requests.Response:
        return requests.post(
            url,
            files={"file": ("notes.txt", content, "text/plain")},
            data={"question_key": ""},
            headers=headers,
            timeout=30,
        )

    first, again = upload(b"field notes\n"), upload(b"field notes\n")
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert draft.attachments.count() == 1
    assert upload(b"other notes\n").status_code == 422
