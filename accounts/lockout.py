"""What a locked-out sign-in sees (django-axes calls this once an account or an address has
failed too often): the API's JSON error shape, or the admin's page with the same message."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.errors import error_body


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many failed sign-ins for this account or from this address: signing in is "
        f"blocked for {minutes} minutes. An administrator can unlock it sooner "
        "(admin: Axes > Access attempts)."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    status = settings.AXES_HTTP_RESPONSE_CODE
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("locked_out", lockout_message()), status=status)
    else:
        # Rendered now: the middleware that calls this runs after responses are rendered.
        response = render(
            request,
            "accounts/lockout.html",
            {**admin.site.each_context(request), "title": "Sign-in blocked",
             "message": lockout_message()},
            status=status,
        )  # fmt: skip
    response["Retry-After"] = retry_after
    return response
