"""Grants: provisioned by a worker from an approved request, revoked with it, expired on time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.models import AccessRequest, Grant, GrantState, RequestState

from .audit import audit_event_append
from .notifications import notify_for_event
from .requests import enqueue_after_commit

logger = logging.getLogger(__name__)
PROVISION_SWEEP_DELAY = timedelta(seconds=30)
EXPIRY_WARNING_DAYS = 3


def grant_provision(*, access_request_id) -> Grant | None:
    """Create the grant of an approved request and tell the researcher; running it again
    returns the same grant and sends nothing twice.

    The one-to-one constraint on ``Grant.access_request`` guarantees a single grant even when
    several workers (a redelivered task, the sweep) provision the same request at once. The
    e-mail is sent here, after commit, rather than by another task: one hop fewer per approval,
    and a failure to send retries this (idempotent) task.
    """
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("dataset")
            .filter(pk=access_request_id)
            .first()
        )
        if request is None or request.state != RequestState.APPROVED:
            return None
        grant = Grant.objects.filter(access_request=request).first()
        if grant is None:
            grant, event_id = _grant_create(request)
        else:  # provisioned before: make sure its e-mail went out (sent once at most)
            event_id = (
                request.events.filter(action="grant_provisioned")
                .values_list("pk", flat=True)
                .first()
            )
    if event_id is not None:
        notify_for_event(event_id=event_id)
    return grant


def _grant_create(request: AccessRequest) -> tuple[Grant, int | None]:
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
        return Grant.objects.get(access_request=request), None
    chosen = list(request.distributions.all())
    if chosen:
        grant.distributions.set(chosen)
    event = audit_event_append(
        access_request=request,
        actor=None,
        action="grant_provisioned",
        from_state=request.state,
        to_state=request.state,
        comment=f"Grant {grant.pk} valid until {grant.expires_at:%Y-%m-%d %H:%M} UTC.",
    )
    logger.info("grant %s provisioned for request %s", grant.pk, request.pk)
    return grant, event.pk


def grants_provision_missing(*, older_than: timedelta = PROVISION_SWEEP_DELAY) -> int:
    """The safety net: approved requests still without a grant a little after approval (the
    broker was down, or a worker died mid-task) are provisioned now."""
    cutoff = timezone.now() - older_than
    pending = AccessRequest.objects.filter(
        state=RequestState.APPROVED, grant__isnull=True, decided_at__lte=cutoff
    ).values_list("pk", flat=True)
    provisioned = 0
    for pk in list(pending):
        if grant_provision(access_request_id=pk):
            provisioned += 1
    return provisioned


def grant_revoke(*, user: AbstractBaseUser, grant: Grant, reason: str) -> Grant:
    from .requests import access_request_revoke

    access_request_revoke(user=user, request=grant.access_request, reason=reason)
    grant.refresh_from_db()
    return grant


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
        with transaction.atomic():
            grant = Grant.objects.select_for_update().select_related("access_request").get(pk=pk)
            if grant.expiry_warned_at is not None or grant.state != GrantState.ACTIVE:
                continue
            grant.expiry_warned_at = now
            grant.save(update_fields=["expiry_warned_at"])
            event = audit_event_append(
                access_request=grant.access_request,
                actor=None,
                action="expiry_warning",
                from_state=grant.access_request.state,
                to_state=grant.access_request.state,
                comment=f"Access ends on {grant.expires_at:%Y-%m-%d %H:%M} UTC.",
            )
            from workers.tasks import notify_access_event

            enqueue_after_commit(notify_access_event, event.pk)
            warned += 1
    return warned
