"""Writes of the accounts app: personal API tokens, partner clients, and the researchers that
partners name."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework import status

from accounts.models import ApiToken, PartnerClient
from core.errors import ApplicationError, ConflictError
from core.text import single_line

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


# --- partner clients ---------------------------------------------------------------------------


def partner_scopes_clean(scopes: Iterable[str]) -> list[str]:
    """The scopes asked for, each known to the installation (``PARTNER_SCOPES``), in order."""
    result: list[str] = []
    for raw in scopes:
        scope = str(raw).strip()
        if scope not in settings.PARTNER_SCOPES:
            known = ", ".join(settings.PARTNER_SCOPES)
            raise ApplicationError(
                f"Unknown scope '{scope}'.", fields={"scopes": [f"Choose among: {known}."]}
            )
        if scope not in result:
            result.append(scope)
    if not result:
        raise ApplicationError(
            "A partner client needs at least one scope.",
            fields={"scopes": ["At least one scope."]},
        )
    return result


def _service_username(name: str) -> str:
    return f"partner-{slugify(name)[:80] or 'client'}-{secrets.token_hex(3)}"


@transaction.atomic
def partner_client_create(
    *,
    name: str,
    scopes: Iterable[str],
    publishers: Iterable[Any] = (),
    research_organisation: str = "",
) -> tuple[PartnerClient, str]:
    """Register a partner system: an OAuth2 confidential client-credentials application, its
    service user (no usable password, never staff) and its bindings. Returns the client with
    its secret, which is stored hashed and shown only this once."""
    name = single_line(name)
    if not name:
        raise ApplicationError("A name is required.", fields={"name": ["Required."]})
    if PartnerClient.objects.filter(name=name).exists():
        raise ConflictError(f"A partner client named '{name}' exists.", fields={"name": ["Taken."]})
    scopes = partner_scopes_clean(scopes)
    user = get_user_model()(username=_service_username(name), is_staff=False, is_active=True)
    user.set_unusable_password()
    user.save()
    Application = get_application_model()
    secret = generate_client_secret()
    application = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed when saved (django-oauth-toolkit's ClientSecretField)
        hash_client_secret=True,
        user=user,
        skip_authorization=True,
    )
    application.save()
    try:
        with transaction.atomic():
            client = PartnerClient.objects.create(
                application=application,
                name=name,
                service_user=user,
                research_organisation=single_line(research_organisation),
                scopes=scopes,
            )
    except IntegrityError as exc:  # a concurrent create took the name
        raise ConflictError(
            f"A partner client named '{name}' exists.", fields={"name": ["Taken."]}
        ) from exc
    client.publishers.set(list(publishers))
    logger.info("partner client %s (%s) created", client.pk, application.client_id)
    return client, secret


@transaction.atomic
def partner_client_rotate_secret(*, client: PartnerClient, overlap: timedelta | None = None) -> str:
    """Give the client a new secret; the one it replaces keeps working for ``overlap``
    (``PARTNER_SECRET_OVERLAP_HOURS`` by default; zero ends it now). Tokens already issued
    live on to their expiry. Returns the new secret, shown only this once."""
    if overlap is None:
        overlap = timedelta(hours=settings.PARTNER_SECRET_OVERLAP_HOURS)
    if overlap < timedelta(0):
        raise ApplicationError("The overlap cannot be negative.", fields={"overlap": ["≥ 0."]})
    client = (
        PartnerClient.objects.select_for_update().select_related("application").get(pk=client.pk)
    )
    now = timezone.now()
    application = client.application
    secret = generate_client_secret()
    client.previous_secret_hash = application.client_secret if overlap else ""
    client.previous_secret_expires_at = now + overlap if overlap else None
    client.secret_rotated_at = now
    client.save(
        update_fields=[
            "previous_secret_hash", "previous_secret_expires_at", "secret_rotated_at", "updated",
        ]
    )  # fmt: skip
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    logger.info(
        "partner client %s: secret rotated, the previous one works until %s",
        client.pk,
        client.previous_secret_expires_at,
    )
    return secret


def _revoke_tokens(client: PartnerClient) -> int:
    deleted, _ = get_access_token_model().objects.filter(application=client.application).delete()
    return deleted


@transaction.atomic
def partner_client_set_active(*, client: PartnerClient, active: bool) -> PartnerClient:
    """Deactivate a client (its tokens are deleted and no new one is issued: every call it
    makes fails from the commit on) or activate it again (it obtains new tokens)."""
    client = PartnerClient.objects.select_for_update().get(pk=client.pk)
    if client.is_active != active:
        client.is_active = active
        client.save(update_fields=["is_active", "updated"])
    if not active:
        revoked = _revoke_tokens(client)
        logger.info("partner client %s deactivated; %d token(s) revoked", client.pk, revoked)
    return client


@transaction.atomic
def partner_client_tokens_revoke(*, client: PartnerClient) -> int:
    """End every token of the client now (it may obtain new ones)."""
    return _revoke_tokens(client)


# --- researchers named by a partner ------------------------------------------------------------


def researcher_find_or_create(*, email: str, name: str = "") -> tuple[AbstractBaseUser, bool]:
    """The account a partner names by e-mail: the one whose address is verified, else the one
    that holds it unverified, else a new one (unverified address, no usable password). The
    researcher claims a new account by resetting its password with that address (allauth's
    "forgot password" sends the link there), then verifying the address when signing in.
    Returns the account and whether it was created. Runs in the caller's transaction."""
    email = email.strip()
    address = (
        EmailAddress.objects.filter(email__iexact=email)
        .select_related("user")
        .order_by("-verified", "-primary", "pk")
        .first()
    )
    User = get_user_model()
    existing = address.user if address is not None else None
    if existing is None:
        existing = User.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        if not (address is not None and address.verified):
            _distrust_credentials(existing)
        return existing, False
    first, _, last = single_line(name).partition(" ")
    user = User(
        username=_researcher_username(email),
        email=email.lower(),
        first_name=first[:150],
        last_name=last[:150],
        is_staff=False,
        is_superuser=False,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two partner requests named the same new researcher at once: the other made the
        # account (same username, derived from the address); this one uses it.
        existing = User.objects.filter(email__iexact=email).order_by("pk").first()
        if existing is None:
            raise
        return existing, False
    EmailAddress.objects.create(user=user, email=email.lower(), verified=False, primary=True)
    logger.info("researcher account %s created for a partner's request", user.pk)
    return user, True


def _distrust_credentials(user: AbstractBaseUser) -> None:
    """An account whose address was never verified may be anyone's: someone could sign up with
    a researcher's address before a partner names them. Its password and API tokens stop
    working, so that only the holder of the mailbox (password reset, then verification) uses
    the request and the grant that the partner obtains for it."""
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])  # sessions end: their hash used the password
        logger.warning(
            "unverified account %s named by a partner: its password no longer works", user.pk
        )
    api_tokens_revoke_for_user(user_id=user.pk, reason="named by a partner, address unverified")


def _researcher_username(email: str) -> str:
    User = get_user_model()
    base = email.lower()[:140]
    username, n = base, 2
    while User.objects.filter(username=username).exists():
        username, n = f"{base}-{n}", n + 1
    return username
