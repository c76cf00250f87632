"""Helpers, decisions and filters shared by the access admin pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from access import services
from access.forms import (
    ApproveForm,
    CommentForm,
    DecisionForm,
    InviteReviewerForm,
    ReasonForm,
    RelinquishForm,
    ReturnForm,
    ReviewForm,
    WithdrawForm,
)
from access.models import AccessRequest, RequestState
from catalogue import selectors as catalogue_selectors
from core.errors import ApplicationError

DUE_SOON = timedelta(days=3)


# --- helpers --------------------------------------------------------------------------------


def stewards_anything(request: HttpRequest) -> bool:
    """Whether the user reviews requests (stewards a publisher, or is a superuser); cached on
    the request, as the changelist asks for every column and filter."""
    if not hasattr(request, "_access_stewards_anything"):
        publishers = catalogue_selectors.publishers_stewarded_by(user=request.user)
        request._access_stewards_anything = publishers.exists()
    return request._access_stewards_anything


def describe_refusal(exc: ApplicationError) -> str:
    """A service's refusal as one sentence; a conflict also names the request's current state."""
    state = exc.extra.get("state")
    if state in RequestState.values:
        return f"{exc.message} (current state: {RequestState(state).label})"
    return exc.message


def show_on_form(form: DecisionForm, exc: ApplicationError) -> bool:
    """Put a refusal on the form's fields if it names any; else the caller shows a message."""
    on_fields = {name: msgs for name, msgs in exc.fields.items() if name in form.fields}
    for name, msgs in on_fields.items():
        form.add_error(name, msgs)
    return bool(on_fields)


def person(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def deadline_status(access_request: AccessRequest, now=None) -> str:
    """Whether a request waiting for a decision is "overdue", "due soon", or neither ("")."""
    if access_request.state != RequestState.SUBMITTED or access_request.deadline is None:
        return ""
    now = now or timezone.now()
    if access_request.deadline < now:
        return "overdue"
    if access_request.deadline <= now + DUE_SOON:
        return "due soon"
    return ""


# --- decisions ------------------------------------------------------------------------------

STEWARD, REQUESTER = "steward", "requester"
# An invited reviewer; and anyone on either side of the conversation (requester or steward).
REVIEWER, CONVERSANT = "reviewer", "conversant"
ALL_STATES = tuple(RequestState.values)


@dataclass(frozen=True)
class Decision:
    """One button of the change page and the small view it posts to."""

    name: str
    label: str
    form: type[DecisionForm]
    service: str  # looked up in access.services when called
    done: str
    role: str
    # When the button is offered. Only a hint for the page: the service checks the state again.
    states: tuple[str, ...]
    danger: bool = False
    # Stewards never decide on their own requests (the service refuses); revoking is allowed.
    on_own_request: bool = False

    def call(self, *, user, access_request: AccessRequest, form: DecisionForm) -> AccessRequest:
        function: Callable[..., AccessRequest] = getattr(services, self.service)
        return function(user=user, request=access_request, **form.service_kwargs())


# What a publisher's partner client alone makes when the publisher sets decisions_by_client.
EXTERNAL_DECISIONS = frozenset({"approve", "return", "reject"})

DECISIONS = {
    decision.name: decision
    for decision in (
        Decision(
            "approve", "Approve", ApproveForm, "access_request_approve", "approved",
            STEWARD, (RequestState.SUBMITTED,),
        ),
        Decision(
            "return", "Return for changes", ReturnForm, "access_request_return", "returned",
            STEWARD, (RequestState.SUBMITTED,),
        ),
        Decision(
            "reject", "Reject", ReasonForm, "access_request_reject", "rejected",
            STEWARD, (RequestState.SUBMITTED,), danger=True,
        ),
        Decision(
            "revoke", "Revoke", ReasonForm, "access_request_revoke", "revoked",
            STEWARD, (RequestState.APPROVED,), danger=True, on_own_request=True,
        ),
        Decision(
            "withdraw", "Withdraw", WithdrawForm, "access_request_withdraw", "withdrawn",
            REQUESTER, (RequestState.DRAFT, RequestState.SUBMITTED, RequestState.RETURNED),
            danger=True,
        ),
        Decision(
            "relinquish", "Relinquish my access", RelinquishForm, "access_request_relinquish",
            "relinquished", REQUESTER, (RequestState.APPROVED,), danger=True,
        ),
        Decision(
            "invite", "Invite a reviewer", InviteReviewerForm, "access_request_reviewer_invite",
            "sent to the reviewer", STEWARD, (RequestState.SUBMITTED,),
        ),
        Decision(
            "review", "Review", ReviewForm, "access_request_review", "reviewed",
            REVIEWER, (RequestState.SUBMITTED,),
        ),
        Decision(
            "comment", "Comment", CommentForm, "access_request_comment", "commented on",
            CONVERSANT, ALL_STATES,
        ),
    )
}  # fmt: skip
EDITABLE_STATES = (RequestState.DRAFT, RequestState.RETURNED)


# --- filters --------------------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    title = "review deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("overdue", "Overdue"),
            ("soon", f"Due within {DUE_SOON.days} days"),
            ("later", "Later"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessRequest]):
        now = timezone.now()
        waiting = queryset.filter(state=RequestState.SUBMITTED)
        if self.value() == "overdue":
            return waiting.filter(deadline__lt=now)
        if self.value() == "soon":
            return waiting.filter(deadline__gte=now, deadline__lte=now + DUE_SOON)
        if self.value() == "later":
            return waiting.filter(deadline__gt=now + DUE_SOON)
        return queryset
