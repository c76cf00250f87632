"""Celery tasks of the access app: thin adapters that take ids and call services.

Services enqueue these by name (``core.dispatch``), so no service imports this module. Every task
is idempotent and retries, with backoff, when the database connection or the network fails.
"""

from __future__ import annotations

from celery import shared_task

from access import services
from core.dispatch import TRANSIENT_ERRORS

RETRYING = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(name="access.send_notification", **RETRYING)
def send_notification(notification_id: int) -> bool:
    """Send one e-mail of the outbox, after the commit that wrote it."""
    return services.notification_send(notification_id=notification_id)


@shared_task(name="access.send_notifications", **RETRYING)
def send_notifications(notification_ids: list[int]) -> int:
    """Send the e-mails written together by one batch (one connection to the mail server)."""
    return services.notifications_send(notification_ids=notification_ids)


@shared_task(name="access.send_due_notifications", **RETRYING)
def send_due_notifications() -> int:
    """Every minute: e-mails still pending (broker down, worker died, SMTP refused) go now."""
    return services.notifications_send_due()


@shared_task(name="access.notify_event", **RETRYING)
def notify_access_event(event_id: int) -> int:
    """Tasks queued by versions before the outbox: write the event's e-mails into it."""
    return services.notifications_write_for_event(event_id=event_id)


@shared_task(name="access.remind_reviews", **RETRYING)
def remind_reviews() -> int:
    """Daily: stewards hear about requests close to or past their review deadline."""
    return services.review_reminders_send()


@shared_task(name="access.expire_requests", **RETRYING)
def expire_requests() -> int:
    """Approved requests whose access period ended become expired."""
    return services.access_requests_expire_due()


@shared_task(name="access.provision_grant", soft_time_limit=50, time_limit=60, **RETRYING)
def provision_grant(access_request_id: str) -> str | None:
    """Turn an approved request into its grant (idempotent: one grant per request), with the
    grants of other approvals still waiting in the same transaction."""
    grant = services.grant_provision(
        access_request_id=access_request_id, also_waiting=services.PROVISION_BATCH_SIZE - 1
    )
    return str(grant.pk) if grant else None


@shared_task(name="access.provision_missing_grants", **RETRYING)
def provision_missing_grants() -> int:
    """Every minute: approved requests without a grant (broker down, worker killed) get one."""
    return services.grants_provision_missing()


@shared_task(name="access.warn_expiring_grants", **RETRYING)
def warn_expiring_grants() -> int:
    return services.grants_warn_expiring()
