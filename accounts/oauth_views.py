"""/o/: the OAuth2 endpoints of partner clients (client credentials only).

- ``token/``: django-oauth-toolkit's token endpoint (RFC 6749, 4.4).
- ``revoke_token/``: its revocation endpoint (RFC 7009); it revokes only the calling client's
  own tokens and answers 200 for any other, as the RFC asks.
- ``introspect/``: ours (RFC 7662). django-oauth-toolkit's answers about any token to any
  caller holding the ``introspection`` scope; here a client authenticates with its own
  credentials and learns only about its own tokens: another client's is ``{"active": false}``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
from urllib.parse import unquote_plus

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_access_token_model

from accounts.models import PartnerClient
from accounts.selectors import partner_client_authenticate


def _credentials(request: HttpRequest) -> tuple[str, str] | None:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) if sep else None
    client_id, secret = request.POST.get("client_id"), request.POST.get("client_secret")
    return (client_id, secret) if client_id and secret else None


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class IntrospectView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        credentials = _credentials(request)
        client = partner_client_authenticate(*credentials) if credentials else None
        if client is None:
            response = JsonResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
            return response
        raw = request.POST.get("token")
        if not raw:
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "The token parameter is missing.",
                },
                status=400,
            )
        return JsonResponse(self.introspect(client, raw))

    def introspect(self, client: PartnerClient, raw: str) -> dict:
        """What ``client`` may learn about the token ``raw``: its own access tokens only.
        (config/urls.py routes /o/introspect/ to a subclass that also answers grant tokens.)"""
        token = (
            get_access_token_model()
            .objects.filter(
                token_checksum=hashlib.sha256(raw.encode()).hexdigest(),
                application_id=client.application_id,
            )
            .first()
        )
        if token is None or token.is_expired():
            return {"active": False}
        held = set(client.scopes)
        return {
            "active": True,
            "scope": " ".join(s for s in token.scope.split() if s in held),
            "client_id": client.application.client_id,
            "username": client.service_user.get_username(),
            "token_type": "Bearer",
            "exp": calendar.timegm(token.expires.utctimetuple()),
            "iat": calendar.timegm(token.created.utctimetuple()),
        }
