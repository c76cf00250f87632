"""How allauth creates accounts here, and what it does when a provider fails."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

logger = logging.getLogger("passerelle.accounts")


def _as_researcher(user: AbstractBaseUser) -> None:
    # Whatever a form or a provider sent, a new account starts as a researcher: no admin.
    user.is_staff = False
    user.is_superuser = False


class AccountAdapter(DefaultAccountAdapter):
    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: Any, commit: bool = True
    ) -> AbstractBaseUser:
        user = super().save_user(request, user, form, commit=False)
        _as_researcher(user)
        if commit:
            user.save()
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        _as_researcher(sociallogin.user)
        return super().save_user(request, sociallogin, form)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: BaseException | None = None,
        extra_context: dict | None = None,
    ) -> None:
        # The person sees allauth's error page (socialaccount/authentication_error.html, ours);
        # the operator needs the cause: the provider's answer, a refused connection...
        logger.warning(
            "sign-in through OpenID Connect provider %s failed: %s: %s",
            getattr(provider, "sub_id", None) or getattr(provider, "id", provider),
            error or "error",
            repr(exception) if exception else "no exception",
        )
        super().on_authentication_error(request, provider, error, exception, extra_context)
