"""Idempotency-Key on every POST of the API (draft-ietf-httpapi-idempotency-key-header).

A caller that sends ``Idempotency-Key: <key>`` with a POST under /api/v1/ may send the same
request again, as often as it likes, for ``IDEMPOTENCY_KEY_TTL`` (24 hours by default): the first
response (status, body, Content-Type, Location, ETag...) is replayed, marked
``Idempotent-Replayed: true``, and nothing is done twice. Keys belong to a caller (an OAuth2
client, or a user): one caller never replays another's response.

How it holds under concurrency: the key is claimed by inserting its row, in one transaction with
everything the view then does, and with the response it gave. A second request with the same
key, arriving while the first runs, waits on the row (PostgreSQL makes an insert of the same
unique key wait for the first transaction), at most ``IDEMPOTENCY_WAIT_SECONDS``: if the first
commits, the second replays its response; if the first rolled back (a 5xx, a crash, a lost
connection) the second runs; if the first still runs, the second gets a 409 with Retry-After.
Because the action and its record commit together, there is no window in which one exists
without the other. The services' own transactions become savepoints inside it, and what they
send to Celery leaves after the commit, as before.

What is stored: every 2xx, 3xx and 4xx except 429 (a 422 for bad input is replayed, as Stripe
does: the same request gets the same answer; fix the request and use a new key). Not stored: 5xx
(the transaction is rolled back, so the client may simply retry) and 429 (retry later).

The caller is known only once DRF has authenticated, inside the view; so this middleware, last
in MIDDLEWARE, authenticates with the view's own authenticators first (only for a POST that
carries the header), and runs the view itself inside the transaction. Requests without a key,
anonymous requests and views marked ``idempotency_exempt`` (the sign-in token endpoint, whose
response is a secret) pass straight through.

The request is compared by a hash of its method, path with query, media type and body. The body
is hashed as the view reads it, never held in memory twice; a multipart body is hashed with its
boundary replaced, since a client library draws a new boundary for every attempt.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions
from rest_framework.request import Request

from core.errors import error_body
from core.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_PREFIX = "/api/v1/"
MAX_KEY_LENGTH = 255
# The first response's fields that describe it; the rest (X-Request-ID, RateLimit...) are the
# retry's own.
REPLAYED_HEADERS = (
    "Content-Type",
    "Location",
    "ETag",
    "Last-Modified",
    "Content-Language",
    "Content-Disposition",
    "Cache-Control",
    "Allow",
    "Vary",
)
# An error answered before the view read a large body is not stored: hashing it would mean
# reading all of it. Nothing was done, so running the retry again is harmless.
DRAIN_LIMIT = 1024 * 1024
_LOCK_NOT_AVAILABLE = "55P03"


class InvalidKeyError(ValueError):
    pass


def parse_key(raw: str) -> str:
    """The key from the header: a Structured Field string (quoted, as the draft writes it) or
    the bare token most clients send. Printable ASCII only, 1 to 255 characters."""
    value = raw
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner, out, escaped = value[1:-1], [], False
        for char in inner:
            if escaped:
                if char not in '"\\':
                    raise InvalidKeyError('Only \\" and \\\\ may be escaped in a quoted key.')
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                raise InvalidKeyError("A quoted key has an unescaped quote inside.")
            else:
                out.append(char)
        if escaped:
            raise InvalidKeyError("A quoted key ends with a lone backslash.")
        value = "".join(out)
    if not value:
        raise InvalidKeyError("The key is empty.")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"The key is longer than {MAX_KEY_LENGTH} characters.")
    if not all(" " <= char <= "~" for char in value):
        raise InvalidKeyError(
            "The key may hold printable ASCII characters only (no control characters)."
        )
    return value


def honours_key(view_class: type | None, method: str, path: str) -> bool:
    """Whether a request to this DRF view takes an Idempotency-Key (and the schema says so)."""
    return (
        method.upper() == "POST"
        and path.startswith(API_PREFIX)
        and view_class is not None
        and not getattr(view_class, "idempotency_exempt", False)
    )


def _takes_post(view_func: Callable) -> bool:
    actions = getattr(view_func, "actions", None)  # a viewset's routes map methods to actions
    if actions is not None:
        return "post" in actions
    return hasattr(view_func.cls, "post")


def caller_key(request: Request) -> str | None:
    """``client:<application id>`` for a partner's OAuth2 token, ``user:<pk>`` for anyone else
    signed in; None for anonymous callers, whose key the middleware ignores (an address is no
    identity: two people behind one NAT must never see each other's responses)."""
    application_id = getattr(request.auth, "application_id", None)
    if application_id is not None:
        return f"client:{application_id}"
    if request.user is not None and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return None


# --- the request's fingerprint -------------------------------------------------------------


class _Digest:
    """sha256 of method, path, media type and body; a multipart boundary is replaced by a
    constant as the bytes stream through (an occurrence split across reads is kept back)."""

    def __init__(self, request: HttpRequest) -> None:
        media_type = request.content_type or ""
        self._hash = hashlib.sha256()
        for part in (request.method or "", request.get_full_path(), request.content_type or ""):
            self._hash.update(part.encode("utf-8", "surrogateescape") + b"\n")
        boundary = request.content_params.get("boundary") if media_type else None
        self._token = f"--{boundary}".encode("latin-1", "replace") if boundary else b""
        self._carry = b""

    def update(self, data: bytes) -> None:
        if not self._token:
            self._hash.update(data)
            return
        buffer, start, token = self._carry + data, 0, self._token
        while (found := buffer.find(token, start)) != -1:
            self._hash.update(buffer[start:found] + b"--BOUNDARY")
            start = found + len(token)
        keep = max(start, len(buffer) - len(token) + 1)
        self._hash.update(buffer[start:keep])
        self._carry = buffer[keep:]

    def hexdigest(self) -> str:
        self._hash.update(self._carry)
        self._carry = b""
        return self._hash.hexdigest()


class _HashingStream:
    """Stands in for the request's input stream: whatever the view reads is hashed."""

    def __init__(self, stream: Any, digest: _Digest, length: int) -> None:
        self._stream = stream
        self._digest = digest
        self.remaining = length

    def _seen(self, data: bytes) -> bytes:
        self.remaining -= len(data)
        self._digest.update(data)
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        return self._seen(self._stream.read(size))

    def readline(self, size: int | None = -1, /) -> bytes:
        return self._seen(self._stream.readline(size))

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        return None  # request.body closes its stream; the rest is still to be hashed

    def drain(self, limit: int | None = None) -> bool:
        """Hash what the view left unread; False if more than ``limit`` bytes remain."""
        if limit is not None and self.remaining > limit:
            return False
        while self._seen(self._stream.read(64 * 1024)):
            pass
        return True


def _hash_body(request: HttpRequest) -> tuple[_Digest, _HashingStream | None]:
    digest = _Digest(request)
    if hasattr(request, "_body"):  # already read (by a middleware): hash it as it is
        digest.update(request._body)
        return digest, None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = _HashingStream(request._stream, digest, length)
    request._stream = stream
    return digest, stream


# --- the store --------------------------------------------------------------------------------


class _StillRunning(Exception):
    pass


def _claim(*, caller: str, key: str, now: datetime) -> IdempotencyRecord | None:
    """Insert the key's row; None if this request now owns it, else the committed row of an
    earlier request. Inside the caller's transaction; waits for a concurrent owner at most
    IDEMPOTENCY_WAIT_SECONDS (PostgreSQL's lock_timeout), then raises _StillRunning."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        wait_ms = max(1, int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000))
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{wait_ms}ms"])
    try:
        with transaction.atomic():
            # A key past its time is forgotten, and may be used again.
            IdempotencyRecord.objects.filter(
                caller=caller, key=key, created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL
            ).delete()
            IdempotencyRecord.objects.create(
                caller=caller, key=key, fingerprint="", status_code=0, created_at=now
            )
        return None
    except IntegrityError:
        return IdempotencyRecord.objects.get(caller=caller, key=key)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise _StillRunning from exc
        raise
    finally:
        if postgres and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")


def purge_expired_records(*, now: datetime | None = None) -> int:
    """Delete the records older than IDEMPOTENCY_KEY_TTL (run hourly by beat); the number."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _stored(response: HttpResponse) -> bool:
    return response.status_code < 500 and response.status_code != 429


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code)
    del response["Content-Type"]
    for name, value in record.headers:
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


# --- the middleware ---------------------------------------------------------------------------


class IdempotencyMiddleware:
    """Last in MIDDLEWARE: it calls the view itself, inside the key's transaction."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        if HEADER not in request.headers:
            return None
        view_class = getattr(view_func, "cls", None)
        if not honours_key(view_class, request.method or "", request.path):
            return None
        if not _takes_post(view_func):
            return None  # the view answers 405
        view, drf_request = self._authenticated(request, view_func, view_args, view_kwargs)
        caller = caller_key(drf_request) if drf_request is not None else None
        if caller is None:
            return None  # the view answers (401, or whatever it gives anonymous callers)
        try:
            key = parse_key(request.headers[HEADER])
        except InvalidKeyError as exc:
            return _error(400, "invalid_idempotency_key", f"Invalid Idempotency-Key: {exc}")
        return self._run(request, view_func, view_args, view_kwargs, view, drf_request, caller, key)

    def _authenticated(self, request, view_func, view_args, view_kwargs):
        """The view's own authenticators, run once ahead of it; (view, None) when they refuse
        the credentials (the view then refuses them again, in its own words)."""
        view = view_func.cls(**getattr(view_func, "initkwargs", {}))
        view.args, view.kwargs = view_args, view_kwargs
        view.headers = {}
        view.action_map = getattr(view_func, "actions", None) or {}
        view.action = view.action_map.get("post")
        had_user, user = hasattr(request, "user"), getattr(request, "user", None)
        drf_request = Request(request, authenticators=view.get_authenticators())
        # Never parsed here (the view reads the body): session authentication's CSRF check
        # then finds an empty form and reads the token from the X-CSRFToken header.
        drf_request._data = drf_request._full_data = QueryDict("")
        drf_request._files = MultiValueDict()
        view.request = drf_request
        try:
            drf_request.user  # noqa: B018 - authenticates
        except exceptions.APIException:
            return view, None
        finally:
            # DRF writes the user on the Django request; the view authenticates for itself.
            if had_user:
                request.user = user
            elif hasattr(request, "user"):
                del request.user
        return view, drf_request

    def _throttled(self, view, drf_request: Request) -> JsonResponse | None:
        """A request answered here (replay, 409, 422) still counts against the caller's rate
        limit, as the view would have counted it."""
        waits = [t.wait() for t in view.get_throttles() if not t.allow_request(drf_request, view)]
        if not waits:
            return None
        wait = max(int(w or 1) for w in waits)
        response = JsonResponse(
            error_body(
                "throttled",
                f"Request was throttled. Expected available in {wait} seconds.",
                retry_after_seconds=wait,
            ),
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response

    def _run(self, request, view_func, view_args, view_kwargs, view, drf_request, caller, key):
        digest, stream = _hash_body(request)
        now = timezone.now()
        with transaction.atomic():
            try:
                earlier = _claim(caller=caller, key=key, now=now)
            except _StillRunning:
                if throttled := self._throttled(view, drf_request):
                    return throttled
                busy = _error(
                    409,
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still being processed; retry "
                    "the same request after Retry-After seconds to get its response.",
                )
                busy["Retry-After"] = str(max(1, round(settings.IDEMPOTENCY_WAIT_SECONDS)))
                return busy
            if earlier is not None:
                if throttled := self._throttled(view, drf_request):
                    return throttled
                if stream is not None:
                    stream.drain()
                if digest.hexdigest() != earlier.fingerprint:
                    return _error(
                        422,
                        "idempotency_key_reused",
                        "This Idempotency-Key was already used with a different request "
                        "(method, path or body); use a new key for a new request.",
                    )
                return _replay(earlier)

            response = view_func(request, *view_args, **view_kwargs)
            if callable(getattr(response, "render", None)):
                response.render()
            if not _stored(response):
                # Not replayed: the client retries. A 5xx leaves nothing half-written.
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                else:
                    IdempotencyRecord.objects.filter(caller=caller, key=key).delete()
                return response
            body_read = stream is None or stream.drain(
                None if response.status_code < 400 else DRAIN_LIMIT
            )
            if response.streaming or not body_read:
                IdempotencyRecord.objects.filter(caller=caller, key=key).delete()
                return response
            IdempotencyRecord.objects.filter(caller=caller, key=key).update(
                fingerprint=digest.hexdigest(),
                status_code=response.status_code,
                headers=[[name, response[name]] for name in REPLAYED_HEADERS if name in response],
                body=response.content,
            )
        return response
