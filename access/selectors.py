"""Reads of the access app, restricted to what the user may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.events import AuditAction
from catalogue.models import Dataset
from catalogue.selectors import publishers_stewarded_by
from core.errors import NotFoundError
from core.partners import ACCESS_DECIDE, ACCESS_REQUEST, GRANTS_READ, partner_context

from .models import (
    AccessEvent,
    AccessRequest,
    ApplicationForm,
    ApplicationFormVersion,
    DecisionPolicy,
    DecisionPolicyVersion,
    Grant,
    GrantState,
    RequestAttachment,
    RequestState,
    Review,
    ReviewInvitation,
)
from .policies import Rule, builtin_policies

REQUEST_ORDERINGS = {
    "deadline": ("deadline", "created"),
    "-deadline": ("-deadline", "-created"),
    "created": ("created",),
    "-created": ("-created",),
}


def access_requests_visible_to(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """A researcher sees their own requests; a steward also the submitted ones (not drafts)
    for their publishers' datasets; an invited reviewer the requests they were invited to
    review (never a draft); anyone else sees nothing (another's request is a 404)."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    queryset = AccessRequest.objects.select_related(
        "requester", "dataset__publisher", "dataset__licence", "licence_version__licence",
        "decided_by", "grant", "submitted_by_client", "assigned_to",
    ).prefetch_related("distributions", "approved_distributions")  # fmt: skip
    queryset = queryset.select_related("form_version")  # the answered form, in the same query
    partner = partner_context(user)
    if partner is not None:
        return queryset.filter(_partner_requests(user))
    if user.is_superuser:
        return queryset
    invited = ReviewInvitation.objects.filter(reviewer=user).values("access_request_id")
    # A draft is the researcher's own until submitted.
    return queryset.filter(
        Q(requester=user)
        | (
            (Q(dataset__publisher__in=publishers_stewarded_by(user=user)) | Q(pk__in=invited))
            & ~Q(state=RequestState.DRAFT)
        )
    )


def _partner_requests(user: AbstractBaseUser) -> Q:
    """What a partner client follows: with access:request, the requests it submitted; with
    access:decide, the submitted requests of its publishers' datasets. Nothing else."""
    partner = partner_context(user)
    conditions = Q(pk__in=[])
    if partner.allows(ACCESS_REQUEST):
        conditions |= Q(submitted_by_client_id=partner.client_id)
    if partner.allows(ACCESS_DECIDE):
        conditions |= Q(
            dataset__publisher__in=publishers_stewarded_by(user=user, scope=ACCESS_DECIDE)
        ) & ~Q(state=RequestState.DRAFT)
    return conditions


def access_requests_exportable_by(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """What a CSV export holds: a steward's publishers' requests (not drafts) and the user's
    own; not the requests one was only invited to review (a reviewer sees one request, not a
    register of them)."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    queryset = AccessRequest.objects.select_related("requester", "dataset__publisher", "decided_by")
    if partner_context(user) is not None:
        return queryset.filter(_partner_requests(user))
    if user.is_superuser:
        return queryset
    return queryset.filter(
        Q(requester=user)
        | (
            Q(dataset__publisher__in=publishers_stewarded_by(user=user))
            & ~Q(state=RequestState.DRAFT)
        )
    )


def access_requests_to_review_by(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """The requests ``user`` was invited to review (never a draft): only these, whoever they are."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    return (
        AccessRequest.objects.filter(review_invitations__reviewer=user)
        .exclude(state=RequestState.DRAFT)
        .select_related("requester", "dataset__publisher", "form_version")
    )


def is_reviewer_of(*, user: AbstractBaseUser, request: AccessRequest) -> bool:
    return (
        user.is_authenticated
        and ReviewInvitation.objects.filter(access_request=request, reviewer=user).exists()
    )


def sees_reviews(*, user: AbstractBaseUser, request: AccessRequest) -> bool:
    """Reviews are for the stewards and reviewers, never the requester of the request (as in
    REMS, where reviewers' comments are hidden from applicants); everyone else who can see the
    request at all is one of those."""
    return request.requester_id != user.pk


def access_request_reviews(*, user: AbstractBaseUser, request: AccessRequest) -> QuerySet[Review]:
    if not sees_reviews(user=user, request=request):
        return Review.objects.none()
    return request.reviews.select_related("reviewer").order_by("created", "pk")


def access_request_review_invitations(*, request: AccessRequest) -> QuerySet[ReviewInvitation]:
    return request.review_invitations.select_related("reviewer", "invited_by")


def access_request_comments(*, request: AccessRequest) -> QuerySet[AccessEvent]:
    """The conversation: the request's comment events, oldest first."""
    return access_request_events(request=request).filter(action=AuditAction.COMMENTED)


# Events the requester does not see in their request's history: the reviews, with the
# reviewers' comments, who was asked to review, and which steward a policy assigned.
HIDDEN_FROM_REQUESTER = (
    AuditAction.REVIEWED,
    AuditAction.REVIEWER_INVITED,
    AuditAction.ASSIGNED,
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


def access_request_events(
    *, request: AccessRequest, user: AbstractBaseUser | None = None
) -> QuerySet[AccessEvent]:
    """The request's history, oldest first; for its requester, without the reviews."""
    events = request.events.select_related("actor", "policy_decision__policy_version").order_by(
        "position"
    )
    # The partner that submitted the request follows it as its researcher does.
    if user is not None and (
        request.requester_id == user.pk or is_submitting_client(user=user, request=request)
    ):
        events = events.exclude(action__in=HIDDEN_FROM_REQUESTER)
    return events


def grant_download_total() -> Coalesce:
    """An annotation counting a grant's downloads in its own row's query (a correlated
    subquery: no GROUP BY, so the queryset can still be locked or sliced). The records are
    delivery's; access only names the relation."""
    records = Grant._meta.get_field("downloads").related_model
    counted = (
        records.objects.filter(grant=OuterRef("pk"))
        .order_by()
        .values("grant")
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(counted), 0)


def grants_visible_to(*, user: AbstractBaseUser) -> QuerySet[Grant]:
    """The grantee sees their grants; stewards those of their publishers' datasets; a partner
    client with grants:read those of its publishers' datasets and of the requests it made."""
    if not user.is_authenticated:
        return Grant.objects.none()
    queryset = (
        Grant.objects.annotate(download_total=grant_download_total())
        .select_related("grantee", "dataset__publisher", "access_request")
        .prefetch_related("access_request__approved_distributions")
    )
    partner = partner_context(user)
    if partner is not None:
        if not partner.allows(GRANTS_READ):
            return Grant.objects.none()
        return queryset.filter(
            Q(dataset__publisher__in=publishers_stewarded_by(user=user, scope=GRANTS_READ))
            | Q(access_request__submitted_by_client_id=partner.client_id)
        )
    if user.is_superuser:
        return queryset
    return queryset.filter(
        Q(grantee=user) | Q(dataset__publisher__in=publishers_stewarded_by(user=user))
    )


def grant_get(*, user: AbstractBaseUser, grant_id: str | uuid.UUID) -> Grant:
    try:
        pk = uuid.UUID(str(grant_id))
    except ValueError:
        pk = None
    grant = grants_visible_to(user=user).filter(pk=pk).first() if pk else None
    if grant is None:
        raise NotFoundError(f"No grant {grant_id} that you can see.")
    return grant


def is_steward_for(*, user: AbstractBaseUser, dataset: Dataset, scope: str = ACCESS_DECIDE) -> bool:
    """Whether ``user`` looks after the dataset's requests: a steward of its publisher, or a
    partner client of that publisher whose token holds ``scope``."""
    return publishers_stewarded_by(user=user, scope=scope).filter(pk=dataset.publisher_id).exists()


def is_submitting_client(*, user: AbstractBaseUser, request: AccessRequest) -> bool:
    """Whether ``user`` is the partner client that submitted ``request`` for its researcher."""
    partner = partner_context(user)
    return (
        partner is not None
        and request.submitted_by_client_id is not None
        and request.submitted_by_client_id == partner.client_id
    )


# --- the researcher's own (the workspace) ------------------------------------------------------


def access_requests_requested_by(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """Only the requests ``user`` made, steward or not: another's request is a 404."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(requester=user).select_related(
        "dataset__publisher", "dataset__licence", "licence_version__licence", "decided_by"
    )


def grants_held_by(*, user: AbstractBaseUser) -> QuerySet[Grant]:
    """Only the grants ``user`` holds, active or ended: another's grant is a 404."""
    if not user.is_authenticated:
        return Grant.objects.none()
    return (
        Grant.objects.filter(grantee=user)
        .annotate(download_total=grant_download_total())
        .select_related("grantee", "dataset__publisher", "access_request")
        .prefetch_related("access_request__approved_distributions")
    )


def grant_is_usable(*, grant: Grant, now: datetime | None = None) -> bool:
    """Whether the grant opens its files now: active and not past its end. Links of any other
    grant are refused when used (delivery.services.links.download_authorise)."""
    return grant.state == GrantState.ACTIVE and grant.expires_at > (now or timezone.now())


# --- application forms and attachments --------------------------------------------------------


def application_forms_editable_by(*, user: AbstractBaseUser) -> QuerySet[ApplicationForm]:
    """The forms of the publishers the user stewards (every form for a superuser)."""
    return ApplicationForm.objects.filter(
        publisher__in=publishers_stewarded_by(user=user)
    ).select_related("publisher")


def application_form_version_current(*, publisher_slug: str) -> ApplicationFormVersion:
    """The questions requests for the publisher's datasets answer now (public)."""
    form = (
        ApplicationForm.objects.filter(publisher__slug=publisher_slug, active=True)
        .select_related("publisher")
        .prefetch_related("versions")
        .first()
    )
    version = form.current_version if form else None
    if version is None:
        raise NotFoundError(f"The publisher '{publisher_slug}' has no application form.")
    return version


def attachments_visible_to(*, user: AbstractBaseUser) -> QuerySet[RequestAttachment]:
    """Exactly the attachments of the requests the user may see."""
    return RequestAttachment.objects.filter(
        access_request__in=access_requests_visible_to(user=user).values("pk")
    ).select_related("access_request", "uploaded_by")


def attachment_get(
    *, user: AbstractBaseUser, attachment_id: str | uuid.UUID, request: AccessRequest | None = None
) -> RequestAttachment:
    try:
        pk = uuid.UUID(str(attachment_id))
    except ValueError:
        pk = None
    queryset = attachments_visible_to(user=user)
    if request is not None:
        queryset = queryset.filter(access_request=request)
    attachment = queryset.filter(pk=pk).first() if pk else None
    if attachment is None:
        raise NotFoundError(f"No attachment {attachment_id} that you can see.")
    return attachment


EXPORT_COLUMNS = [
    "id", "dataset", "publisher", "requester_email", "state", "created", "submitted",
    "deadline", "decided", "decided_by", "valid_until", "renewal_of", "purpose",
]  # fmt: skip


def access_requests_export_rows(*, queryset: QuerySet[AccessRequest]) -> Iterator[list[Any]]:
    """One row per request of ``queryset`` (already restricted and filtered), in the order of
    EXPORT_COLUMNS, read in chunks so that a large export does not sit in memory."""
    rows = queryset.select_related("requester", "dataset__publisher", "decided_by")
    for request in rows.iterator(chunk_size=500):
        yield [
            request.pk,
            request.dataset.title,
            request.dataset.publisher.name,
            request.requester.email,
            request.state,
            request.created,
            request.submitted_at,
            request.deadline,
            request.decided_at,
            request.decided_by.get_username() if request.decided_by else "",
            request.valid_until,
            request.renews_id,
            request.purpose,
        ]


# --- decision policies --------------------------------------------------------------------------


def decision_policies_visible_to(*, user: AbstractBaseUser) -> QuerySet[DecisionPolicy]:
    """The policies of the publishers the user stewards (all for a superuser; a partner's with
    access:decide, since policies decide in its place), not those removed: another publisher's
    policy is a 404."""
    return (
        DecisionPolicy.objects.filter(
            publisher__in=publishers_stewarded_by(user=user, scope=ACCESS_DECIDE),
            archived_at__isnull=True,
        )
        .select_related("publisher", "dataset", "current__route_to", "current__created_by")
        .order_by("publisher__slug", "current__priority", "created", "pk")
    )


def decision_policy_get(*, user: AbstractBaseUser, policy_id: str | uuid.UUID) -> DecisionPolicy:
    try:
        pk = uuid.UUID(str(policy_id))
    except ValueError:
        pk = None
    policy = decision_policies_visible_to(user=user).filter(pk=pk).first() if pk else None
    if policy is None:
        raise NotFoundError(f"No decision policy {policy_id} that you steward.")
    return policy


def decision_policy_versions(*, policy: DecisionPolicy) -> QuerySet[DecisionPolicyVersion]:
    return policy.versions.select_related("route_to", "created_by").order_by("-version")


def decision_rules_for(*, dataset: Dataset) -> Iterator[Rule]:
    """The policies a request for ``dataset`` meets, in the order they are tried: the built-in
    ones, then the publisher's active policies covering the dataset, by priority then age.
    Lazy: when a built-in policy decides, the publisher's are not even read."""
    for policy in builtin_policies():
        yield Rule.of_builtin(policy)
    versions = (
        DecisionPolicyVersion.objects.filter(
            current_of__publisher_id=dataset.publisher_id,
            current_of__archived_at__isnull=True,
            active=True,
        )
        .filter(Q(current_of__dataset__isnull=True) | Q(current_of__dataset=dataset))
        .select_related("route_to")
        .order_by("priority", "current_of__created", "current_of__pk")
    )
    for version in versions:
        yield Rule.of_version(version)
