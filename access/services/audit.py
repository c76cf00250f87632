"""The tamper-evident audit trail of access requests: an append-only hash chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import AccessEvent, AccessRequest, AuditHead
from accounts.models import PartnerClient
from core.partners import partner_context

from .notifications import notifications_schedule

GENESIS_HASH = "0" * 64


def event_digest(event: AccessEvent) -> str:
    """SHA-256 over the event's content and the previous event's hash (canonical JSON)."""
    content = {
        "position": event.position,
        "access_request": str(event.access_request_id),
        "actor": event.actor_id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
        "created": event.created.isoformat(),
        "prev_hash": event.prev_hash,
    }
    # Only events of partner clients carry these: earlier events hash exactly as before.
    if event.actor_client_id is not None:
        content["actor_client"] = str(event.actor_client_id)
        content["actor_client_name"] = event.actor_client_name
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_event_append(
    *,
    access_request: AccessRequest,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
) -> AccessEvent:
    """Append an event to the chain. Runs inside the caller's transaction: the event exists only
    if the change it records was committed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_event_append must run inside the transaction of the change.")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    actor = actor if actor is not None and actor.is_authenticated else None
    client_id, client_name = _acting_client(actor)
    event = AccessEvent(
        position=head.position + 1,
        access_request=access_request,
        actor=actor,
        actor_client_id=client_id,
        actor_client_name=client_name,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        # Microseconds are dropped so that the hash is recomputed identically on every database.
        created=timezone.now().replace(microsecond=0),
        prev_hash=head.hash,
    )
    event.hash = event_digest(event)
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(position=event.position, hash=event.hash)
    return event


def _acting_client(actor: AbstractBaseUser | None) -> tuple[Any, str]:
    """The partner client ``actor`` is the service user of, as (id, name); (None, "") for a
    person. The request's authentication says so without a query; an actor loaded elsewhere
    is looked up, only when it could be a service user (they have no usable password)."""
    if actor is None:
        return None, ""
    context = partner_context(actor)
    if context is not None:
        return context.client_id, context.name
    if actor.has_usable_password():
        return None, ""
    client = PartnerClient.objects.filter(service_user=actor).values_list("pk", "name").first()
    return client if client else (None, "")


def event_record(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    from_state: str,
    comment: str = "",
) -> AccessEvent:
    """Record what just happened to ``request`` (now in its new state) and schedule the
    e-mails it calls for, in the caller's transaction."""
    event = audit_event_append(
        access_request=request,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=request.state,
        comment=comment,
    )
    notifications_schedule(event)
    return event


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    events_checked: int
    message: str
    broken_position: int | None = None


def audit_log_verify() -> AuditVerification:
    """Walk the chain from the first event: every event must follow the previous one, carry its
    hash, and hash to what it stores; the last one must be the recorded head."""
    expected_prev = GENESIS_HASH
    expected_position = 1
    checked = 0
    for event in AccessEvent.objects.order_by("position").iterator(chunk_size=2000):
        if event.position != expected_position:
            return AuditVerification(
                False,
                checked,
                f"Event #{expected_position} is missing (the next one is #{event.position}).",
                expected_position,
            )
        if event.prev_hash != expected_prev:
            return AuditVerification(
                False,
                checked,
                f"Event #{event.position} does not follow the event before it "
                "(its previous hash differs): an earlier event was changed or removed.",
                event.position,
            )
        if event_digest(event) != event.hash:
            return AuditVerification(
                False,
                checked,
                f"Event #{event.position} ({event.action} on request {event.access_request_id}) "
                "was changed after it was written.",
                event.position,
            )
        expected_prev = event.hash
        expected_position += 1
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    head_position, head_hash = (head.position, head.hash) if head else (0, GENESIS_HASH)
    if (head_position, head_hash) != (checked, expected_prev):
        return AuditVerification(
            False,
            checked,
            f"The newest event should be #{head_position}, but the chain ends at #{checked}: "
            "the newest events were removed.",
            checked + 1,
        )
    return AuditVerification(True, checked, f"{checked} events verified; the chain is intact.")
