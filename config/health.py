"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from workers.celery import app as celery_app
from workers.tasks import WORKER_HEARTBEAT_KEY

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a slow database does not restart it."""
    return JsonResponse({"status": "ok"})


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return _error(exc)
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Redis answers PING; the file-system broker checks its folders exist.
            conn.default_channel  # noqa: B018 - opening the channel is the check
    except Exception as exc:
        return _error(exc)
    return None


def _check_cache() -> str | None:
    """The cache fails open in normal use (throttles and heartbeat); here it must answer."""
    cache = caches["default"]
    key = f"passerelle:readyz:{uuid.uuid4().hex}"
    try:
        client = getattr(cache, "client", None)
        if client is not None and hasattr(client, "get_client"):
            client.get_client().ping()  # django-redis, past its IGNORE_EXCEPTIONS
        else:
            cache.set(key, "1", timeout=5)
            if cache.get(key) != "1":
                return "the cache did not return what was stored"
            cache.delete(key)
    except Exception as exc:
        return _error(exc)
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database, the broker and the cache answer. 503 otherwise, naming
    each dependency that failed; never a 500."""
    started = time.monotonic()
    checks = {"database": _check_database(), "broker": _check_broker(), "cache": _check_cache()}
    ready = all(error is None for error in checks.values())
    try:
        heartbeat = caches["default"].get(WORKER_HEARTBEAT_KEY) if checks["cache"] is None else None
    except Exception:  # the cache failed between the check and now
        heartbeat = None
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: ("ok" if err is None else err) for name, err in checks.items()},
        "worker_last_heartbeat": heartbeat,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    if not ready:
        failed = ", ".join(f"{name} ({err})" for name, err in checks.items() if err)
        logger.warning("not ready: %s", failed)
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response
