"""Celery tasks: thin adapters that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError
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


@shared_task(
    name="access.notify_event",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def notify_access_event(event_id: int) -> int:
    """E-mails for one audit event (decisions to the researcher, submissions to stewards)."""
    from access.services import notify_for_event

    return notify_for_event(event_id=event_id)


@shared_task(name="access.remind_reviews", ignore_result=True)
def remind_reviews() -> int:
    """Daily: stewards hear about requests close to or past their review deadline."""
    from access.services import review_reminders_send

    return review_reminders_send()


@shared_task(name="access.expire_requests", ignore_result=True)
def expire_requests() -> int:
    """Approved requests whose access period ended become expired."""
    from access.services import access_requests_expire_due

    return access_requests_expire_due()


@shared_task(
    name="access.provision_grant",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=10,
    soft_time_limit=50,
    time_limit=60,
)
def provision_grant(access_request_id: str) -> str | None:
    """Turn an approved request into its grant (idempotent: one grant per request)."""
    from access.services import grant_provision

    grant = grant_provision(access_request_id=access_request_id)
    return str(grant.pk) if grant else None


@shared_task(name="access.provision_missing_grants", ignore_result=True)
def provision_missing_grants() -> int:
    """Every minute: approved requests without a grant (broker down, worker killed) get one."""
    from access.services import grants_provision_missing

    return grants_provision_missing()


@shared_task(name="access.warn_expiring_grants", ignore_result=True)
def warn_expiring_grants() -> int:
    from access.services import grants_warn_expiring

    return grants_warn_expiring()
