"""API authentication: personal API tokens (``Token``) and partner clients' OAuth2 tokens
(``Bearer``, from /o/token/)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from core.partners import PartnerContext, partner_context_attach

from .models import ApiToken
from .permissions import partner_scope_check
from .services import hash_token

# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <secret>`` with a personal API token."""

    keyword = "Token"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        # Bearer tokens are partner clients' (PartnerTokenAuthentication, next in the list).
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as 'Authorization: Token <token>'."
            )
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        now = timezone.now()
        # A stale token says why: the holder then knows whether to sign in again or to ask.
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown token: check that it was copied whole.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"This token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC (revoked by "
                "its holder, or because the password changed); obtain a new one."
            )
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; obtain a new one."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The account this token belongs to is disabled.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` with a partner client's OAuth2 access token.

    The request acts as the client's service user; the user object carries a
    :class:`core.partners.PartnerContext` (the client, and the token's scopes the client still
    holds) that selectors read to restrict what it sees. The view's ``required_scopes`` are
    checked here as well as by :class:`accounts.permissions.PartnerScopePermission`, so that a
    view which sets its own ``permission_classes`` is still closed to tokens without the scope.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as 'Authorization: Bearer <token>'."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        token = (
            get_access_token_model()
            .objects.select_related("application__partner_client__service_user")
            .filter(token_checksum=checksum)
            .first()
        )
        client = getattr(token.application, "partner_client", None) if token else None
        if token is None or client is None:
            # Revoked tokens are deleted: unknown and revoked look the same.
            raise exceptions.AuthenticationFailed(
                "Unknown or revoked bearer token: obtain one from /o/token/ with the client "
                "credentials (a personal API token is sent as 'Authorization: Token <token>')."
            )
        if token.is_expired():
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expires:%Y-%m-%d %H:%M:%S} UTC; obtain a new "
                "one from /o/token/."
            )
        user = client.service_user
        if not client.is_active or not user.is_active:
            raise exceptions.AuthenticationFailed(
                f"The partner client '{client.name}' is deactivated."
            )
        held = set(client.scopes)
        partner_context_attach(
            user,
            PartnerContext(
                client_id=client.pk,
                name=client.name,
                scopes=frozenset(s for s in token.scope.split() if s in held),
                research_organisation=client.research_organisation,
            ),
        )
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is not None:
            partner_scope_check(request, view, user=user)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
