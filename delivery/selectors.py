"""Reads of the delivery app, restricted to what the caller may see."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFoundError
from core.partners import partner_context
from delivery.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints_of(*, user: Any) -> QuerySet[WebhookEndpoint]:
    """The endpoints a partner client registered (through the API); none for anyone else
    (administrators manage every endpoint in the admin)."""
    context = partner_context(user)
    if context is None:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(owner_client_id=context.client_id).order_by("-created")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def webhook_endpoint_get(*, user: Any, endpoint_id: Any) -> WebhookEndpoint:
    """One endpoint of the caller's; another client's (or a malformed id) is a 404."""
    pk = _uuid(endpoint_id)
    endpoint = webhook_endpoints_of(user=user).filter(pk=pk).first() if pk else None
    if endpoint is None:
        raise NotFoundError("No webhook endpoint with this id of yours.")
    return endpoint


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's messages, newest first."""
    return endpoint.deliveries.order_by("-sequence")


def webhook_delivery_get(*, endpoint: WebhookEndpoint, delivery_id: Any) -> WebhookDelivery:
    pk = _uuid(delivery_id)
    delivery = endpoint.deliveries.filter(pk=pk).first() if pk else None
    if delivery is None:
        raise NotFoundError("No delivery with this id at this endpoint.")
    return delivery
