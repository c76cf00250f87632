"""Reads of the access app, restricted to what the user may see."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from catalogue.selectors import publishers_stewarded_by
from config.errors import NotFoundError

from .models import AccessEvent, AccessRequest

REQUEST_ORDERINGS = {
    "deadline": ("deadline", "created"),
    "-deadline": ("-deadline", "-created"),
    "created": ("created",),
    "-created": ("-created",),
}


def access_requests_visible_to(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """A researcher sees their own requests; a steward also those for their publishers'
    datasets; anyone else sees nothing (so another's request answers 404, not 403)."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    queryset = AccessRequest.objects.select_related(
        "requester", "dataset__publisher", "dataset__licence", "licence_version__licence",
        "decided_by",
    ).prefetch_related("distributions")  # fmt: skip
    if user.is_superuser:
        return queryset
    return queryset.filter(
        Q(requester=user) | Q(dataset__publisher__in=publishers_stewarded_by(user=user))
    )


def access_request_get(*, user: AbstractBaseUser, request_id: str | uuid.UUID) -> AccessRequest:
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError:
        pk = None
    request = access_requests_visible_to(user=user).filter(pk=pk).first() if pk else None
    if request is None:
        raise NotFoundError(f"No access request {request_id} that you can see.")
    return request


def access_request_events(*, request: AccessRequest) -> QuerySet[AccessEvent]:
    return request.events.select_related("actor").order_by("position")
