"""Grant rows: provisioned by a worker from an approved request, closed with it (revoked or
expired), and their grantees warned before they end."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import AccessRequest, Grant, GrantState, RequestState

from .audit import audited_atomic, event_record

logger = logging.getLogger(__name__)
EXPIRY_WARNING_DAYS = 3


def grant_provision(*, access_request_id) -> Grant | None:
    """Create the grant of an approved request; running it again returns the same grant.

    The one-to-one constraint on ``Grant.access_request`` guarantees a single grant even when
    several workers (a redelivered task, the sweep) provision the same request at once.
    """
    with audited_atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("dataset")
            .filter(pk=access_request_id)
            .first()
        )
        if request is None or request.state != RequestState.APPROVED:
            return None
        grant = Grant.objects.filter(access_request=request).first()
        return grant or _grant_create(request)


def _grant_create(request: AccessRequest) -> Grant:
    try:
        with transaction.atomic():
            grant = Grant.objects.create(
                access_request=request,
                grantee_id=request.requester_id,
                dataset_id=request.dataset_id,
                valid_from=request.decided_at or timezone.now(),
                expires_at=request.valid_until,
            )
    except IntegrityError:  # another worker created it first
        return Grant.objects.get(access_request=request)
    event_record(
        request,
        actor=None,
        action=AuditAction.GRANT_PROVISIONED,
        from_state=request.state,
        comment=f"Grant {grant.pk} valid until {grant.expires_at:%Y-%m-%d %H:%M} UTC.",
    )
    logger.info("grant %s provisioned for request %s", grant.pk, request.pk)
    return grant


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
