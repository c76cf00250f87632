"""The OpenAPI description of what every view shares: the one error shape, and which errors an
operation can give without its view saying so.

drf-spectacular describes an operation from its view. Errors mostly do not come from the view's
code but from what surrounds it: the exception handler (core.errors) turns bad input, missing
credentials, unknown ids, throttling and crashes into ``{"error": {...}}``. :class:`AutoSchema`
(the ``DEFAULT_SCHEMA_CLASS``) adds those responses to each operation from what the view really
has: its parameters and request body, its authentication, permission and throttle classes. A
view declares the errors only it knows about (a 409 on a state conflict, a 413 on an upload) with
``extend_schema(responses={409: error_response("...")})``; what a view declares is never
overwritten.
"""

from __future__ import annotations

from typing import Any

from django_filters import filters
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

from core.api import idempotency

# The body of every error response: core.errors.error_body. The known extra members are listed so
# that generated clients type them; others may be added, hence additionalProperties.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, machine-readable: invalid, invalid_query, "
                    "not_authenticated, authentication_failed, invalid_credentials, "
                    "permission_denied, forbidden, not_found, conflict, invalid_state, gone, "
                    "throttled, server_error...",
                },
                "message": {"type": "string", "description": "What went wrong, for people."},
                "fields": {
                    "type": "object",
                    "description": "Each input field or query parameter at fault, with its "
                    "messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "state": {
                    "type": "string",
                    "description": "409: the current state of the access request.",
                },
                "existing_request": {
                    "type": "string",
                    "format": "uuid",
                    "description": "409: your open request for the same dataset.",
                },
                "access_requests": {
                    "type": "integer",
                    "description": "409: how many access requests keep the dataset.",
                },
                "licence": {
                    "type": "string",
                    "description": "400: the licence to accept (its identifier).",
                },
                "licence_version": {
                    "type": "integer",
                    "description": "400: the current version of that licence.",
                },
                "retry_after_seconds": {
                    "type": "integer",
                    "description": "429: when to try again (also in the Retry-After header).",
                },
            },
            "required": ["code", "message"],
            "additionalProperties": True,
        }
    },
    "required": ["error"],
}


class ErrorSerializer(serializers.Serializer):
    """Stands for the Error component in ``extend_schema``; its schema is ERROR_SCHEMA."""


class _ErrorSerializerExtension(OpenApiSerializerExtension):
    target_class = ErrorSerializer

    def get_name(self, auto_schema, direction) -> str:
        return "Error"

    def map_serializer(self, auto_schema, direction) -> dict[str, Any]:
        return ERROR_SCHEMA


def error_response(description: str) -> OpenApiResponse:
    """An error a view knows about, in the common shape: ``{409: error_response("...")}``."""
    return OpenApiResponse(ErrorSerializer, description=description)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with the errors every operation can give in the Error shape.

    A view class may set ``schema_errors_not_given`` (status codes) for a generic error that its
    inputs cannot cause (a download link's malformed parameters are a 403, not a 400).
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        not_given = {str(code) for code in getattr(self.view, "schema_errors_not_given", ())}
        for code, description in self._generic_errors(operation).items():
            if code not in responses and code not in not_given:
                responses[code] = self._error(description)
        if idempotency.honours_key(type(self.view), self.method, path):
            self._describe_idempotency(operation, responses)
        # 2xx first, then the errors in order, as a reader scans them.
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _describe_idempotency(self, operation: dict[str, Any], responses: dict) -> None:
        """The Idempotency-Key header of every POST (core/api/idempotency.py), the mark on its
        replays, and the two errors only a key can cause."""
        operation.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": idempotency.HEADER,
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 257},
                "description": "Makes a retry safe: a request repeated with the same key and "
                "the same body within 24 hours gets the first response again (marked "
                f"{idempotency.REPLAYED_HEADER}: true) and is not acted on twice. Up to 255 "
                "printable ASCII characters, bare or as a quoted string; keys are your own "
                "(another caller's key is another key). A 4xx is kept and replayed like a "
                "success; a 5xx or 429 is not.",
            }
        )
        for code, response in responses.items():
            if code.startswith("2"):
                response.setdefault("headers", {})[idempotency.REPLAYED_HEADER] = {
                    "schema": {"type": "string", "enum": ["true"]},
                    "description": "Present on a replay of the first response to this "
                    "Idempotency-Key.",
                }
        responses.setdefault(
            "409",
            self._error(
                "A request with the same Idempotency-Key is still being processed (error.code "
                "idempotency_key_in_use): retry after the Retry-After header."
            ),
        )
        responses["422"] = self._error(
            "The Idempotency-Key was already used with a different request (error.code "
            "idempotency_key_reused)."
        )

    def _error(self, description: str) -> dict[str, Any]:
        ref = self.resolve_serializer(ErrorSerializer, "response").ref
        return {"content": {"application/json": {"schema": ref}}, "description": description}

    def _generic_errors(self, operation: dict[str, Any]) -> dict[str, str]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        has_path_ids = any(p["in"] == "path" for p in parameters)
        authenticators = self.view.get_authenticators()
        anonymous_allowed = {} in operation.get("security", [{}])
        unsafe = self.method not in SAFE_METHODS
        errors: dict[str, str] = {}

        if operation.get("requestBody") or query:
            errors["400"] = (
                "Bad input: error.fields names each field or parameter at fault and why "
                "(an unknown parameter or field is an error too)."
            )
        if authenticators:
            errors["401"] = (
                "The token sent is invalid, expired or revoked (send none to read anonymously)."
                if anonymous_allowed
                else "Authentication required, or the token sent is invalid, expired or revoked."
            )
        if unsafe and any(isinstance(a, SessionAuthentication) for a in authenticators):
            errors["403"] = "Forbidden: with session authentication, the CSRF token is missing."
        if has_path_ids or "page" in query:
            errors["404"] = " ".join(
                reason
                for reason, applies in (
                    ("No such object, or one you may not see.", has_path_ids),
                    ("The page is past the last page.", "page" in query),
                )
                if applies
            )
        if _throttled(self.view):
            errors["429"] = (
                "Too many requests: try again after error.retry_after_seconds (also the "
                "Retry-After header). Every counted response carries RateLimit-Policy and "
                "RateLimit (and RateLimit-Limit, -Remaining, -Reset)."
            )
        errors["500"] = "Unexpected error; it has been logged (error.code server_error)."
        errors["503"] = "A service Passerelle depends on (the database) does not answer; retry."
        return errors


def _throttled(view: APIView) -> bool:
    """Whether the view is throttled where it is deployed: a view that names no throttle classes
    gets REST_FRAMEWORK's defaults, which config/settings/base.py sets for every view (the test
    settings turn them off, which must not change the description)."""
    for cls in type(view).__mro__:
        if cls is APIView:
            return True
        if "throttle_classes" in vars(cls):
            return bool(vars(cls)["throttle_classes"])
    return True


# --- parameters ----------------------------------------------------------------------------


def pagination_parameters(pagination_class: type) -> list[OpenApiParameter]:
    """``page`` and ``page_size`` with their limits, for a view that paginates by hand (without
    ``pagination_class``, from which drf-spectacular reads them itself)."""
    return [
        OpenApiParameter(
            spec["name"],
            spec["schema"],
            OpenApiParameter.QUERY,
            description=spec.get("description", ""),
        )
        for spec in pagination_class().get_schema_operation_parameters(view=None)
    ]


def filter_parameters(
    filterset_class: type, *, schemas: dict[str, dict[str, Any]] | None = None
) -> list[OpenApiParameter]:
    """The query parameters of a FilterSet, as it validates them: repeatable for multiple-choice
    filters, an enum for a fixed list of choices (not for values from the database), the help text
    as description. ``schemas`` gives a parameter its own schema (a maximum length...)."""
    schemas = schemas or {}
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        description = str(spec.extra.get("help_text", ""))
        if name in schemas:
            parameters.append(
                OpenApiParameter(
                    name, schemas[name], OpenApiParameter.QUERY, description=description
                )
            )
            continue
        fixed_choices = isinstance(
            spec, filters.ChoiceFilter | filters.MultipleChoiceFilter
        ) and not isinstance(spec, filters.QuerySetRequestMixin)
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                many=isinstance(spec, filters.MultipleChoiceFilter),
                description=description,
                enum=[key for key, _ in spec.extra["choices"]] if fixed_choices else None,
            )
        )
    return parameters
