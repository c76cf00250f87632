"""django-oauth-toolkit, narrowed to partner clients and the client-credentials grant.

- :class:`PartnerScopes` (``SCOPES_BACKEND_CLASS``): a client obtains only the scopes it was
  granted (``PartnerClient.scopes``) among those the installation knows (``PARTNER_SCOPES``);
  asking for any other is ``invalid_scope`` (RFC 6749, 5.2). Asking for none gives all it holds.
- :class:`PartnerOAuth2Validator` (``OAUTH2_VALIDATOR_CLASS``): only an active partner client
  authenticates, with its current secret or, during a rotation's overlap, its previous one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from accounts.models import PartnerClient
from accounts.selectors import partner_client_of_application, partner_secret_matches


def granted_scopes(client: PartnerClient | None) -> list[str]:
    """The scopes ``client`` may obtain now: its own, if the installation still knows them."""
    if client is None or not client.is_active:
        return []
    known = settings.PARTNER_SCOPES
    return [scope for scope in client.scopes if scope in known]


class PartnerScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(settings.PARTNER_SCOPES)

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return granted_scopes(partner_client_of_application(application))

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return granted_scopes(partner_client_of_application(application))


def _client_credentials(request: Any) -> tuple[str, str] | None:
    """The client id and secret sent with HTTP Basic (preferred) or in the body."""
    header = request.headers.get("HTTP_AUTHORIZATION", "") or ""
    kind, _, value = header.partition(" ")
    if kind == "Basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) if sep else None
    client_id = getattr(request, "client_id", None)
    secret = getattr(request, "client_secret", None)
    return (client_id, secret) if client_id and secret else None


class PartnerOAuth2Validator(OAuth2Validator):
    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        authenticated = super().authenticate_client(request, *args, **kwargs)
        if not authenticated:
            authenticated = self._authenticate_with_previous_secret(request)
        if not authenticated:
            return False
        # An application that is not a partner client, or a deactivated one, gets no token.
        client = partner_client_of_application(request.client)
        return client is not None and client.is_active

    def _authenticate_with_previous_secret(self, request: Any) -> bool:
        credentials = _client_credentials(request)
        if credentials is None:
            return False
        client_id, secret = credentials
        application = self._load_application(client_id, request)
        if application is None or application.client_id != client_id:
            return False
        client = partner_client_of_application(application)
        return client is not None and partner_secret_matches(
            client=client, secret=secret, current=False
        )
