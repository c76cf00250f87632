"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from workers.celery import app as celery_app
from workers.tasks import WORKER_HEARTBEAT_KEY


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a slow database does not restart it."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            # Redis answers PING; the file-system broker checks its folders exist.
            conn.default_channel  # noqa: B018 - opening the channel is the check
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database and the broker answer. 503 otherwise, naming what failed."""
    started = time.monotonic()
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(error is None for error in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: ("ok" if err is None else err) for name, err in checks.items()},
        "worker_last_heartbeat": cache.get(WORKER_HEARTBEAT_KEY),
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if ready else 503)
