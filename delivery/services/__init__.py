"""Writes of the delivery app: signing keys and grant tokens, download links and downloads."""

from .links import (
    DEFAULT_LINK_TTL_SECONDS,
    download_authorise,
    download_links,
    download_record,
)
from .signing import (
    derived_secret,
    grant_token,
    jwks,
    signing_key_create,
    signing_key_current,
    signing_key_retire,
)

__all__ = [
    "DEFAULT_LINK_TTL_SECONDS",
    "derived_secret",
    "download_authorise",
    "download_links",
    "download_record",
    "grant_token",
    "jwks",
    "signing_key_create",
    "signing_key_current",
    "signing_key_retire",
]
