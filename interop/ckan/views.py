"""The Action API endpoint: read the parameters, run one action, answer CKAN's envelope.

GET takes the query string, POST a JSON object (as ``ckanapi`` sends it). Every answer is the
envelope, errors included, so a CKAN client never meets Passerelle's own error shape here.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from .actions import ACTIONS, ActionContext
from .envelope import BadRequestError, CkanError, error_body, success_body

logger = logging.getLogger(__name__)

# Far above any real query, far below what would cost the database: a 1 MB "q" is an attack.
MAX_PARAMETER_LENGTH = 4000
MAX_BODY_BYTES = 64 * 1024
MAX_PARAMETERS = 50


@csrf_exempt  # read-only and anonymous: there is no session to ride on
def action_view(request: HttpRequest, name: str, version: int | None = None) -> JsonResponse:
    help_url = _help_url(request, name, version)
    try:
        action = ACTIONS.get(name)
        if action is None:
            raise BadRequestError(
                f"Bad request - Action name not known: {name}. "
                f"Known actions: {', '.join(sorted(ACTIONS))}."
            )
        try:
            params = _parameters(request)
        except SuspiciousOperation as error:  # too many fields, a body over Django's limit
            raise BadRequestError(f"Bad request - {error}") from None
        result = action(params, ActionContext(absolute_url=request.build_absolute_uri))
    except CkanError as error:
        logger.info("CKAN action %s refused: %s: %s", name, error.error_type, error.message)
        return JsonResponse(error_body(help_url=help_url, error=error), status=error.status_code)
    return JsonResponse(success_body(help_url=help_url, result=result))


def _help_url(request: HttpRequest, name: str, version: int | None) -> str:
    route = "ckan-action-3" if version == 3 else "ckan-action"
    path = reverse(route, kwargs={"name": "help_show"})
    return request.build_absolute_uri(path) + "?" + urlencode({"name": name[:100]})


def _parameters(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = {key: values[-1] for key, values in request.GET.lists()}
    elif request.method == "POST":
        params = _json_body(request)
    else:
        raise BadRequestError(f"Bad request - method {request.method} is not supported.")
    if len(params) > MAX_PARAMETERS:
        raise BadRequestError(f"Bad request - more than {MAX_PARAMETERS} parameters.")
    for key, value in params.items():
        _check_value(key, key)
        _check_value(key, value)
    return params


def _json_body(request: HttpRequest) -> dict[str, Any]:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise BadRequestError(f"Bad request - the body is larger than {MAX_BODY_BYTES} bytes.")
    body = request.body
    if not body.strip():
        # ckanapi posts "{}" for no parameters; a bare POST with the query string is also seen.
        return {key: values[-1] for key, values in request.GET.lists()}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequestError(f"Bad request - JSON Error: {error}") from None
    if not isinstance(data, dict):
        raise BadRequestError(
            "Bad request - Bad request data: Request data JSON decoded to "
            f"{type(data).__name__} but it needs to be a dictionary."
        )
    return data


def _check_value(key: str, value: Any, depth: int = 0) -> None:
    """NUL bytes never reach the database (PostgreSQL refuses them in text: a 500), and no
    parameter is long or nested enough to cost more than a normal query."""
    if depth > 3:
        raise BadRequestError(f"Bad request - parameter '{key[:100]}' is nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequestError(
                f"Bad request - parameter '{key[:100].replace(chr(0), '%00')}' contains a NUL "
                "byte (%00), which is never valid."
            )
        if len(value) > MAX_PARAMETER_LENGTH:
            raise BadRequestError(
                f"Bad request - parameter '{key[:100]}' is {len(value)} characters long; at "
                f"most {MAX_PARAMETER_LENGTH} are accepted."
            )
    elif isinstance(value, list):
        if len(value) > MAX_PARAMETERS:
            raise BadRequestError(f"Bad request - parameter '{key[:100]}' has too many items.")
        for item in value:
            _check_value(key, item, depth + 1)
    elif isinstance(value, dict):
        raise BadRequestError(f"Bad request - parameter '{key[:100]}' may not be an object.")


# The catalogue middleware answers a NUL byte in the query string in Passerelle's own error
# shape before any view runs; this view answers it in CKAN's envelope itself.
action_view.checks_nul_bytes_itself = True  # type: ignore[attr-defined]
