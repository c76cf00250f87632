"""The tamper-evident audit trail of access requests: an append-only hash chain.

Every writer shares one lock, the chain's head row, so appending takes two steps and the lock
is held only for the second, at the very end of the transaction:

1. ``audit_event_append`` inserts the event with its content but without its place in the
   chain (no position, no hash yet). Concurrent transactions do this at the same time.
2. ``audit_chain_place`` gives the transaction's events their places: it locks the head row,
   numbers the events after the newest one, chains each hash to the previous event's, and moves
   the head. ``audited_atomic`` runs it as the last statement of its transaction, so the head
   is locked from there until the commit only: a few small statements, not the whole change.

Positions stay gap-free and in commit order (the head lock orders the placing, the commit or
rollback takes the head row's move with the events), and PostgreSQL refuses to commit an event
that was never placed (migration 0016). Outside ``audited_atomic`` an event is placed at once,
holding the lock until the commit as before: slower, never wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.local import Local
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import AccessEvent, AccessRequest, AuditHead
from accounts.models import PartnerClient
from core.partners import partner_context

from .notifications import notifications_schedule, notifications_schedule_many

GENESIS_HASH = "0" * 64
F = TypeVar("F", bound=Callable[..., Any])

# The events waiting to be placed, per open ``audited_atomic`` block, innermost last. Per thread
# (and asyncio task), like Django's database connections.
_open_blocks = Local()


def _pending_stack() -> list[list[AccessEvent]]:
    stack = getattr(_open_blocks, "stack", None)
    if stack is None:
        stack = _open_blocks.stack = []
    return stack


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


def audit_chain_place(events: list[AccessEvent]) -> None:
    """Put ``events`` (inserted unplaced by this transaction) at the end of the chain, in the
    order they were written, and set their position and hashes on the given instances too.

    Events whose savepoint was rolled back since are gone and get no place, so no position is
    ever skipped. The head row stays locked from here until the transaction ends.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and _place_postgresql(events, connection):
        return
    ids = [event.pk for event in events]
    unplaced = list(AccessEvent.objects.filter(pk__in=ids, position__isnull=True).order_by("pk"))
    if not unplaced:
        return
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    position, prev_hash = head.position, head.hash
    for event in unplaced:
        position += 1
        event.position, event.prev_hash = position, prev_hash
        event.hash = prev_hash = event_digest(event)
    AccessEvent.objects.bulk_update(unplaced, ["position", "prev_hash", "hash"])
    AuditHead.objects.filter(id=1).update(position=position, hash=prev_hash)
    placed = {event.pk: event for event in unplaced}
    for event in events:
        if event.pk in placed:
            event.position = placed[event.pk].position
            event.prev_hash = placed[event.pk].prev_hash
            event.hash = placed[event.pk].hash


_RESERVE_SQL = """
WITH unplaced AS (
    SELECT id FROM access_accessevent WHERE id = ANY(%s) AND position IS NULL
)
UPDATE access_audithead SET position = position + (SELECT count(*) FROM unplaced)
 WHERE id = 1
RETURNING position - (SELECT count(*) FROM unplaced), hash,
          ARRAY(SELECT id FROM unplaced ORDER BY id)
"""
_PLACE_SQL = """
WITH placed AS (
    UPDATE access_accessevent AS event
       SET position = chained.position, prev_hash = chained.prev_hash, hash = chained.hash
      FROM (VALUES {rows}) AS chained (id, position, prev_hash, hash)
     WHERE event.id = chained.id
    RETURNING 1
)
UPDATE access_audithead SET hash = %s WHERE id = 1 RETURNING (SELECT count(*) FROM placed)
"""


def _place_postgresql(events: list[AccessEvent], connection: Any) -> bool:
    """The same as the portable path in two statements, so the head is held for one round trip
    plus the commit: the first finds this transaction's surviving events, locks the head and
    reserves their positions; the second writes their links and the head's hash. False when
    there is no head row yet (the portable path creates it)."""
    by_id = {event.pk: event for event in events}
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [list(by_id)])
        row = cursor.fetchone()
        if row is None:
            return False
        position, prev_hash, ids = row
        if not ids:
            return True
        values: list[Any] = []
        for event_id in ids:
            event = by_id[event_id]
            position += 1
            event.position, event.prev_hash = position, prev_hash
            event.hash = prev_hash = event_digest(event)
            values += [event.pk, event.position, event.prev_hash, event.hash]
        rows = ", ".join(["(%s::bigint, %s::bigint, %s::varchar, %s::varchar)"] * len(ids))
        cursor.execute(_PLACE_SQL.format(rows=rows), [*values, prev_hash])
        placed = cursor.fetchone()
    if placed is None or placed[0] != len(ids):  # never commit a chain that does not add up
        raise RuntimeError("The audit events could not be placed in the chain.")
    return True


class _AuditedAtomic:
    """One ``audited_atomic`` block (a new one per ``with``, so recursion is safe)."""

    def __enter__(self) -> _AuditedAtomic:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._pending: list[AccessEvent] = []
        _pending_stack().append(self._pending)
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        stack = _pending_stack()
        stack.pop()
        if exc_type is None and self._pending and not transaction.get_connection().needs_rollback:
            try:
                if stack:  # an enclosing block places them, last thing before its own end
                    stack[-1].extend(self._pending)
                else:
                    audit_chain_place(self._pending)
            except BaseException as error:  # never commit the change without its events
                self._atomic.__exit__(type(error), error, error.__traceback__)
                raise
        self._atomic.__exit__(exc_type, exc, traceback)


def audited_atomic(func: F | None = None) -> Any:
    """``transaction.atomic`` for services that record audit events: the events written inside
    are placed in the chain as the block's last statements (see the module's docstring).

    Use as ``@audited_atomic`` or ``with audited_atomic():``. Blocks nest: the outermost one
    places the events of all. Inside a plain ``transaction.atomic`` that encloses it, the head
    stays locked until that outer transaction commits, which is correct, only slower.
    """
    if func is None:
        return _AuditedAtomic()

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with _AuditedAtomic():
            return func(*args, **kwargs)

    return inner


def _insert(events: list[AccessEvent]) -> list[AccessEvent]:
    """Insert unplaced events and place them: at the end of the enclosing ``audited_atomic``
    block, or at once outside one."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events must be written inside the transaction of the change.")
    # Microseconds are dropped so that the hash is recomputed identically on every database.
    created = timezone.now().replace(microsecond=0)
    for event in events:
        event.created = created
    if len(events) > 1 and transaction.get_connection().features.can_return_rows_from_bulk_insert:
        AccessEvent.objects.bulk_create(events)  # one statement; the ids come back
    else:
        for event in events:
            event.save(force_insert=True)
    stack = _pending_stack()
    if stack:
        stack[-1].extend(events)
    else:
        audit_chain_place(events)
    return events


def _event(
    request: AccessRequest,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    from_state: str,
    to_state: str,
    comment: str,
) -> AccessEvent:
    actor = actor if actor is not None and actor.is_authenticated else None
    client_id, client_name = _acting_client(actor)
    return AccessEvent(
        access_request=request,
        actor=actor,
        actor_client_id=client_id,
        actor_client_name=client_name,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )


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
    if the change it records was committed. Inside ``audited_atomic`` its position and hash are
    set when the block ends; elsewhere at once."""
    event = _event(access_request, actor, action, from_state, to_state, comment)
    return _insert([event])[0]


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


def events_record(
    changes: list[tuple[AccessRequest, str]],
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
) -> list[AccessEvent]:
    """``event_record`` for the same action on several requests that stay in their state, given
    as (request, comment) pairs: one INSERT for the events and one for their e-mails (a
    worker's batch)."""
    events = [
        _event(request, actor, action, request.state, request.state, comment)
        for request, comment in changes
    ]
    if not events:
        return []
    _insert(events)
    notifications_schedule_many(events)
    return events


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
    unplaced = AccessEvent.objects.filter(position__isnull=True).order_by("pk").first()
    if unplaced is not None:
        return AuditVerification(
            False,
            0,
            f"Event {unplaced.pk} ({unplaced.action} on request {unplaced.access_request_id}) "
            "was committed without a place in the chain.",
            None,
        )
    placed = AccessEvent.objects.filter(position__isnull=False).order_by("position")
    for event in placed.iterator(chunk_size=2000):
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
