"""One JSON error shape for the whole API.

Every error leaves as ``{"error": {"code": ..., "message": ..., "fields": {...}}}``: DRF exceptions,
Django's 404 and permission errors, and the domain errors raised by services, which all subclass
:class:`ApplicationError`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain error: the caller asked for something the rules do not allow."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}


class PermissionDeniedError(ApplicationError):
    """The caller may see the object but not do this to it."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class GoneError(ApplicationError):
    status_code = status.HTTP_410_GONE
    code = "gone"


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class PayloadTooLargeError(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"


class NotAcceptableError(ApplicationError):
    """The resource exists, but in none of the media types the client's Accept header allows."""

    status_code = status.HTTP_406_NOT_ACCEPTABLE
    code = "not_acceptable"


class UnsupportedMediaTypeError(ApplicationError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def error_body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _validation_payload(detail: Any) -> tuple[str, dict[str, list[str]]]:
    if isinstance(detail, dict):
        fields = {key: _flatten(value) for key, value in detail.items()}
        non_field = fields.pop("non_field_errors", None)
        if non_field:
            return non_field[0], fields
        first_key = next(iter(fields), None)
        message = (
            f"Invalid input: {first_key}: {fields[first_key][0]}" if first_key else "Invalid input."
        )
        return message, fields
    messages = _flatten(detail)
    return (messages[0] if messages else "Invalid input."), {}


# The database connection dropped or cannot be made: the request may succeed in a moment.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def _unavailable_body() -> dict[str, Any]:
    return error_body(
        "service_unavailable",
        "The database is not answering; nothing was changed. Try again in a moment.",
    )


def _retry_after() -> str:
    return str(getattr(settings, "RETRY_AFTER_SECONDS", 30))


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, UNAVAILABLE_ERRORS):
        logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        return Response(
            _unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": _retry_after()},
        )
    if isinstance(exc, RequestDataTooBig):
        exc = _body_too_large()
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status_code
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: rest_framework.views imports the authentication classes, which import the
    # services and so this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation_payload(exc.detail)
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = _flatten(detail)[0] if detail else str(exc)
        code = exc.get_codes() if not isinstance(detail, dict | list) else exc.default_code
        extra = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra["retry_after_seconds"] = int(exc.wait)
        response.data = error_body(str(code), message, **extra)
    return response


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def _body_too_large() -> PayloadTooLargeError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return PayloadTooLargeError(
        f"The request body is larger than {limit:,} bytes.", extra={"max_bytes": limit}
    )


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        too_large = _body_too_large()
        return JsonResponse(
            error_body(too_large.code, too_large.message, **too_large.extra), status=413
        )
    return _json_error(400, "bad_request", "The request could not be understood.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(403, "permission_denied", "You do not have permission to do this.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(404, "not_found", f"Nothing is found at {request.path}.")


def handler500(request: HttpRequest) -> JsonResponse:
    """Django calls this inside its ``except`` block: a dropped database connection anywhere
    (a middleware, the admin, a template) is a 503 to retry, not a 500."""
    if isinstance(sys.exc_info()[1], UNAVAILABLE_ERRORS):
        response = JsonResponse(_unavailable_body(), status=503)
        response["Retry-After"] = _retry_after()
        return response
    return _json_error(500, "server_error", "An unexpected error occurred; it has been logged.")


@csrf_exempt  # a POST to an unknown path is a JSON 404 too, not Django's HTML CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The catch-all of /api/: an unknown path is a JSON 404 whatever DEBUG says."""
    return handler404(request)
