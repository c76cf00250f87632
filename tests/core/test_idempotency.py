"""Idempotency-Key on POST: a retry gets the first response and nothing is done twice, even
when the two arrive together; keys belong to their caller and are kept IDEMPOTENCY_KEY_TTL."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from access import services
from access.models import AccessEvent, AccessRequest
from core.api.idempotency import purge_expired_records
from core.models import IdempotencyRecord
from tests.access.factories import PURPOSE, submitted_request
from tests.accounts.factories import token_client

pytestmark = pytest.mark.postgres

URL = "/api/v1/access-requests/"


def create(client: APIClient, dataset, key: str | None, **body):
    body = {"dataset": str(dataset.pk), "purpose": PURPOSE, "accept_licence": True, **body}
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, body, format="json", headers=headers)


def comment(client: APIClient, request_id, key: str, text: str = "Is the 2019 file complete?"):
    return client.post(
        f"{URL}{request_id}/comments/",
        {"comment": text},
        format="json",
        headers={"Idempotency-Key": key},
    )


def comments_on(access_request) -> int:
    return AccessEvent.objects.filter(access_request=access_request, action="commented").count()


# --- retries ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retry_gets_the_first_response_and_creates_nothing_more(researcher_client, restricted):
    first = create(researcher_client, restricted, "order-7f3a")
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first

    again = create(researcher_client, restricted, "order-7f3a")

    assert again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert AccessRequest.objects.filter(dataset=restricted).count() == 1


@pytest.mark.django_db
def test_without_a_key_a_second_post_acts_again(researcher_client, submitted):
    assert comment_without_key(researcher_client, submitted).status_code == 201
    assert comment_without_key(researcher_client, submitted).status_code == 201
    assert comments_on(submitted) == 2


def comment_without_key(client, access_request):
    return client.post(f"{URL}{access_request.pk}/comments/", {"comment": "Hi"}, format="json")


@pytest.fixture
def submitted(researcher, restricted):
    return submitted_request(researcher, restricted)


@pytest.mark.django_db
def test_the_quoted_form_of_the_draft_is_the_same_key(researcher_client, submitted):
    assert comment(researcher_client, submitted.pk, "k-1").status_code == 201
    replayed = comment(researcher_client, submitted.pk, '"k-1"')
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert comments_on(submitted) == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_or_path_is_422(researcher_client, submitted, restricted):
    assert comment(researcher_client, submitted.pk, "k-2", "First words").status_code == 201

    other_body = comment(researcher_client, submitted.pk, "k-2", "Other words")
    assert other_body.status_code == 422
    assert other_body.json()["error"]["code"] == "idempotency_key_reused"
    other_path = create(researcher_client, restricted, "k-2")
    assert other_path.status_code == 422
    assert comments_on(submitted) == 1


@pytest.mark.django_db
def test_a_validation_error_is_kept_and_replayed(researcher_client, submitted):
    """As Stripe does: the same request gets the same answer; a corrected one needs a new key."""
    refused = comment(researcher_client, submitted.pk, "k-3", "   ")
    assert refused.status_code == 400
    replayed = comment(researcher_client, submitted.pk, "k-3", "   ")
    assert replayed.status_code == 400 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == refused.json()
    assert comment(researcher_client, submitted.pk, "k-4", "Now with words").status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_their_caller(researcher_client, steward_client, submitted):
    """The steward using the researcher's key neither replays the researcher's response nor is
    refused: each caller has keys of its own."""
    mine = comment(researcher_client, submitted.pk, "shared-key", "From the researcher")
    theirs = comment(steward_client, submitted.pk, "shared-key", "From the steward")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["comment"] == "From the steward"
    assert comments_on(submitted) == 2


@pytest.mark.django_db
def test_a_key_past_its_time_is_forgotten_and_may_be_used_again(
    researcher_client, submitted, settings
):
    assert comment(researcher_client, submitted.pk, "k-5").status_code == 201
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    )
    again = comment(researcher_client, submitted.pk, "k-5")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert comments_on(submitted) == 2


@pytest.mark.django_db
def test_the_periodic_purge_removes_only_expired_records(researcher_client, submitted, settings):
    comment(researcher_client, submitted.pk, "old")
    comment(researcher_client, submitted.pk, "fresh")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(seconds=1)
    )
    assert purge_expired_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    ["", '""', "x" * 256, "tab\there", "nul\x00byte", "bell\x07", "clé-non-ascii", '"unclosed\\"'],
)
def test_a_malformed_key_is_400_and_nothing_is_done(researcher_client, submitted, key):
    response = comment(researcher_client, submitted.pk, key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert comments_on(submitted) == 0


@pytest.mark.django_db
def test_a_key_of_255_printable_characters_is_accepted(researcher_client, submitted):
    assert comment(researcher_client, submitted.pk, "k" * 254 + "~").status_code == 201


@pytest.mark.django_db
def test_anonymous_posts_ignore_the_key_and_are_refused_as_ever(api_client, submitted):
    response = comment(api_client, submitted.pk, "k-anon")
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_the_sign_in_token_is_never_kept_for_replay(api_client, researcher):
    body = {"username": researcher.username, "password": "correct horse battery staple"}
    first = api_client.post(
        "/api/v1/auth/token/", body, format="json", headers={"Idempotency-Key": "t"}
    )
    second = api_client.post(
        "/api/v1/auth/token/", body, format="json", headers={"Idempotency-Key": "t"}
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["token"] != second.json()["token"]
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_server_error_is_not_kept_and_leaves_nothing_half_written(
    researcher_client, submitted, monkeypatch
):
    """The comment is written, then the view fails: the whole request is rolled back, nothing is
    kept for the key, and the client's retry does the work once."""
    real = services.access_request_comment

    def write_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "access_request_comment", write_then_fail)
    researcher_client.raise_request_exception = False
    failed = comment(researcher_client, submitted.pk, "k-500")
    assert failed.status_code == 500
    assert comments_on(submitted) == 0
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.setattr(services, "access_request_comment", real)
    retried = comment(researcher_client, submitted.pk, "k-500")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert comments_on(submitted) == 1


@pytest.mark.django_db
def test_a_multipart_upload_is_the_same_request_whatever_its_boundary(
    researcher, restricted, settings
):
    """Client libraries draw a new multipart boundary for each attempt."""
    draft = services.access_request_create(
        requester=researcher, dataset=restricted, purpose=PURPOSE, accept_licence=True, submit=False
    )
    client = token_client(researcher)
    path = f"{URL}{draft.pk}/attachments/"

    def upload(boundary: str, content: bytes = b"plain text notes\n"):
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="question_key"\r\n\r\n'
                f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return client.generic(
            "POST",
            path,
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            headers={"Idempotency-Key": "upload-1"},
        )

    first = upload("aaaa1111")
    assert first.status_code == 201, first.content
    again = upload("bbbbbbbbbbbbbbbb2222")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert draft.attachments.count() == 1
    assert upload("cccc3333", b"other bytes\n").status_code == 422


# --- two at once --------------------------------------------------------------------------------


def _in_thread(call, results: list, index: int) -> threading.Thread:
    def run() -> None:
        try:
            results[index] = call()
        except BaseException as exc:  # reported by the test
            results[index] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _waiting_for_locks(count: int, timeout: float = 10.0) -> bool:
    """Whether ``count`` other sessions wait on a lock (the requests are where we want them)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction pg_stat_activity is a snapshot taken at its first read.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return True
            time.sleep(0.05)
    return False


@pytest.fixture
def concurrent(sent_tasks):
    """Threads see committed rows only (each has its own connection); no broker."""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_with_one_key_at_once_act_once_and_answer_alike(
    concurrent, researcher, restricted
):
    submitted = submitted_request(researcher, restricted)
    clients = [token_client(researcher), token_client(researcher)]
    results: list = [None, None]
    # Hold the request's row, which the comment service locks: the first POST claims its key
    # and then waits here, so the second arrives while the first is still running.
    with transaction.atomic():
        AccessRequest.objects.select_for_update().get(pk=submitted.pk)
        first = _in_thread(lambda: comment(clients[0], submitted.pk, "together"), results, 0)
        assert _waiting_for_locks(1)
        second = _in_thread(lambda: comment(clients[1], submitted.pk, "together"), results, 1)
        assert _waiting_for_locks(2)
    first.join(timeout=30)
    second.join(timeout=30)

    assert [r.status_code for r in results] == [201, 201], results
    assert results[0].content == results[1].content
    assert results[1]["Idempotent-Replayed"] == "true"
    assert comments_on(submitted) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_waiting_past_the_bound_is_409_with_retry_after(
    concurrent, researcher, restricted, settings
):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.5
    submitted = submitted_request(researcher, restricted)
    client = token_client(researcher)
    results: list = [None]
    with transaction.atomic():
        AccessRequest.objects.select_for_update().get(pk=submitted.pk)
        first = _in_thread(lambda: comment(client, submitted.pk, "slow"), results, 0)
        assert _waiting_for_locks(1), results
        busy = comment(token_client(researcher), submitted.pk, "slow")
    first.join(timeout=30)

    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "idempotency_key_in_use"
    assert int(busy["Retry-After"]) >= 1
    assert results[0].status_code == 201
    replayed = comment(client, submitted.pk, "slow")
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.content == results[0].content
    assert comments_on(submitted) == 1


# --- every POST of the API honours the header -----------------------------------------------

# Posting these keeps nothing, on purpose (their response is a secret).
# Their answers hold a secret (a token, a webhook's signing secret): never stored to replay.
EXEMPT = {
    "/api/v1/auth/token/",
    "/api/v1/webhooks/",
    "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay/",
    "/api/v1/webhooks/{id}/replay/",
    "/api/v1/webhooks/{id}/rotate-secret/",
    "/api/v1/webhooks/{id}/test/",
}


def _api_routes(patterns=None, prefix: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + _example(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            yield "/" + route, pattern.callback


def _example(pattern) -> str:
    """A concrete path for a route (``<str:id>``) or a regex (``(?P<id>[^/]+)``, ``(ttl|rdf)``)."""
    text = str(pattern)

    def group(match: re.Match) -> str:
        body = match.group(1)
        return body.split("|")[0] if re.fullmatch(r"[\w|]+", body) else str(uuid.uuid4())

    text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", group, text)
    text = re.sub(r"<int:\w+>", "0", text)
    text = re.sub(r"<(?:\w+:)?\w+>", str(uuid.uuid4()), text)
    return text.replace("^", "").replace("$", "").replace("\\", "")


@pytest.mark.django_db
def test_every_post_route_of_the_api_honours_the_idempotency_key(researcher):
    """Walks the URLconf: each route under /api/v1/ either refuses POST (405) or reads the key
    before its view runs (a malformed key is a 400 whatever the path's ids)."""
    client = token_client(researcher)
    routes = list(_api_routes())
    assert len(routes) > 15
    honouring, not_post = [], []
    for path, callback in routes:
        assert resolve(path).func is callback, path
        if path in EXEMPT or path.startswith("/api/v1/webhooks/"):  # concrete ids here
            continue
        response = client.post(path, {}, format="json", headers={"Idempotency-Key": "bad\x01"})
        if response.status_code == 405:
            not_post.append(path)
            continue
        assert response.status_code == 400, (path, response.status_code, response.content[:200])
        assert response.json()["error"]["code"] == "invalid_idempotency_key", path
        honouring.append(path)
    assert any(path.endswith("/comments/") for path in honouring)
    assert "/api/v1/licences/" in not_post
    assert len(honouring) >= 15, honouring


def test_the_schema_declares_the_key_on_every_post_but_sign_in():
    openapi = SchemaGenerator().get_schema(request=None, public=True)
    posts = {
        path: operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method == "post"
    }
    assert len(posts) >= 16
    for path, operation in posts.items():
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (path not in EXEMPT), path
        if path not in EXEMPT:
            assert "422" in operation["responses"] and "409" in operation["responses"]
            created = next(r for code, r in operation["responses"].items() if code < "300")
            assert "Idempotent-Replayed" in created["headers"]


@pytest.mark.django_db
def test_a_signed_in_browser_sending_the_csrf_header_gets_replays_too(researcher, submitted):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    secret = "a" * 32
    client.cookies["csrftoken"] = secret

    def post(headers):
        return client.post(
            f"{URL}{submitted.pk}/comments/", {"comment": "Hi"}, format="json", headers=headers
        )

    assert post({"Idempotency-Key": "browser"}).status_code == 403  # no CSRF token: refused
    first = post({"Idempotency-Key": "browser", "X-CSRFToken": secret})
    again = post({"Idempotency-Key": "browser", "X-CSRFToken": secret})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert comments_on(submitted) == 1


def test_beat_purges_expired_keys_with_a_registered_task(settings):
    from workers.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.purge_idempotency_records" in names
    assert names <= set(app.tasks), names - set(app.tasks)


@pytest.mark.django_db
def test_a_partner_clients_keys_are_the_clients_whichever_user_it_acts_as(
    researcher, steward, submitted
):
    """django-oauth-toolkit sets ``request.auth`` to the access token; its ``application_id``
    names the client, whose keys they are."""
    from types import SimpleNamespace

    def as_client(user, application_id: int) -> APIClient:
        client = APIClient()
        client.force_authenticate(user, token=SimpleNamespace(application_id=application_id))
        return client

    first = comment(as_client(researcher, 7), submitted.pk, "partner-key")
    same_client = comment(as_client(steward, 7), submitted.pk, "partner-key")
    other_client = comment(as_client(researcher, 8), submitted.pk, "partner-key")
    assert first.status_code == same_client.status_code == other_client.status_code == 201
    assert same_client["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in other_client
    assert set(IdempotencyRecord.objects.values_list("caller", flat=True)) == {
        "client:7",
        "client:8",
    }
    assert comments_on(submitted) == 2


@pytest.mark.django_db
def test_a_partner_retry_with_a_real_oauth_token_submits_once(restricted):
    """The research office's retry of a submission for a researcher, with a Bearer token from
    /o/token/: one request, the first answer replayed; the same key for another body is 422."""
    from tests.accounts.factories import partner_api, partner_client

    office = partner_client("TUM Research Office", scopes=("access:request",))
    api = partner_api(*office)
    body = {
        "dataset": str(restricted.pk),
        "purpose": PURPOSE,
        "accept_licence": True,
        "on_behalf_of": {"email": "ada@tum.example", "name": "Ada", "affiliation": "TU Munich"},
    }
    first = api.post(URL, body, format="json", headers={"Idempotency-Key": "tum-2026-0001"})
    retry = api.post(URL, body, format="json", headers={"Idempotency-Key": "tum-2026-0001"})
    assert first.status_code == retry.status_code == 201, first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert AccessRequest.objects.filter(dataset=restricted).count() == 1
    assert IdempotencyRecord.objects.get().caller == f"client:{office[0].application_id}"

    other = api.post(
        URL,
        {**body, "purpose": PURPOSE + " Second cohort."},
        format="json",
        headers={"Idempotency-Key": "tum-2026-0001"},
    )
    assert other.status_code == 422
    assert AccessRequest.objects.filter(dataset=restricted).count() == 1
