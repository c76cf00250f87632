"""A second factor before the admin, when MFA_REQUIRED_FOR_STAFF says so."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Recovery codes alone are a fallback, not a factor one signs in with.
SIGN_IN_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class StaffMfaRequiredMiddleware:
    """Sends a staff or superuser account without a TOTP or WebAuthn authenticator to set one up
    before it reaches /admin/. Checked per request: an authenticator removed later closes the
    admin again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.MFA_REQUIRED_FOR_STAFF and self._needs_second_factor(request):
            messages.warning(
                request,
                "Staff accounts need a second factor: set up an authenticator app (or a security "
                "key) before you enter the admin.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if not request.path.startswith("/admin/") or user is None:
            return False
        if not user.is_authenticated or not (user.is_staff or user.is_superuser):
            return False
        return not Authenticator.objects.filter(user=user, type__in=SIGN_IN_FACTORS).exists()
