"""Distributions: files hashed from the bytes received, service endpoints, removal."""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.formats import EXTENSION_FORMATS, FORMAT_MEDIA_TYPES, normalise_format
from catalogue.models import (
    Dataset,
    Distribution,
)
from core.errors import ApplicationError, ConflictError, PayloadTooLargeError
from core.text import single_line

from .stewardship import ensure_steward


class ChecksumMismatchError(ApplicationError):
    code = "checksum_mismatch"


CHECKSUM_RE = re.compile(r"^(?:sha256:)?(?P<hex>[0-9a-fA-F]{64})$")


def delete_stored_files(names: list[str]) -> None:
    from catalogue.models import distribution_storage

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


# type "/" subtype, then optional ";" parameters (RFC 6838 names, RFC 9110 parameters); matched
# whole (fullmatch), so no line break or control character can ride along into a header.
_TCHAR = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_QUOTED = r'"[^"\\\x00-\x1f\x7f]*"'
MEDIA_TYPE_RE = re.compile(rf"{_TCHAR}/{_TCHAR}(?:[ \t]*;[ \t]*{_TCHAR}=(?:{_TCHAR}|{_QUOTED}))*")


def upload_check_size(*, size: int | None) -> None:
    """An upload is refused when empty or larger than MAX_DISTRIBUTION_UPLOAD_BYTES."""
    limit = settings.MAX_DISTRIBUTION_UPLOAD_BYTES
    if size is not None and size > limit:
        raise PayloadTooLargeError(
            f"The file is {size:,} bytes; files are accepted up to {limit:,} bytes.",
            fields={"file": [f"At most {limit:,} bytes."]},
            extra={"max_bytes": limit},
        )
    if size == 0:
        raise ApplicationError(
            "The file is empty; nothing was stored.", fields={"file": ["The file is empty."]}
        )


def _check_media_type(media_type: str) -> str:
    media_type = (media_type or "").strip()
    if media_type and (len(media_type) > 120 or not MEDIA_TYPE_RE.fullmatch(media_type)):
        raise ApplicationError(
            "The media type is not valid.",
            fields={"media_type": ["Give type/subtype, e.g. text/csv; charset=utf-8."]},
        )
    return media_type


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
    identifier: str = "",
) -> Distribution:
    """Store an uploaded file as a distribution, recording its size and SHA-256.

    The hash is computed from the bytes received; a declared checksum that differs is refused
    before anything is stored. ``identifier`` (the publisher's own, unique within the dataset)
    lets a later sync refer to the file.
    """
    from .datasets import clean_identifier

    ensure_steward(user=user, publisher=dataset.publisher)
    identifier = clean_identifier(identifier)
    if identifier and dataset.distributions.filter(identifier=identifier).exists():
        raise _identifier_taken(identifier)
    upload_check_size(size=upload.size)
    expected = _parse_checksum(declared_checksum)
    code = _resolve_format(format, upload.name)
    media_type = _check_media_type(media_type)
    sha256, size = _hash_upload(upload)
    upload_check_size(size=size)  # the bytes read, whatever the upload said of itself
    if expected and expected != sha256:
        raise ChecksumMismatchError(
            "The uploaded file does not match the declared checksum; nothing was stored.",
            fields={"checksum": [f"Declared sha256:{expected}, received sha256:{sha256}."]},
        )
    distribution = Distribution(
        dataset=dataset,
        identifier=identifier,
        title=(single_line(title or upload.name or "") or "file")[:300],
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
    except IntegrityError as exc:  # the identifier was taken meanwhile
        distribution.file.delete(save=False)
        raise _identifier_taken(identifier) from exc
    except Exception:
        distribution.file.delete(save=False)
        raise
    return distribution


def _identifier_taken(identifier: str) -> ConflictError:
    return ConflictError(
        f"The dataset already has a distribution with the identifier '{identifier}'.",
        fields={"identifier": ["This identifier is taken in this dataset."]},
    )


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
        title=single_line(title)[:300] or access_url[:300],
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
    transaction.on_commit(lambda: delete_stored_files(stored))
