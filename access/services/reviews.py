"""Reviewers and the conversation on a request.

A steward of the request's publisher invites any active account to review a submitted request;
the reviewer then sees that request (``selectors.access_requests_visible_to``) and recommends,
with a comment; the decision stays the stewards'. Researcher and stewards exchange comments.
Every invitation, review and comment is an event of the hash chain, with its text, and mails the
people concerned through the outbox.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from access.events import AuditAction
from access.models import AccessRequest, Recommendation, RequestState, Review, ReviewInvitation
from access.selectors import is_reviewer_of, is_steward_for
from core.errors import ApplicationError, ConflictError

from .audit import audit_event_append, audited_atomic, event_record
from .decisions import ensure_steward
from .notifications import notifications_schedule
from .transitions import NotAllowedError, lock_request, required_text, state_conflict

MAX_COMMENT_LENGTH = 10_000


def _reviewer_account(*, email: str = "", user_id: int | str | None = None) -> AbstractBaseUser:
    """The active account named by e-mail (case-insensitive) or id; unknown is bad input."""
    users = get_user_model().objects.filter(is_active=True)
    email = (email or "").strip()
    if bool(email) == (user_id not in (None, "")):
        raise ApplicationError(
            "Name the reviewer by e-mail or by user id (one of the two).",
            fields={"email": ["Give an e-mail or a user id."]},
        )
    if email:
        matches = list(users.filter(email__iexact=email)[:2])
        if len(matches) != 1:
            raise ApplicationError(
                "No single active account has this e-mail address.",
                fields={"email": ["No single active account has this e-mail address."]},
            )
        return matches[0]
    account = users.filter(pk=user_id).first() if str(user_id).isdecimal() else None
    if account is None:
        raise ApplicationError(
            f"No active account {user_id}.", fields={"user": ["No active account with this id."]}
        )
    return account


@audited_atomic
def access_request_reviewer_invite(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    email: str = "",
    reviewer_id: int | str | None = None,
) -> ReviewInvitation:
    """A steward invites an account to review a submitted request; the reviewer is mailed."""
    request = lock_request(request)
    ensure_steward(user, request)
    if request.state != RequestState.SUBMITTED:
        raise state_conflict(request, "sent for review")
    reviewer = _reviewer_account(email=email, user_id=reviewer_id)
    field = "email" if email else "user"
    if reviewer.pk == request.requester_id:
        raise ApplicationError(
            "The researcher who made the request cannot review it.",
            fields={field: ["This is the requester."]},
        )
    try:
        with transaction.atomic():
            invitation = ReviewInvitation.objects.create(
                access_request=request, reviewer=reviewer, invited_by=user
            )
    except IntegrityError:
        raise ConflictError(
            f"{reviewer.get_username()} is already invited to review this request.",
            extra={"state": request.state},
        ) from None
    # The event first, then the link to it, then its e-mails: the e-mail is addressed to the
    # reviewer of this very invitation (``notifications`` reads it from the event).
    event = audit_event_append(
        access_request=request,
        actor=user,
        action=AuditAction.REVIEWER_INVITED,
        from_state=request.state,
        to_state=request.state,
        comment=f"Invited {reviewer.get_username()} to review.",
    )
    invitation.event = event
    invitation.save(update_fields=["event"])
    notifications_schedule(event)
    return invitation


@audited_atomic
def access_request_review(
    *, user: AbstractBaseUser, request: AccessRequest, recommendation: str, comment: str = ""
) -> Review:
    """An invited reviewer recommends approve, reject or abstain, with a comment, while the
    request waits for a decision. The stewards are mailed; the requester is not."""
    request = lock_request(request)
    if not is_reviewer_of(user=user, request=request):
        raise NotAllowedError("Only a reviewer invited by the stewards can review this request.")
    if recommendation not in Recommendation.values:
        raise ApplicationError(
            "The recommendation must be approve, reject or abstain.",
            fields={"recommendation": [f"One of {', '.join(Recommendation.values)}."]},
        )
    if request.state != RequestState.SUBMITTED:
        raise state_conflict(request, "reviewed")
    comment = (comment or "").strip()
    event = audit_event_append(
        access_request=request,
        actor=user,
        action=AuditAction.REVIEWED,
        from_state=request.state,
        to_state=request.state,
        comment=f"Recommends {recommendation}." + (f" {comment}" if comment else ""),
    )
    review = Review.objects.create(
        access_request=request,
        reviewer=user,
        recommendation=recommendation,
        comment=comment,
        event=event,
    )
    notifications_schedule(event)
    return review


@audited_atomic
def access_request_comment(*, user: AbstractBaseUser, request: AccessRequest, comment: str):
    """The researcher or a steward of the publisher writes on the request's conversation; the
    other side is mailed. Any state: a question may come after a decision too."""
    comment = required_text(comment, "comment", "A comment")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ApplicationError(
            "The comment is too long.",
            fields={"comment": [f"At most {MAX_COMMENT_LENGTH} characters."]},
        )
    request = lock_request(request)
    if request.requester_id != user.pk and not is_steward_for(user=user, dataset=request.dataset):
        raise NotAllowedError("Only the researcher and the stewards of the publisher comment.")
    return event_record(
        request, actor=user, action=AuditAction.COMMENTED, from_state=request.state,
        comment=comment,
    )  # fmt: skip
