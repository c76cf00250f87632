"""Keeping datasets in step with a publisher's own records: create-or-update by the publisher's
identifier (catalogue sync, harvesting), one record or a thousand at once, and withdrawal of what
vanished from the source.

An upsert that finds nothing to change writes nothing: no new ``modified``, no event. Nightly
syncs and harvests resend every record, and only real changes may reach portals and webhooks.
A batch is compared in bulk: the existing rows, their themes and their files are read in a few
queries for the whole batch, so an unchanged record costs no query of its own.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from catalogue.formats import FORMAT_MEDIA_TYPES
from catalogue.models import (
    Dataset,
    DatasetEvent,
    DatasetEventAction,
    Distribution,
    FetchStatus,
)
from catalogue.selectors import publishers_stewarded_by
from core.dispatch import enqueue_after_commit
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.net import UnsafeURLError, url_check_public
from core.partners import CATALOGUE_WRITE
from core.text import single_line

from .datasets import (
    RESERVED_SLUGS,
    DatasetData,
    _check_temporal,
    _title,
    clean_identifier,
    normalise_keywords,
    normalise_languages,
)
from .distributions import CHECKSUM_RE, _check_media_type, delete_stored_files
from .distributions import _resolve_format as resolve_format
from .events import dataset_event_record
from .fetch import FETCH_TASK
from .stewardship import NotAStewardError, ensure_steward

# What a sync item says of a distribution. sha256 and byte_size describe stored bytes once there
# are any (then only a verified fetch or an upload changes them); before, the source's claim.
_DISTRIBUTION_FIELDS = (
    "title", "description", "format", "media_type", "access_url", "source_url", "source_sha256",
    "source_byte_size",
)  # fmt: skip
_DESCRIBED_BYTES = ("sha256", "byte_size")


class UpsertOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class DistributionData:
    """A distribution described by its source. ``identifier`` is the source's own id for it,
    unique within the dataset. With ``download_url`` it is a file that a worker fetches and
    verifies against ``sha256`` (required then) and ``byte_size`` (optional); without, it is
    metadata only (a service's ``access_url``, a harvested description)."""

    identifier: str
    title: str
    description: str = ""
    format: str = ""
    media_type: str = ""
    byte_size: int | None = None
    sha256: str = ""
    access_url: str = ""
    download_url: str = ""


@dataclass(frozen=True)
class UpsertItem:
    """One record of a sync: ``distributions=None`` leaves the dataset's files alone."""

    identifier: str
    data: DatasetData
    distributions: Sequence[DistributionData] | None = None
    # A digest of the item as the source sent it (see sync_stamp); empty: none kept.
    source_digest: str = ""


def sync_stamp(source_digest: str, modified: Any) -> str:
    """What ``Dataset.sync_digest`` holds after a sync: the source's item and the ``modified``
    the sync left. Any later change moves ``modified``, and the stamp no longer matches."""
    if not source_digest:
        return ""
    moment = f"{modified.timestamp():.6f}"  # the same instant in any time zone
    return hashlib.sha256(f"{source_digest}|{moment}".encode()).hexdigest()


@dataclass(frozen=True)
class DatasetUpsert:
    dataset: Dataset
    outcome: UpsertOutcome
    changed_fields: tuple[str, ...] = ()


class SyncItemsError(ApplicationError):
    """Items of a batch that cannot be written; because of them nothing was. ``extra["items"]``
    lists ``{index, identifier, errors}`` for each."""

    def __init__(self, failures: list[tuple[int, str, ApplicationError]]) -> None:
        items = [
            {
                "index": index,
                "identifier": identifier,
                "code": error.code,
                "message": error.message,
                "errors": error.fields or {"non_field_errors": [error.message]},
            }
            for index, identifier, error in sorted(failures, key=lambda f: f[0])
        ]
        count = len(items)
        super().__init__(
            f"{count} item{'s' if count != 1 else ''} of the batch cannot be written; "
            "nothing was written.",
            extra={"items": items},
        )
        if all(isinstance(error, PermissionDeniedError) for *_, error in failures):
            self.status_code = PermissionDeniedError.status_code
            self.code = PermissionDeniedError.code


# --- preparing: everything that can be checked before a row is locked --------------------------


@dataclass
class _Prepared:
    index: int
    identifier: str
    data: DatasetData
    desired: dict[str, Any]
    theme_ids: frozenset[int]
    distributions: list[dict[str, Any]] | None
    source_digest: str = ""
    existing: Dataset | None = None
    result: DatasetUpsert | None = None
    fetches: list[Distribution] = field(default_factory=list)


def _desired_values(data: DatasetData) -> dict[str, Any]:
    _check_temporal(data.temporal_start, data.temporal_end)
    return {
        "title": _title(data.title),
        "description": data.description.strip(),
        "data_space_id": data.data_space.pk,
        "licence_id": data.licence.pk,
        "access_rights": data.access_rights,
        "keywords": normalise_keywords(data.keywords),
        "languages": normalise_languages(data.languages),
        "spatial": data.spatial,
        "temporal_start": data.temporal_start,
        "temporal_end": data.temporal_end,
        "issued": data.issued,
        "landing_page": data.landing_page,
        "contact_name": data.contact_name,
        "contact_email": data.contact_email,
        "version": data.version,
    }


class _UrlChecks:
    """Each host of a batch is resolved once, not once per file."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], UnsafeURLError | None] = {}

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        key = (parts.scheme.lower(), parts.netloc.lower())
        if key not in self._seen:
            try:
                url_check_public(url)
                self._seen[key] = None
            except UnsafeURLError as exc:
                self._seen[key] = exc
        error = self._seen[key]
        if error is not None:
            url_check_public(url, resolve=False)  # the URL's own faults first
            raise UnsafeURLError(str(error))


def _clean_distribution(item: DistributionData, place: int, urls: _UrlChecks) -> dict[str, Any]:
    field_name = f"distributions[{place}]"

    def refuse(name: str, message: str, detail: str | None = None) -> ApplicationError:
        return ApplicationError(message, fields={f"{field_name}.{name}": [detail or message]})

    identifier = clean_identifier(item.identifier, field=f"{field_name}.identifier")
    if not identifier:
        raise refuse(
            "identifier",
            "Every distribution needs an identifier to be kept in step.",
            "This field is required.",
        )
    download_url = (item.download_url or "").strip()
    if download_url:  # the address first: a refused URL says so, whatever else is wrong
        if len(download_url) > 2000:
            raise refuse("download_url", "The URL is too long.", "At most 2,000 characters.")
        try:
            urls.check(download_url)
        except UnsafeURLError as exc:
            raise refuse("download_url", str(exc)) from None
    source = download_url or item.access_url
    try:
        code = resolve_format(item.format, urlsplit(source).path if source else "")
    except ApplicationError as exc:
        raise ApplicationError(
            exc.message, fields={f"{field_name}.format": list(exc.fields.get("format", []))}
        ) from exc
    try:
        media_type = _check_media_type(item.media_type)
    except ApplicationError as exc:
        raise refuse("media_type", exc.message) from exc
    if item.byte_size is not None and item.byte_size < 0:
        raise refuse("byte_size", "A size cannot be negative.", "Must be 0 or more.")
    sha256 = ""
    if item.sha256:
        match = CHECKSUM_RE.match(item.sha256.strip())
        if not match:
            raise refuse(
                "checksum",
                "The declared checksum is not a SHA-256.",
                "Give sha256: and 64 hexadecimal digits.",
            )
        sha256 = match["hex"].lower()
    values: dict[str, Any] = {
        "identifier": identifier,
        "title": (single_line(item.title) or identifier)[:300],
        "description": item.description.strip(),
        "format": code,
        "media_type": media_type or FORMAT_MEDIA_TYPES.get(code, ""),
        "access_url": item.access_url,
        "source_url": "",
        "source_sha256": "",
        "source_byte_size": None,
        "sha256": sha256,
        "byte_size": item.byte_size,
    }
    if download_url:
        if not sha256:
            raise refuse(
                "checksum",
                "A file given by URL needs its checksum, so that the bytes can be verified.",
                "Required with download_url: sha256:<hex>.",
            )
        limit = settings.MAX_DISTRIBUTION_UPLOAD_BYTES
        if item.byte_size is not None and item.byte_size > limit:
            raise refuse(
                "byte_size",
                f"Files are accepted up to {limit:,} bytes.",
                f"At most {limit:,} bytes.",
            )
        values.update(
            source_url=download_url,
            source_sha256=sha256,
            source_byte_size=item.byte_size,
            sha256="",
            byte_size=None,
        )
    return values


def _clean_distributions(
    items: Sequence[DistributionData], urls: _UrlChecks
) -> list[dict[str, Any]]:
    wanted = [_clean_distribution(item, place, urls) for place, item in enumerate(items)]
    seen: set[str] = set()
    for values in wanted:
        if values["identifier"] in seen:
            raise ApplicationError(
                f"The distribution identifier '{values['identifier']}' appears twice.",
                fields={"distributions": ["Distribution identifiers must be unique."]},
            )
        seen.add(values["identifier"])
    return wanted


def _prepare(
    user: AbstractBaseUser | None, items: Sequence[UpsertItem], act_as_steward: bool
) -> tuple[list[_Prepared], list[tuple[int, str, ApplicationError]]]:
    prepared: list[_Prepared] = []
    failures: list[tuple[int, str, ApplicationError]] = []
    first_index: dict[tuple[int, str], int] = {}
    urls = _UrlChecks()
    allowed: set[int] | None = None
    if act_as_steward:  # checked first: no one learns from the other errors what they may not write
        allowed = set(
            publishers_stewarded_by(user=user, scope=CATALOGUE_WRITE)
            .filter(pk__in={item.data.publisher.pk for item in items})
            .values_list("pk", flat=True)
        )
    for index, item in enumerate(items):
        raw_identifier = str(item.identifier or "")
        if allowed is not None and item.data.publisher.pk not in allowed:
            slug = item.data.publisher.slug
            failures.append(
                (
                    index,
                    raw_identifier,
                    NotAStewardError(
                        f"You are not a steward of the publisher '{slug}'.",
                        fields={"publisher": [f"You do not steward '{slug}'."]},
                    ),
                )
            )
            continue
        try:
            identifier = clean_identifier(item.identifier)
            if not identifier:
                raise ApplicationError(
                    "An identifier is required.",
                    fields={"identifier": ["This field is required."]},
                )
            if item.data.slug and item.data.slug in RESERVED_SLUGS:
                raise ConflictError(
                    f"The slug '{item.data.slug}' is reserved.",
                    fields={"slug": ["This slug is reserved; choose another."]},
                )
            key = (item.data.publisher.pk, identifier)
            if key in first_index:
                raise ApplicationError(
                    f"The identifier '{identifier}' of the publisher "
                    f"'{item.data.publisher.slug}' appears more than once in the batch "
                    f"(first at index {first_index[key]}).",
                    fields={"identifier": ["Each identifier may appear once per batch."]},
                )
            first_index[key] = index
            prepared.append(
                _Prepared(
                    index=index,
                    identifier=identifier,
                    data=item.data,
                    desired=_desired_values(item.data),
                    theme_ids=frozenset(t.pk for t in item.data.themes),
                    distributions=None
                    if item.distributions is None
                    else _clean_distributions(item.distributions, urls),
                    source_digest=item.source_digest,
                )
            )
        except ApplicationError as exc:
            failures.append((index, raw_identifier, exc))
    return prepared, failures


# --- writing --------------------------------------------------------------------------------


def dataset_upsert(
    *,
    user: AbstractBaseUser | None,
    identifier: str,
    data: DatasetData,
    distributions: Sequence[DistributionData] | None = None,
    event_detail: dict[str, Any] | None = None,
    act_as_steward: bool = True,
) -> DatasetUpsert:
    """Create or update ``data.publisher``'s dataset with this identifier.

    ``modified`` follows the source when it gives one, else the time of a real change. A
    withdrawn dataset that reappears is reinstated. ``distributions=None`` leaves them alone.
    ``act_as_steward=False`` is for trusted internal callers (a harvest run the publisher set
    up), which have no person to check. Errors are the item's own (not wrapped as a batch's).
    """
    item = UpsertItem(identifier=identifier, data=data, distributions=distributions)
    return _upsert(user, [item], event_detail, act_as_steward, single=True)[0]


def datasets_upsert(
    *,
    user: AbstractBaseUser | None,
    items: Sequence[UpsertItem],
    event_detail: dict[str, Any] | None = None,
    act_as_steward: bool = True,
) -> list[DatasetUpsert]:
    """Upsert a batch, all or nothing: one transaction; when any item is wrong, SyncItemsError
    lists every wrong item and nothing is written. Results come in the order of ``items``."""
    return _upsert(user, items, event_detail, act_as_steward, single=False)


def _upsert(
    user: AbstractBaseUser | None,
    items: Sequence[UpsertItem],
    event_detail: dict[str, Any] | None,
    act_as_steward: bool,
    *,
    single: bool,
) -> list[DatasetUpsert]:
    prepared, failures = _prepare(user, items, act_as_steward)
    if failures:
        if single:
            raise failures[0][2]
        raise SyncItemsError(failures)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _write(user, prepared, event_detail, single=single)
        except IntegrityError:
            # Two first syncs of one record at once: the loser finds the winner's rows.
            if attempt:
                raise ConflictError(
                    "These datasets are being written by another request; retry."
                ) from None
            for p in prepared:
                p.existing, p.result, p.fetches = None, None, []
    raise AssertionError("unreachable")


def _write(
    user: AbstractBaseUser | None,
    prepared: list[_Prepared],
    event_detail: dict[str, Any] | None,
    *,
    single: bool,
) -> list[DatasetUpsert]:
    by_publisher: dict[int, list[str]] = defaultdict(list)
    for p in prepared:
        by_publisher[p.data.publisher.pk].append(p.identifier)
    match = Q()
    for publisher_id, identifiers in by_publisher.items():
        match |= Q(publisher_id=publisher_id, identifier__in=identifiers)
    # Locked in primary-key order, so two batches that overlap cannot deadlock.
    existing = {
        (d.publisher_id, d.identifier): d
        for d in Dataset.objects.select_for_update(of=("self",))
        .filter(match)
        # Repeats the unique index's condition, so PostgreSQL uses it for long identifier lists.
        .exclude(identifier="")
        .defer("search_vector")
        .order_by("pk")
    }
    for p in prepared:
        p.existing = existing.get((p.data.publisher.pk, p.identifier))
    present = [p for p in prepared if p.existing is not None]
    themes: dict[Any, set[int]] = defaultdict(set)
    through = Dataset.themes.through
    for dataset_id, theme_id in through.objects.filter(
        dataset_id__in=[p.existing.pk for p in present]
    ).values_list("dataset_id", "theme_id"):
        themes[dataset_id].add(theme_id)
    files: dict[Any, dict[str, Distribution]] = defaultdict(dict)
    with_files = [p.existing.pk for p in present if p.distributions is not None]
    if with_files:
        for d in (
            Distribution.objects.select_for_update(of=("self",))
            .filter(dataset_id__in=with_files)
            .exclude(identifier="")
            .order_by("pk")
        ):
            files[d.dataset_id][d.identifier] = d

    creates: list[_Prepared] = []
    for p in prepared:
        if p.existing is None:
            creates.append(p)
            continue
        try:
            p.result = _update(user, p, themes[p.existing.pk], files[p.existing.pk], event_detail)
        except ApplicationError as exc:
            if single:
                raise
            raise SyncItemsError([(p.index, p.identifier, exc)]) from exc
    if creates:
        _create_all(user, creates, event_detail, single=single)
    restamp = []
    for p in prepared:
        if not p.source_digest or p.result.outcome != UpsertOutcome.UNCHANGED:
            continue
        stamp = sync_stamp(p.source_digest, p.existing.modified)
        if stamp != p.existing.sync_digest:
            p.existing.sync_digest = stamp  # the same content, sent differently: remember it
            restamp.append(p.existing)
    if restamp:
        Dataset.objects.bulk_update(restamp, ["sync_digest"])
    for p in prepared:
        for distribution in p.fetches:
            enqueue_after_commit(FETCH_TASK, str(distribution.pk))
    return [p.result for p in prepared]


def _new_distribution(dataset: Dataset, values: dict[str, Any], now) -> Distribution:
    distribution = Distribution(dataset=dataset, **values)
    if distribution.source_url:
        distribution.fetch_status = FetchStatus.PENDING
        distribution.fetch_next_at = now
    return distribution


def _distribution_changes(current: Distribution, values: dict[str, Any]) -> dict[str, Any]:
    changes = {f: values[f] for f in _DISTRIBUTION_FIELDS if getattr(current, f) != values[f]}
    if not values["source_url"] and not current.file:
        # Metadata only: the source's word on size and checksum is all there is.
        changes.update({f: values[f] for f in _DESCRIBED_BYTES if getattr(current, f) != values[f]})
    if not values["source_url"] and current.fetch_status:
        changes.update(fetch_status="", fetch_error="", fetch_attempts=0, fetch_next_at=None)
    return changes


def _needs_fetch(current: Distribution, values: dict[str, Any], changes: dict[str, Any]) -> bool:
    if not values["source_url"]:
        return False
    if current.file and current.sha256 == values["source_sha256"]:
        return False  # the bytes held are the ones declared: nothing to fetch
    return bool({"source_url", "source_sha256", "source_byte_size"} & set(changes))


def _sync_files(
    p: _Prepared, dataset: Dataset, current_files: dict[str, Distribution], now
) -> bool:
    """Make the dataset's identified distributions exactly the item's; True when anything
    changed. Distributions added by hand (no identifier) are the publisher's and stay."""
    changed = False
    remaining = dict(current_files)
    new: list[Distribution] = []
    for values in p.distributions or ():
        current = remaining.pop(values["identifier"], None)
        if current is None:
            distribution = _new_distribution(dataset, values, now)
            new.append(distribution)
            if distribution.source_url:
                p.fetches.append(distribution)
            continue
        changes = _distribution_changes(current, values)
        if values["source_url"] and current.file and current.sha256 == values["source_sha256"]:
            if current.fetch_status != FetchStatus.READY:
                changes.update(fetch_status=FetchStatus.READY, fetch_error="", fetch_next_at=None)
        elif _needs_fetch(current, values, changes):
            changes.update(
                fetch_status=FetchStatus.PENDING,
                fetch_error="",
                fetch_attempts=0,
                fetch_next_at=now,
            )
            p.fetches.append(current)
        if changes:
            for name, value in changes.items():
                setattr(current, name, value)
            current.save(update_fields=list(changes))
            changed = True
    if new:
        Distribution.objects.bulk_create(new)
        changed = True
    if remaining:
        stored = [d.file.name for d in remaining.values() if d.file]
        Distribution.objects.filter(pk__in=[d.pk for d in remaining.values()]).delete()
        transaction.on_commit(lambda: delete_stored_files(stored))
        changed = True
    return changed


def _update(
    user: AbstractBaseUser | None,
    p: _Prepared,
    current_themes: set[int],
    current_files: dict[str, Distribution],
    event_detail: dict[str, Any] | None,
) -> DatasetUpsert:
    dataset = p.existing
    now = timezone.now()
    changed = {
        name.removesuffix("_id")
        for name, value in p.desired.items()
        if getattr(dataset, name) != value
    }
    if p.theme_ids != current_themes:
        changed.add("themes")
    if p.data.slug and p.data.slug != dataset.slug:
        if Dataset.objects.filter(slug=p.data.slug).exists():
            raise ConflictError(
                f"A dataset with the slug '{p.data.slug}' already exists.",
                fields={"slug": ["This slug is taken."]},
            )
        changed.add("slug")
    if p.distributions is not None and _sync_files(p, dataset, current_files, now):
        changed.add("distributions")
    reinstated = dataset.withdrawn_at is not None
    if p.data.modified is not None and p.data.modified != dataset.modified:
        changed.add("modified")
    if not changed and not reinstated:
        return DatasetUpsert(dataset=dataset, outcome=UpsertOutcome.UNCHANGED)

    for name, value in p.desired.items():
        setattr(dataset, name, value)
    if p.data.slug:
        dataset.slug = p.data.slug
    dataset.modified = p.data.modified or now
    dataset.sync_digest = sync_stamp(p.source_digest, dataset.modified)
    dataset.withdrawn_at = None
    dataset.withdrawn_reason = ""
    dataset.save()
    if "themes" in changed:
        dataset.themes.set(p.data.themes)
    if reinstated:
        dataset_event_record(
            dataset=dataset, action=DatasetEventAction.REINSTATED, actor=user, detail=event_detail
        )
    if changed:
        dataset_event_record(
            dataset=dataset,
            action=DatasetEventAction.UPDATED,
            actor=user,
            changed_fields=changed,
            detail=event_detail,
        )
    return DatasetUpsert(
        dataset=dataset, outcome=UpsertOutcome.UPDATED, changed_fields=tuple(sorted(changed))
    )


class _SlugTaken(Exception):
    def __init__(self, item: _Prepared, slug: str) -> None:
        super().__init__(slug)
        self.item = item
        self.error = ConflictError(
            f"A dataset with the slug '{slug}' already exists.",
            fields={"slug": ["This slug is taken."]},
        )


def _slugs_for(creates: list[_Prepared]) -> dict[int, str]:
    """A free slug for each new dataset: the one asked for, else one made from its title, with
    a number when taken (by the catalogue or by an earlier item of the batch)."""
    asked = {p.index: p.data.slug for p in creates if p.data.slug}
    if asked:
        taken_asked = set(
            Dataset.objects.filter(slug__in=asked.values()).values_list("slug", flat=True)
        )
        counts: dict[str, int] = defaultdict(int)
        for slug in asked.values():
            counts[slug] += 1
        for p in creates:
            slug = asked.get(p.index)
            if slug and (slug in taken_asked or counts[slug] > 1):
                raise _SlugTaken(p, slug)
    bases = {p.index: slugify(p.desired["title"])[:100] or "dataset" for p in creates}
    used = set(asked.values()) | RESERVED_SLUGS
    used |= set(Dataset.objects.filter(slug__in=set(bases.values())).values_list("slug", flat=True))
    # The numbers already used after each taken base, read for all of them in a few queries.
    repeated = {b for b, n in Counter(bases.values()).items() if n > 1}
    taken_bases = sorted({b for b in bases.values() if b in used} | repeated)
    numbered: dict[str, int] = dict.fromkeys(taken_bases, 1)
    for start in range(0, len(taken_bases), 200):
        chunk = taken_bases[start : start + 200]
        match = Q()
        for base in chunk:
            match |= Q(slug__startswith=f"{base}-")
        for existing in Dataset.objects.filter(match).values_list("slug", flat=True):
            base, _, number = existing.rpartition("-")
            if base in numbered and number.isdigit():
                numbered[base] = max(numbered[base], int(number))
    slugs: dict[int, str] = dict(asked)
    for p in creates:
        if p.index in slugs:
            continue
        base = bases[p.index]
        slug = base
        while slug in used:
            numbered[base] = numbered.get(base, 1) + 1
            slug = f"{base}-{numbered[base]}"
        used.add(slug)
        slugs[p.index] = slug
    return slugs


def _create_all(
    user: AbstractBaseUser | None,
    creates: list[_Prepared],
    event_detail: dict[str, Any] | None,
    *,
    single: bool,
) -> None:
    try:
        slugs = _slugs_for(creates)
    except _SlugTaken as taken:
        if single:
            raise taken.error from None
        raise SyncItemsError([(taken.item.index, taken.item.identifier, taken.error)]) from None
    now = timezone.now()
    datasets = []
    for p in creates:
        desired = dict(p.desired)
        modified = p.data.modified or now
        dataset = Dataset(
            slug=slugs[p.index],
            publisher=p.data.publisher,
            identifier=p.identifier,
            modified=modified,
            sync_digest=sync_stamp(p.source_digest, modified),
            **desired,
        )
        datasets.append(dataset)
        p.existing = dataset
        p.result = DatasetUpsert(dataset=dataset, outcome=UpsertOutcome.CREATED)
    # Theme links and files first, the dataset rows last (foreign keys are checked at commit):
    # on PostgreSQL a row inserted after them gets its facet copies in the insert itself
    # (migration 0015) instead of being written, then rewritten twice to copy them.
    through = Dataset.themes.through
    through.objects.bulk_create(
        through(dataset_id=p.existing.pk, theme_id=theme_id)
        for p in creates
        for theme_id in sorted(p.theme_ids)
    )
    distributions = []
    for p in creates:
        for values in p.distributions or ():
            distribution = _new_distribution(p.existing, values, now)
            distributions.append(distribution)
            if distribution.source_url:
                p.fetches.append(distribution)
    Distribution.objects.bulk_create(distributions)
    Dataset.objects.bulk_create(datasets)
    actor = user if user is not None and user.is_authenticated else None
    DatasetEvent.objects.bulk_create(
        DatasetEvent(
            dataset_ref=p.existing.pk,
            dataset=p.existing,
            publisher_id=p.data.publisher.pk,
            action=DatasetEventAction.CREATED,
            actor=actor,
            detail=event_detail or {},
        )
        for p in creates
    )


# --- withdrawal -------------------------------------------------------------------------------


@transaction.atomic
def dataset_withdraw(
    *,
    user: AbstractBaseUser | None,
    dataset: Dataset,
    reason: str,
    act_as_steward: bool = True,
    event_detail: dict[str, Any] | None = None,
) -> Dataset:
    """Take a dataset out of the catalogue without deleting it: it is no longer listed, exported
    or requestable, while its requests, grants and history stay as they are."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if act_as_steward:
        ensure_steward(user=user, publisher=dataset.publisher)
    if dataset.withdrawn_at is not None:
        return dataset
    reason = single_line(reason)[:500]
    if not reason:
        raise ApplicationError(
            "Say why the dataset is withdrawn.", fields={"reason": ["This field is required."]}
        )
    now = timezone.now()
    dataset.withdrawn_at = now
    dataset.withdrawn_reason = reason
    dataset.modified = now
    dataset.save(update_fields=["withdrawn_at", "withdrawn_reason", "modified"])
    dataset_event_record(
        dataset=dataset,
        action=DatasetEventAction.WITHDRAWN,
        actor=user,
        detail={"reason": reason, **(event_detail or {})},
    )
    return dataset


@transaction.atomic
def dataset_reinstate(*, user: AbstractBaseUser, dataset: Dataset) -> Dataset:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    ensure_steward(user=user, publisher=dataset.publisher)
    if dataset.withdrawn_at is None:
        return dataset
    dataset.withdrawn_at = None
    dataset.withdrawn_reason = ""
    dataset.modified = timezone.now()
    dataset.save(update_fields=["withdrawn_at", "withdrawn_reason", "modified"])
    dataset_event_record(dataset=dataset, action=DatasetEventAction.REINSTATED, actor=user)
    return dataset
