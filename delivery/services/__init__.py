"""Writes of the delivery app: signing keys, grant tokens, status lists and passports, download
links and downloads."""

from .links import (
    DEFAULT_LINK_TTL_SECONDS,
    download_authorise,
    download_links,
    download_record,
)
from .passports import PassportInvalidError, passport_grants, passport_issue
from .signing import (
    TokenExpiredError,
    TokenInvalidError,
    derived_secret,
    jwks,
    signer_current,
    signing_key_create,
    signing_key_current,
    signing_key_retire,
)
from .status_lists import status_list_get
from .tokens import (
    IssuedToken,
    grant_token,
    grant_token_introspect,
    grant_token_issue,
    grant_token_reissue,
    grant_token_verify,
)

__all__ = [
    "DEFAULT_LINK_TTL_SECONDS",
    "IssuedToken",
    "PassportInvalidError",
    "TokenExpiredError",
    "TokenInvalidError",
    "derived_secret",
    "download_authorise",
    "download_links",
    "download_record",
    "grant_token",
    "grant_token_introspect",
    "grant_token_issue",
    "grant_token_reissue",
    "grant_token_verify",
    "jwks",
    "passport_grants",
    "passport_issue",
    "signer_current",
    "signing_key_create",
    "signing_key_current",
    "signing_key_retire",
    "status_list_get",
]
