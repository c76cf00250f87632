"""GA4GH Passports (v1.2): a signed JWT whose ``ga4gh_passport_v1`` claim lists one
ControlledAccessGrants visa per active grant of a user.

Both the passport and its visas are signed with the current key of /.well-known/jwks.json
(``typ`` ``vnd.ga4gh.passport+jwt`` and ``vnd.ga4gh.visa+jwt``), so anyone verifies them
offline; passport_grants is the server's own check, which also asks the database whether each
grant is still active now.

Contract (helper D's DRS endpoints rely on it):

- ``passport_issue(*, user, grants=None, now=None) -> str``
- ``passport_grants(token, *, now=None) -> list[Grant]``, raising PassportInvalidError.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from access import selectors
from access.models import Grant, GrantState
from core.errors import PermissionDeniedError

from .signing import (
    TokenExpiredError,
    TokenInvalidError,
    issuer,
    jwt_sign,
    jwt_verify,
    signer_current,
)
from .tokens import MAX_GRANT_TOKEN_CHARS, VISA_TYPE, grant_token, grant_token_verify

PASSPORT_TYPE = "vnd.ga4gh.passport+jwt"
# A passport holds at most this many visas (a user with more active grants gets the most
# recent ones); with visas of ~1 KB this bounds a passport, and what we accept, to ~2 MB.
MAX_VISAS = 2000
MAX_PASSPORT_CHARS = MAX_VISAS * MAX_GRANT_TOKEN_CHARS // 4


class PassportInvalidError(PermissionDeniedError):
    """A passport we cannot accept: not ours, altered, expired, signed by a retired key, or
    carrying a visa that is not ours or not its subject's."""

    code = "invalid_passport"


def passport_issue(
    *,
    user: AbstractBaseUser,
    grants: Iterable[Grant] | None = None,
    now: datetime | None = None,
) -> str:
    """A passport for ``user``: one visa per active, unexpired grant they hold (of ``grants``
    only, when given: a partner's view). Expires GRANT_TOKEN_LIFETIME seconds from now."""
    now = now or timezone.now()
    if grants is None:
        grants = (
            selectors.grants_held_by(user=user)
            .filter(state=GrantState.ACTIVE, expires_at__gt=now)
            .order_by("-created", "pk")[:MAX_VISAS]
        )
    usable = [
        grant
        for grant in grants
        if grant.grantee_id == user.pk and selectors.grant_is_usable(grant=grant, now=now)
    ][:MAX_VISAS]
    issued = int(now.timestamp())
    signer = signer_current()  # one key load for every visa
    claims = {
        "iss": issuer(),
        "sub": user.get_username(),
        "iat": issued,
        "exp": int((now + timedelta(seconds=settings.GRANT_TOKEN_LIFETIME)).timestamp()),
        "jti": str(uuid.uuid4()),
        "ga4gh_passport_v1": [grant_token(grant, now=now, signer=signer) for grant in usable],
    }
    return jwt_sign(claims, typ=PASSPORT_TYPE, signer=signer)


def passport_grants(token: str, *, now: datetime | None = None) -> list[Grant]:
    """The grants a passport we signed opens now: those its visas name that are active and
    unexpired in the database and held by the passport's subject. PassportInvalidError for a
    passport (or visa) that does not verify against a published key, is not ours, has expired
    or is malformed. A visa that merely expired is left out, as its grant has ended."""
    try:
        claims = jwt_verify(
            token,
            typ=PASSPORT_TYPE,
            max_bytes=MAX_PASSPORT_CHARS,
            required=("sub", "iat", "exp", "jti", "ga4gh_passport_v1"),
        )
    except TokenInvalidError as exc:
        raise PassportInvalidError(f"Invalid passport: {exc.message}") from exc
    subject, visas = claims["sub"], claims["ga4gh_passport_v1"]
    if not isinstance(subject, str) or not subject:
        raise PassportInvalidError("Invalid passport: no subject.")
    if not isinstance(visas, list) or len(visas) > MAX_VISAS:
        raise PassportInvalidError(
            f"Invalid passport: ga4gh_passport_v1 must be a list of at most {MAX_VISAS} visas."
        )
    grant_ids: set[str] = set()
    for position, visa in enumerate(visas):
        try:
            visa_claims = grant_token_verify(visa)
        except TokenExpiredError:
            continue
        except TokenInvalidError as exc:
            raise PassportInvalidError(f"Invalid visa {position}: {exc.message}") from exc
        if visa_claims["sub"] != subject:
            raise PassportInvalidError(f"Invalid visa {position}: not the passport's subject.")
        grant_ids.add(visa_claims["grant"])
    if not grant_ids:
        return []
    return list(
        Grant.objects.filter(
            pk__in=grant_ids,
            grantee__username=subject,
            state=GrantState.ACTIVE,
            expires_at__gt=now or timezone.now(),
        )
        .select_related("grantee", "dataset__publisher", "access_request")
        .order_by("-created", "pk")
    )


__all__ = [
    "PASSPORT_TYPE",
    "VISA_TYPE",
    "PassportInvalidError",
    "passport_grants",
    "passport_issue",
]
