"""Refuse an upload that is too large before it is read, not after it has filled the disk."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from core.errors import PayloadTooLargeError

# Multipart framing and the form's other fields, on top of the file itself.
MULTIPART_OVERHEAD = 1024 * 1024


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"Files are accepted up to {limit:,} bytes.",
        fields={"file": [f"At most {limit:,} bytes."]},
        extra={"max_bytes": limit},
    )


class LimitedUploadHandler(FileUploadHandler):
    """First in the chain: counts the bytes of each file as they arrive and stops the upload
    (a 413) once one passes the limit, whatever the request claimed its length was."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            raise _too_large(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler stores the file


def limit_upload(request: HttpRequest, *, limit: int) -> None:
    """Call before reading the body: a declared length over the limit is refused at once, and
    the body is counted while it is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=limit))
