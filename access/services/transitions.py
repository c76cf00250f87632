"""What every move of an access request shares: the lock, the state check and its errors.

A move the rules do not allow is a 409 naming the current state; acting on a request one may see
but not act on is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from access.events import AuditAction
from access.models import AccessRequest
from core.errors import ApplicationError, ConflictError, PermissionDeniedError

from .audit import event_record


class NotAllowedError(PermissionDeniedError):
    pass


class StateConflictError(ConflictError):
    code = "invalid_state"


def state_conflict(request: AccessRequest, action: str) -> StateConflictError:
    return StateConflictError(
        f"A request that is {request.state} cannot be {action}.",
        extra={"state": request.state},
    )


def lock_request(request: AccessRequest | Any) -> AccessRequest:
    """The request row, locked until the transaction ends, with what the rules read."""
    pk = getattr(request, "pk", request)
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset__publisher", "dataset__licence")
        .get(pk=pk)
    )


def required_text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(f"{what} is required.", fields={field: ["This field is required."]})
    return value


def move(
    request: AccessRequest,
    *,
    actor: AbstractBaseUser | None,
    allowed_from: tuple[str, ...],
    to_state: str,
    action: AuditAction,
    comment: str = "",
    **fields: Any,
) -> AccessRequest:
    """The shape of every transition of a locked request: check the state (409 naming it
    otherwise), change it and the given fields, and record the event."""
    if request.state not in allowed_from:
        raise state_conflict(request, action.label.lower())
    previous = request.state
    request.state = to_state
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    event_record(request, actor=actor, action=action, from_state=previous, comment=comment)
    return request
