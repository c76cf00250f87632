"""Access requests for tests, made through the services so that the audit chain stays whole."""

from __future__ import annotations

from access import services
from access.models import AccessRequest

PURPOSE = "We study how soil moisture changes crop yields across Bavarian farms from 2019."


def submitted_request(researcher, dataset, **fields) -> AccessRequest:
    """A request as the researcher submits it: licence accepted, a real purpose."""
    return services.access_request_create(
        requester=researcher,
        dataset=dataset,
        purpose=fields.pop("purpose", PURPOSE),
        accept_licence=fields.pop("accept_licence", True),
        **fields,
    )


def approved_request(researcher, steward, dataset, **fields) -> AccessRequest:
    request = submitted_request(researcher, dataset, **fields)
    return services.access_request_approve(user=steward, request=request)
