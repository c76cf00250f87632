"""Stewards decide: approve, return for changes, reject, revoke; and access ends on time.

Every decision locks the request row, checks the current state, writes the change and its audit
event in one transaction, and schedules the grant and the e-mails after commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from access.events import AuditAction
from access.models import AccessEvent, AccessRequest, Grant, GrantState, RequestState
from access.selectors import is_steward_for
from catalogue.models import Distribution
from core.dispatch import enqueue_after_commit
from core.errors import ApplicationError, ConflictError
from core.partners import partner_context

from .audit import audited_atomic, event_record
from .grants import grant_close
from .transitions import NotAllowedError, lock_request, move, required_text, state_conflict


def ensure_steward(user: AbstractBaseUser, request: AccessRequest) -> None:
    if not is_steward_for(user=user, dataset=request.dataset):
        raise NotAllowedError(
            f"Only a steward of '{request.dataset.publisher.slug}' can decide on this request."
        )


def ensure_decider(user: AbstractBaseUser, request: AccessRequest) -> None:
    """A publisher whose decisions are made by a partner client (its committee decides in its
    own system) lets only that client decide: its stewards, superusers included, see the
    request but do not approve, reject or return it."""
    publisher = request.dataset.publisher
    decider_id = publisher.decisions_by_client_id
    if decider_id is None:
        return
    partner = partner_context(user)
    if partner is None or partner.client_id != decider_id:
        decider = publisher.decisions_by_client
        raise NotAllowedError(
            f"Decisions on requests for '{publisher.slug}' are made only by the partner "
            f"system '{decider.name}'; stewards see them but do not decide.",
            extra={"rule": "decisions_by_client", "decisions_by_client": decider.name},
        )


def ensure_may_decide(user: AbstractBaseUser, request: AccessRequest) -> None:
    """A steward decides on other people's requests only: approving, returning or rejecting
    one's own request is never allowed, superusers included. (Revoking one's own access is.)"""
    ensure_steward(user, request)
    ensure_decider(user, request)
    if request.requester_id == user.pk:
        raise NotAllowedError(
            "No one decides on their own access request: another steward of "
            f"'{request.dataset.publisher.slug}' must approve, return or reject it.",
            extra={"rule": "no_self_decision"},
        )


def _freeze_approved_files(request: AccessRequest) -> None:
    """Fix the files the approval covers: the dataset's files now, or those chosen that still
    exist. The grant opens exactly these; a file added later is not among them, a file removed
    leaves them, and none is ever added back by an empty list meaning "all"."""
    if request.whole_dataset:
        covered = list(
            Distribution.objects.filter(dataset_id=request.dataset_id).values_list("pk", flat=True)
        )
    else:
        covered = list(request.distributions.values_list("pk", flat=True))
        if not covered:
            raise ConflictError(
                "Every file this request asked for has been removed from the dataset; return "
                "the request so that the researcher can choose again, or reject it.",
                extra={"state": request.state},
            )
    request.approved_distributions.set(covered)


def approve_locked(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    valid_until: datetime,
    comment: str,
) -> AccessEvent:
    """Approve a request already locked and checked; a worker provisions its grant. A renewal
    first closes the approval it renews (its grant ends now), so that one approval at a time
    covers the researcher and the dataset. Returns the approval's audit event."""
    _freeze_approved_files(request)
    if request.renews_id:
        _supersede(request, actor=actor, now=now)
    previous = request.state
    request.state = RequestState.APPROVED
    request.decided_at = now
    request.decided_by = actor
    request.decision_reason = comment
    request.valid_until = valid_until
    request.save()
    event = event_record(
        request, actor=actor, action=AuditAction.APPROVED, from_state=previous, comment=comment
    )
    enqueue_after_commit("access.provision_grant", str(request.pk))
    return event


def _supersede(renewal: AccessRequest, *, actor: AbstractBaseUser | None, now: datetime) -> None:
    """End the approval a renewal replaces, in the renewal's transaction. Nothing to do when it
    ended meanwhile (expired, revoked, relinquished): the renewal then simply starts anew."""
    renewed = lock_request(renewal.renews_id)
    if renewed.state != RequestState.APPROVED:
        return
    grant_close(request=renewed, state=GrantState.SUPERSEDED, now=now)
    move(
        renewed,
        actor=actor,
        allowed_from=(RequestState.APPROVED,),
        to_state=RequestState.SUPERSEDED,
        action=AuditAction.SUPERSEDED,
        comment=f"Replaced by the approved renewal {renewal.pk}.",
    )


@audited_atomic
def access_request_approve(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    comment: str = "",
    valid_until: datetime | None = None,
) -> AccessRequest:
    request = lock_request(request)
    ensure_may_decide(user, request)
    if request.state != RequestState.SUBMITTED:
        raise state_conflict(request, "approved")
    now = timezone.now()
    longest = now + timedelta(days=request.dataset.publisher.max_access_days)
    if valid_until is None:
        valid_until = min(now + timedelta(days=request.duration_days), longest)
    elif not now < valid_until <= longest:
        raise ApplicationError(
            "The access end must be in the future and within the publisher's maximum period.",
            fields={"valid_until": [f"Between now and {longest.date().isoformat()}."]},
        )
    approve_locked(request, actor=user, now=now, valid_until=valid_until, comment=comment.strip())
    return request


@audited_atomic
def access_request_reject(
    *, user: AbstractBaseUser, request: AccessRequest, reason: str
) -> AccessRequest:
    reason = required_text(reason, "reason", "A reason for the rejection")
    request = lock_request(request)
    ensure_may_decide(user, request)
    return move(
        request,
        actor=user,
        allowed_from=(RequestState.SUBMITTED,),
        to_state=RequestState.REJECTED,
        action=AuditAction.REJECTED,
        comment=reason,
        decided_at=timezone.now(),
        decided_by=user,
        decision_reason=reason,
    )


@audited_atomic
def access_request_return(
    *, user: AbstractBaseUser, request: AccessRequest, comment: str
) -> AccessRequest:
    comment = required_text(comment, "comment", "A comment saying what to change")
    request = lock_request(request)
    ensure_may_decide(user, request)
    return move(
        request,
        actor=user,
        allowed_from=(RequestState.SUBMITTED,),
        to_state=RequestState.RETURNED,
        action=AuditAction.RETURNED,
        comment=comment,
        decision_reason=comment,
    )


@audited_atomic
def access_request_revoke(
    *, user: AbstractBaseUser, request: AccessRequest, reason: str
) -> AccessRequest:
    reason = required_text(reason, "reason", "A reason for the revocation")
    request = lock_request(request)
    ensure_steward(user, request)
    if request.state == RequestState.APPROVED:
        grant_close(request=request, state=GrantState.REVOKED, now=timezone.now())
    return move(
        request,
        actor=user,
        allowed_from=(RequestState.APPROVED,),
        to_state=RequestState.REVOKED,
        action=AuditAction.REVOKED,
        comment=reason,
    )


@audited_atomic
def access_request_relinquish(
    *, user: AbstractBaseUser, request: AccessRequest, comment: str = ""
) -> AccessRequest:
    """The researcher ends their own approved access early: the grant closes with the request,
    so every link fails from the commit on, and the stewards are told."""
    request = lock_request(request)
    if request.requester_id != user.pk:
        raise NotAllowedError("Only the researcher who holds this access can relinquish it.")
    if request.state == RequestState.APPROVED:
        grant_close(request=request, state=GrantState.RELINQUISHED, now=timezone.now())
    return move(
        request,
        actor=user,
        allowed_from=(RequestState.APPROVED,),
        to_state=RequestState.RELINQUISHED,
        action=AuditAction.RELINQUISHED,
        comment=comment.strip(),
    )


def grant_relinquish(*, user: AbstractBaseUser, grant: Grant, comment: str = "") -> Grant:
    """Relinquishing a grant relinquishes the approval it came from (and the grant with it)."""
    access_request_relinquish(user=user, request=grant.access_request, comment=comment)
    grant.refresh_from_db()
    return grant


def grant_revoke(*, user: AbstractBaseUser, grant: Grant, reason: str) -> Grant:
    """Revoking a grant revokes the approval it came from (and so the grant with it)."""
    access_request_revoke(user=user, request=grant.access_request, reason=reason)
    grant.refresh_from_db()
    return grant


def access_requests_expire_due(*, now: datetime | None = None) -> int:
    """Expire every approved request whose access period has ended (run by beat). Each one in
    its own transaction, re-checked under lock, so running this twice expires nothing twice."""
    now = now or timezone.now()
    due = AccessRequest.objects.filter(
        state=RequestState.APPROVED, valid_until__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        with audited_atomic():
            request = lock_request(pk)
            if request.state != RequestState.APPROVED or request.valid_until > now:
                continue
            grant_close(request=request, state=GrantState.EXPIRED, now=now)
            move(
                request,
                actor=None,
                allowed_from=(RequestState.APPROVED,),
                to_state=RequestState.EXPIRED,
                action=AuditAction.EXPIRED,
            )
            expired += 1
    return expired
