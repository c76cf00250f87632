"""Every write to the catalogue. Views, the admin and commands call these; none writes directly."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import status

from config.errors import ApplicationError, ConflictError

from .formats import EXTENSION_FORMATS, FORMAT_MEDIA_TYPES, normalise_format
from .languages import LANGUAGE_NAMES
from .models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    LicenceVersion,
    Publisher,
    Theme,
)
from .selectors import publishers_stewarded_by


class NotAStewardError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class ChecksumMismatchError(ApplicationError):
    code = "checksum_mismatch"


CHECKSUM_RE = re.compile(r"^(?:sha256:)?(?P<hex>[0-9a-fA-F]{64})$")
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 100

DATASET_EDITABLE_FIELDS = {
    "title", "description", "publisher", "data_space", "licence", "access_rights", "themes",
    "keywords", "languages", "spatial", "temporal_start", "temporal_end", "issued", "modified",
    "landing_page", "contact_name", "contact_email", "version", "slug",
}  # fmt: skip


def ensure_steward(*, user: AbstractBaseUser, publisher: Publisher) -> None:
    if not publishers_stewarded_by(user=user).filter(pk=publisher.pk).exists():
        raise NotAStewardError(
            f"You are not a steward of the publisher '{publisher.slug}'.",
            fields={"publisher": [f"You do not steward '{publisher.slug}'."]},
        )


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


def unique_dataset_slug(title: str, *, exclude_pk: Any = None) -> str:
    base = slugify(title)[:100] or "dataset"
    slug, n = base, 2
    existing = Dataset.objects.exclude(pk=exclude_pk) if exclude_pk else Dataset.objects.all()
    while existing.filter(slug=slug).exists():
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


@transaction.atomic
def dataset_create(*, user: AbstractBaseUser, data: DatasetData) -> Dataset:
    ensure_steward(user=user, publisher=data.publisher)
    _check_temporal(data.temporal_start, data.temporal_end)
    slug = data.slug or unique_dataset_slug(data.title)
    if data.slug and Dataset.objects.filter(slug=data.slug).exists():
        raise ConflictError(
            f"A dataset with the slug '{data.slug}' already exists.",
            fields={"slug": ["This slug is taken."]},
        )
    dataset = Dataset(
        slug=slug,
        title=data.title.strip(),
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
    )
    try:
        with transaction.atomic():
            dataset.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create took the slug first
        raise ConflictError(
            f"A dataset with the slug '{slug}' already exists.",
            fields={"slug": ["This slug is taken."]},
        ) from exc
    dataset.themes.set(data.themes)
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
    if "keywords" in changes:
        changes["keywords"] = normalise_keywords(changes["keywords"])
    if "languages" in changes:
        changes["languages"] = normalise_languages(changes["languages"])
    new_slug = changes.get("slug", dataset.slug)
    if new_slug != dataset.slug and Dataset.objects.filter(slug=new_slug).exists():
        raise ConflictError(
            f"A dataset with the slug '{changes['slug']}' already exists.",
            fields={"slug": ["This slug is taken."]},
        )
    for field, value in changes.items():
        setattr(dataset, field, value)
    _check_temporal(dataset.temporal_start, dataset.temporal_end)
    if "modified" not in changes:
        dataset.modified = timezone.now()
    dataset.save()
    if themes is not None:
        dataset.themes.set(themes)
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
    dataset.delete()
    # Files go only once the rows are gone for good.
    transaction.on_commit(lambda: _delete_stored_files(stored))


def _delete_stored_files(names: list[str]) -> None:
    from .models import distribution_storage

    storage = distribution_storage()
    for name in names:
        storage.delete(name)


def _parse_checksum(declared: str | None) -> str | None:
    if not declared:
        return None
    match = CHECKSUM_RE.match(declared.strip())
    if not match:
        raise ApplicationError(
            "The declared checksum is not a SHA-256.",
            fields={"checksum": ["Give 64 hexadecimal digits, optionally prefixed 'sha256:'."]},
        )
    return match["hex"].lower()


def _hash_upload(upload: UploadedFile) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def distribution_add_file(
    *,
    user: AbstractBaseUser,
    dataset: Dataset,
    upload: UploadedFile,
    title: str = "",
    format: str = "",
    description: str = "",
    media_type: str = "",
    declared_checksum: str | None = None,
) -> Distribution:
    """Store an uploaded file as a distribution, recording its size and SHA-256.

    The hash is computed from the bytes received; a declared checksum that differs is refused
    before anything is stored.
    """
    ensure_steward(user=user, publisher=dataset.publisher)
    expected = _parse_checksum(declared_checksum)
    code = _resolve_format(format, upload.name)
    sha256, size = _hash_upload(upload)
    if expected and expected != sha256:
        raise ChecksumMismatchError(
            "The uploaded file does not match the declared checksum; nothing was stored.",
            fields={"checksum": [f"Declared sha256:{expected}, received sha256:{sha256}."]},
        )
    distribution = Distribution(
        dataset=dataset,
        title=(title or upload.name or "file").strip()[:300],
        description=description,
        format=code,
        # Browsers label CSV as text/plain or application/vnd.ms-excel; the format decides.
        media_type=media_type or FORMAT_MEDIA_TYPES[code],
        byte_size=size,
        sha256=sha256,
    )
    # The file is written first; if the row cannot be saved, the file is removed again so
    # nothing is half-written.
    distribution.file.save(_safe_filename(upload.name), upload, save=False)
    try:
        with transaction.atomic():
            distribution.save(force_insert=True)
            Dataset.objects.filter(pk=dataset.pk).update(modified=timezone.now())
    except Exception:
        distribution.file.delete(save=False)
        raise
    return distribution


@transaction.atomic
def distribution_add_service(
    *,
    user: AbstractBaseUser,
    dataset: Dataset,
    title: str,
    access_url: str,
    format: str = "API",
    description: str = "",
) -> Distribution:
    ensure_steward(user=user, publisher=dataset.publisher)
    code = _resolve_format(format, "")
    return Distribution.objects.create(
        dataset=dataset,
        title=title,
        description=description,
        format=code,
        media_type=FORMAT_MEDIA_TYPES[code],
        access_url=access_url,
    )


def _resolve_format(declared: str, filename: str) -> str:
    if declared:
        code = normalise_format(declared)
        if code is None:
            raise ApplicationError(
                f"Unknown format '{declared}'.",
                fields={"format": [f"Use one of: {', '.join(FORMAT_MEDIA_TYPES)}."]},
            )
        return code
    lower = (filename or "").lower()
    for extension, code in EXTENSION_FORMATS.items():
        if lower.endswith(extension):
            return code
    raise ApplicationError(
        "The format could not be inferred from the file name; give it.",
        fields={"format": ["This field is required for this file."]},
    )


def _safe_filename(name: str | None) -> str:
    stem = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "file"
    return cleaned[-150:]


@transaction.atomic
def licence_publish_text(*, licence: Licence, text: str) -> LicenceVersion:
    """Publish a licence text. A text that differs from the current one becomes a new version;
    earlier versions stay, because access requests record which version was accepted."""
    text = text.strip()
    if not text:
        raise ApplicationError("A licence text cannot be empty.", fields={"text": ["Required."]})
    Licence.objects.select_for_update().filter(pk=licence.pk).first()
    current = licence.versions.order_by("-version").first()
    if current and current.text == text:
        return current
    return LicenceVersion.objects.create(
        licence=licence, version=(current.version + 1) if current else 1, text=text
    )


# --- used by the admin ----------------------------------------------------------------------


def dataset_check_temporal(*, start: Any, end: Any) -> None:
    """The coverage rule of dataset_create and dataset_update, for forms that check first."""
    _check_temporal(start, end)


def distribution_resolve_format(*, format: str, filename: str) -> str:
    """The format distribution_add_file would record for this file, or the error it would raise."""
    return _resolve_format(format, filename)


@transaction.atomic
def distribution_delete(*, user: AbstractBaseUser, distribution: Distribution) -> None:
    """Remove a distribution; its stored file goes once the row is gone for good."""
    distribution = (
        Distribution.objects.select_for_update(of=("self",))
        .select_related("dataset__publisher")
        .get(pk=distribution.pk)
    )
    ensure_steward(user=user, publisher=distribution.dataset.publisher)
    stored = [distribution.file.name] if distribution.file else []
    dataset_id = distribution.dataset_id
    distribution.delete()
    Dataset.objects.filter(pk=dataset_id).update(modified=timezone.now())
    transaction.on_commit(lambda: _delete_stored_files(stored))
