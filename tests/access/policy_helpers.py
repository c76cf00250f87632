"""Policies, partner clients and requests for the decision-policy tests."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import Application

from access import services
from access.models import AccessRequest, DecisionPolicy
from accounts.models import PartnerClient
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory


def make_policy(steward, publisher, **values: Any) -> DecisionPolicy:
    values = {"name": "Auto-approve", "effect": "approve", **values}
    return services.decision_policy_create(user=steward, publisher=publisher, **values)


def partner_client(name: str, *, research_organisation: str = "") -> PartnerClient:
    """A partner client as helper C's models hold it (its OAuth2 application, service user)."""
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    return PartnerClient.objects.create(
        application=application,
        name=name,
        service_user=UserFactory(username=f"svc-{name}"),
        research_organisation=research_organisation,
        scopes=["access:request"],
    )


def submit(researcher, dataset, *, client: PartnerClient | None = None, **fields: Any):
    """A request submitted through the services; with ``client``, as if that partner submitted
    it (the draft is marked, then submitted through the ordinary path)."""
    fields.setdefault("purpose", PURPOSE)
    if client is None:
        return services.access_request_create(
            requester=researcher, dataset=dataset, accept_licence=True, **fields
        )
    draft = services.access_request_create(
        requester=researcher, dataset=dataset, accept_licence=True, submit=False, **fields
    )
    AccessRequest.objects.filter(pk=draft.pk).update(submitted_by_client=client)
    return services.access_request_submit(user=researcher, request=draft)
