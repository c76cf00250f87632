"""Which datasets a page of the exported catalogue holds, and the serialisations it comes in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.conf import settings
from django.db.models import Count, Max
from django.utils.dateparse import parse_date, parse_datetime

from catalogue import selectors as catalogue_selectors
from core.errors import ApplicationError, NotFoundError

from .mapping import CataloguePage


@dataclass(frozen=True)
class RdfFormat:
    extension: str
    rdflib_name: str
    media_type: str


FORMATS: dict[str, RdfFormat] = {
    "ttl": RdfFormat("ttl", "turtle", "text/turtle"),
    "jsonld": RdfFormat("jsonld", "json-ld", "application/ld+json"),
    "rdf": RdfFormat("rdf", "xml", "application/rdf+xml"),
}
FORMATS_BY_MEDIA_TYPE: dict[str, RdfFormat] = {
    **{f.media_type: f for f in FORMATS.values()},
    # JSON-LD is JSON: a client that asks for JSON gets the JSON-LD document.
    "application/json": FORMATS["jsonld"],
}


def page_size() -> int:
    return int(getattr(settings, "DCAT_PAGE_SIZE", 100))


def parse_page_number(raw: str | None) -> int:
    if raw in (None, ""):
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ApplicationError(
            "page must be a whole number from 1.", fields={"page": ["Not a page number."]}
        )
    return int(raw)


def parse_modified_since(raw: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; a date means its midnight and a naive time is UTC."""
    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = datetime.combine(day, time.min) if day else None
    except ValueError:
        value = None
    if value is None:
        raise ApplicationError(
            "modified_since must be an ISO 8601 date or date-time.",
            fields={"modified_since": ["Not an ISO 8601 date or date-time."]},
        )
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def catalogue_page(*, number: int, modified_since: datetime | None, size: int) -> CataloguePage:
    """Page ``number`` (from 1) of the datasets changed since ``modified_since``; past the last
    page is a 404 (an empty catalogue still has its page 1)."""
    datasets = catalogue_selectors.dataset_export_queryset(modified_since=modified_since)
    summary = datasets.order_by().aggregate(total=Count("id"), modified=Max("modified"))
    total = summary["total"]
    page_count = max(1, math.ceil(total / size))
    if number > page_count:
        raise NotFoundError(f"The catalogue has {page_count} page(s); there is no page {number}.")
    offset = (number - 1) * size
    return CataloguePage(
        number=number,
        page_count=page_count,
        total=total,
        datasets=list(datasets[offset : offset + size]),
        modified=summary["modified"],
    )
