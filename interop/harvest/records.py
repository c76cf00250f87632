"""What a reader makes of one remote record, before it meets the catalogue: plain values and the
hints (licence URIs and ids, theme codes, format names) the resolver turns into catalogue rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime


class RecordError(Exception):
    """One record could not be read; it is reported and skipped, the run goes on."""

    def __init__(self, identifier: str, message: str) -> None:
        super().__init__(message)
        self.identifier = identifier
        self.message = message


@dataclass
class RemoteDistribution:
    identifier: str
    title: str = ""
    description: str = ""
    format_hints: list[str] = field(default_factory=list)
    media_type: str = ""
    byte_size: int | None = None
    sha256: str = ""
    access_url: str = ""


@dataclass
class RemoteRecord:
    identifier: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    theme_codes: list[str] = field(default_factory=list)
    licence_hints: list[str] = field(default_factory=list)
    access_rights: str | None = None
    languages: list[str] = field(default_factory=list)
    spatial: str = ""
    temporal_start: date | None = None
    temporal_end: date | None = None
    issued: date | None = None
    modified: datetime | None = None
    landing_page: str = ""
    contact_name: str = ""
    contact_email: str = ""
    version: str = ""
    distributions: list[RemoteDistribution] = field(default_factory=list)


def as_date(value: Any) -> date | None:
    """A date from a date, a date-time or ISO 8601 text; None when it is none of these."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = parse_date(text[:10])
        except ValueError:
            return None
        return parsed
    return None


def as_datetime(value: Any) -> datetime | None:
    """An aware date-time (naive means UTC, a date means its midnight UTC), or None."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time.min)
    elif isinstance(value, str) and value.strip():
        try:
            result = parse_datetime(value.strip())
        except ValueError:
            result = None
        if result is None:
            day = as_date(value)
            result = datetime.combine(day, time.min) if day else None
        if result is None:
            return None
    else:
        return None
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def as_size(value: Any) -> int | None:
    try:
        size = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return size if size >= 0 else None


def as_sha256(value: Any) -> str:
    text = str(value or "").strip().lower()
    if text.startswith("sha256:"):
        text = text[7:]
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else ""
