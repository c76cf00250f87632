"""Request ids: taken from nginx's X-Request-ID (or made here), echoed back and put in logs."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # An id from outside is trusted only if it cannot forge log lines.
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RejectNulMiddleware:
    """A NUL byte is never valid in a path or a query parameter, and PostgreSQL refuses it in
    text: answer 400 here, in the JSON error shape, before any view or admin filter runs a
    query with it. A view marked ``checks_nul_bytes_itself`` (one that answers another API's
    error shape, such as the CKAN Action API) gets its parameters and refuses them itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path and not self._view_checks_path(request):
            return self._refuse([])
        return self.get_response(request)

    @staticmethod
    def _view_checks_path(request: HttpRequest) -> bool:
        """Whether the view the path resolves to is marked ``checks_nul_bytes_in_path_itself``
        (it answers another API's error shape, such as GA4GH DRS, and refuses them itself)."""
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return bool(getattr(match.func, "checks_nul_bytes_in_path_itself", False))

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # Runs once the URL is resolved, still before the view and the other middlewares' own
        # process_view; nothing earlier queries with parameters.
        if getattr(view_func, "checks_nul_bytes_itself", False):
            return None
        in_parameters = sorted(
            key.replace("\x00", "%00")
            for key, values in request.GET.lists()
            if "\x00" in key or any("\x00" in value for value in values)
        )
        return self._refuse(in_parameters) if in_parameters else None

    @staticmethod
    def _refuse(in_parameters: list[str]) -> JsonResponse:
        from core.errors import error_body  # the middleware module loads before settings

        return JsonResponse(
            error_body(
                "invalid",
                "The request contains a NUL byte (%00), which is never valid.",
                {name: ["Contains a NUL byte (%00)."] for name in in_parameters},
            ),
            status=400,
        )
