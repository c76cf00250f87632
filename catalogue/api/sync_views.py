"""Catalogue sync: a publisher's system keeps its datasets in step by its own identifiers, one at
a time (PUT by identifier) or a thousand in one all-or-nothing call (bulk)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalogue import selectors, services
from core.api.parsers import JSONParser
from core.api.schema import error_response
from core.errors import ApplicationError, PayloadTooLargeError, _validation_payload

from .serializers import (
    DatasetDetailOutputSerializer,
    SyncBulkInputSerializer,
    SyncBulkItemInputSerializer,
    SyncBulkOutputSerializer,
    SyncDatasetInputSerializer,
    SyncUpsertOutputSerializer,
)

EVENT_DETAIL = {"via": "sync"}

IDENTIFIER = OpenApiParameter(
    "identifier",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Your identifier for the dataset, URL-encoded (it may contain '/': %2F).",
)


class BulkJSONParser(JSONParser):
    """A batch may be larger than an ordinary body, up to SYNC_BULK_MAX_BYTES."""

    def max_bytes(self) -> int:
        return settings.SYNC_BULK_MAX_BYTES


def _raw_items(data: Any) -> list[Any]:
    """The items of a bulk body, counted before any of them is read."""
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise ApplicationError(
            'The body must be {"items": [...]}.', fields={"items": ["A list is required."]}
        )
    unknown = sorted(set(data) - {"items"})
    if unknown:
        raise ApplicationError(
            f"Unknown keys: {', '.join(unknown)}.",
            fields={key: ["Unknown field. Allowed: items."] for key in unknown},
        )
    items = data["items"]
    limit = settings.SYNC_BULK_MAX_ITEMS
    if len(items) > limit:
        raise PayloadTooLargeError(
            f"The batch has {len(items):,} items; at most {limit:,} are accepted per call. "
            "Nothing was written: send it in smaller batches.",
            fields={"items": [f"At most {limit:,} items."]},
            extra={"max_items": limit},
        )
    if not items:
        raise ApplicationError("The batch is empty.", fields={"items": ["Give at least one."]})
    return items


def _lookups(items: list[Any]) -> dict[str, dict[str, Any]]:
    slugs = {
        item["publisher"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("publisher"), str)
    }
    return selectors.sync_lookups(publisher_slugs=slugs)


def _upsert_item(
    identifier: str, attrs: dict[str, Any], *, source_digest: str = ""
) -> services.UpsertItem:
    attrs = dict(attrs)
    attrs.pop("identifier", None)
    files = attrs.pop("distributions", None)
    for name in ("themes", "keywords", "languages"):
        attrs[name] = tuple(attrs.get(name, ()))
    distributions = None
    if files is not None:
        distributions = tuple(
            services.DistributionData(
                identifier=f["identifier"],
                title=f.get("title", ""),
                description=f.get("description", ""),
                format=f.get("format", ""),
                media_type=f.get("media_type", ""),
                byte_size=f.get("byte_size"),
                sha256=f.get("checksum", ""),
                access_url=f.get("access_url", ""),
                download_url=f.get("download_url", ""),
            )
            for f in files
        )
    return services.UpsertItem(
        identifier=identifier,
        data=services.DatasetData(**attrs),
        distributions=distributions,
        source_digest=source_digest,
    )


class DatasetSyncViewSet(viewsets.ViewSet):
    """Create or update datasets by the publisher's own identifiers. Only the publisher's
    stewards (and partner clients with catalogue:write bound to it) write."""

    permission_classes = [IsAuthenticated]
    required_scopes = {"upsert": ("catalogue:write",), "bulk": ("catalogue:write",)}

    def get_parsers(self):
        # Called before self.action is set; the route's method map says which action this is.
        if getattr(self, "action_map", {}).get("post") == "bulk":
            return [BulkJSONParser()]
        return [JSONParser()]

    @extend_schema(
        operation_id="datasets_by_identifier_update",
        parameters=[IDENTIFIER],
        request=SyncDatasetInputSerializer,
        responses={
            200: SyncUpsertOutputSerializer,
            201: SyncUpsertOutputSerializer,
            403: error_response("You are not a steward of the publisher."),
            409: error_response("The slug asked for is taken."),
        },
    )
    def upsert(self, request: Request, identifier: str) -> Response:
        """Create (201) or update (200) the publisher's dataset with this identifier. Sending
        what is already there changes nothing: 200, outcome `unchanged`, no new `modified`."""
        data = request.data
        serializer = SyncDatasetInputSerializer(data=data, context={"lookups": _lookups([data])})
        if not serializer.is_valid():
            message, _ = _validation_payload(serializer.errors)
            raise ApplicationError(message, fields=_field_errors(serializer.errors))
        attrs = dict(serializer.validated_data)
        if attrs.get("identifier", identifier) != identifier:
            raise ApplicationError(
                "The identifier in the body differs from the one in the URL.",
                fields={"identifier": ["Leave it out, or give the one in the URL."]},
            )
        item = _upsert_item(identifier, attrs)
        result = services.dataset_upsert(
            user=request.user,
            identifier=identifier,
            data=item.data,
            distributions=item.distributions,
            event_detail=EVENT_DETAIL,
        )
        fresh = selectors.dataset_get(id_or_slug=str(result.dataset.pk))
        body = {
            "outcome": str(result.outcome),
            "changed_fields": list(result.changed_fields),
            "dataset": DatasetDetailOutputSerializer(fresh, context={"request": request}).data,
        }
        created = result.outcome == services.UpsertOutcome.CREATED
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="datasets_bulk_upsert",
        request=SyncBulkInputSerializer,
        responses={
            200: SyncBulkOutputSerializer,
            400: error_response(
                "Items are wrong (error.items: index, identifier, errors for each); nothing "
                "was written."
            ),
            403: error_response("Items of publishers you do not steward (error.items)."),
            409: error_response("Another request wrote the same datasets at the same time."),
            413: error_response("More than SYNC_BULK_MAX_ITEMS items, or a body too large."),
        },
    )
    def bulk(self, request: Request) -> Response:
        """Upsert up to SYNC_BULK_MAX_ITEMS datasets in one transaction: all or nothing."""
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.SYNC_BULK_MAX_BYTES
        if declared > limit:
            raise PayloadTooLargeError(
                f"The request body is larger than {limit:,} bytes; send smaller batches.",
                extra={"max_bytes": limit},
            )
        items = _raw_items(request.data)
        digests = [_digest(item) for item in items]
        report: dict[int, dict[str, Any]] = _unchanged_as_sent(request, items, digests)
        rest = [index for index in range(len(items)) if index not in report]
        if rest:
            serializer = SyncBulkItemInputSerializer(
                data=[items[i] for i in rest], many=True, context={"lookups": _lookups(items)}
            )
            if not serializer.is_valid():
                raise _item_errors(items, serializer.errors, positions=rest)
            upserts = [
                _upsert_item(attrs["identifier"], attrs, source_digest=digests[index])
                for index, attrs in zip(rest, serializer.validated_data, strict=True)
            ]
            results = services.datasets_upsert(
                user=request.user, items=upserts, event_detail=EVENT_DETAIL
            )
            for index, upsert, result in zip(rest, upserts, results, strict=True):
                report[index] = {
                    "index": index,
                    "identifier": result.dataset.identifier,
                    "publisher": upsert.data.publisher.slug,
                    "id": str(result.dataset.pk),
                    "slug": result.dataset.slug,
                    "outcome": str(result.outcome),
                    "changed_fields": list(result.changed_fields),
                }
        counts = Counter(row["outcome"] for row in report.values())
        return Response(
            {
                "items": [report[index] for index in range(len(items))],
                "counts": {outcome: counts.get(outcome, 0) for outcome in services.UpsertOutcome},
            }
        )


def _digest(item: Any) -> str:
    """The item as sent, whatever the order of its keys."""
    if not isinstance(item, Mapping):
        return ""
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(item: Any) -> tuple[str, str] | None:
    if isinstance(item, Mapping):
        publisher, identifier = item.get("publisher"), item.get("identifier")
        if isinstance(publisher, str) and isinstance(identifier, str):
            return publisher, identifier
    return None


def _unchanged_as_sent(
    request: Request, items: list[Any], digests: list[str]
) -> dict[int, dict[str, Any]]:
    """Items sent exactly as the last sync of their dataset sent them, to a dataset no one
    changed since (its `modified` is the one that sync left): unchanged, without validating
    them again. Any doubt (a key repeated in the batch, a withdrawn dataset, another sender's
    formatting) leaves the item to the full comparison."""
    keys = [_key(item) for item in items]
    if len(set(keys)) != len(keys):
        return {}  # duplicates are the full path's to report
    rows = selectors.sync_unchanged_rows(user=request.user, keys={k for k in keys if k})
    report: dict[int, dict[str, Any]] = {}
    for index, key in enumerate(keys):
        row = rows.get(key) if key else None
        if row is None:
            continue
        dataset_id, slug, modified, stamp = row
        if stamp and stamp == services.sync_stamp(digests[index], modified):
            report[index] = {
                "index": index,
                "identifier": key[1],
                "publisher": key[0],
                "id": str(dataset_id),
                "slug": slug,
                "outcome": str(services.UpsertOutcome.UNCHANGED),
                "changed_fields": [],
            }
    return report


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as flat paths: {"distributions[1].checksum": ["..."]}."""
    if isinstance(detail, Mapping):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found.update(_field_errors(value, path))
        return found
    if isinstance(detail, list) and any(isinstance(v, Mapping | list) for v in detail):
        found = {}
        for index, value in enumerate(detail):
            if value:
                found.update(_field_errors(value, f"{prefix}[{index}]"))
        return found
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages]}


def _item_errors(items: list[Any], errors: Any, *, positions: list[int]) -> Exception:
    """``errors`` of the validated items, which were ``items[p] for p in positions``."""
    # DRF gives a list serializer's errors as {index: errors} of the failing items (or, in older
    # versions, a list with an entry per item, wrapped in non_field_errors).
    if isinstance(errors, Mapping) and set(errors) == {"non_field_errors"}:
        errors = errors["non_field_errors"]
    if isinstance(errors, list) and len(errors) == len(positions):
        errors = dict(enumerate(errors))
    if not isinstance(errors, Mapping) or not all(isinstance(k, int) for k in errors):
        return ValidationError({"items": errors})  # the list itself is wrong, not an item
    failures = []
    for position, item_errors in sorted(errors.items()):
        if not item_errors:
            continue
        index = positions[position]
        fields = _field_errors(item_errors)
        message, _ = _validation_payload(item_errors)
        identifier = items[index].get("identifier") if isinstance(items[index], Mapping) else None
        failures.append(
            (
                index,
                identifier if isinstance(identifier, str) else "",
                ApplicationError(message, fields=fields),
            )
        )
    return services.SyncItemsError(failures)
