"""Harvest runs: read a whole source, then apply it record by record.

Nothing half-imported: every page is fetched and parsed before anything is written, so a source
that fails mid-way (garbage, HTML, a body past the size limit, a paging loop, the deadline)
fails the run with a clear error and leaves the catalogue as it was. Then each record is one
upsert in its own transaction: a malformed record is reported and skipped, never aborting the
run. Datasets seen before from this source and absent now are withdrawn (not deleted: their
requests and grants stay), and only after such a complete read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from catalogue import services as catalogue_services
from core.dispatch import enqueue_after_commit
from core.errors import ApplicationError, ConflictError
from interop.models import (
    HarvestedDataset,
    HarvestKind,
    HarvestRun,
    HarvestRunStatus,
    HarvestSource,
)

from . import ckan, dcat
from .fetch import Fetcher, HarvestError
from .records import RecordError, RemoteRecord
from .resolve import CatalogueIndex, resolve
from .selectors import harvest_sources_due

logger = logging.getLogger(__name__)

Progress = Callable[[Iterable[Any], int], Iterable[Any]]
MAX_RECORD_ERRORS = 1000  # kept on the run; the count goes on past it


class HarvestAlreadyRunningError(ConflictError):
    pass


def _deadline_seconds(source: HarvestSource) -> int:
    return source.deadline_seconds or settings.HARVEST_RUN_DEADLINE_SECONDS


def harvest_run_start(*, source: HarvestSource) -> HarvestRun:
    """A new running run, unless one is running already (a database constraint holds this).
    A run still 'running' well past its deadline was interrupted (the worker died): it is
    closed as failed first, so the source is not stuck."""
    stale_before = timezone.now() - timedelta(seconds=_deadline_seconds(source) + 600)
    HarvestRun.objects.filter(
        source=source, status=HarvestRunStatus.RUNNING, started__lt=stale_before
    ).update(
        status=HarvestRunStatus.FAILED,
        finished=timezone.now(),
        error="Interrupted: the run did not finish (its worker stopped).",
    )
    try:
        with transaction.atomic():
            return HarvestRun.objects.create(source=source)
    except IntegrityError:
        raise HarvestAlreadyRunningError(
            f"The source '{source.name}' is being harvested already."
        ) from None


def read_source(source: HarvestSource, fetcher: Fetcher) -> Iterator[RemoteRecord | RecordError]:
    if source.kind == HarvestKind.CKAN:
        return ckan.read_site(source.url, fetcher)
    return dcat.read_catalogue(source.url, fetcher)


def _fetch_all(
    source: HarvestSource, fetcher: Fetcher
) -> tuple[dict[str, RemoteRecord], list[RecordError]]:
    """Every record of the source, by identifier (a record met twice, on two pages: the later
    one), and the records that could not be read."""
    records: dict[str, RemoteRecord] = {}
    errors: list[RecordError] = []
    for item in read_source(source, fetcher):
        if isinstance(item, RecordError):
            errors.append(item)
        else:
            records.pop(item.identifier, None)
            records[item.identifier] = item
    return records, errors


def harvest_source_run(
    *, source_id: int, progress: Progress | None = None, run: HarvestRun | None = None
) -> HarvestRun:
    """Harvest one source now; the run records what happened, whatever happened."""
    source = HarvestSource.objects.select_related("publisher", "data_space", "default_licence").get(
        pk=source_id
    )
    run = run or harvest_run_start(source=source)
    fetcher = Fetcher.for_source(
        max_pages=source.max_pages, deadline_seconds=source.deadline_seconds
    )
    try:
        records, read_errors = _fetch_all(source, fetcher)
    except HarvestError as exc:
        return _finish(run, pages=fetcher.pages, error=str(exc))
    except Exception as exc:  # a bug or an unforeseen input: still a recorded, failed run
        logger.exception("harvest of source %s failed unexpectedly", source.pk)
        return _finish(run, pages=fetcher.pages, error=f"Unexpected error: {type(exc).__name__}")
    finally:
        fetcher.session.close()
    try:
        _apply(run, source, records, read_errors, progress)
    except Exception as exc:
        logger.exception("applying the harvest of source %s failed", source.pk)
        return _finish(run, pages=fetcher.pages, error=f"Stopped while applying: {exc}")
    return _finish(run, pages=fetcher.pages, error="")


def _record_error(run: HarvestRun, identifier: str, message: str) -> None:
    if len(run.record_errors) < MAX_RECORD_ERRORS:
        run.record_errors.append({"identifier": identifier[:255], "message": message[:1000]})


def _apply(
    run: HarvestRun,
    source: HarvestSource,
    records: dict[str, RemoteRecord],
    read_errors: list[RecordError],
    progress: Progress | None,
) -> None:
    detail = {"harvest_source": source.pk, "harvest_run": run.pk}
    index = CatalogueIndex.load()
    # Records that are in the source but could not be read are not "vanished".
    present = set(records) | {e.identifier for e in read_errors}
    for error in read_errors:
        run.failed_count += 1
        _record_error(run, error.identifier, error.message)
    known = dict(
        HarvestedDataset.objects.filter(source=source).values_list(
            "remote_identifier", "dataset_id"
        )
    )
    items: Iterable[RemoteRecord] = records.values()
    if progress is not None:
        items = progress(items, len(records))
    now = timezone.now()
    seen_known: list[str] = []
    for record in items:
        try:
            resolved = resolve(record, source=source, index=index)
            result = catalogue_services.dataset_upsert(
                user=None,
                identifier=record.identifier,
                data=resolved.data,
                distributions=resolved.distributions,
                event_detail=detail,
                act_as_steward=False,
            )
        except RecordError as exc:
            run.failed_count += 1
            _record_error(run, exc.identifier, exc.message)
            continue
        except ApplicationError as exc:
            run.failed_count += 1
            fields = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
            _record_error(run, record.identifier, f"{exc.message} {fields}".strip())
            continue
        except DatabaseError as exc:  # a value the database refuses (the upsert rolled back)
            run.failed_count += 1
            _record_error(run, record.identifier, f"Refused by the database: {exc}".strip())
            continue
        for note in resolved.notes:
            _record_error(run, record.identifier, f"Imported; {note}.")
        outcome = result.outcome
        if outcome == catalogue_services.UpsertOutcome.CREATED:
            run.created_count += 1
        elif outcome == catalogue_services.UpsertOutcome.UPDATED:
            run.updated_count += 1
        else:
            run.unchanged_count += 1
        if known.get(record.identifier) == result.dataset.pk:
            seen_known.append(record.identifier)
        else:
            HarvestedDataset.objects.update_or_create(
                source=source,
                remote_identifier=record.identifier,
                defaults={"dataset": result.dataset, "last_seen": now, "last_run": run},
                create_defaults={
                    "dataset": result.dataset,
                    "first_seen": now,
                    "last_seen": now,
                    "last_run": run,
                },
            )
    for start in range(0, len(seen_known), 1000):
        HarvestedDataset.objects.filter(
            source=source, remote_identifier__in=seen_known[start : start + 1000]
        ).update(last_seen=now, last_run=run)
    _withdraw_vanished(run, source, present, detail)


def _withdraw_vanished(
    run: HarvestRun, source: HarvestSource, present: set[str], detail: dict[str, Any]
) -> None:
    vanished = (
        HarvestedDataset.objects.filter(source=source, dataset__withdrawn_at__isnull=True)
        .exclude(remote_identifier__in=present)
        .select_related("dataset")
    )
    for record in vanished.iterator():
        catalogue_services.dataset_withdraw(
            user=None,
            dataset=record.dataset,
            reason=f"No longer in the harvest source '{source.name}'.",
            act_as_steward=False,
            event_detail=detail,
        )
        run.removed_count += 1


def _finish(run: HarvestRun, *, pages: int, error: str) -> HarvestRun:
    run.pages = pages
    run.error = error
    run.status = HarvestRunStatus.FAILED if error else HarvestRunStatus.SUCCEEDED
    run.finished = timezone.now()
    run.save()
    if error:
        logger.warning("harvest run %s of source %s failed: %s", run.pk, run.source_id, error)
    return run


def harvest_source_enqueue(*, source: HarvestSource) -> None:
    """Harvest this source soon, in a worker (the admin's "Harvest now")."""
    enqueue_after_commit("interop.harvest_source", source.pk)


def harvest_sources_enqueue_due() -> int:
    """Enqueue every active source whose interval has passed since its last run began and that
    is not running; answers how many were enqueued. The run's own constraint stops a source
    enqueued twice from running twice."""
    count = 0
    for source in harvest_sources_due(now=timezone.now()):
        harvest_source_enqueue(source=source)
        count += 1
    return count
