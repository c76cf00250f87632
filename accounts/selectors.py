"""Reads of the accounts app: whether an e-mail address is verified, a user's own API tokens."""

from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import ApiToken
from core.errors import NotFoundError


def email_is_verified(*, user: AbstractBaseUser) -> bool:
    """True when the account's own e-mail address (``user.email``) was verified: confirmed
    through the link allauth sends, vouched for by an OpenID Connect provider, or set by an
    administrator before self-registration existed (migration 0002)."""
    if not user.is_authenticated or not user.email:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def api_tokens_of(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (live, expired and revoked alike)."""
    return ApiToken.objects.filter(user=user).order_by("-created")


def api_token_get_own(*, user: AbstractBaseUser, token_id: uuid.UUID) -> ApiToken:
    """One of the user's own tokens; another user's token is not found, as an unknown one."""
    token = api_tokens_of(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFoundError("No such token.")
    return token
