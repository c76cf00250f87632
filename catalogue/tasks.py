"""Celery tasks of the catalogue: thin adapters that take ids and call services.

Services enqueue these by name (``core.dispatch``). Both are idempotent: a fetch claims its row
before it starts, and does nothing for a row that is not pending or not yet due.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from catalogue import services

# The source's own failures (network, timeouts, 5xx) are retried by the service with its own
# backoff and attempt count; only the database's and the storage's are retried here.
_RETRYING = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    name="catalogue.fetch_distribution",
    soft_time_limit=settings.FETCH_DEADLINE_SECONDS + 60,
    time_limit=settings.FETCH_DEADLINE_SECONDS + 120,
    **_RETRYING,
)
def fetch_distribution(distribution_id: str) -> str | None:
    """Fetch, verify and store one file given by URL."""
    return services.distribution_fetch(distribution_id=distribution_id)


@shared_task(name="catalogue.fetch_due_files", **_RETRYING)
def fetch_due_files() -> int:
    """Every minute: pending fetches that no worker took (broker down, worker died) go again."""
    return services.distributions_fetch_due()


@shared_task(name="catalogue.compact_facet_totals", ignore_result=True)
def compact_facet_totals() -> int:
    """Every minute: the landing page's facet totals folded to one row per value."""
    return services.facet_totals_compact()


@shared_task(name="catalogue.verify_facet_totals", ignore_result=True)
def verify_facet_totals() -> int:
    """Daily: the facet totals against a recount of the datasets, recounted if they differ."""
    return len(services.facet_totals_verify(repair=True))
