"""Writes of the accounts app: personal API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import status

from accounts.models import ApiToken
from core.errors import ApplicationError

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "pst_"  # noqa: S105 - a visible marker, not a secret


class InvalidCredentials(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_credentials"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: AbstractBaseUser, name: str = "", lifetime_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with the secret, which is shown only once.

    ``lifetime_days`` shortens the token's life; it never exceeds ``API_TOKEN_TTL_DAYS``."""
    longest = settings.API_TOKEN_TTL_DAYS
    if lifetime_days is not None and not 1 <= lifetime_days <= longest:
        raise ApplicationError(
            f"A token lives from 1 to {longest} days.",
            fields={"lifetime_days": [f"Choose a number of days from 1 to {longest}."]},
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:12],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=lifetime_days or longest),
    )
    logger.info("user %s created API token %s", user.pk, token.prefix)
    return token, raw


def api_token_obtain(
    *, request: HttpRequest | None, username: str, password: str, name: str = ""
) -> tuple[ApiToken, str]:
    """Exchange a username and password for a token. ``request`` lets the sign-in throttle
    (django-axes) count failures per account and per client address, as for the admin."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials("Unknown username or wrong password.")
    return api_token_create(user=user, name=name or "API")


@transaction.atomic
def api_tokens_revoke_for_user(*, user_id: int, reason: str) -> int:
    """Revoke every live token of a user (their password changed: whoever held a token with
    the old password must sign in again). Returns how many were revoked."""
    revoked = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        logger.info("revoked %d API token(s) of user %s: %s", revoked, user_id, reason)
    return revoked


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        logger.info("API token %s of user %s revoked", token.prefix, token.user_id)
