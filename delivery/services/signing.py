"""Signing keys and grant tokens (JWT, EdDSA/Ed25519), verifiable offline against the JWKS.

Private keys are generated here, stored encrypted with a key derived from SECRET_KEY, and never
returned by any API, written to logs or kept in the repository. A rotation adds a key; older keys
stay in the JWKS until retired, so tokens they signed keep verifying.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from access.models import Grant
from delivery.models import SigningKey


def derived_secret(purpose: str) -> bytes:
    """32 bytes for one purpose, derived from SECRET_KEY (so one secret to keep, many uses)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"passerelle", info=purpose.encode()
    ).derive(settings.SECRET_KEY.encode())


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_secret("signing-key-encryption")))


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


def _issuer() -> str:
    return settings.SITE_URL.rstrip("/")


def grant_token(grant: Grant, *, now: datetime | None = None) -> str:
    """The grant as a JWT carrying a GA4GH ControlledAccessGrants visa."""
    key = signing_key_current()
    private = serialization.load_pem_private_key(
        _fernet().decrypt(bytes(key.private_key_encrypted)), password=None
    )
    dataset = grant.dataset
    issued = int((now or timezone.now()).timestamp())
    approved = grant.access_request.decided_at or grant.valid_from
    claims = {
        "iss": _issuer(),
        "sub": grant.grantee.get_username(),
        "iat": issued,
        "exp": int(grant.expires_at.timestamp()),
        "jti": str(grant.pk),
        "dataset": str(dataset.pk),
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "value": f"{_issuer()}/api/v1/datasets/{dataset.pk}/",
            "source": dataset.publisher.homepage
            or f"{_issuer()}/publishers/{dataset.publisher.slug}",
            "by": "dac",
            "asserted": int(approved.timestamp()),
        },
    }
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": key.kid})
