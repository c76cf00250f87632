"""GA4GH Data Repository Service (DRS) 1.4 at /ga4gh/drs/v1 (docs/drs.md).

These routes speak the DRS spec rather than the project's API conventions: errors are the
spec's ``{"msg": ..., "status_code": ...}`` (never a 500 for bad input: malformed JSON, NUL
bytes, deep nesting and oversized bulk requests are 400 or 413), and a bearer token may be a
personal API token as well as a partner client's token, since DRS clients only send
``Authorization: Bearer``. Which objects a caller resolves is delivery.services.drs's business.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication, PartnerTokenAuthentication
from accounts.models import ApiToken
from accounts.services import hash_token
from core.api.parsers import JSONParser
from core.errors import api_exception_handler
from core.partners import GRANTS_READ
from delivery.services import drs
from delivery.services.manifests import safe_file_name
from delivery.services.passports import PassportInvalidError, passport_grants

logger = logging.getLogger(__name__)

SERVICE_VERSION = "1.4.0"
# A passport we issue is at most ~2 MB (delivery.services.passports.MAX_PASSPORT_CHARS); a
# body holds a few, within DATA_UPLOAD_MAX_MEMORY_SIZE.
MAX_PASSPORTS = 4
MAX_ID_LENGTH = 256


# --- errors in the spec's shape --------------------------------------------------------------


def drs_error(status_code: int, msg: str) -> Response:
    return Response({"msg": msg, "status_code": status_code}, status=status_code)


def drs_exception_handler(exc: Exception, context: dict) -> Response:
    """The project's handler decides status and message; the body becomes the spec's Error.
    Anything it does not know is logged and answered as the spec's 500, never Django's page."""
    response = api_exception_handler(exc, context)
    if response is None:
        logger.exception("DRS request failed", exc_info=exc)
        return drs_error(500, "An unexpected error occurred.")
    error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
    response.data = {
        "msg": error.get("message") or response.status_text,
        "status_code": response.status_code,
    }
    return response


@csrf_exempt  # a POST to an unknown path is a 404 too, not a CSRF failure
def drs_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Anything else under /ga4gh/drs/v1/: the spec's 404."""
    return JsonResponse({"msg": "No such DRS endpoint.", "status_code": 404}, status=404)


# --- authentication --------------------------------------------------------------------------


class _BearerApiTokenAuthentication(ApiTokenAuthentication):
    keyword = "Bearer"


class DrsAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` where the token is a personal API token or a partner
    client's OAuth2 token (tried in that order), or ``Authorization: Token <personal token>``.
    Passports come in the body of POSTs, not here."""

    def authenticate(self, request: Request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        scheme = header[0].lower()
        if scheme == b"token":
            return ApiTokenAuthentication().authenticate(request)
        if scheme != b"bearer":
            return None
        if len(header) == 2:
            try:
                raw = header[1].decode("ascii")
            except UnicodeError as exc:
                raise exceptions.AuthenticationFailed(
                    "The token contains invalid characters."
                ) from exc
            if ApiToken.objects.filter(key_hash=hash_token(raw)).exists():
                return _BearerApiTokenAuthentication().authenticate(request)
        return PartnerTokenAuthentication().authenticate(request)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="drs"'


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """DRS answers JSON whatever the Accept header or a ?format= says (bodies are parsed as
    DRF does: application/json with or without parameters)."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        return renderers[0], renderers[0].media_type


# --- input ------------------------------------------------------------------------------------


def _body(request: Request) -> dict:
    """The JSON object of a POST; an empty body is an empty object."""
    data = request.data
    if isinstance(data, QueryDict):  # no body at all (only JSON is parsed here)
        return {}
    if not isinstance(data, dict):
        raise exceptions.ValidationError("The body must be a JSON object.")
    return data


def _string_list(data: dict, key: str, *, limit: int, too_many: type[Exception] | None = None):
    """``data[key]`` as a list of strings (absent: empty); more than ``limit``: 413."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise exceptions.ValidationError(f"'{key}' must be an array of strings.")
    if len(value) > limit:
        raise (too_many or _TooLarge)(
            f"'{key}' holds {len(value)} items; at most {limit} are accepted."
        )
    return value


class _TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The bulk request is too large."


def _object_ids(values: list[str], key: str) -> list[str]:
    for value in values:
        if not value or len(value) > MAX_ID_LENGTH or "\x00" in value:
            raise exceptions.ValidationError(
                f"'{key}' holds an id that is empty, longer than {MAX_ID_LENGTH} characters "
                "or contains a NUL."
            )
    return values


def _caller(request: Request, data: dict | None = None) -> drs.DrsCaller:
    """The caller: the authenticated user, and the grants of the passports in the body."""
    passports = _string_list(
        data or {}, "passports", limit=MAX_PASSPORTS, too_many=exceptions.ValidationError
    )
    grant_ids = set()
    for position, passport in enumerate(passports):
        try:
            grant_ids.update(grant.pk for grant in passport_grants(passport))
        except PassportInvalidError as exc:
            raise exceptions.AuthenticationFailed(
                f"Passport {position} was refused: {exc.message}"
            ) from exc
    user = request.user if request.user.is_authenticated else None
    return drs.DrsCaller(
        user=user, passport_grant_ids=frozenset(grant_ids), passports_sent=bool(passports)
    )


# --- output -----------------------------------------------------------------------------------


def _authorizations(obj: drs.DrsObject | None, object_id: str) -> dict:
    if obj is not None and obj.public:
        return {"drs_object_id": object_id, "supported_types": ["None"]}
    return {
        "drs_object_id": object_id,
        "supported_types": ["PassportAuth", "BearerAuth"],
        "passport_auth_issuers": drs.passport_issuers(),
        "bearer_auth_issuers": drs.bearer_issuers(),
    }


def _object_json(object_id: str, obj: drs.DrsObject) -> dict:
    distribution = obj.distribution
    name = drs_name(distribution)
    methods = []
    for access_id in obj.access_ids:
        method: dict[str, Any] = {"type": "https", "access_id": access_id}
        if obj.public:
            method["access_url"] = {"url": drs.public_download_url(distribution)}
        else:
            method["authorizations"] = _authorizations(obj, object_id)
        methods.append(method)
    created = distribution.created
    updated = distribution.fetched_at or created
    body: dict[str, Any] = {
        "id": str(distribution.pk),
        "name": name,
        "self_uri": drs.drs_uri(distribution.pk),
        "size": distribution.byte_size
        if distribution.byte_size is not None
        else distribution.file.size,
        "created_time": created.isoformat().replace("+00:00", "Z"),
        "updated_time": updated.isoformat().replace("+00:00", "Z"),
        "mime_type": distribution.media_type or "application/octet-stream",
        "checksums": [{"checksum": distribution.sha256, "type": "sha-256"}]
        if distribution.sha256
        else [],
        "access_methods": methods,
        "description": distribution.title
        + (f": {distribution.description}" if distribution.description else ""),
        "aliases": [distribution.identifier] if distribution.identifier else [],
    }
    if distribution.sha256:
        body["version"] = distribution.sha256
    return body


def drs_name(distribution: Any) -> str:
    """The object's name: the stored file's, in the spec's portable characters."""
    return safe_file_name(distribution.file.name, fallback=str(distribution.pk))


# --- views ------------------------------------------------------------------------------------


class DrsView(APIView):
    """Common to every DRS route: its authentication, JSON only, the spec's errors."""

    authentication_classes = [DrsAuthentication]
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = JsonOnlyNegotiation
    # A partner token needs grants:read here; people and passports need no scope.
    required_scopes = {
        "get": (GRANTS_READ,),
        "post": (GRANTS_READ,),
        "options": (GRANTS_READ,),
    }

    def get_exception_handler(self):
        return drs_exception_handler


def _raise_for(code: int, what: str) -> None:
    if code == 401:
        raise exceptions.NotAuthenticated(
            f"{what} is restricted: send a bearer token or, in a POST body, a passport."
        )
    if code == 403:
        raise exceptions.PermissionDenied(f"None of your credentials opens {what}.")
    raise exceptions.NotFound(f"No {what}.")


def _service_id() -> str:
    """Reverse domain notation, as service-info asks: drs.example.eu gives eu.example.drs."""
    host = settings.DRS_HOSTNAME.rsplit(":", 1)[0].strip("[]")
    if not any(c.isalpha() for c in host):  # an address, not a name
        return "local.passerelle.drs"
    return ".".join(reversed(host.lower().split("."))) + ".drs"


@extend_schema(exclude=True)
class ServiceInfoView(DrsView):
    authentication_classes: list = []  # public: no credentials are read

    def get(self, request: Request) -> Response:
        site = settings.SITE_URL.rstrip("/")
        return Response(
            {
                "id": _service_id(),
                "name": "Passerelle DRS",
                "type": {"group": "org.ga4gh", "artifact": "drs", "version": SERVICE_VERSION},
                "description": "Files of the Passerelle catalogue: open data to anyone, "
                "restricted files to the holders of an active grant.",
                "organization": {"name": "Passerelle", "url": site},
                "documentationUrl": f"{site}/api/docs/",
                "version": SERVICE_VERSION,
                "environment": "production" if not settings.DEBUG else "development",
                "maxBulkRequestLength": settings.DRS_MAX_BULK_REQUEST_LENGTH,
                "drs": {"maxBulkRequestLength": settings.DRS_MAX_BULK_REQUEST_LENGTH},
            }
        )


@extend_schema(exclude=True)
class ObjectView(DrsView):
    def _answer(self, request: Request, object_id: str, data: dict | None) -> Response:
        _object_ids([object_id], "object_id")
        caller = _caller(request, data)
        resolution = drs.drs_objects_resolve(caller=caller, object_ids=[object_id])
        if object_id in resolution.unresolved:
            _raise_for(resolution.unresolved[object_id], f"DRS object {object_id}")
        return Response(_object_json(object_id, resolution.resolved[object_id]))

    def get(self, request: Request, object_id: str) -> Response:
        return self._answer(request, object_id, None)

    def post(self, request: Request, object_id: str) -> Response:
        data = _body(request)
        if "expand" in data and not isinstance(data["expand"], bool):
            raise exceptions.ValidationError("'expand' must be true or false.")
        return self._answer(request, object_id, data)

    def options(self, request: Request, object_id: str) -> Response:
        _object_ids([object_id], "object_id")
        resolution = drs.drs_authorizations(object_ids=[object_id])
        if resolution.unresolved.get(object_id) == 404:
            raise exceptions.NotFound(f"No DRS object {object_id}.")
        return Response(_authorizations(resolution.resolved.get(object_id), object_id))


@extend_schema(exclude=True)
class BulkObjectsView(DrsView):
    def _ids(self, data: dict) -> list[str]:
        ids = _object_ids(
            _string_list(data, "bulk_object_ids", limit=settings.DRS_MAX_BULK_REQUEST_LENGTH),
            "bulk_object_ids",
        )
        if not ids:
            raise exceptions.ValidationError("'bulk_object_ids' must name at least one object.")
        return list(dict.fromkeys(ids))

    def post(self, request: Request) -> Response:
        data = _body(request)
        ids = self._ids(data)
        resolution = drs.drs_objects_resolve(caller=_caller(request, data), object_ids=ids)
        return Response(
            {
                "summary": {
                    "requested": len(ids),
                    "resolved": len(resolution.resolved),
                    "unresolved": len(resolution.unresolved),
                },
                "unresolved_drs_objects": resolution.unresolved_by_code(),
                "resolved_drs_object": [
                    _object_json(object_id, obj) for object_id, obj in resolution.resolved.items()
                ],
            }
        )

    def options(self, request: Request) -> Response:
        ids = self._ids(_body(request))
        resolution = drs.drs_authorizations(object_ids=ids)
        found = [i for i in ids if resolution.unresolved.get(i) != 404]
        return Response(
            {
                "summary": {
                    "requested": len(ids),
                    "resolved": len(found),
                    "unresolved": len(ids) - len(found),
                },
                "unresolved_drs_objects": [
                    group for group in resolution.unresolved_by_code() if group["error_code"] == 404
                ],
                "resolved_drs_object": [
                    _authorizations(resolution.resolved.get(i), i) for i in found
                ],
            }
        )


@extend_schema(exclude=True)
class AccessView(DrsView):
    def _answer(self, request: Request, object_id: str, access_id: str, data: dict | None):
        _object_ids([object_id, access_id], "path")
        result = drs.drs_access_urls(caller=_caller(request, data), wanted=[(object_id, access_id)])
        if result.unresolved:
            code = result.unresolved[(object_id, access_id)]
            if code == 404:
                raise exceptions.NotFound(
                    f"No DRS object {object_id} with an access method '{access_id}' for you."
                )
            _raise_for(code, f"DRS object {object_id}")
        return Response({"url": result.resolved[0].url, "headers": []})

    def get(self, request: Request, object_id: str, access_id: str) -> Response:
        return self._answer(request, object_id, access_id, None)

    def post(self, request: Request, object_id: str, access_id: str) -> Response:
        return self._answer(request, object_id, access_id, _body(request))


@extend_schema(exclude=True)
class BulkAccessView(DrsView):
    def post(self, request: Request) -> Response:
        data = _body(request)
        items = data.get("bulk_object_access_ids")
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError(
                "'bulk_object_access_ids' must be a non-empty array of "
                '{"bulk_object_id": ..., "bulk_access_ids": [...]}.'
            )
        wanted: list[tuple[str, str]] = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("bulk_object_id"), str):
                raise exceptions.ValidationError(
                    "Each item of 'bulk_object_access_ids' needs a 'bulk_object_id' string."
                )
            access_ids = _string_list(
                item, "bulk_access_ids", limit=settings.DRS_MAX_BULK_REQUEST_LENGTH
            )
            if not access_ids:
                raise exceptions.ValidationError("Each item needs at least one 'bulk_access_ids'.")
            object_id = item["bulk_object_id"]
            _object_ids([object_id, *access_ids], "bulk_object_access_ids")
            wanted += [(object_id, access_id) for access_id in access_ids]
            if len(wanted) > settings.DRS_MAX_BULK_REQUEST_LENGTH:
                raise _TooLarge(
                    f"At most {settings.DRS_MAX_BULK_REQUEST_LENGTH} object and access id "
                    "pairs in one request."
                )
        wanted = list(dict.fromkeys(wanted))
        result = drs.drs_access_urls(caller=_caller(request, data), wanted=wanted)
        return Response(
            {
                "summary": {
                    "requested": len(wanted),
                    "resolved": len(result.resolved),
                    "unresolved": len(result.unresolved),
                },
                "unresolved_drs_objects": result.unresolved_by_code(),
                "resolved_drs_object_access_urls": [
                    {
                        "drs_object_id": item.object_id,
                        "drs_access_id": item.access_id,
                        "url": item.url,
                        "headers": [],
                    }
                    for item in result.resolved
                ],
            }
        )
