"""Reads about harvest sources and where datasets came from."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, Max, OuterRef

from interop.models import HarvestedDataset, HarvestRun, HarvestRunStatus, HarvestSource


def harvest_sources_due(*, now: datetime) -> list[HarvestSource]:
    """Active sources not running now whose last run began at least their interval ago."""
    running = HarvestRun.objects.filter(source=OuterRef("pk"), status=HarvestRunStatus.RUNNING)
    sources = (
        HarvestSource.objects.filter(active=True)
        .annotate(running=Exists(running), last_started=Max("runs__started"))
        .filter(running=False)
    )
    return [
        source
        for source in sources
        if source.last_started is None
        or source.last_started <= now - timedelta(hours=source.interval_hours)
    ]


def harvest_source_find(reference: str) -> HarvestSource:
    """A source by its id or its name (what `manage.py harvest` is given)."""
    if reference.isascii() and reference.isdigit():
        found = HarvestSource.objects.filter(pk=int(reference)).first()
        if found is not None:
            return found
    return HarvestSource.objects.get(name=reference)


def dataset_provenance(*, dataset_id: object) -> list[HarvestedDataset]:
    """Where a dataset came from: its sources, its identifier there, when last seen."""
    return list(
        HarvestedDataset.objects.filter(dataset_id=dataset_id).select_related("source", "last_run")
    )
