"""The worker's own task: a heartbeat. Each app's tasks live in its ``tasks.py``."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "passerelle:worker-heartbeat"


@shared_task(name="workers.heartbeat", ignore_result=True, acks_late=False)
def heartbeat() -> str:
    """Run by beat every 30 s: proves that beat, the broker and a worker are all alive.

    /readyz reports the last beat so an operator sees a stalled worker.
    """
    now = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, now, timeout=None)
    return now
