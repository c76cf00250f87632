"""Grant tokens: short-lived GA4GH ControlledAccessGrants visas, re-issued on demand, checked
by RFC 7662 introspection and by the status lists.

A grant token *is* a visa (header ``typ: vnd.ga4gh.visa+jwt``): the same JWT is shown with the
grant, re-issued by POST /api/v1/grants/<id>/token/ and embedded in passports. Each one has a
fresh ``jti``; the grant's id is in ``grant``; ``exp`` is at most GRANT_TOKEN_LIFETIME seconds
away and never past the grant's end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from access import selectors
from access.models import Grant, GrantState
from core.errors import ConflictError, PermissionDeniedError
from core.partners import partner_context

from .signing import Signer, TokenInvalidError, issuer, jwt_sign, jwt_verify
from .status_lists import status_reference

VISA_TYPE = "vnd.ga4gh.visa+jwt"
# A visa is a few hundred bytes; anything much longer is not one of ours.
MAX_GRANT_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def grant_token_expiry(grant: Grant, *, now: datetime) -> datetime:
    return min(now + timedelta(seconds=settings.GRANT_TOKEN_LIFETIME), grant.expires_at)


def grant_token_issue(
    grant: Grant, *, now: datetime | None = None, signer: Signer | None = None
) -> IssuedToken:
    """A fresh visa for ``grant`` (the caller has checked who may have it)."""
    now = now or timezone.now()
    expires_at = grant_token_expiry(grant, now=now)
    dataset = grant.dataset
    approved = grant.access_request.decided_at or grant.valid_from
    jti = str(uuid.uuid4())
    claims = {
        "iss": issuer(),
        "sub": grant.grantee.get_username(),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
        "grant": str(grant.pk),
        "dataset": str(dataset.pk),
        "status": status_reference(grant),
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "value": f"{issuer()}/api/v1/datasets/{dataset.pk}/",
            "source": dataset.publisher.homepage
            or f"{issuer()}/publishers/{dataset.publisher.slug}",
            "by": "dac",
            "asserted": int(approved.timestamp()),
        },
    }
    token = jwt_sign(claims, typ=VISA_TYPE, signer=signer)
    return IssuedToken(token=token, jti=jti, expires_at=expires_at.replace(microsecond=0))


def grant_token(grant: Grant, *, now: datetime | None = None, signer: Signer | None = None) -> str:
    """The grant as a short-lived signed visa (JWT)."""
    return grant_token_issue(grant, now=now, signer=signer).token


def grant_token_reissue(*, user: AbstractBaseUser, grant_id: str) -> IssuedToken:
    """A fresh token for the grantee, or for a partner client with grants:read that sees the
    grant. Anyone else who cannot see it gets a 404; a steward who sees it but is not its
    grantee gets a 403 (the token is the grantee's credential); an ended grant is a 409."""
    grant = selectors.grant_get(user=user, grant_id=grant_id)
    partner = partner_context(user)
    if partner is None and grant.grantee_id != user.pk:
        raise PermissionDeniedError("Only the grantee, or a partner client, gets a grant token.")
    if not selectors.grant_is_usable(grant=grant):
        state = GrantState.EXPIRED if grant.state == GrantState.ACTIVE else grant.state
        raise ConflictError(
            f"The grant is {state}: only an active grant has a token.", extra={"state": state}
        )
    return grant_token_issue(grant)


def grant_token_verify(token: str) -> dict[str, Any]:
    """The claims of a grant token we signed with a published key, unexpired (TokenInvalidError
    otherwise). Says nothing about the grant's state now: see grant_token_introspect."""
    claims = jwt_verify(
        token,
        typ=VISA_TYPE,
        max_bytes=MAX_GRANT_TOKEN_CHARS,
        required=("sub", "iat", "exp", "jti", "grant"),
    )
    try:
        claims["grant"] = str(uuid.UUID(str(claims["grant"])))
    except ValueError as exc:
        raise TokenInvalidError("The token names no grant.") from exc
    return claims


def grant_token_introspect(
    *, user: AbstractBaseUser, token: str, now: datetime | None = None
) -> dict[str, Any]:
    """RFC 7662: what ``user`` (a partner client's service user, its context attached) may learn
    about a grant token. Active only if it verifies, has not expired, and its grant is active
    and unexpired now and visible to the caller; anything else is ``{"active": false}``, so the
    answer is no oracle about other publishers' grants."""
    inactive = {"active": False}
    try:
        claims = grant_token_verify(token)
    except TokenInvalidError:
        return inactive
    grant = (
        selectors.grants_visible_to(user=user)
        .filter(pk=claims["grant"], grantee__username=claims["sub"])
        .first()
    )
    if grant is None or not selectors.grant_is_usable(grant=grant, now=now):
        return inactive
    return {
        "active": True,
        "token_type": "grant",
        "iss": claims["iss"],
        "sub": claims["sub"],
        "iat": claims["iat"],
        "exp": claims["exp"],
        "jti": claims["jti"],
        "grant": str(grant.pk),
        "dataset": str(grant.dataset_id),
        "grant_expires_at": int(grant.expires_at.timestamp()),
    }
