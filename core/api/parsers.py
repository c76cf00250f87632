"""Request-body parsers that answer 4xx to hostile bodies instead of 500 or an exhausted worker.

DRF's own parsers read the whole body however large it is (``DATA_UPLOAD_MAX_MEMORY_SIZE`` only
guards ``request.body``), and ``json.loads`` raises RecursionError on arrays nested thousands
deep. These read at most the limit, and turn both into the API's error shape.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.errors import PayloadTooLargeError


def _read_limited(stream, limit: int | None = None) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    data = stream.read(limit + 1) if stream is not None else b""
    if limit is not None and len(data) > limit:
        raise PayloadTooLargeError(
            f"The request body is larger than {limit:,} bytes.", extra={"max_bytes": limit}
        )
    return data


class JSONParser(parsers.JSONParser):
    def max_bytes(self) -> int | None:
        """The most this parser reads; None: DATA_UPLOAD_MAX_MEMORY_SIZE."""
        return None

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        data = _read_limited(stream, self.max_bytes())
        try:
            return json.loads(data.decode(encoding), parse_constant=self._refuse_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None) -> QueryDict:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(_read_limited(stream), encoding=encoding)
