"""Signing keys, and signing and verifying our JWTs (EdDSA/Ed25519) against the JWKS.

Private keys are generated here, stored encrypted with a key derived from SECRET_KEY, and never
returned by any API, written to logs or kept in the repository. A rotation adds a key; older keys
stay in the JWKS until retired, so tokens they signed keep verifying.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from delivery.models import SigningKey


def derived_secret(purpose: str) -> bytes:
    """32 bytes for one purpose, derived from SECRET_KEY (so one secret to keep, many uses)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"passerelle", info=purpose.encode()
    ).derive(settings.SECRET_KEY.encode())


def fernet_for(purpose: str) -> Fernet:
    """Symmetric encryption of a secret stored for one purpose (a signing key, a webhook's
    secret), with a key derived from SECRET_KEY for that purpose."""
    return Fernet(base64.urlsafe_b64encode(derived_secret(purpose)))


def _fernet() -> Fernet:
    return fernet_for("signing-key-encryption")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@transaction.atomic
def signing_key_create() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    # Hex, not base64url: a key id starting with "-" reads as an option on the command line
    # (rotate_signing_key --retire KID).
    kid = hashlib.sha256(public_raw).hexdigest()[:32]
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey.objects.create(
        kid=kid,
        algorithm="EdDSA",
        private_key_encrypted=_fernet().encrypt(pem),
        public_jwk={
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(public_raw),
            "kid": kid,
            "alg": "EdDSA",
            "use": "sig",
        },
    )


@transaction.atomic
def signing_key_retire(*, kid: str) -> SigningKey:
    key = SigningKey.objects.select_for_update().get(kid=kid)
    if key.retired_at is None:
        key.retired_at = timezone.now()
        key.save(update_fields=["retired_at"])
    return key


def signing_key_current() -> SigningKey:
    """The newest published key; the first one is created on first use."""
    key = SigningKey.objects.filter(retired_at__isnull=True).order_by("-created", "-id").first()
    return key or signing_key_create()


def jwks() -> dict:
    """The published public keys; the first key is made here if none exists yet, so that a
    partner who fetches the set before the first grant still finds the key that will sign it."""
    signing_key_current()
    keys = SigningKey.objects.filter(retired_at__isnull=True).order_by("-created", "-id")
    return {"keys": [key.public_jwk for key in keys]}


def issuer() -> str:
    """The ``iss`` of every token we sign (SITE_URL)."""
    return settings.SITE_URL.rstrip("/")


@dataclass(frozen=True)
class Signer:
    """The current key, loaded once: for signing many tokens in a row (a passport's visas)."""

    kid: str
    private: Ed25519PrivateKey


def signer_current() -> Signer:
    key = signing_key_current()
    private = serialization.load_pem_private_key(
        _fernet().decrypt(bytes(key.private_key_encrypted)), password=None
    )
    return Signer(kid=key.kid, private=private)


def jwt_sign(claims: dict[str, Any], *, typ: str, signer: Signer | None = None) -> str:
    """``claims`` signed with the current key (``kid`` in the header, so a verifier picks the
    right key of the JWKS)."""
    signer = signer or signer_current()
    return jwt.encode(
        claims, signer.private, algorithm="EdDSA", headers={"kid": signer.kid, "typ": typ}
    )


class TokenInvalidError(ApplicationError):
    """A token we did not sign, signed by a retired key, altered, expired or of the wrong kind."""

    code = "invalid_token"


class TokenExpiredError(TokenInvalidError):
    """A token of ours that verified but is past its ``exp``."""


def jwt_verify(
    token: str, *, typ: str, max_bytes: int, required: tuple[str, ...] = ("iat", "exp")
) -> dict[str, Any]:
    """The claims of ``token`` if a published key of ours signed it, it is of type ``typ``, its
    issuer is us and it has not expired; TokenInvalidError otherwise (with what was wrong)."""
    if not isinstance(token, str) or not token or len(token) > max_bytes:
        raise TokenInvalidError(f"Not a token: empty, or longer than {max_bytes} characters.")
    if not token.isascii() or token.count(".") != 2:
        raise TokenInvalidError("Not a JWT (three base64url parts separated by dots).")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise TokenInvalidError("Not a JWT: its header does not decode.") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 64:
        raise TokenInvalidError("The token names no key (kid).")
    if header.get("typ") != typ:
        raise TokenInvalidError(f"Not a token of type {typ}.")
    key = SigningKey.objects.filter(kid=kid, retired_at__isnull=True).first()
    if key is None:
        raise TokenInvalidError("The token was not signed by one of our published keys.")
    try:
        return jwt.decode(
            token,
            jwt.PyJWK(key.public_jwk).key,
            algorithms=["EdDSA"],
            issuer=issuer(),
            options={"require": ["iss", *required], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpiredError("The token has expired.") from exc
    except (jwt.InvalidTokenError, json.JSONDecodeError, ValueError, TypeError) as exc:
        raise TokenInvalidError(f"The token does not verify: {exc}.") from exc
