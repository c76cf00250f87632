"""Grant rows: provisioned by a worker from an approved request, closed with it (revoked or
expired), and their grantees warned before they end."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from access.events import AuditAction
from access.models import (
    AccessRequest,
    Grant,
    GrantState,
    RequestState,
    grant_status_indexes_allocate,
)

from .audit import audited_atomic, event_record, events_record

logger = logging.getLogger(__name__)
EXPIRY_WARNING_DAYS = 3


# A worker asked for one grant provisions, in the same transaction, up to this many others
# approved recently and still waiting: one commit and one placing of events for the batch, so a
# burst of approvals is caught up with instead of queueing task by task. Older ones are the
# sweep's.
PROVISION_BATCH_SIZE = 100
RECENT_APPROVAL = timedelta(minutes=10)


def grant_provision(*, access_request_id, also_waiting: int = 0) -> Grant | None:
    """Create the grant of an approved request; running it again returns the same grant.
    With ``also_waiting``, also provision up to that many other requests approved in the last
    minutes that still wait for their grant and that no other worker holds (their own tasks
    then find their grants made).

    Grants are created only with their request's row locked, and looked for after taking the
    lock, so a redelivered task, the sweep and a batch never make a second grant (the one-to-one
    constraint on ``Grant.access_request`` would refuse it anyway).
    """
    done = (
        Grant.objects.select_related("access_request")
        .filter(access_request_id=access_request_id)
        .first()
    )
    if done is not None:  # the common case for tasks whose request an earlier batch took
        return done if done.access_request.state == RequestState.APPROVED else None
    locked = AccessRequest.objects.select_for_update(of=("self",)).select_related(
        "dataset__publisher", "requester"
    )
    with audited_atomic():
        request = locked.filter(pk=access_request_id).first()
        if request is None or request.state != RequestState.APPROVED:
            return None
        batch = [request]
        if also_waiting > 0:
            batch += list(
                locked.select_for_update(of=("self",), skip_locked=True)
                .filter(
                    state=RequestState.APPROVED,
                    grant__isnull=True,
                    decided_at__gte=timezone.now() - RECENT_APPROVAL,
                )
                .exclude(pk=request.pk)
                .order_by("decided_at")[:also_waiting]
            )
        existing = {
            grant.access_request_id: grant
            for grant in Grant.objects.filter(access_request__in=batch)
        }
        created = _grants_create([r for r in batch if r.pk not in existing])
        return existing.get(request.pk) or created[request.pk]


def _grants_create(requests: list[AccessRequest]) -> dict[object, Grant]:
    """Grants for locked, approved requests without one: one INSERT, and one for their events."""
    if not requests:
        return {}
    now = timezone.now()
    indexes = grant_status_indexes_allocate(len(requests))
    grants = [
        Grant(
            access_request=request,
            grantee_id=request.requester_id,
            dataset_id=request.dataset_id,
            valid_from=request.decided_at or now,
            expires_at=request.valid_until,
            status_index=index,
        )
        for request, index in zip(requests, indexes, strict=True)
    ]
    Grant.objects.bulk_create(grants)
    events_record(
        [
            (
                grant.access_request,
                f"Grant {grant.pk} valid until {grant.expires_at:%Y-%m-%d %H:%M} UTC.",
            )
            for grant in grants
        ],
        actor=None,
        action=AuditAction.GRANT_PROVISIONED,
    )
    for grant in grants:
        logger.info("grant %s provisioned for request %s", grant.pk, grant.access_request_id)
    return {grant.access_request_id: grant for grant in grants}


def grants_provision_missing(*, older_than: timedelta | None = None) -> int:
    """The safety net: approved requests still without a grant a little after approval (the
    broker was down, or a worker died mid-task) are provisioned now."""
    if older_than is None:
        older_than = timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    cutoff = timezone.now() - older_than
    pending = AccessRequest.objects.filter(
        state=RequestState.APPROVED, grant__isnull=True, decided_at__lte=cutoff
    ).values_list("pk", flat=True)
    provisioned = 0
    for pk in list(pending):
        if grant_provision(access_request_id=pk):
            provisioned += 1
    return provisioned


def grant_close(*, request: AccessRequest, state: GrantState, now: datetime) -> None:
    """End the request's grant with it (revoked, expired, relinquished or superseded), in the
    request's transaction: every link fails from the commit on."""
    fields: dict[str, object] = {"state": state}
    if state == GrantState.REVOKED:
        fields["revoked_at"] = now
    Grant.objects.filter(access_request=request, state=GrantState.ACTIVE).update(**fields)


def grants_warn_expiring(*, now: datetime | None = None) -> int:
    """Warn grantees a few days before their access ends (once per grant)."""
    now = now or timezone.now()
    soon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    warned = 0
    for pk in list(
        Grant.objects.filter(
            state=GrantState.ACTIVE, expires_at__lte=soon, expires_at__gt=now, expiry_warned_at=None
        ).values_list("pk", flat=True)
    ):
        with audited_atomic():
            grant = Grant.objects.select_for_update().select_related("access_request").get(pk=pk)
            if grant.expiry_warned_at is not None or grant.state != GrantState.ACTIVE:
                continue
            grant.expiry_warned_at = now
            grant.save(update_fields=["expiry_warned_at"])
            event_record(
                grant.access_request,
                actor=None,
                action=AuditAction.EXPIRY_WARNING,
                from_state=grant.access_request.state,
                comment=f"Access ends on {grant.expires_at:%Y-%m-%d %H:%M} UTC.",
            )
            warned += 1
    return warned
