"""Token status lists (IETF draft-ietf-oauth-status-list): one bit per grant, 0 VALID, 1 INVALID.

Every grant has a ``status_index`` given once at provisioning; list ``n`` holds the indexes
``n * STATUS_LIST_SIZE`` to ``(n + 1) * STATUS_LIST_SIZE - 1`` and is published, signed, at
``/api/v1/status-lists/<n>``. A bit is VALID (0) only while its grant is active and unexpired;
a revoked, relinquished, superseded or expired grant, and an index no grant holds (not yet
given, or lost to a rolled-back batch), is INVALID (1). Tokens and visas carry
``status: {"status_list": {"idx": <index in the list>, "uri": <the list's URL>}}``.
"""

from __future__ import annotations

import base64
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from access.models import Grant, GrantState
from core.errors import NotFoundError

from .signing import issuer, jwt_sign, signing_key_current

logger = logging.getLogger(__name__)

STATUS_LIST_JWT_TYPE = "statuslist+jwt"
MEDIA_TYPE_JWT = "application/statuslist+jwt"
MEDIA_TYPE_JSON = "application/statuslist+json"
VALID, INVALID = 0, 1
BITS = 1


def status_list_uri(number: int) -> str:
    """The list's stable URL (``sub`` of the list, ``uri`` of the tokens that point to it)."""
    return issuer() + reverse("api:status-list", kwargs={"number": number})


def status_reference(grant: Grant) -> dict[str, Any]:
    """The ``status`` claim of a token about ``grant``."""
    size = settings.STATUS_LIST_SIZE
    number, idx = divmod(grant.status_index, size)
    return {"status_list": {"idx": idx, "uri": status_list_uri(number)}}


def status_list_bytes(*, number: int, now: datetime | None = None) -> bytes:
    """The list's byte array: every bit INVALID but those of active, unexpired grants. One
    query over the unique index of ``status_index``, fetching only the VALID indexes."""
    size = settings.STATUS_LIST_SIZE
    start = number * size
    array = bytearray(b"\xff" * (size * BITS // 8))
    valid = Grant.objects.filter(
        status_index__gte=start,
        status_index__lt=start + size,
        state=GrantState.ACTIVE,
        expires_at__gt=now or timezone.now(),
    ).values_list("status_index", flat=True)
    for index in valid.iterator(chunk_size=5000):
        offset = index - start
        # The draft's bit order: index 0 is the least significant bit of the first byte.
        array[offset >> 3] &= ~(1 << (offset & 7)) & 0xFF
    return bytes(array)


def status_list_encode(array: bytes) -> str:
    """``lst``: base64url (no padding) of the array compressed with DEFLATE in the ZLIB format."""
    return base64.urlsafe_b64encode(zlib.compress(array, 9)).rstrip(b"=").decode()


def status_list_decode(lst: str) -> bytes:
    """The inverse of status_list_encode (for verifiers and tests)."""
    return zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))


def status_of(array: bytes, idx: int) -> int:
    return (array[idx >> 3] >> (idx & 7)) & 1


@dataclass(frozen=True)
class StatusList:
    claims: dict[str, Any]
    token: str


def _highest_number() -> int:
    top = Grant.objects.aggregate(top=Max("status_index"))["top"]
    return 0 if top is None else top // settings.STATUS_LIST_SIZE


def _build(number: int) -> StatusList:
    now = timezone.now()
    issued = int(now.timestamp())
    claims = {
        "iss": issuer(),
        "sub": status_list_uri(number),
        "iat": issued,
        "exp": issued + settings.STATUS_LIST_VALIDITY,
        "ttl": settings.STATUS_LIST_TTL,
        "status_list": {
            "bits": BITS,
            "lst": status_list_encode(status_list_bytes(number=number, now=now)),
        },
    }
    return StatusList(claims=claims, token=jwt_sign(claims, typ=STATUS_LIST_JWT_TYPE))


def status_list_cache_key(number: int) -> str:
    # The key id is part of the cache key: after a rotation the list is signed by the new key.
    return f"status-list:{number}:{signing_key_current().kid}:{settings.STATUS_LIST_SIZE}"


def status_list_get(*, number: int) -> StatusList:
    """List ``number``, signed with the current key; built at most once per
    STATUS_LIST_CACHE_SECONDS (the cache fails open: if it is down, the list is built anew).
    A list past the highest index given so far is a 404."""
    if number > _highest_number():
        raise NotFoundError(f"No status list {number}.")
    key = status_list_cache_key(number)
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("status list cache unavailable; building list %s", number, exc_info=True)
        cached = None
    if isinstance(cached, dict) and {"claims", "token"} <= cached.keys():
        return StatusList(claims=cached["claims"], token=cached["token"])
    built = _build(number)
    try:
        cache.set(
            key,
            {"claims": built.claims, "token": built.token},
            timeout=settings.STATUS_LIST_CACHE_SECONDS,
        )
    except Exception:
        logger.warning("status list cache unavailable; list %s not cached", number, exc_info=True)
    return built
