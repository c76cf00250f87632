"""Licence texts: a changed text is a new version; earlier versions stay."""

from __future__ import annotations

from django.db import transaction

from catalogue.models import (
    Licence,
    LicenceVersion,
)
from core.errors import ApplicationError


@transaction.atomic
def licence_publish_text(*, licence: Licence, text: str) -> LicenceVersion:
    """Publish a licence text. A text that differs from the current one becomes a new version;
    earlier versions stay, because access requests record which version was accepted."""
    text = text.strip()
    if not text:
        raise ApplicationError("A licence text cannot be empty.", fields={"text": ["Required."]})
    # A fresh, locked row: the caller's instance may carry versions prefetched before a
    # concurrent publication.
    current = Licence.objects.select_for_update().get(pk=licence.pk).current_version
    if current and current.text == text:
        return current
    return LicenceVersion.objects.create(
        licence=licence, version=(current.version + 1) if current else 1, text=text
    )
