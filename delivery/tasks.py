"""Celery tasks of the delivery app: thin adapters that take ids and call services.

Services enqueue these by name (``core.dispatch``). Both are idempotent: the fan-out moves a
cursor under a row lock, and a sender does nothing when another holds the endpoint's lease.
"""

from __future__ import annotations

from celery import shared_task

from core.dispatch import TRANSIENT_ERRORS
from delivery.services import webhooks

RETRYING = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(name="delivery.dispatch_webhooks", time_limit=120, soft_time_limit=100, **RETRYING)
def dispatch_webhooks() -> int:
    """Every few seconds (beat), and after commits that wrote source events: new events become
    messages, and each endpoint with a message due gets a sender."""
    return webhooks.webhooks_dispatch()


@shared_task(name="delivery.send_webhooks", time_limit=180, soft_time_limit=150, **RETRYING)
def send_webhooks(endpoint_id: str) -> int:
    """Send one endpoint's due messages in order (one sender per endpoint at a time)."""
    return webhooks.webhook_endpoint_deliver(endpoint_id=endpoint_id)


@shared_task(name="delivery.purge_webhook_deliveries", **RETRYING)
def purge_webhook_deliveries() -> int:
    """Hourly: the delivery log keeps WEBHOOK_LOG_RETENTION_DAYS of finished messages."""
    return webhooks.webhook_deliveries_purge()
