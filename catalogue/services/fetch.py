"""Files given by URL: a worker fetches them, bounded in size and time, verifies the declared
checksum, and only then stores them (replacing earlier bytes, if any).

A fetch claims its row by moving ``fetch_next_at`` forward (a lease), so two workers (a retry and
the sweep) do not fetch the same file at once; a sync that changes the declaration meanwhile
wins, and the fetch that finishes for the old declaration keeps nothing.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalogue.models import (
    DatasetEventAction,
    Distribution,
    FetchStatus,
    distribution_storage,
    distribution_upload_path,
)
from core.dispatch import enqueue_after_commit, send_now
from core.outbound import FetchError, FetchLimits, fetch_stream

from .distributions import _safe_filename, delete_stored_files
from .events import dataset_event_record

logger = logging.getLogger(__name__)

FETCH_TASK = "catalogue.fetch_distribution"
# A clock a little ahead on the worker must not make a fetch look early.
_CLOCK_SLACK = timedelta(seconds=5)


def fetch_limits(*, declared_size: int | None) -> FetchLimits:
    ceiling = settings.MAX_DISTRIBUTION_UPLOAD_BYTES
    return FetchLimits(
        max_bytes=min(declared_size, ceiling) if declared_size is not None else ceiling,
        connect_timeout=settings.FETCH_CONNECT_TIMEOUT,
        read_timeout=settings.FETCH_READ_TIMEOUT,
        deadline_seconds=settings.FETCH_DEADLINE_SECONDS,
        max_redirects=settings.FETCH_MAX_REDIRECTS,
    )


def _retry_delay(attempts: int) -> float:
    """Exponential backoff: base, 2x base, 4x base..., never past half the broker's visibility
    timeout (a countdown longer than that would be delivered twice)."""
    return min(settings.FETCH_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 1800.0)


def _claim(distribution_id: str) -> Distribution | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.FETCH_DEADLINE_SECONDS + 120)
    claimed = (
        Distribution.objects.filter(pk=distribution_id, fetch_status=FetchStatus.PENDING)
        .filter(Q(fetch_next_at__isnull=True) | Q(fetch_next_at__lte=now + _CLOCK_SLACK))
        .update(fetch_next_at=lease)
    )
    if not claimed:
        return None
    return Distribution.objects.select_related("dataset").get(pk=distribution_id)


def distribution_fetch(*, distribution_id: str) -> str | None:
    """Fetch, verify and store one pending file. Returns the resulting status, or None when
    there was nothing to do (not pending, not yet due, or another worker holds it)."""
    distribution = _claim(distribution_id)
    if distribution is None:
        return None
    url = distribution.source_url
    expected = distribution.source_sha256
    limits = fetch_limits(declared_size=distribution.source_byte_size)
    try:
        with tempfile.TemporaryFile(dir=settings.FETCH_TEMP_DIR) as spool:
            digest = hashlib.sha256()
            size = 0
            with fetch_stream(url, limits=limits) as chunks:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    spool.write(chunk)
            declared = distribution.source_byte_size
            if declared is not None and size != declared:
                raise FetchError(
                    f"The server sent {size:,} bytes; {declared:,} were declared. "
                    "Nothing was kept.",
                    transient=False,
                )
            if size == 0:
                raise FetchError("The server sent an empty file.", transient=False)
            received = digest.hexdigest()
            if received != expected:
                raise FetchError(
                    f"The file does not match the declared checksum (declared sha256:{expected}, "
                    f"received sha256:{received}). Nothing was kept.",
                    transient=False,
                )
            spool.seek(0)
            name = _filename(url)
            stored = distribution_storage().save(
                distribution_upload_path(distribution, name), File(spool, name=name)
            )
    except FetchError as exc:
        return _record_failure(distribution_id, expected, exc)
    except Exception:
        # Not the source's fault (storage, database): free the lease so a retry can run now.
        Distribution.objects.filter(pk=distribution_id).update(fetch_next_at=timezone.now())
        raise
    try:
        return _record_success(distribution_id, expected, stored, size)
    except Exception:
        delete_stored_files([stored])
        raise


def _filename(url: str) -> str:
    return _safe_filename(unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "file")


def _still_waiting(distribution_id: str, expected: str) -> Distribution | None:
    """The distribution, locked, if it still waits for these bytes: not removed, and not
    declared anew while they were fetched (then the newer declaration decides)."""
    distribution = (
        Distribution.objects.select_for_update(of=("self",))
        .select_related("dataset")
        .filter(pk=distribution_id)
        .first()
    )
    if (
        distribution is None
        or distribution.fetch_status != FetchStatus.PENDING
        or distribution.source_sha256 != expected
    ):
        return None
    return distribution


@transaction.atomic
def _record_success(distribution_id: str, expected: str, stored: str, size: int) -> str | None:
    distribution = _still_waiting(distribution_id, expected)
    if distribution is None:
        # Removed, or declared anew while we fetched: the newer declaration decides.
        transaction.on_commit(lambda: delete_stored_files([stored]))
        return None
    previous = distribution.file.name if distribution.file else ""
    distribution.file.name = stored
    distribution.sha256 = expected
    distribution.byte_size = size
    distribution.fetch_status = FetchStatus.READY
    distribution.fetch_error = ""
    distribution.fetch_attempts += 1
    distribution.fetch_next_at = None
    distribution.fetched_at = timezone.now()
    distribution.save(
        update_fields=[
            "file", "sha256", "byte_size", "fetch_status", "fetch_error", "fetch_attempts",
            "fetch_next_at", "fetched_at",
        ]
    )  # fmt: skip
    dataset_event_record(
        dataset=distribution.dataset,
        action=DatasetEventAction.FILE_FETCHED,
        actor=None,
        changed_fields=["distributions"],
        detail={
            "distribution": str(distribution.pk),
            "identifier": distribution.identifier,
            "checksum": f"sha256:{expected}",
            "byte_size": size,
        },
    )
    if previous and previous != stored:
        # The old bytes go only once the new ones are committed in their place.
        transaction.on_commit(lambda: delete_stored_files([previous]))
    return FetchStatus.READY


@transaction.atomic
def _record_failure(distribution_id: str, expected: str, error: FetchError) -> str | None:
    distribution = _still_waiting(distribution_id, expected)
    if distribution is None:
        return None
    distribution.fetch_attempts += 1
    distribution.fetch_error = error.message[:500]
    retry = error.transient and distribution.fetch_attempts < settings.FETCH_MAX_ATTEMPTS
    if retry:
        delay = _retry_delay(distribution.fetch_attempts)
        distribution.fetch_next_at = timezone.now() + timedelta(seconds=delay)
        enqueue_after_commit(FETCH_TASK, str(distribution.pk), countdown=delay)
    else:
        distribution.fetch_status = FetchStatus.FAILED
        distribution.fetch_next_at = None
    distribution.save(
        update_fields=["fetch_attempts", "fetch_error", "fetch_next_at", "fetch_status"]
    )
    logger.info(
        "fetch of distribution %s failed (attempt %s, %s): %s",
        distribution.pk,
        distribution.fetch_attempts,
        "will retry" if retry else "gave up",
        error.message,
    )
    if not retry:
        dataset_event_record(
            dataset=distribution.dataset,
            action=DatasetEventAction.FILE_FETCH_FAILED,
            actor=None,
            detail={
                "distribution": str(distribution.pk),
                "identifier": distribution.identifier,
                "error": distribution.fetch_error,
                "attempts": distribution.fetch_attempts,
            },
        )
    return distribution.fetch_status


def distributions_fetch_due() -> int:
    """The sweep: pending fetches whose time came (and went by a grace period) are sent again:
    the broker was down after the commit, or a worker died holding the lease."""
    cutoff = timezone.now() - timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    due = list(
        Distribution.objects.filter(fetch_status=FetchStatus.PENDING, fetch_next_at__lte=cutoff)
        .order_by("fetch_next_at")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        send_now(FETCH_TASK, str(pk))
    return len(due)
