"""Keeping datasets in step with a publisher's own records: create-or-update by the publisher's
identifier (catalogue sync, harvesting), and withdrawal of what vanished from the source.

An upsert that finds nothing to change writes nothing: no new ``modified``, no event. Nightly
syncs and harvests resend every record, and only real changes may reach portals and webhooks.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.formats import FORMAT_MEDIA_TYPES
from catalogue.models import Dataset, DatasetEventAction, Distribution
from core.errors import ApplicationError, ConflictError
from core.text import single_line

from .datasets import (
    DatasetData,
    _check_temporal,
    _title,
    clean_identifier,
    dataset_create,
    normalise_keywords,
    normalise_languages,
)
from .distributions import delete_stored_files, distribution_resolve_format
from .events import dataset_event_record
from .stewardship import ensure_steward

# Compared field by field; `modified` and `slug` are not content (see dataset_upsert).
_CONTENT_FIELDS = (
    "title", "description", "data_space_id", "licence_id", "access_rights", "keywords",
    "languages", "spatial", "temporal_start", "temporal_end", "issued", "landing_page",
    "contact_name", "contact_email", "version",
)  # fmt: skip
_DISTRIBUTION_FIELDS = (
    "title", "description", "format", "media_type", "byte_size", "sha256", "access_url",
)  # fmt: skip


class UpsertOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class DistributionData:
    """A distribution described by its source: metadata and a URL, no bytes. ``identifier`` is the
    source's own id for it, unique within the dataset."""

    identifier: str
    title: str
    description: str = ""
    format: str = ""
    media_type: str = ""
    byte_size: int | None = None
    sha256: str = ""
    access_url: str = ""


@dataclass(frozen=True)
class DatasetUpsert:
    dataset: Dataset
    outcome: UpsertOutcome
    changed_fields: tuple[str, ...] = ()


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


def _clean_distribution(item: DistributionData, place: int) -> dict[str, Any]:
    field = f"distributions[{place}]"
    identifier = clean_identifier(item.identifier, field=f"{field}.identifier")
    if not identifier:
        raise ApplicationError(
            "Every distribution needs an identifier to be kept in step.",
            fields={f"{field}.identifier": ["This field is required."]},
        )
    try:
        code = distribution_resolve_format(
            format=item.format, filename=item.access_url.split("?", 1)[0]
        )
    except ApplicationError as exc:
        raise ApplicationError(
            exc.message, fields={f"{field}.format": list(exc.fields.get("format", []))}
        ) from exc
    if item.byte_size is not None and item.byte_size < 0:
        raise ApplicationError(
            "A size cannot be negative.", fields={f"{field}.byte_size": ["Must be 0 or more."]}
        )
    return {
        "identifier": identifier,
        "title": (single_line(item.title) or identifier)[:300],
        "description": item.description.strip(),
        "format": code,
        "media_type": item.media_type or FORMAT_MEDIA_TYPES.get(code, ""),
        "byte_size": item.byte_size,
        "sha256": item.sha256.lower(),
        "access_url": item.access_url,
    }


def _sync_distributions(dataset: Dataset, items: Sequence[DistributionData]) -> bool:
    """Make the dataset's identified distributions exactly ``items``; True when anything changed.
    Distributions added by hand (no identifier) are the publisher's and are left alone."""
    wanted = [_clean_distribution(item, place) for place, item in enumerate(items)]
    seen: set[str] = set()
    for values in wanted:
        if values["identifier"] in seen:
            raise ApplicationError(
                f"The distribution identifier '{values['identifier']}' appears twice.",
                fields={"distributions": ["Distribution identifiers must be unique."]},
            )
        seen.add(values["identifier"])
    existing = {
        d.identifier: d
        for d in dataset.distributions.exclude(identifier="").select_for_update(of=("self",))
    }
    changed = False
    for values in wanted:
        current = existing.pop(values["identifier"], None)
        if current is None:
            Distribution.objects.create(dataset=dataset, **values)
            changed = True
        elif any(getattr(current, f) != values[f] for f in _DISTRIBUTION_FIELDS):
            for f in _DISTRIBUTION_FIELDS:
                setattr(current, f, values[f])
            current.save(update_fields=list(_DISTRIBUTION_FIELDS))
            changed = True
    if existing:
        stored = [d.file.name for d in existing.values() if d.file]
        Distribution.objects.filter(pk__in=[d.pk for d in existing.values()]).delete()
        transaction.on_commit(lambda: delete_stored_files(stored))
        changed = True
    return changed


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
    up), which have no person to check.
    """
    identifier = clean_identifier(identifier)
    if not identifier:
        raise ApplicationError(
            "An identifier is required.", fields={"identifier": ["This field is required."]}
        )
    if act_as_steward:
        ensure_steward(user=user, publisher=data.publisher)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _upsert_locked(user, identifier, data, distributions, event_detail)
        except IntegrityError:
            # Two first syncs of one record at once: the loser finds the winner's row.
            if attempt:
                raise ConflictError(
                    f"The dataset '{identifier}' is being written by another request; retry."
                ) from None
    raise AssertionError("unreachable")


def _upsert_locked(
    user: AbstractBaseUser | None,
    identifier: str,
    data: DatasetData,
    distributions: Sequence[DistributionData] | None,
    event_detail: dict[str, Any] | None,
) -> DatasetUpsert:
    dataset = (
        Dataset.objects.select_for_update()
        .filter(publisher=data.publisher, identifier=identifier)
        .first()
    )
    if dataset is None:
        dataset = dataset_create(
            user=user,
            data=replace(data, identifier=identifier),
            event_detail=event_detail,
            check_steward=False,  # dataset_upsert checked (or was told not to)
        )
        if distributions:
            _sync_distributions(dataset, distributions)
        return DatasetUpsert(dataset=dataset, outcome=UpsertOutcome.CREATED)

    desired = _desired_values(data)
    changed = {f for f, value in desired.items() if getattr(dataset, f) != value}
    theme_ids = {t.pk for t in data.themes}
    if theme_ids != set(dataset.themes.values_list("pk", flat=True)):
        changed.add("themes")
    if distributions is not None and _sync_distributions(dataset, distributions):
        changed.add("distributions")
    reinstated = dataset.withdrawn_at is not None
    if data.modified is not None and data.modified != dataset.modified:
        changed.add("modified")
    if not changed and not reinstated:
        return DatasetUpsert(dataset=dataset, outcome=UpsertOutcome.UNCHANGED)

    for field, value in desired.items():
        setattr(dataset, field, value)
    dataset.modified = data.modified or timezone.now()
    dataset.withdrawn_at = None
    dataset.withdrawn_reason = ""
    dataset.save()
    if "themes" in changed:
        dataset.themes.set(data.themes)
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
