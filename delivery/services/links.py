"""Short-lived download links for a grant's files, and the checks made when one is used.

A link carries the grant, the distribution and its expiry, MAC'd with a key derived from
SECRET_KEY and compared in constant time. Whether a link fails because it was forged, belongs
to someone else or the file does not exist is never told apart: all are 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from access.models import Grant, GrantState
from catalogue.models import Distribution
from core.errors import GoneError, NotFoundError, PermissionDeniedError
from delivery.models import GrantDownload

from .signing import derived_secret

DEFAULT_LINK_TTL_SECONDS = 15 * 60


class LinkForbiddenError(PermissionDeniedError):
    code = "forbidden"  # forged, foreign or revoked: deliberately not told apart


def _mac(grant_id: str, distribution_id: str, expires: int) -> str:
    message = f"{grant_id}.{distribution_id}.{expires}".encode()
    digest = hmac.new(derived_secret("download-links"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def grant_files(grant: Grant) -> list[Distribution]:
    """The files a grant opens: exactly those its approval covered that still exist (with
    bytes; service endpoints have none). Nothing else, ever: not the dataset's other files."""
    return [d for d in grant.access_request.approved_distributions.all() if d.file]


def grant_file(grant: Grant, distribution_id: str) -> Distribution | None:
    """The file of that id if it is one of ``grant_files(grant)`` (same rule: approved, with
    bytes), without loading the others: a grant may open thousands, and each download asks.
    Unordered and sliced, not ``first()``: every download pays for compiling this query."""
    found = (
        Distribution.objects.filter(
            pk=distribution_id, approved_access_requests=grant.access_request_id
        )
        .exclude(file="")
        .order_by()[:1]
    )
    return next(iter(found), None)


@dataclass(frozen=True)
class DownloadLink:
    distribution: Distribution
    url: str
    expires_at: datetime


def _link(grant: Grant, distribution: Distribution, expires: int) -> DownloadLink:
    path = reverse(
        "api:grant-download", kwargs={"grant_id": grant.pk, "distribution_id": distribution.pk}
    )
    signature = _mac(str(grant.pk), str(distribution.pk), expires)
    return DownloadLink(
        distribution=distribution,
        url=f"{settings.SITE_URL.rstrip('/')}{path}?expires={expires}&signature={signature}",
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )


def download_link(
    grant: Grant, distribution: Distribution, *, ttl_seconds: int = DEFAULT_LINK_TTL_SECONDS
) -> DownloadLink:
    """A signed link to one file of the grant. The caller has checked that the file is one
    ``grant_files(grant)`` returns (``download_authorise`` checks it again when it is used)."""
    return _link(grant, distribution, int(time.time()) + ttl_seconds)


def download_links(
    grant: Grant, *, ttl_seconds: int = DEFAULT_LINK_TTL_SECONDS
) -> list[DownloadLink]:
    """Links to every file of the grant, all ending at the same second."""
    expires = int(time.time()) + ttl_seconds
    return [_link(grant, distribution, expires) for distribution in grant_files(grant)]


def download_authorise(
    *, grant_id: str, distribution_id: str, expires: str | None, signature: str | None
) -> tuple[Grant, Distribution]:
    """Check a link; return what it opens, or raise 403 (forged, foreign, revoked), 410
    (expired) or 404 (the file was removed from the dataset since the link was made)."""
    forbidden = LinkForbiddenError("This download link is not valid.")
    if not (expires or "").isascii() or not (expires or "").isdecimal():
        raise forbidden
    expires_at = int(expires)
    expected = _mac(str(grant_id), str(distribution_id), expires_at)
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a forged link may carry any.
    given = (signature or "").encode("utf-8", "replace")
    if not given or not hmac.compare_digest(expected.encode(), given):
        raise forbidden
    if expires_at < time.time():
        raise GoneError("This download link has expired; ask for a new one on the grant.")
    # The columns the checks read, unordered: this runs for every range of every download.
    grant = next(
        iter(
            Grant.objects.filter(pk=grant_id)
            .only("id", "state", "expires_at", "access_request_id", "grantee_id", "dataset_id")
            .order_by()[:1]
        ),
        None,
    )
    # Revoked, relinquished or superseded by a renewal: any state but active or expired.
    if grant is None or grant.state not in (GrantState.ACTIVE, GrantState.EXPIRED):
        raise forbidden
    if grant.state == GrantState.EXPIRED or grant.expires_at.timestamp() <= time.time():
        raise GoneError("The grant has expired.")
    distribution = grant_file(grant, str(distribution_id))
    if distribution is None:
        # The link was signed for this grant and file, so the file was in the grant: it has
        # been removed from the dataset since. Saying so tells the holder nothing new.
        raise NotFoundError(
            "This file is no longer part of the grant: it was removed from the dataset."
            + ("" if grant_files(grant) else " The grant covers no files any more.")
        )
    return grant, distribution


def download_record(
    *, grant: Grant, distribution: Distribution, start: int, length: int, client: str | None
) -> None:
    GrantDownload.objects.create(
        grant=grant,
        distribution=distribution,
        bytes_requested=length,
        range_start=start,
        client_address=client,
    )
