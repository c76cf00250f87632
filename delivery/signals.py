"""Ask for a webhook dispatch right after a commit that wrote a source event.

Only a nudge: the dispatch itself reads the committed events (beat runs it every few seconds
anyway, which also covers events written in bulk, without signals). It runs after commit and
``send_now`` swallows a broker that is down, so the action that wrote the event is never slowed
by a receiver nor broken by the broker. One nudge per transaction at most.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from access.models import AccessEvent
from catalogue.models import DatasetEvent
from core.dispatch import send_now

from .services.webhook_events import ACCESS_EVENT_TYPES, DATASET_EVENT_TYPES


def _dispatch() -> None:
    from delivery.models import WebhookEndpoint
    from delivery.services.webhooks import DISPATCH_TASK

    if WebhookEndpoint.objects.filter(enabled=True).exists():
        send_now(DISPATCH_TASK)


_dispatch.webhook_nudge = True  # type: ignore[attr-defined]


def _nudge_after_commit() -> None:
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", None) or []
    if any(getattr(entry[1], "webhook_nudge", False) for entry in pending):
        return
    # robust: whatever fails here (even the database, just after the commit) is logged, never
    # raised into the request or task whose change already committed.
    transaction.on_commit(_dispatch, robust=True)


@receiver(post_save, sender=AccessEvent, dispatch_uid="delivery-webhooks-access-event")
def access_event_saved(sender: Any, instance: AccessEvent, created: bool, **kwargs: Any) -> None:
    if created and instance.action in ACCESS_EVENT_TYPES:
        _nudge_after_commit()


@receiver(post_save, sender=DatasetEvent, dispatch_uid="delivery-webhooks-dataset-event")
def dataset_event_saved(sender: Any, instance: DatasetEvent, created: bool, **kwargs: Any) -> None:
    if created and instance.action in DATASET_EVENT_TYPES:
        _nudge_after_commit()
