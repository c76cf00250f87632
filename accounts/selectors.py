"""Reads of the accounts app: whether an e-mail address is verified, a user's own API tokens,
partner clients and their secrets."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, PartnerClient
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


# --- partner clients ---------------------------------------------------------------------------


def partner_client_of_application(application: Any) -> PartnerClient | None:
    """The partner client holding an OAuth2 application (None for any other application)."""
    if application is None or getattr(application, "pk", None) is None:
        return None
    try:
        return application.partner_client
    except PartnerClient.DoesNotExist:
        return None


def partner_client_get(*, id_or_client_id: str) -> PartnerClient:
    """A partner client by its UUID, OAuth2 client id or name (management commands)."""
    clients = PartnerClient.objects.select_related("application", "service_user")
    try:
        client = clients.filter(pk=uuid.UUID(str(id_or_client_id))).first()
    except ValueError:
        client = None
    client = (
        client
        or clients.filter(application__client_id=id_or_client_id).first()
        or clients.filter(name=id_or_client_id).first()
    )
    if client is None:
        raise NotFoundError(f"No partner client '{id_or_client_id}'.")
    return client


def partner_secret_matches(*, client: PartnerClient, secret: str, current: bool = True) -> bool:
    """Whether ``secret`` is the client's secret: the current one (``current``), or the one it
    replaced while the rotation's overlap lasts."""
    if current and check_password(secret, client.application.client_secret):
        return True
    expires = client.previous_secret_expires_at
    return bool(
        client.previous_secret_hash
        and expires is not None
        and expires > timezone.now()
        and check_password(secret, client.previous_secret_hash)
    )


def partner_client_authenticate(client_id: str, secret: str) -> PartnerClient | None:
    """The active partner client with this id and secret (current, or previous during a
    rotation's overlap); None otherwise."""
    client = (
        PartnerClient.objects.select_related("application", "service_user")
        .filter(application__client_id=client_id, is_active=True)
        .first()
    )
    if client is None or not partner_secret_matches(client=client, secret=secret):
        return None
    return client
