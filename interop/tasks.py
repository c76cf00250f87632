"""Celery tasks of interop: thin adapters that take ids and call the harvest services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from interop.harvest import services

# A harvest that is lost (worker stopped) is not retried here: its run is closed as interrupted
# and the periodic task starts the source again when it is next due.
_DEADLINE = settings.HARVEST_RUN_DEADLINE_SECONDS


@shared_task(
    name="interop.harvest_source",
    ignore_result=True,
    soft_time_limit=_DEADLINE + 300,
    time_limit=_DEADLINE + 600,
)
def harvest_source(source_id: int) -> int | None:
    """Harvest one source; None when it is being harvested already."""
    from interop.models import HarvestSource

    source = HarvestSource.objects.filter(pk=source_id).first()
    if source is None:
        return None
    try:
        run = services.harvest_run_start(source=source)
    except services.HarvestAlreadyRunningError:
        return None
    return services.harvest_source_run(source_id=source_id, run=run).pk


@shared_task(name="interop.harvest_due_sources", ignore_result=True)
def harvest_due_sources() -> int:
    """Every few minutes: enqueue the active sources whose interval has passed."""
    return services.harvest_sources_enqueue_due()
