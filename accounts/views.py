"""Pages of the accounts app: the researcher's API tokens, the admin's sign-in handed to allauth,
and OpenID Connect sign-in that fails with a message instead of a 500."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from requests import RequestException

from accounts import selectors, services
from accounts.forms import ApiTokenCreateForm
from core.errors import ApplicationError, NotFoundError

logger = logging.getLogger("passerelle.accounts")


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ never signs anyone in itself: allauth does (e-mail verification, the second
    factor, the sign-in throttle), then sends the person back to ``next``."""
    next_url = request.GET.get("next", "/admin/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/admin/"
    if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    if request.user.is_authenticated:
        # Signed in, yet sent here: the account may not use the admin. Sending it on to the
        # sign-in page would bounce straight back (allauth redirects signed-in people to next).
        return render(
            request,
            "accounts/admin_refused.html",
            {"title": "Not an administrator"},
            status=403,
        )
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


def _provider_failed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """allauth turns some provider failures into its error page, but not all: a discovery
    document that does not answer or is not JSON, or lacks an endpoint, raises. Those get a page
    saying the provider failed, and the log gets the cause."""

    def guarded(request: HttpRequest, provider_id: str) -> HttpResponse:
        try:
            return view(request, provider_id)
        except (RequestException, ValueError, KeyError, OAuth2Error, ProviderException) as exc:
            logger.warning(
                "sign-in through OpenID Connect provider %s failed: %r",
                provider_id,
                exc,
                exc_info=True,
            )
            return render(
                request,
                "socialaccount/authentication_error.html",
                {"provider_id": provider_id},
                status=502,
            )

    guarded.login_not_required = True  # type: ignore[attr-defined]
    return guarded


oidc_login = _provider_failed(oidc_views.login)
oidc_callback = _provider_failed(oidc_views.callback)


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own tokens; POST creates one and shows its secret once."""
    secret = None
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now.")
            form = ApiTokenCreateForm()
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": selectors.api_tokens_of(user=request.user),
            "form": form,
            "secret": secret,
            "now": timezone.now(),
        },
    )
    response["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    try:
        token = selectors.api_token_get_own(user=request.user, token_id=token_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name or token.prefix}” revoked.")
    return redirect("accounts:api_tokens")
