"""File responses with byte ranges (RFC 9110), digests and nginx hand-off.

Django's FileResponse sends whole files only; resumable downloads (`curl -C -`, `wget -c`) need
206 answers to Range requests. A range is a FileResponse too, over a file positioned at the
range's start (``FileRange``), so gunicorn sends whole files and ranges alike with sendfile;
other servers stream them in chunks. Nothing is ever loaded whole into memory.
"""

from __future__ import annotations

import base64
import io
import re
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
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


class FileRange:
    """The bytes ``start`` .. ``start + length - 1`` of an open file, for ``FileResponse``.

    The file is positioned at ``start``, and ``fileno()`` is the file's own: a WSGI server with
    ``wsgi.file_wrapper`` and sendfile (gunicorn) sends Content-Length bytes from the current
    offset straight from the page cache, without Python touching them. ``read()`` stops at the
    range's end for servers that iterate instead (runserver, the test client, TLS in gunicorn).
    """

    mode = "rb"

    def __init__(self, handle: BinaryIO, start: int, length: int) -> None:
        self._handle = handle
        self._end = start + length
        handle.seek(start)

    def fileno(self) -> int:
        return self._handle.fileno()

    # Positions are the file's own: socket.sendfile() puts it back where it stopped, and
    # FileResponse measures from it (the response then states the range's length itself).
    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def read(self, size: int = -1) -> bytes:
        remaining = self._end - self._handle.tell()
        if remaining <= 0:
            return b""
        return self._handle.read(remaining if size is None or size < 0 else min(size, remaining))

    def close(self) -> None:
        self._handle.close()


def _common_headers(
    response: HttpResponse,
    distribution: Distribution,
    *,
    accept_ranges: bool = True,
    filename: str | None = None,
) -> None:
    response["Content-Disposition"] = _disposition(distribution, filename)
    if accept_ranges:  # nginx states it itself for what it sends after X-Accel-Redirect
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


# A name a caller may ask the file to be saved under (a manifest's): ASCII letters and digits,
# '.', '_' and '-', not starting with '.', '_' or '-'. Nothing that could end the header.
SAFE_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def _disposition(distribution: Distribution, filename: str | None = None) -> str:
    if not filename or not SAFE_FILENAME.fullmatch(filename):
        filename = distribution.file.name.rsplit("/", 1)[-1]
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


def file_response(
    request: HttpRequest,
    distribution: Distribution,
    *,
    presign_seconds: int | None = None,
    filename: str | None = None,
) -> tuple[HttpResponse, int, int]:
    """The response for a distribution's file, and the (start, length) of bytes it sends.

    ``presign_seconds`` is how long a presigned object-storage URL may live (the link's rest).
    ``filename`` is the name Content-Disposition gives, when it is a safe one (SAFE_FILENAME);
    otherwise the stored file's own.
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
        _common_headers(response, distribution, filename=filename)
        return response, 0, 0

    if presign_seconds is not None and _is_object_storage(distribution):
        # The bytes never pass through here: a presigned URL that lives no longer than the link.
        url = distribution.file.storage.url(
            distribution.file.name,
            expire=max(1, presign_seconds),
            parameters={"ResponseContentDisposition": _disposition(distribution, filename)},
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
        _common_headers(response, distribution, accept_ranges=False, filename=filename)
        start, end = byte_range or (0, size - 1)
        return response, start, end - start + 1

    if request.method == "HEAD":
        # What a GET would answer, without opening the file or sending a byte.
        start, end = byte_range or (0, size - 1)
        response = HttpResponse(status=206 if byte_range else 200, content_type=content_type)
        response["Content-Length"] = str(end - start + 1)
        if byte_range:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        _common_headers(response, distribution, filename=filename)
        return response, start, 0

    if byte_range is None:
        response = FileResponse(distribution.file.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
        _common_headers(response, distribution, filename=filename)
        return response, 0, size
    start, end = byte_range
    length = end - start + 1
    response = FileResponse(
        FileRange(distribution.file.open("rb"), start, length),
        status=206,
        content_type=content_type,
    )
    response.block_size = CHUNK_SIZE
    response["Content-Length"] = str(length)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    _common_headers(response, distribution, filename=filename)
    return response, start, length
