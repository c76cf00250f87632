"""Attachments of access requests: documents the researcher adds (ethics approval, data
management plan) while the request is a draft or returned.

The size is checked from what the upload declares and again from the bytes read; the type from
the first bytes and the extension together, never from the client's Content-Type. A refused file
leaves nothing behind: no row, no file.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
import uuid
import zipfile

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from access.events import AuditAction
from access.models import AccessRequest, RequestAttachment, RequestState, attachment_storage
from core.errors import (
    ApplicationError,
    ConflictError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

from .audit import audited_atomic, event_record
from .forms import application_form_current
from .transitions import NotAllowedError, lock_request, state_conflict

MAX_ATTACHMENTS_PER_REQUEST = 20
MAX_NAME_LENGTH = 200
SNIFF_BYTES = 8192

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
# Extension -> the type it claims; the first bytes must then agree.
KNOWN_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": DOCX,
    ".odt": ODT,
}
# Text that a browser would render as a page or run as a script is not a plain-text document.
_MARKUP_STARTS = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<?xml",
    b"<svg",
    b"<!--",
)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"Attachments are accepted up to {limit:,} bytes; nothing was stored.",
        fields={"file": [f"At most {limit:,} bytes."]},
        extra={"max_bytes": limit},
    )


def _looks_like_text(head: bytes) -> bool:
    try:
        # Not final: the first bytes may end inside a multi-byte character.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text):
        return False
    start = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    return not start.startswith(_MARKUP_STARTS)


def _is_docx(upload: UploadedFile) -> bool:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return {"[Content_Types].xml", "word/document.xml"} <= names


def _matches(content_type: str, head: bytes, upload: UploadedFile) -> bool:
    if content_type == "application/pdf":
        return head.startswith(b"%PDF-")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type in ("text/plain", "text/csv"):
        return _looks_like_text(head)
    if content_type == ODT:
        # An OpenDocument file starts with an uncompressed "mimetype" entry naming its type.
        return (
            head.startswith(b"PK\x03\x04")
            and head[30:38] == b"mimetype"
            and (head[38 : 38 + len(ODT)] == ODT.encode())
        )
    if content_type == DOCX:
        return head.startswith(b"PK\x03\x04") and _is_docx(upload)
    return False


def attachment_detect_type(*, name: str, head: bytes, upload: UploadedFile) -> str:
    """The file's type, when its extension and its first bytes agree on one that is accepted;
    otherwise a 415 saying what is accepted."""
    accepted = [t for t in settings.ATTACHMENT_CONTENT_TYPES if t in KNOWN_TYPES.values()]
    extensions = sorted(ext for ext, t in KNOWN_TYPES.items() if t in accepted)
    dot = name.rfind(".")
    claimed = KNOWN_TYPES.get(name[dot:].lower()) if dot >= 0 else None
    if claimed is None or claimed not in accepted:
        raise UnsupportedMediaTypeError(
            "This kind of file is not accepted as an attachment; nothing was stored.",
            fields={"file": [f"Accepted: {', '.join(extensions)}."]},
            extra={"accepted": accepted},
        )
    if not _matches(claimed, head, upload):
        raise UnsupportedMediaTypeError(
            f"The file's content is not {claimed}, as its name says; nothing was stored.",
            fields={"file": [f"The content does not match the extension {name[dot:]}."]},
            extra={"accepted": accepted},
        )
    return claimed


def attachment_clean_name(name: str | None) -> str:
    """The name to show: the last path part, on one line, without characters that mean
    something to a file system or a header, at most 200 characters (the extension kept)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if ch in '<>:"/\\|?*;' or (unicodedata.category(ch)[0] in "CZ" and ch != " ") else ch
        for ch in base
    )
    cleaned = " ".join(cleaned.split()).strip(". ") or "attachment"
    if len(cleaned) > MAX_NAME_LENGTH:
        dot = cleaned.rfind(".")
        ext = cleaned[dot:] if dot > 0 and len(cleaned) - dot <= 10 else ""
        cleaned = cleaned[: MAX_NAME_LENGTH - len(ext)] + ext
    return cleaned


def _storage_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "attachment"
    return cleaned[-120:]


def _read(upload: UploadedFile, limit: int) -> tuple[bytes, str, int]:
    """The first bytes, the SHA-256 and the size of what was received (a 413 past the limit)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks(1024 * 1024):
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
    upload.seek(0)
    return head, digest.hexdigest(), size


def _ensure_editable_by(user: AbstractBaseUser, request: AccessRequest, action: str) -> None:
    if request.requester_id != user.pk:
        raise NotAllowedError("Only the researcher who made this request can change its files.")
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise state_conflict(request, action)


def _check_question_key(request: AccessRequest, question_key: str) -> None:
    if not question_key:
        return
    version = application_form_current(publisher=request.dataset.publisher_id)
    questions = {q["key"]: q for q in (version.questions if version else [])}
    if questions.get(question_key, {}).get("kind") != "attachment":
        keys = sorted(k for k, q in questions.items() if q["kind"] == "attachment")
        raise ApplicationError(
            f"'{question_key}' is not an attachment question of the publisher's form.",
            fields={"question_key": [f"One of: {', '.join(keys)}." if keys else "Leave it empty."]},
        )


def attachment_add(
    *, user: AbstractBaseUser, request: AccessRequest, upload: UploadedFile, question_key: str = ""
) -> RequestAttachment:
    """Store a document with a draft or returned request. With ``question_key`` it also becomes
    the answer to that attachment question."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit)
    original = attachment_clean_name(upload.name)
    head, sha256, size = _read(upload, limit)
    if size == 0:
        raise ApplicationError(
            "The file is empty; nothing was stored.", fields={"file": ["The file is empty."]}
        )
    content_type = attachment_detect_type(name=original, head=head, upload=upload)
    question_key = (question_key or "").strip()
    attachment = RequestAttachment(
        id=uuid.uuid4(),
        access_request_id=request.pk,
        question_key=question_key,
        original_name=original,
        size=size,
        content_type=content_type,
        sha256=sha256,
        uploaded_by=user,
    )
    stored = False
    try:
        with audited_atomic():
            locked = lock_request(request)
            _ensure_editable_by(user, locked, "given attachments")
            _check_question_key(locked, question_key)
            if locked.attachments.count() >= MAX_ATTACHMENTS_PER_REQUEST:
                raise ConflictError(
                    f"A request has at most {MAX_ATTACHMENTS_PER_REQUEST} attachments; "
                    "remove one first."
                )
            attachment.file.save(_storage_name(original), upload, save=False)
            stored = True
            attachment.save(force_insert=True)
            if question_key:
                locked.answers = {**locked.answers, question_key: str(attachment.pk)}
                locked.save(update_fields=["answers", "updated"])
            event_record(
                locked,
                actor=user,
                action=AuditAction.ATTACHMENT_ADDED,
                from_state=locked.state,
                comment=f"{original} ({size:,} bytes, sha256:{sha256})",
            )
    except BaseException:
        # The row was rolled back; the file written on the way goes too.
        if stored:
            attachment_storage().delete(attachment.file.name)
        raise
    return attachment


@audited_atomic
def attachment_remove(*, user: AbstractBaseUser, attachment: RequestAttachment) -> None:
    """Remove a document from a draft or returned request (and from the answer it gave)."""
    locked = lock_request(attachment.access_request_id)
    _ensure_editable_by(user, locked, "changed")
    attachment = RequestAttachment.objects.select_for_update().get(pk=attachment.pk)
    name, stored = attachment.original_name, attachment.file.name
    answers = {k: v for k, v in locked.answers.items() if v != str(attachment.pk)}
    if answers != locked.answers:
        locked.answers = answers
        locked.save(update_fields=["answers", "updated"])
    attachment.delete()
    event_record(
        locked,
        actor=user,
        action=AuditAction.ATTACHMENT_REMOVED,
        from_state=locked.state,
        comment=name,
    )
    transaction.on_commit(lambda: attachment_storage().delete(stored))
