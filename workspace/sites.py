"""The researcher workspace: a second admin site, at /workspace/, for every verified account.

The stewards' admin (/admin/) is for staff; this site asks only for a signed-in, active account
with a verified e-mail address, and registers only the workspace's own pages (the catalogue, the
user's requests and grants), whose querysets hold nothing but what the user may see.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from accounts.selectors import email_is_verified


def may_enter(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and email_is_verified(user=user))


class WorkspaceSite(admin.AdminSite):
    site_header = "Passerelle workspace"
    site_title = "Passerelle workspace"
    index_title = "Find data, ask for access, download"
    site_url = None  # the site has no public home page to link to
    index_template = "admin/workspace/index.html"
    enable_nav_sidebar = True

    def has_permission(self, request: HttpRequest) -> bool:
        return may_enter(request)

    def admin_view(self, view, cacheable: bool = False):
        checked = super().admin_view(view, cacheable)
        # Signing out needs no verified address (the admin would only send them to its index).
        unchecked = csrf_protect(never_cache(view))

        def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                # To the sign-in page the project names (allauth's, once installed).
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not may_enter(request):
                if request.path == reverse("workspace:logout"):
                    return unchecked(request, *args, **kwargs)
                return self.unverified_view(request)
            return checked(request, *args, **kwargs)

        inner.admin_site = self
        return inner

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The workspace never signs anyone in itself: allauth does (e-mail verification, the
        second factor, the sign-in throttle), then sends them back here."""
        next_url = request.GET.get("next", reverse("workspace:index"))
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("workspace:index")
        if may_enter(request):
            return redirect(next_url)
        return redirect_to_login(next_url, settings.LOGIN_URL)

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The header's "Change password" is allauth's page (the one that also handles accounts
        signed in through an identity provider, which have no password yet)."""
        return redirect("account_change_password")

    def unverified_view(self, request: HttpRequest) -> HttpResponse:
        """Signed in but without a verified e-mail address: say so, and what to do."""
        context = {
            **self.each_context(request),
            "title": "Verify your e-mail address",
            "has_email": bool(request.user.email),
        }
        return TemplateResponse(request, "workspace/unverified.html", context, status=403)


workspace_site = WorkspaceSite(name="workspace")
