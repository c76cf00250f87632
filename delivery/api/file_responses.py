"""File responses with byte ranges (RFC 9110), digests and nginx hand-off.

Django's FileResponse sends whole files only; resumable downloads (`curl -C -`, `wget -c`) need
206 answers to Range requests. Bytes are streamed in chunks, never loaded whole into memory.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from catalogue.models import Distribution

CHUNK_SIZE = 512 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end) inclusive byte range asked for, None for the whole file.

    Only single ranges are served; a multi-range or malformed header gets the whole file, as
    RFC 9110 allows. A range starting past the end is unsatisfiable (416).
    """
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise UnsatisfiableRange
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise UnsatisfiableRange
    return start, end


def _iter_range(handle, start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _common_headers(response: HttpResponse, distribution: Distribution) -> None:
    response["Content-Disposition"] = _disposition(distribution)
    response["Accept-Ranges"] = "bytes"
    if distribution.sha256:
        response["ETag"] = f'"{distribution.sha256}"'
        digest = base64.b64encode(bytes.fromhex(distribution.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Cache-Control"] = "private, no-store"


def _is_object_storage(distribution: Distribution) -> bool:
    # Local storage has a filesystem path; object storage does not.
    try:
        distribution.file.storage.path(distribution.file.name)
    except NotImplementedError:
        return True
    return False


def _disposition(distribution: Distribution) -> str:
    filename = distribution.file.name.rsplit("/", 1)[-1]
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


def file_response(
    request: HttpRequest, distribution: Distribution, *, presign_seconds: int | None = None
) -> tuple[HttpResponse, int, int]:
    """The response for a distribution's file, and the (start, length) of bytes it sends.

    ``presign_seconds`` is how long a presigned object-storage URL may live (the link's rest).
    """
    size = distribution.byte_size if distribution.byte_size is not None else distribution.file.size
    content_type = distribution.media_type or "application/octet-stream"
    if_range = request.headers.get("If-Range")
    range_header = request.headers.get("Range")
    if if_range and if_range != f'"{distribution.sha256}"':
        range_header = None  # the file changed since the partial download began: send it all
    try:
        byte_range = parse_range(range_header, size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        _common_headers(response, distribution)
        return response, 0, 0

    if presign_seconds is not None and _is_object_storage(distribution):
        # The bytes never pass through here: a presigned URL that lives no longer than the link.
        url = distribution.file.storage.url(
            distribution.file.name,
            expire=max(1, presign_seconds),
            parameters={"ResponseContentDisposition": _disposition(distribution)},
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response, 0, size

    accel_prefix = settings.DOWNLOAD_X_ACCEL_REDIRECT_PREFIX
    if accel_prefix:
        # nginx serves the bytes (ranges included) from its internal location; Django only
        # checked the grant.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{accel_prefix.rstrip('/')}/{quote(distribution.file.name)}"
        response["X-Accel-Buffering"] = "no"
        _common_headers(response, distribution)
        start, end = byte_range or (0, size - 1)
        return response, start, end - start + 1

    if request.method == "HEAD":
        # What a GET would answer, without opening the file or sending a byte.
        start, end = byte_range or (0, size - 1)
        response = HttpResponse(status=206 if byte_range else 200, content_type=content_type)
        response["Content-Length"] = str(end - start + 1)
        if byte_range:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        _common_headers(response, distribution)
        return response, start, 0

    if byte_range is None:
        response = FileResponse(distribution.file.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
        _common_headers(response, distribution)
        return response, 0, size
    start, end = byte_range
    length = end - start + 1
    response = StreamingHttpResponse(
        _iter_range(distribution.file.open("rb"), start, length),
        status=206,
        content_type=content_type,
    )
    response["Content-Length"] = str(length)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    _common_headers(response, distribution)
    return response, start, length
