"""Researchers ask: create, edit, submit and withdraw access requests.

Every transition locks the request row, checks the current state, writes the change and its
audit event in one transaction, and schedules e-mails after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import (
    OPEN_STATES,
    PENDING_STATES,
    AccessRequest,
    GrantState,
    PurposeCategory,
    RequestState,
)
from accounts.selectors import email_is_verified
from catalogue.models import Dataset, Distribution, LicenceVersion, Publisher
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.text import single_line

from .audit import audited_atomic, event_record
from .forms import answers_clean, application_form_current
from .policies import policies_apply_locked
from .transitions import (
    NotAllowedError,
    StateConflictError,
    lock_request,
    move,
    state_conflict,
)

MIN_PURPOSE_LENGTH = 30
MAX_PURPOSE_LENGTH = 10_000
DEFAULT_DURATION_DAYS = 90
EDITABLE_FIELDS = {
    "purpose", "purpose_category", "project_title", "affiliation", "duration_days",
    "distributions", "answers",
}  # fmt: skip


def _attachment_ids(request: AccessRequest) -> list[str]:
    return [str(pk) for pk in request.attachments.values_list("pk", flat=True)]


def _answer_form(request: AccessRequest, answers: Any, *, complete: bool) -> None:
    """Check ``answers`` against the publisher's current form and store both on the request.
    Answers to questions the current version no longer has are dropped: they answered a form
    that has changed, and the current one decides what is asked."""
    version = application_form_current(publisher=request.dataset.publisher_id)
    request.answers = answers_clean(
        version=version,
        answers=answers,
        attachment_ids=() if request._state.adding else _attachment_ids(request),
        complete=complete,
    )
    request.form_version = version


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


def _validate_purpose_category(category: str | None) -> str:
    category = category or ""
    if category not in ("", *PurposeCategory.values):
        raise ApplicationError(
            "Unknown purpose category.",
            fields={"purpose_category": [f"One of: {', '.join(PurposeCategory.values)}."]},
        )
    return category


def access_request_default_duration(*, publisher: Publisher) -> int:
    """The duration a request gets when the researcher names none (forms show it too)."""
    return min(DEFAULT_DURATION_DAYS, publisher.max_access_days)


def _validate_duration(duration_days: int | None, dataset: Dataset) -> int:
    maximum = dataset.publisher.max_access_days
    if duration_days is None:
        return access_request_default_duration(publisher=dataset.publisher)
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
    version = dataset.licence.current_version
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


def _ensure_email_verified(user: AbstractBaseUser) -> None:
    # Stewards answer to a real person: a request comes from an address that was confirmed.
    if not email_is_verified(user=user):
        raise PermissionDeniedError(
            "Verify your e-mail address before requesting access: follow the link in the "
            "e-mail we sent you, or send a new one from your account's e-mail page "
            "(/accounts/email/).",
            extra={"rule": "email_unverified"},
        )


def _ensure_requestable(dataset: Dataset) -> None:
    if dataset.withdrawn_at is not None:
        raise ConflictError(
            f"The dataset '{dataset.slug}' was withdrawn from the catalogue on "
            f"{dataset.withdrawn_at:%Y-%m-%d}; it no longer takes access requests.",
            extra={"rule": "dataset_withdrawn"},
        )


def _submit_locked(request: AccessRequest, *, actor: AbstractBaseUser, now: datetime) -> None:
    _ensure_requestable(request.dataset)
    previous = request.state
    request.state = RequestState.SUBMITTED
    request.submitted_at = now
    request.deadline = now + timedelta(days=request.dataset.publisher.review_deadline_days)
    request.save()
    event_record(request, actor=actor, action=AuditAction.SUBMITTED, from_state=previous)
    # The decision policies (the built-in "public datasets are approved at once" first) may
    # approve or route it now; otherwise the stewards decide.
    policies_apply_locked(request, now=now)


def access_request_fields_clean(
    *,
    dataset: Dataset,
    purpose: str,
    accept_licence: bool,
    licence_version: int | None = None,
    project_title: str = "",
    affiliation: str = "",
    duration_days: int | None = None,
    purpose_category: str = "",
    answers: dict[str, Any] | None = None,
    complete: bool = True,
) -> dict[str, Any]:
    """The fields of a new request as they would be stored, checked as a creation checks them
    (licence acceptance, purpose, duration, category, answers to the publisher's form), or the
    creation's 400. Writes nothing: trying a decision policy on a draft body uses it too."""
    version = _check_licence_acceptance(dataset, accept_licence, licence_version)
    form_version = application_form_current(publisher=dataset.publisher_id)
    return {
        "licence_version": version,
        "purpose": _validate_purpose(purpose),
        "purpose_category": _validate_purpose_category(purpose_category),
        "duration_days": _validate_duration(duration_days, dataset),
        "project_title": single_line(project_title),
        "affiliation": single_line(affiliation),
        "form_version": form_version,
        "answers": answers_clean(
            version=form_version, answers=answers, attachment_ids=(), complete=complete
        ),
    }


@audited_atomic
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
    purpose_category: str = "",
    distributions: Iterable[Any] = (),
    answers: dict[str, Any] | None = None,
    submit: bool = True,
    actor: AbstractBaseUser | None = None,
    submitted_by_client: Any = None,
    requester_orcid: str = "",
) -> AccessRequest:
    """Create a request (submitted at once unless ``submit`` is false, then a draft). The
    answers to the publisher's form must be complete only when it is submitted.

    A partner client submitting for a researcher (access.services.on_behalf) passes itself as
    ``submitted_by_client`` and its service user as ``actor`` (the events name it); it vouches
    for the researcher, whose address need not be verified yet."""
    if submitted_by_client is None:
        _ensure_email_verified(requester)
    actor = actor or requester
    dataset = Dataset.objects.select_related("publisher", "licence").get(pk=dataset.pk)
    _ensure_requestable(dataset)
    version = _check_licence_acceptance(dataset, accept_licence, licence_version)
    purpose = _validate_purpose(purpose)
    category = _validate_purpose_category(purpose_category)
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
        whole_dataset=not chosen,
        purpose=purpose,
        purpose_category=category,
        project_title=single_line(project_title),
        affiliation=single_line(affiliation),
        duration_days=duration,
        licence_version=version,
        licence_accepted_at=now,
        state=RequestState.DRAFT,
        submitted_by_client=submitted_by_client,
        requester_orcid=requester_orcid,
    )
    _answer_form(request, answers, complete=submit)
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
    event_record(request, actor=actor, action=AuditAction.CREATED, from_state="")
    if submit:
        _submit_locked(request, actor=actor, now=now)
    return request


@audited_atomic
def access_request_renew(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    accept_licence: bool,
    licence_version: int | None = None,
    purpose: str | None = None,
    duration_days: int | None = None,
) -> AccessRequest:
    """Ask to extend an approved access before it ends: a new request, linked to the old one
    (``renews``), pre-filled from it (purpose, project, affiliation, duration and the files
    that were approved) and submitted. The old grant keeps working until the renewal is
    decided; approving it ends the old one (``approve_locked``), rejecting or withdrawing it
    leaves the old one to run to its own end. Public datasets approve it at once, as usual."""
    renewed = lock_request(request)
    _ensure_requester(user, renewed)
    _ensure_email_verified(user)
    grant = getattr(renewed, "grant", None) if renewed.state == RequestState.APPROVED else None
    if grant is None or grant.state != GrantState.ACTIVE:
        raise StateConflictError(
            "Only an approved request with an active grant can be renewed; this one is "
            f"{renewed.state}{'' if grant else ' without a grant yet'}.",
            extra={"state": renewed.state},
        )
    existing = renewed.renewals.filter(state__in=PENDING_STATES).first()
    if existing:
        raise _renewal_open(existing)
    dataset = renewed.dataset
    version = _check_licence_acceptance(dataset, accept_licence, licence_version)
    now = timezone.now()
    files = list(renewed.approved_distributions.all())
    renewal = AccessRequest(
        requester=renewed.requester,
        dataset=dataset,
        renews=renewed,
        # The files that were approved, not "everything": a file added since is asked for
        # anew. When they are all gone, the renewal asks for the whole dataset.
        whole_dataset=not files,
        purpose=renewed.purpose if purpose is None else _validate_purpose(purpose),
        purpose_category=renewed.purpose_category,
        project_title=renewed.project_title,
        affiliation=renewed.affiliation,
        duration_days=(
            _validate_duration(duration_days, dataset)
            if duration_days is not None
            else min(renewed.duration_days, dataset.publisher.max_access_days)
        ),
        licence_version=version,
        licence_accepted_at=now,
        state=RequestState.DRAFT,
    )
    try:
        with transaction.atomic():
            renewal.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent renewal won the unique constraint
        existing = renewed.renewals.filter(state__in=PENDING_STATES).first()
        if existing:
            raise _renewal_open(existing) from exc
        raise
    renewal.distributions.set(files)
    event_record(
        renewal,
        actor=user,
        action=AuditAction.CREATED,
        from_state="",
        comment=f"Renewal of {renewed.pk}.",
    )
    _submit_locked(renewal, actor=user, now=now)
    return renewal


def _renewal_open(existing: AccessRequest) -> ConflictError:
    return ConflictError(
        f"A renewal of this request is already open ({existing.state}): {existing.pk}.",
        extra={"existing_request": str(existing.pk), "state": existing.state},
    )


def _already_open(existing: AccessRequest) -> ConflictError:
    return ConflictError(
        f"You already have an open request for this dataset ({existing.state}): {existing.pk}.",
        extra={"existing_request": str(existing.pk), "state": existing.state},
    )


@audited_atomic
def access_request_update(
    *, user: AbstractBaseUser, request: AccessRequest, changes: dict[str, Any]
) -> AccessRequest:
    """Edit a draft or returned request (the requester only)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    request = lock_request(request)
    _ensure_requester(user, request)
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise state_conflict(request, "edited")
    if "purpose" in changes:
        request.purpose = _validate_purpose(changes["purpose"])
    if "duration_days" in changes:
        request.duration_days = _validate_duration(changes["duration_days"], request.dataset)
    if "purpose_category" in changes:
        request.purpose_category = _validate_purpose_category(changes["purpose_category"])
    for field in ("project_title", "affiliation"):
        if field in changes:
            setattr(request, field, single_line(changes[field] or ""))
    if "answers" in changes:
        _answer_form(request, _merged_answers(request, changes["answers"]), complete=False)
    request.save()
    if "distributions" in changes:
        chosen = _validate_distributions(request.dataset, changes["distributions"])
        request.whole_dataset = not chosen
        request.save(update_fields=["whole_dataset"])
        request.distributions.set(chosen)
    event_record(request, actor=user, action=AuditAction.EDITED, from_state=request.state)
    return request


def _merged_answers(request: AccessRequest, changes: Any) -> Any:
    """An edit sends the answers it changes (null removes one), as a JSON merge patch does;
    stored answers to questions the current form no longer has are dropped, not refused."""
    if not isinstance(changes, dict):
        return changes  # refused by answers_clean, naming the field
    version = application_form_current(publisher=request.dataset.publisher_id)
    current_keys = {q["key"] for q in (version.questions if version else [])}
    kept = {k: v for k, v in request.answers.items() if k in current_keys}
    merged = {**kept, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def _ensure_requester(user: AbstractBaseUser, request: AccessRequest) -> None:
    if request.requester_id != user.pk:
        raise NotAllowedError("Only the researcher who made this request can do this.")


@audited_atomic
def access_request_submit(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    accept_licence: bool | None = None,
    licence_version: int | None = None,
    answers: dict[str, Any] | None = None,
) -> AccessRequest:
    """Submit a draft, or resubmit a returned request. If the licence text changed since it was
    accepted, the current version must be accepted again. ``answers`` change stored answers as
    an edit does; then every required question of the current form must be answered."""
    request = lock_request(request)
    _ensure_requester(user, request)
    _ensure_email_verified(user)
    if request.state not in (RequestState.DRAFT, RequestState.RETURNED):
        raise state_conflict(request, "submitted")
    current = _current_licence_version(request.dataset)
    if request.licence_version_id != current.pk or licence_version is not None:
        version = _check_licence_acceptance(request.dataset, bool(accept_licence), licence_version)
        request.licence_version = version
        request.licence_accepted_at = timezone.now()
    # Checked again against the form as it is now: it may have changed since the draft.
    _answer_form(request, _merged_answers(request, answers or {}), complete=True)
    if answers:
        request.save()
        event_record(request, actor=user, action=AuditAction.EDITED, from_state=request.state)
    _submit_locked(request, actor=user, now=timezone.now())
    return request


@audited_atomic
def access_request_withdraw(
    *, user: AbstractBaseUser, request: AccessRequest, comment: str = ""
) -> AccessRequest:
    request = lock_request(request)
    _ensure_requester(user, request)
    return move(
        request,
        actor=user,
        allowed_from=(RequestState.DRAFT, RequestState.SUBMITTED, RequestState.RETURNED),
        to_state=RequestState.WITHDRAWN,
        action=AuditAction.WITHDRAWN,
        comment=comment.strip(),
    )
