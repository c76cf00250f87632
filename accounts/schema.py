"""OpenAPI description of the authentication schemes (loaded by drf-spectacular): personal API
tokens, and partner clients' OAuth2 tokens with each operation's scopes."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.permissions import required_scopes_of


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token from POST /api/v1/auth/token/, sent as "
            "'Token <token>'.",
        }


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """OAuth2 client credentials; each operation lists the scopes any one of which opens it
    (its view's ``required_scopes``), and omits the scheme where partners are not let in."""

    target_class = "accounts.authentication.PartnerTokenAuthentication"
    name = "partnerOAuth2"

    def get_security_requirement(self, auto_schema):
        scopes = required_scopes_of(auto_schema.view, auto_schema.method)
        # Alternatives, one requirement per scope: OpenAPI reads the scopes listed in one
        # requirement as all needed, and here any one of them opens the operation.
        return [{self.name: [scope]} for scope in scopes] if scopes else None

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Partner systems: a client-credentials token from /o/token/, sent as "
            "'Bearer <token>'. A client obtains only the scopes it was granted, and acts only "
            "for its own publishers and research organisation.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/o/token/",
                    "scopes": dict(settings.PARTNER_SCOPES),
                }
            },
        }
