"""Short-lived download links for request attachments, made for one person.

A link carries the attachment, the person it was made for and its expiry, MAC'd with its own key
derived from SECRET_KEY (a grant link's MAC can never pass for one of these). When it is used,
that person must still see the request: a steward who lost the publisher, or a reviewer no
longer invited, holds a link that no longer opens. Forged, altered and foreign links are all 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from access import selectors as access_selectors
from access.models import RequestAttachment
from core.errors import GoneError, PermissionDeniedError

from .signing import derived_secret

ATTACHMENT_LINK_TTL_SECONDS = 5 * 60


class AttachmentLinkForbiddenError(PermissionDeniedError):
    code = "forbidden"


def _mac(attachment_id: str, user_id: str, expires: int) -> str:
    message = f"{attachment_id}.{user_id}.{expires}".encode()
    digest = hmac.new(derived_secret("attachment-links"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    expires_at: datetime


def attachment_link(
    *,
    attachment: RequestAttachment,
    user: AbstractBaseUser,
    ttl_seconds: int = ATTACHMENT_LINK_TTL_SECONDS,
    absolute: bool = True,
) -> AttachmentLink:
    """A fresh link for ``user`` to download ``attachment`` (the caller has checked they see it)."""
    expires = int(time.time()) + ttl_seconds
    path = reverse("api:attachment-download", kwargs={"attachment_id": attachment.pk})
    signature = _mac(str(attachment.pk), str(user.pk), expires)
    base = settings.SITE_URL.rstrip("/") if absolute else ""
    return AttachmentLink(
        url=f"{base}{path}?user={user.pk}&expires={expires}&signature={signature}",
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )


def attachment_download_authorise(
    *, attachment_id: str, user_id: str | None, expires: str | None, signature: str | None
) -> RequestAttachment:
    """Check a link; return the attachment, or raise 403 (forged, altered, foreign, or the
    person no longer sees the request) or 410 (expired)."""
    forbidden = AttachmentLinkForbiddenError("This download link is not valid.")
    expires, user_id = expires or "", user_id or ""
    if not (
        expires.isascii() and expires.isdecimal() and user_id.isascii() and user_id.isdecimal()
    ):
        raise forbidden
    expected = _mac(str(attachment_id), user_id, int(expires))
    given = (signature or "").encode("utf-8", "replace")
    if not given or not hmac.compare_digest(expected.encode(), given):
        raise forbidden
    if int(expires) < time.time():
        raise GoneError("This download link has expired; ask for the attachment again.")
    user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
    attachment = (
        access_selectors.attachments_visible_to(user=user).filter(pk=attachment_id).first()
        if user is not None
        else None
    )
    if attachment is None:  # removed since, or no longer visible to the link's holder
        raise forbidden
    return attachment
