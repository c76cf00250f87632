"""Datasets: register, edit, delete; keywords, languages and coverage checked on the way in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalogue.languages import LANGUAGE_NAMES
from catalogue.models import (
    AccessRights,
    Dataset,
    DatasetEventAction,
    DataSpace,
    Licence,
    Publisher,
    Theme,
)
from core.errors import ApplicationError, ConflictError
from core.text import single_line

from .distributions import delete_stored_files
from .events import dataset_event_record
from .stewardship import ensure_steward

MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 100

DATASET_EDITABLE_FIELDS = {
    "title", "description", "publisher", "data_space", "licence", "access_rights", "themes",
    "keywords", "languages", "spatial", "temporal_start", "temporal_end", "issued", "modified",
    "landing_page", "contact_name", "contact_email", "version", "slug", "identifier",
}  # fmt: skip
MAX_IDENTIFIER_LENGTH = 255
# Path segments of /api/v1/datasets/ that are not datasets: no dataset may take them as its slug.
RESERVED_SLUGS = frozenset({"bulk", "by-identifier"})


def normalise_keywords(keywords: Iterable[str]) -> list[str]:
    """Strip, collapse spaces and drop case-insensitive duplicates, keeping the first spelling."""
    seen: set[str] = set()
    result: list[str] = []
    for raw in keywords:
        keyword = " ".join(str(raw).split())
        if not keyword or keyword.lower() in seen:
            continue
        if len(keyword) > MAX_KEYWORD_LENGTH:
            raise ApplicationError(
                "A keyword is too long.",
                fields={"keywords": [f"At most {MAX_KEYWORD_LENGTH} characters per keyword."]},
            )
        seen.add(keyword.lower())
        result.append(keyword)
    if len(result) > MAX_KEYWORDS:
        raise ApplicationError(
            "Too many keywords.", fields={"keywords": [f"At most {MAX_KEYWORDS} keywords."]}
        )
    return result


def normalise_languages(languages: Iterable[str]) -> list[str]:
    result: list[str] = []
    for raw in languages:
        code = str(raw).strip().lower()
        if code not in LANGUAGE_NAMES:
            raise ApplicationError(
                f"Unknown language code '{raw}'.",
                fields={"languages": [f"'{raw}' is not a supported ISO 639-1 code."]},
            )
        if code not in result:
            result.append(code)
    return result


def _title(title: str) -> str:
    """A title is one line: it heads lists and e-mail subjects."""
    title = single_line(title)
    if not title:
        raise ApplicationError(
            "A title is required.", fields={"title": ["This field is required."]}
        )
    return title


def clean_identifier(raw: Any, *, field: str = "identifier") -> str:
    """A publisher's own identifier: one printable line (it is matched exactly, so invisible
    differences would make two datasets of one record)."""
    text = str(raw or "")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text) or text != text.strip():
        raise ApplicationError(
            "The identifier must be one line without control characters or surrounding spaces.",
            fields={field: ["One line, no control characters, no leading or trailing spaces."]},
        )
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise ApplicationError(
            "The identifier is too long.",
            fields={field: [f"At most {MAX_IDENTIFIER_LENGTH} characters."]},
        )
    return text


def _identifier_taken(identifier: str, publisher: Publisher, *, exclude_pk: Any = None) -> bool:
    if not identifier:
        return False
    taken = Dataset.objects.filter(publisher=publisher, identifier=identifier)
    return taken.exclude(pk=exclude_pk).exists() if exclude_pk else taken.exists()


def _identifier_conflict(identifier: str, publisher: Publisher) -> ConflictError:
    return ConflictError(
        f"The publisher '{publisher.slug}' already has a dataset with the identifier "
        f"'{identifier}'.",
        fields={"identifier": ["This identifier is taken for this publisher."]},
    )


def unique_dataset_slug(title: str, *, exclude_pk: Any = None) -> str:
    base = slugify(title)[:100] or "dataset"
    slug, n = base, 2
    existing = Dataset.objects.exclude(pk=exclude_pk) if exclude_pk else Dataset.objects.all()
    while slug in RESERVED_SLUGS or existing.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_temporal(start, end) -> None:
    if start and end and start > end:
        raise ApplicationError(
            "The temporal coverage ends before it starts.",
            fields={"temporal_end": ["Must be on or after temporal_start."]},
        )


@dataclass(frozen=True)
class DatasetData:
    """Validated input for a new dataset (what the API serializer or the admin form produced)."""

    title: str
    description: str
    publisher: Publisher
    data_space: DataSpace
    licence: Licence
    access_rights: str = AccessRights.RESTRICTED
    themes: tuple[Theme, ...] = ()
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    spatial: str = ""
    temporal_start: Any = None
    temporal_end: Any = None
    issued: Any = None
    modified: Any = None
    landing_page: str = ""
    contact_name: str = ""
    contact_email: str = ""
    version: str = ""
    slug: str = ""
    identifier: str = ""


@transaction.atomic
def dataset_create(
    *,
    user: AbstractBaseUser | None,
    data: DatasetData,
    event_detail: dict[str, Any] | None = None,
    check_steward: bool = True,
) -> Dataset:
    """Register a dataset. ``check_steward=False`` only for callers that checked already or act
    for the publisher by configuration (dataset_upsert, a harvest run)."""
    if check_steward:
        ensure_steward(user=user, publisher=data.publisher)
    _check_temporal(data.temporal_start, data.temporal_end)
    identifier = clean_identifier(data.identifier)
    if _identifier_taken(identifier, data.publisher):
        raise _identifier_conflict(identifier, data.publisher)
    slug = data.slug or unique_dataset_slug(data.title)
    if data.slug in RESERVED_SLUGS:
        raise ConflictError(
            f"The slug '{data.slug}' is reserved.",
            fields={"slug": ["This slug is reserved; choose another."]},
        )
    if data.slug and Dataset.objects.filter(slug=data.slug).exists():
        raise ConflictError(
            f"A dataset with the slug '{data.slug}' already exists.",
            fields={"slug": ["This slug is taken."]},
        )
    dataset = Dataset(
        slug=slug,
        title=_title(data.title),
        description=data.description.strip(),
        publisher=data.publisher,
        data_space=data.data_space,
        licence=data.licence,
        access_rights=data.access_rights,
        keywords=normalise_keywords(data.keywords),
        languages=normalise_languages(data.languages),
        spatial=data.spatial,
        temporal_start=data.temporal_start,
        temporal_end=data.temporal_end,
        issued=data.issued,
        modified=data.modified or timezone.now(),
        landing_page=data.landing_page,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        version=data.version,
        identifier=identifier,
    )
    try:
        with transaction.atomic():
            dataset.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create took the slug or the identifier first
        if _identifier_taken(identifier, data.publisher):
            raise _identifier_conflict(identifier, data.publisher) from exc
        raise ConflictError(
            f"A dataset with the slug '{slug}' already exists.",
            fields={"slug": ["This slug is taken."]},
        ) from exc
    dataset.themes.set(data.themes)
    dataset_event_record(
        dataset=dataset, action=DatasetEventAction.CREATED, actor=user, detail=event_detail
    )
    return dataset


@transaction.atomic
def dataset_update(*, user: AbstractBaseUser, dataset: Dataset, changes: dict[str, Any]) -> Dataset:
    """Apply a partial update. Moving a dataset to another publisher needs stewardship of both."""
    unknown = set(changes) - DATASET_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    ensure_steward(user=user, publisher=dataset.publisher)
    if "publisher" in changes and changes["publisher"] != dataset.publisher:
        ensure_steward(user=user, publisher=changes["publisher"])
    changes = dict(changes)
    themes = changes.pop("themes", None)
    if "title" in changes:
        changes["title"] = _title(changes["title"])
    if "keywords" in changes:
        changes["keywords"] = normalise_keywords(changes["keywords"])
    if "languages" in changes:
        changes["languages"] = normalise_languages(changes["languages"])
    if "identifier" in changes:
        changes["identifier"] = clean_identifier(changes["identifier"])
        publisher = changes.get("publisher", dataset.publisher)
        if _identifier_taken(changes["identifier"], publisher, exclude_pk=dataset.pk):
            raise _identifier_conflict(changes["identifier"], publisher)
    new_slug = changes.get("slug", dataset.slug)
    if new_slug != dataset.slug and (
        new_slug in RESERVED_SLUGS or Dataset.objects.filter(slug=new_slug).exists()
    ):
        raise ConflictError(
            f"A dataset with the slug '{changes['slug']}' already exists.",
            fields={"slug": ["This slug is taken."]},
        )
    changed = {field for field, value in changes.items() if getattr(dataset, field) != value}
    for field, value in changes.items():
        setattr(dataset, field, value)
    _check_temporal(dataset.temporal_start, dataset.temporal_end)
    if "modified" not in changes:
        dataset.modified = timezone.now()
    dataset.sync_digest = ""  # a person's edit: the next sync compares field by field
    dataset.save()
    if themes is not None:
        if {t.pk for t in themes} != set(dataset.themes.values_list("pk", flat=True)):
            changed.add("themes")
        dataset.themes.set(themes)
    dataset_event_record(
        dataset=dataset, action=DatasetEventAction.UPDATED, actor=user, changed_fields=changed
    )
    return dataset


@transaction.atomic
def dataset_delete(*, user: AbstractBaseUser, dataset: Dataset) -> None:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    ensure_steward(user=user, publisher=dataset.publisher)
    stored = [d.file.name for d in dataset.distributions.all() if d.file]
    if dataset.access_requests.exists():
        # Requests, grants and their audit trail must stay provable: such a dataset is kept
        # (make it NON_PUBLIC, or revoke its grants, instead).
        raise ConflictError(
            "This dataset has access requests; it is kept so that their history stays "
            "complete. Change its access rights instead of deleting it.",
            extra={"access_requests": dataset.access_requests.count()},
        )
    dataset_event_record(dataset=dataset, action=DatasetEventAction.DELETED, actor=user)
    dataset.delete()
    # Files go only once the rows are gone for good.
    transaction.on_commit(lambda: delete_stored_files(stored))


def dataset_check_temporal(*, start: Any, end: Any) -> None:
    """The coverage rule of dataset_create and dataset_update, for forms that check first."""
    _check_temporal(start, end)
