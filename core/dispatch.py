"""Enqueue Celery tasks by name once the current transaction commits.

Services never import task modules (tasks import services, so the other way would run in a
circle): they name the task. The message leaves only after commit, so a worker never reads a row
that is not there yet, and a rolled-back change sends nothing. If the broker is down at that
moment the change still stands (no 500): every kind of work sent this way also has a periodic
sweep that finds what was committed but not done.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

# What a task retries on: the database connection dropped or timed out, or the network failed
# (SMTP, a broker, a partner's server). Anything else is a bug, and retrying would hide it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, OSError)


def send_now(task_name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send ``task_name`` now (to run ``countdown`` seconds later, if given: keep it below the
    broker's visibility timeout); False (logged) if the broker cannot take it."""
    options = {"countdown": countdown} if countdown is not None else {}
    try:
        current_app.send_task(task_name, args=list(args), **options)
    except Exception as exc:  # kombu and redis-py raise many kinds of connection errors
        logger.warning(
            "could not enqueue %s%s (%s: %s); the periodic sweep will do it",
            task_name,
            tuple(args),
            type(exc).__name__,
            exc,
        )
        return False
    return True


def enqueue_after_commit(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send ``task_name`` with ``args`` (ids, never model instances) after the commit."""
    transaction.on_commit(lambda: send_now(task_name, *args, countdown=countdown))
