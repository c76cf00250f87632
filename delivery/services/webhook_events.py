"""What webhooks say: which source events become which event types, who may receive them, and
the JSON body of each message (Standard Webhooks: ``{"type", "timestamp", "data"}``).

Two sources feed webhooks:

* the access audit chain (``access.AccessEvent``): its ``position`` is gap-free and in commit
  order, so a cursor over it never skips an event;
* the catalogue's history (``catalogue.DatasetEvent``): its id is a sequence, which is NOT in
  commit order on PostgreSQL; ``delivery.services.webhooks`` handles the gaps.

Bodies hold ids and the state a receiver needs, never signed URLs, tokens or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access.events import AuditAction
from access.models import AccessEvent, Grant, GrantState
from catalogue.models import DatasetEvent, DatasetEventAction

ACCESS_EVENT_TYPES: dict[str, str] = {
    AuditAction.SUBMITTED: "access_request.submitted",
    AuditAction.APPROVED: "access_request.approved",
    AuditAction.REJECTED: "access_request.rejected",
    AuditAction.RETURNED: "access_request.returned",
    AuditAction.WITHDRAWN: "access_request.withdrawn",
    AuditAction.GRANT_PROVISIONED: "grant.provisioned",
    # Revocation, expiry and relinquishment are recorded on the request; its grant (if it had
    # one yet) closes in the same transaction, so they are the grant's events.
    AuditAction.REVOKED: "grant.revoked",
    AuditAction.EXPIRED: "grant.expired",
    AuditAction.RELINQUISHED: "grant.relinquished",
}
# Reinstating a withdrawn dataset and a fetched file change what a mirror holds: updated.
# Deleting one removes it for good: for a receiver, withdrawn. A failed fetch changes nothing.
DATASET_EVENT_TYPES: dict[str, str] = {
    DatasetEventAction.CREATED: "dataset.created",
    DatasetEventAction.UPDATED: "dataset.updated",
    DatasetEventAction.WITHDRAWN: "dataset.withdrawn",
    DatasetEventAction.REINSTATED: "dataset.updated",
    DatasetEventAction.DELETED: "dataset.withdrawn",
    DatasetEventAction.FILE_FETCHED: "dataset.updated",
}
TEST_EVENT_TYPE = "webhook.test"
EVENT_TYPES: tuple[str, ...] = (
    "access_request.submitted",
    "access_request.approved",
    "access_request.rejected",
    "access_request.returned",
    "access_request.withdrawn",
    "grant.provisioned",
    "grant.revoked",
    "grant.expired",
    "grant.relinquished",
    "dataset.created",
    "dataset.updated",
    "dataset.withdrawn",
)
_GRANT_STATE_AFTER = {
    AuditAction.GRANT_PROVISIONED: GrantState.ACTIVE,
    AuditAction.REVOKED: GrantState.REVOKED,
    AuditAction.EXPIRED: GrantState.EXPIRED,
    AuditAction.RELINQUISHED: GrantState.RELINQUISHED,
}


@dataclass(frozen=True)
class Audience:
    """Who an event concerns: the dataset's publisher, and the partner client that submitted
    the request (access events only)."""

    publisher_id: int
    submitted_by_client_id: Any = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def access_event_audience(event: AccessEvent) -> Audience:
    request = event.access_request
    return Audience(request.dataset.publisher_id, request.submitted_by_client_id)


def dataset_event_audience(event: DatasetEvent) -> Audience:
    return Audience(event.publisher_id)


def access_event_data(event: AccessEvent, grant: Grant | None) -> dict[str, Any]:
    """The ``data`` of an access event's message: the request as the event left it and, for
    grant events, the grant (``None`` if the request had none yet)."""
    request = event.access_request
    dataset = request.dataset
    data: dict[str, Any] = {
        "audit_position": event.position,
        "access_request": {
            "id": str(request.pk),
            "state": event.to_state,
            "previous_state": event.from_state,
            "dataset": {
                "id": str(dataset.pk),
                "identifier": dataset.identifier,
                "slug": dataset.slug,
                "publisher": dataset.publisher.slug,
            },
            "requester": request.requester.get_username(),
            "submitted_by_client": str(request.submitted_by_client_id)
            if request.submitted_by_client_id
            else None,
            "valid_until": _iso(request.valid_until),
        },
        # A reason or comment given with the change (a rejection's reason, what to change, the
        # revocation's reason): the researcher is told it too.
        "comment": event.comment,
        "actor": "partner" if event.actor_client_id else ("person" if event.actor_id else "system"),
    }
    if event.action in _GRANT_STATE_AFTER:
        data["grant"] = (
            {
                "id": str(grant.pk),
                "state": _GRANT_STATE_AFTER[event.action],
                "grantee": request.requester.get_username(),
                "valid_from": _iso(grant.valid_from),
                "expires_at": _iso(grant.expires_at),
            }
            if grant is not None
            else None
        )
    return data


def dataset_event_data(event: DatasetEvent) -> dict[str, Any]:
    dataset = event.dataset
    described: dict[str, Any] = {"id": str(event.dataset_ref), "publisher": event.publisher.slug}
    if dataset is not None:
        described |= {
            "identifier": dataset.identifier,
            "slug": dataset.slug,
            "title": dataset.title,
            "access_rights": dataset.access_rights,
            "withdrawn": dataset.withdrawn_at is not None,
            "modified": _iso(dataset.modified),
        }
    return {
        "dataset_event_id": event.pk,
        # The catalogue's own word for the change (reinstated, deleted, file_fetched...).
        "action": event.action,
        "changed_fields": list(event.changed_fields or []),
        "dataset": described,
    }


def message_body(*, event_type: str, timestamp: datetime, position: int, data: dict) -> dict:
    """The message as sent: Standard Webhooks' envelope; ``data.position`` is the message's
    place in the endpoint's stream (what a replay from a position refers to)."""
    return {
        "type": event_type,
        "timestamp": _iso(timestamp),
        "data": {"position": position, **data},
    }
