"""The access-request lifecycle: researchers ask, stewards decide.

Every transition locks the request row, checks the current state, writes the change and its
audit event in one transaction, and schedules e-mails after commit. A move the rules do not allow
is a 409 naming the current state; acting on a request one may see but not decide is a 403.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from access.models import OPEN_STATES, AccessRequest, Grant, GrantState, RequestState
from catalogue.models import AccessRights, Dataset, Distribution, LicenceVersion
from catalogue.selectors import publishers_stewarded_by
from config.errors import ApplicationError, ConflictError

from .audit import audit_event_append
from .notifications import has_recipients

logger = logging.getLogger(__name__)
MIN_PURPOSE_LENGTH = 30
MAX_PURPOSE_LENGTH = 10_000
DEFAULT_DURATION_DAYS = 90
EDITABLE_FIELDS = {"purpose", "project_title", "affiliation", "duration_days", "distributions"}


class NotAllowedError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class StateConflictError(ConflictError):
    code = "invalid_state"


def _state_conflict(request: AccessRequest, action: str) -> StateConflictError:
    return StateConflictError(
        f"A request that is {request.state} cannot be {action}.",
        extra={"state": request.state},
    )


def is_steward_for(*, user: AbstractBaseUser, dataset: Dataset) -> bool:
    return publishers_stewarded_by(user=user).filter(pk=dataset.publisher_id).exists()


def _validate_purpose(purpose: str) -> str:
    purpose = " ".join((purpose or "").split())
    if len(purpose) < MIN_PURPOSE_LENGTH or len(purpose.split()) < 5:
        raise ApplicationError(
            "State the purpose of use in at least one full sentence.",
            fields={"purpose": [f"At least {MIN_PURPOSE_LENGTH} characters and five words."]},
        )
    if len(purpose) > MAX_PURPOSE_LENGTH:
        raise ApplicationError(
            "The purpose is too long.",
            fields={"purpose": [f"At most {MAX_PURPOSE_LENGTH} characters."]},
        )
    return purpose


def _validate_duration(duration_days: int | None, dataset: Dataset) -> int:
    maximum = dataset.publisher.max_access_days
    if duration_days is None:
        return min(DEFAULT_DURATION_DAYS, maximum)
    if not 1 <= duration_days <= maximum:
        raise ApplicationError(
            f"The duration must be between 1 and {maximum} days for this publisher.",
            fields={"duration_days": [f"Between 1 and {maximum}; got {duration_days}."]},
        )
    return duration_days


def _validate_distributions(dataset: Dataset, distributions: Iterable[Any]) -> list[Distribution]:
    wanted = {str(getattr(d, "pk", d)) for d in distributions}
    if not wanted:
        return []
    found = list(Distribution.objects.filter(dataset=dataset, pk__in=wanted))
    missing = wanted - {str(d.pk) for d in found}
    if missing:
        raise ApplicationError(
            "Some distributions are not part of this dataset.",
            fields={
                "distributions": [f"Not in dataset '{dataset.slug}': {', '.join(sorted(missing))}."]
            },
        )
    return found


def _current_licence_version(dataset: Dataset) -> LicenceVersion:
    version = dataset.licence.versions.order_by("-version").first()
    if version is None:
        raise ApplicationError(f"The licence '{dataset.licence.identifier}' has no text to accept.")
    return version


def _check_licence_acceptance(
    dataset: Dataset, accept_licence: bool, licence_version: int | None
) -> LicenceVersion:
    current = _current_licence_version(dataset)
    name = f"{dataset.licence.identifier} version {current.version}"
    if licence_version is not None and licence_version != current.version:
        raise ApplicationError(
            f"Licence version {licence_version} is no longer current; read and accept {name}.",
            fields={"licence_version": [f"The current version is {current.version}."]},
            extra={"licence": dataset.licence.identifier, "licence_version": current.version},
        )
    if accept_licence is not True:
        raise ApplicationError(
            f"Accept the licence {name} to request access (accept_licence: true).",
            fields={"accept_licence": [f"You must accept {name}."]},
            extra={"licence": dataset.licence.identifier, "licence_version": current.version},
        )
    return current


def enqueue_after_commit(task, *args: Any) -> None:
    """Send ``task`` once the transaction commits. If the broker is down, the change still
    stands (no 500): the periodic sweeps find committed work that was not done."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as exc:  # kombu raises various connection errors
            logger.warning(
                "could not enqueue %s%s (%s); the periodic sweep will do it",
                task.name,
                args,
                exc,
            )

    transaction.on_commit(send)


def _notify(event_id: int) -> None:
    from workers.tasks import notify_access_event

    enqueue_after_commit(notify_access_event, event_id)


def _record(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    action: str,
    from_state: str,
    comment: str = "",
) -> None:
    event = audit_event_append(
        access_request=request,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=request.state,
        comment=comment,
    )
    if has_recipients(action):
        _notify(event.pk)


def _lock(request: AccessRequest | Any) -> AccessRequest:
    pk = getattr(request, "pk", request)
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset__publisher", "dataset__licence")
        .get(pk=pk)
    )


def _submit_locked(request: AccessRequest, *, actor: AbstractBaseUser, now: datetime) -> None:
    previous = request.state
    request.state = RequestState.SUBMITTED
    request.submitted_at = now
    request.deadline = now + timedelta(days=request.dataset.publisher.review_deadline_days)
    request.save()
    _record(request, actor=actor, action="submitted", from_state=previous)
    if request.dataset.access_rights == AccessRights.PUBLIC:
        # Public data needs no decision: the request is approved at once, by the system.
        _approve_locked(
            request,
            actor=None,
            now=now,
            valid_until=now + timedelta(days=request.duration_days),
            comment="Approved automatically: the dataset is public.",
        )


def _approve_locked(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    valid_until: datetime,
    comment: str,
) -> None:
    previous = request.state
    request.state = RequestState.APPROVED
    request.decided_at = now
    request.decided_by = actor
    request.decision_reason = comment
    request.valid_until = valid_until
    request.save()
    _record(request, actor=actor, action="approved", from_state=previous, comment=comment)
    from workers.tasks import provision_grant

    enqueue_after_commit(provision_grant, str(request.pk))


@transaction.atomic
def access_request_create(
    *,
    requester: AbstractBaseUser,
    dataset: Dataset,
    purpose: str,
    accept_licence: bool,
    licence_version: int | None = None,
    project_title: str = "",
    affiliation: str = "",
    duration_days: int | None = None,
    distributions: Iterable[Any] = (),
    submit: bool = True,
) -> AccessRequest:
    """Create a request (submitted at once unless ``submit`` is false, then a draft)."""
    dataset = Dataset.objects.select_related("publisher", "licence").get(pk=dataset.pk)
    version = _check_licence_acceptance(dataset, accept_licence, licence_version)
    purpose = _validate_purpose(purpose)
    duration = _validate_duration(duration_days, dataset)
    chosen = _validate_distributions(dataset, distributions)
    existing = AccessRequest.objects.filter(
        requester=requester, dataset=dataset, state__in=OPEN_STATES
    ).first()
    if existing:
        raise _already_open(existing)
    now = timezone.now()
    request = AccessRequest(
        requester=requester,
        dataset=dataset,
        purpose=purpose,
        project_title=project_title.strip(),
        affiliation=affiliation.strip(),
        duration_days=duration,
        licence_version=version,
        licence_accepted_at=now,
        state=RequestState.DRAFT,
    )
    try:
        with transaction.atomic():
            request.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create won the unique constraint
        existing = AccessRequest.objects.filter(
            requester=requester, dataset=dataset, state__in=OPEN_STATES
        ).first()
        if existing:
            raise _already_open(existing) from exc
        raise
    request.distributions.set(chosen)
    _record(request, actor=requester, action="created", from_state="")
    if submit:
        _submit_locked(request, actor=requester, now=now)
    return request


def _already_open(existing: AccessRequest) -> ConflictError:
    return ConflictError(
        f"You already have an open request for this dataset ({existing.state}): {existing.pk}.",
        extra={"existing_request": str(existing.pk), "state": existing.state},
    )


@transaction.atomic
def access_request_update(
    *, user: AbstractBaseUser, request: AccessRequest, changes: dict[str, Any]
) -> AccessRequest:
    """Edit a draft or returned request (the requester only)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    request = _lock(request)
    _ensure_requester(user, request)
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise _state_conflict(request, "edited")
    if "purpose" in changes:
        request.purpose = _validate_purpose(changes["purpose"])
    if "duration_days" in changes:
        request.duration_days = _validate_duration(changes["duration_days"], request.dataset)
    for field in ("project_title", "affiliation"):
        if field in changes:
            setattr(request, field, (changes[field] or "").strip())
    request.save()
    if "distributions" in changes:
        request.distributions.set(
            _validate_distributions(request.dataset, changes["distributions"])
        )
    _record(request, actor=user, action="edited", from_state=request.state)
    return request


def _ensure_requester(user: AbstractBaseUser, request: AccessRequest) -> None:
    if request.requester_id != user.pk:
        raise NotAllowedError("Only the researcher who made this request can do this.")


def _ensure_steward(user: AbstractBaseUser, request: AccessRequest) -> None:
    if not is_steward_for(user=user, dataset=request.dataset):
        raise NotAllowedError(
            f"Only a steward of '{request.dataset.publisher.slug}' can decide on this request."
        )


@transaction.atomic
def access_request_submit(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    accept_licence: bool | None = None,
    licence_version: int | None = None,
) -> AccessRequest:
    """Submit a draft, or resubmit a returned request. If the licence text changed since it was
    accepted, the current version must be accepted again."""
    request = _lock(request)
    _ensure_requester(user, request)
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise _state_conflict(request, "submitted")
    current = _current_licence_version(request.dataset)
    if request.licence_version_id != current.pk or licence_version is not None:
        version = _check_licence_acceptance(request.dataset, bool(accept_licence), licence_version)
        request.licence_version = version
        request.licence_accepted_at = timezone.now()
    _submit_locked(request, actor=user, now=timezone.now())
    return request


@transaction.atomic
def access_request_approve(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    comment: str = "",
    valid_until: datetime | None = None,
) -> AccessRequest:
    request = _lock(request)
    _ensure_steward(user, request)
    if request.state != RequestState.SUBMITTED:
        raise _state_conflict(request, "approved")
    now = timezone.now()
    longest = now + timedelta(days=request.dataset.publisher.max_access_days)
    if valid_until is None:
        valid_until = min(now + timedelta(days=request.duration_days), longest)
    elif not now < valid_until <= longest:
        raise ApplicationError(
            "The access end must be in the future and within the publisher's maximum period.",
            fields={"valid_until": [f"Between now and {longest.date().isoformat()}."]},
        )
    _approve_locked(request, actor=user, now=now, valid_until=valid_until, comment=comment.strip())
    return request


def _required_text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(f"{what} is required.", fields={field: ["This field is required."]})
    return value


def _move(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    allowed_from: tuple[str, ...],
    to_state: str,
    action: str,
    comment: str = "",
    **fields: Any,
) -> AccessRequest:
    """The shape of every transition of a locked request: check the state (409 naming it
    otherwise), change it and the given fields, and record the event."""
    if request.state not in allowed_from:
        raise _state_conflict(request, action)
    previous = request.state
    request.state = to_state
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    _record(request, actor=actor, action=action, from_state=previous, comment=comment)
    return request


@transaction.atomic
def access_request_reject(
    *, user: AbstractBaseUser, request: AccessRequest, reason: str
) -> AccessRequest:
    reason = _required_text(reason, "reason", "A reason for the rejection")
    request = _lock(request)
    _ensure_steward(user, request)
    return _move(
        request,
        actor=user,
        allowed_from=(RequestState.SUBMITTED,),
        to_state=RequestState.REJECTED,
        action="rejected",
        comment=reason,
        decided_at=timezone.now(),
        decided_by=user,
        decision_reason=reason,
    )


@transaction.atomic
def access_request_return(
    *, user: AbstractBaseUser, request: AccessRequest, comment: str
) -> AccessRequest:
    comment = _required_text(comment, "comment", "A comment saying what to change")
    request = _lock(request)
    _ensure_steward(user, request)
    return _move(
        request,
        actor=user,
        allowed_from=(RequestState.SUBMITTED,),
        to_state=RequestState.RETURNED,
        action="returned",
        comment=comment,
        decision_reason=comment,
    )


@transaction.atomic
def access_request_withdraw(
    *, user: AbstractBaseUser, request: AccessRequest, comment: str = ""
) -> AccessRequest:
    request = _lock(request)
    _ensure_requester(user, request)
    return _move(
        request,
        actor=user,
        allowed_from=(RequestState.DRAFT, RequestState.SUBMITTED, RequestState.RETURNED),
        to_state=RequestState.WITHDRAWN,
        action="withdrawn",
        comment=comment.strip(),
    )


@transaction.atomic
def access_request_revoke(
    *, user: AbstractBaseUser, request: AccessRequest, reason: str
) -> AccessRequest:
    reason = _required_text(reason, "reason", "A reason for the revocation")
    request = _lock(request)
    _ensure_steward(user, request)
    if request.state == RequestState.APPROVED:
        # The grant stops in the same transaction: every link fails from the commit on.
        _close_grant(request, state=GrantState.REVOKED, now=timezone.now())
    return _move(
        request,
        actor=user,
        allowed_from=(RequestState.APPROVED,),
        to_state=RequestState.REVOKED,
        action="revoked",
        comment=reason,
    )


def _close_grant(request: AccessRequest, *, state: str, now: datetime) -> None:
    """Revoke or expire the request's grant with it, in the request's transaction."""
    fields: dict[str, Any] = {"state": state}
    if state == GrantState.REVOKED:
        fields["revoked_at"] = now
    Grant.objects.filter(access_request=request, state=GrantState.ACTIVE).update(**fields)


def access_requests_expire_due(*, now: datetime | None = None) -> int:
    """Expire every approved request whose access period has ended (run by beat). Each one in
    its own transaction, re-checked under lock, so running this twice expires nothing twice."""
    now = now or timezone.now()
    due = AccessRequest.objects.filter(
        state=RequestState.APPROVED, valid_until__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        with transaction.atomic():
            request = _lock(pk)
            if request.state != RequestState.APPROVED or request.valid_until > now:
                continue
            _close_grant(request, state=GrantState.EXPIRED, now=now)
            _move(
                request,
                actor=None,
                allowed_from=(RequestState.APPROVED,),
                to_state=RequestState.EXPIRED,
                action="expired",
            )
            expired += 1
    return expired
