"""CKAN's answer shape: ``{"help", "success": true, "result"}`` or ``{"help", "success": false,
"error": {"__type", "message", ...}}``, with the status codes CKAN clients expect.

These errors are CKAN's, not Passerelle's ``core.errors`` shape: CKAN clients (``ckanapi``
among them) turn the ``__type`` back into their own exceptions.
"""

from __future__ import annotations

from typing import Any


class CkanError(Exception):
    """An error an action answers; ``error_type`` is CKAN's ``__type``."""

    status_code = 400
    error_type = "Bad Request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_error(self) -> dict[str, Any]:
        # Validation errors carry their fields beside the message, as CKAN sends them.
        return {"__type": self.error_type, "message": self.message, **self.fields}


class BadRequestError(CkanError):
    """Unreadable input: bad JSON, a NUL byte, a parameter far too long, an unknown action."""

    status_code = 400
    error_type = "Bad Request"


class NotFoundError(CkanError):
    status_code = 404
    error_type = "Not Found Error"


class ValidationError(CkanError):
    status_code = 409
    error_type = "Validation Error"


class SearchQueryError(CkanError):
    # As CKAN answers it (ckan/views/api.py): 400 with this type; scripts written against CKAN
    # may look at the status as well as at ``__type``.
    status_code = 400
    error_type = "Search Query Error"


class SearchTimeoutError(CkanError):
    # CKAN names a search that failed on the index's side a "Search Error"; past the time limit
    # nothing is wrong with the query, so the status says "try again later".
    status_code = 503
    error_type = "Search Error"


def success_body(*, help_url: str, result: Any) -> dict[str, Any]:
    return {"help": help_url, "success": True, "result": result}


def error_body(*, help_url: str, error: CkanError) -> dict[str, Any]:
    return {"help": help_url, "success": False, "error": error.as_error()}
