"""Core's periodic work: thin adapters that call core's functions."""

from __future__ import annotations

from celery import shared_task

from core.api.idempotency import purge_expired_records


@shared_task(name="core.purge_idempotency_records", acks_late=True, time_limit=300)
def purge_idempotency_records() -> int:
    """Forget Idempotency-Key responses older than IDEMPOTENCY_KEY_TTL (hourly, from beat)."""
    return purge_expired_records()
