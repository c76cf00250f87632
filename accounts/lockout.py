"""What a locked-out sign-in sees (django-axes calls this once an account or an address has
failed too often): the API's JSON error shape, or the admin's page with the same message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.errors import error_body


def signin_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in attempt is for, as django-axes counts it: the API and the admin
    send a username, allauth's form an e-mail address. An address that belongs to an account
    counts as that account's username, so failures through either path lock the same account."""
    source: Any = credentials
    if not source and request is not None:
        source = getattr(request, "data", None) or request.POST
    if not source:
        return None
    value = source.get("username") or source.get("email") or source.get("login")
    if not isinstance(value, str) or "@" not in value:
        return value
    owner = (
        get_user_model()
        .objects.filter(email__iexact=value.strip())
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    return owner or value.strip().lower()


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
