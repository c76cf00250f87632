"""Webhooks: endpoints, the outbox of their messages, and sending them signed, in order.

How an event reaches an endpoint (docs/webhooks.md says it for partners):

1. The change commits with its source event: an ``access.AccessEvent`` (audit chain) or a
   ``catalogue.DatasetEvent``. Nothing here runs in that transaction, so a webhook can neither
   slow nor break the action: a ``post_save`` receiver only asks, after commit, for a dispatch
   (``core.dispatch.send_now`` swallows a broker that is down), and beat dispatches every few
   seconds anyway.
2. The fan-out (``webhooks_fan_out``) reads the source events past each stream's cursor and
   writes one ``WebhookDelivery`` per endpoint concerned, numbered in the endpoint's own
   sequence, and moves the cursor, all in one transaction under the stream's row lock: an event
   is turned into messages once, whatever the number of workers.
3. The sender (``webhook_endpoint_deliver``) takes the endpoint's lease (a conditional UPDATE of
   its row, so two workers never send for one endpoint at once) and sends its pending messages
   in sequence order, the next only after the previous one succeeded or was given up. A failure
   schedules a retry of that same message with exponential backoff and jitter
   (WEBHOOK_RETRY_SCHEDULE, about 27 hours by default); then it is given up, and the endpoint
   is disabled (its owner told by e-mail) after WEBHOOK_DISABLE_AFTER_GIVEN_UP such messages
   in a row. Re-enabling resumes with the next pending message.

The two streams differ in one way that matters. Audit positions are gap-free and in commit
order (``access.services.audit``): the fan-out reads up to the head's position, all of which
are committed. Catalogue event ids come from a sequence: on PostgreSQL a transaction that took
id 10 may commit after one that took 11, and a rolled-back one leaves 10 missing for ever. So
the catalogue cursor stops at a missing id and waits for it up to WEBHOOK_CATALOGUE_GAP_SECONDS
(it usually commits in milliseconds); after that it goes past, notes the skipped range, and
still delivers an event that commits later with an id in it (for WEBHOOK_LATE_EVENT_HOURS),
after the events that went before it. Giving DatasetEvents a gap-free position like the audit
chain's was the alternative; it would put one lock on every catalogue write (harvests write in
bulk), for a delay that only a rolled-back or very long transaction causes.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import standardwebhooks
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from access.models import AccessEvent, AuditHead, Grant
from access.services.notifications import Message, notifications_enqueue
from accounts.models import PartnerClient
from catalogue.models import DatasetEvent, Publisher
from core.dispatch import enqueue_after_commit, send_now
from core.errors import ApplicationError, ConflictError
from core.net import UnsafeURLError, url_check_public
from core.outbound import FetchError, post_bounded
from core.partners import WEBHOOKS_MANAGE
from core.text import single_line
from delivery.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookStream,
)

from .signing import fernet_for
from .webhook_events import (
    ACCESS_EVENT_TYPES,
    DATASET_EVENT_TYPES,
    EVENT_TYPES,
    TEST_EVENT_TYPE,
    Audience,
    access_event_audience,
    access_event_data,
    dataset_event_audience,
    dataset_event_data,
    message_body,
)

logger = logging.getLogger(__name__)

SEND_TASK = "delivery.send_webhooks"
DISPATCH_TASK = "delivery.dispatch_webhooks"
FAN_OUT_BATCH = 500
SEND_BATCH = 100
# Retries due this soon are sent with a countdown; later ones are beat's (never an ETA longer
# than the broker's visibility timeout).
COUNTDOWN_LIMIT_SECONDS = 60.0
RESPONSE_EXCERPT_BYTES = 1024
MAX_SKIPPED_RANGES = 1000
ACCESS, CATALOGUE, TEST = "access", "catalogue", "test"


class WebhookInputError(ApplicationError):
    """A field of an endpoint is not acceptable (400, with the field named)."""


# --- secrets -----------------------------------------------------------------------------------


def _fernet() -> Fernet:
    return fernet_for("webhook-secret-encryption")


def _secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _encrypt(secret: str) -> bytes:
    return _fernet().encrypt(secret.encode())


def _decrypt(blob: Any) -> str:
    return _fernet().decrypt(bytes(blob)).decode()


def webhook_signing_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one, and the replaced one during its overlap."""
    now = now or timezone.now()
    found = [_decrypt(endpoint.secret_encrypted)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(_decrypt(endpoint.previous_secret_encrypted))
    return found


def webhook_sign(
    *, secrets_: Iterable[str], message_id: str, timestamp: datetime, body: str
) -> str:
    """The ``webhook-signature`` header: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(
        standardwebhooks.Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_
    )


# --- endpoints ---------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise WebhookInputError("The URL is required.", fields={"url": ["This field is required."]})
    if len(url) > 2000:
        raise WebhookInputError(
            "The URL is too long.", fields={"url": ["At most 2000 characters."]}
        )
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise WebhookInputError(
            "The URL contains spaces or control characters.",
            fields={"url": ["Spaces and control characters are not allowed."]},
        )
    try:
        url_check_public(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)
    except UnsafeURLError as exc:
        message = str(exc)
        if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and "private" in message:
            message += (
                " (Receivers on a private network need the administrator to set"
                " WEBHOOK_ALLOW_PRIVATE_ADDRESSES.)"
            )
        raise WebhookInputError(message, fields={"url": [message]}) from None
    return url


def _clean_event_types(event_types: Any) -> list[str]:
    valid = ", ".join(EVENT_TYPES)
    if not isinstance(event_types, list | tuple) or not event_types:
        raise WebhookInputError(
            "Name at least one event type.",
            fields={"event_types": [f"A non-empty list of: {valid}."]},
        )
    unknown = [t for t in event_types if not isinstance(t, str) or t not in EVENT_TYPES]
    if unknown:
        shown = ", ".join(repr(t)[:80] for t in unknown[:5])
        raise WebhookInputError(
            f"Unknown event types: {shown}.",
            fields={"event_types": [f"Unknown: {shown}. Valid event types: {valid}."]},
        )
    return sorted(set(event_types), key=EVENT_TYPES.index)


def _clean_description(description: str) -> str:
    return single_line(description or "")[:300]


def _start_positions() -> tuple[int, int]:
    head = AuditHead.objects.filter(id=1).values_list("position", flat=True).first() or 0
    last = DatasetEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return head, last


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str


@transaction.atomic
def webhook_endpoint_create(
    *,
    client: PartnerClient | None,
    url: str,
    event_types: list[str],
    description: str = "",
    publishers: Iterable[Publisher] = (),
    all_publishers: bool = False,
    created_by: AbstractBaseUser | None = None,
) -> EndpointWithSecret:
    """Register an endpoint; the secret is returned here (and on rotation) only.

    ``client``: a partner client's endpoint (its organisations decide what it receives).
    Without: an administrator's, for ``publishers`` or ``all_publishers``. It receives events
    committed from now on.
    """
    url = _clean_url(url)
    event_types = _clean_event_types(event_types)
    if client is not None:
        PartnerClient.objects.select_for_update().filter(pk=client.pk).first()
        if client.webhook_endpoints.count() >= settings.WEBHOOK_MAX_ENDPOINTS_PER_CLIENT:
            raise ConflictError(
                f"A client may register at most {settings.WEBHOOK_MAX_ENDPOINTS_PER_CLIENT} "
                "webhook endpoints; delete one first."
            )
        publishers, all_publishers = (), False
    secret = _secret_new()
    audit_start, dataset_start = _start_positions()
    endpoint = WebhookEndpoint.objects.create(
        owner_client=client,
        all_publishers=all_publishers,
        url=url,
        description=_clean_description(description),
        event_types=event_types,
        secret_encrypted=_encrypt(secret),
        start_audit_position=audit_start,
        start_dataset_event_id=dataset_start,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    if publishers:
        endpoint.publishers.set(list(publishers))
    logger.info("webhook endpoint %s registered (client %s)", endpoint.pk, client and client.pk)
    return EndpointWithSecret(endpoint, secret)


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, changes: dict[str, Any]
) -> WebhookEndpoint:
    """Change url, event_types, description, enabled, or (an administrator's endpoint only)
    publishers and all_publishers. Disabling stops sending (messages still queue); enabling
    resumes with the first message not yet delivered or given up."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    fields: list[str] = ["updated"]
    if {"publishers", "all_publishers"} & changes.keys() and endpoint.owner_client_id:
        # A partner's endpoint receives what its client's organisations decide, nothing else.
        raise WebhookInputError(
            "A partner client's endpoint follows the client's publishers.",
            fields={"publishers": ["Set by the partner client, not per endpoint."]},
        )
    if "all_publishers" in changes:
        endpoint.all_publishers = bool(changes["all_publishers"])
        fields.append("all_publishers")
    if "publishers" in changes:
        endpoint.publishers.set(list(changes["publishers"] or []))
    if "url" in changes:
        endpoint.url = _clean_url(changes["url"])
        fields.append("url")
    if "event_types" in changes:
        endpoint.event_types = _clean_event_types(changes["event_types"])
        fields.append("event_types")
    if "description" in changes:
        endpoint.description = _clean_description(changes["description"])
        fields.append("description")
    if "enabled" in changes and bool(changes["enabled"]) != endpoint.enabled:
        if changes["enabled"]:
            endpoint.enabled = True
            endpoint.disabled_reason = ""
            endpoint.disabled_at = None
            endpoint.given_up_in_a_row = 0
            endpoint.deliveries.filter(status=WebhookDeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now()
            )
            enqueue_after_commit(SEND_TASK, str(endpoint.pk))
        else:
            endpoint.enabled = False
            endpoint.disabled_reason = "Disabled by its owner."
            endpoint.disabled_at = timezone.now()
        fields += ["enabled", "disabled_reason", "disabled_at", "given_up_in_a_row"]
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its queue and log."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint) -> EndpointWithSecret:
    """A new secret signs from now on; the replaced one signs too (a second signature) for
    WEBHOOK_SECRET_OVERLAP_HOURS, so a receiver can switch without losing a message."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = _secret_new()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret_encrypted = _encrypt(secret)
    endpoint.save(
        update_fields=[
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "secret_encrypted",
            "updated",
        ]
    )
    return EndpointWithSecret(endpoint, secret)


# --- fan-out: source events into per-endpoint messages -----------------------------------------


class _Target:
    """An endpoint as the fan-out sees it, with what decides whether an event concerns it."""

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        self.endpoint = endpoint
        self.types = set(endpoint.event_types)
        client = endpoint.owner_client
        self.client_id = client.pk if client else None
        if client is not None:
            self.publisher_ids = {p.pk for p in client.publishers.all()}
        else:
            self.publisher_ids = {p.pk for p in endpoint.publishers.all()}

    def wants(self, event_type: str, audience: Audience) -> bool:
        if event_type not in self.types:
            return False
        if self.endpoint.all_publishers and self.client_id is None:
            return True
        if audience.publisher_id in self.publisher_ids:
            return True
        return self.client_id is not None and audience.submitted_by_client_id == self.client_id


def _targets() -> list[_Target]:
    """Every endpoint whose owner may still receive (an inactive client, or one that lost
    webhooks:manage, gets nothing). Disabled endpoints queue messages: re-enabling resumes."""
    endpoints = (
        WebhookEndpoint.objects.select_related("owner_client")
        .prefetch_related("publishers", "owner_client__publishers")
        .order_by("pk")
    )
    return [
        _Target(e)
        for e in endpoints
        if e.owner_client is None
        or (e.owner_client.is_active and WEBHOOKS_MANAGE in (e.owner_client.scopes or []))
    ]


class _Queue:
    """Messages written by one fan-out transaction, numbered per endpoint."""

    def __init__(self, targets: list[_Target] | None = None) -> None:
        self._targets = targets  # None: loaded when the first event is offered
        self.rows: list[WebhookDelivery] = []
        self.sequences: dict[Any, int] = {}

    def add(
        self,
        *,
        source: str,
        source_id: int,
        event_type: str,
        audience: Audience,
        timestamp: datetime,
        data: Any,
        after: Any,
    ) -> None:
        """Queue the event for every target that wants it; ``data`` is called once, lazily;
        ``after(target)`` says whether the event is newer than the endpoint."""
        if self._targets is None:
            self._targets = _targets()
        built = None
        for target in self._targets:
            if not after(target) or not target.wants(event_type, audience):
                continue
            if built is None:
                built = data()
            endpoint = target.endpoint
            sequence = self.sequences.get(endpoint.pk, endpoint.last_sequence) + 1
            self.sequences[endpoint.pk] = sequence
            self.rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    sequence=sequence,
                    position=sequence,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    event_type=event_type,
                    source=source,
                    source_id=source_id,
                    payload=message_body(
                        event_type=event_type, timestamp=timestamp, position=sequence, data=built
                    ),
                )
            )

    def write(self) -> int:
        """Lock the endpoints (primary-key order), number against their current sequence
        (a replay may have moved it), insert, and ask for sending after commit."""
        if not self.rows:
            return 0
        locked = {
            e.pk: e
            for e in WebhookEndpoint.objects.select_for_update()
            .filter(pk__in=list(self.sequences))
            .order_by("pk")
            .only("pk", "last_sequence")
        }
        base: dict[Any, int] = {}
        for row in self.rows:
            endpoint_id = row.endpoint_id
            if endpoint_id not in locked:  # deleted meanwhile
                continue
            if endpoint_id not in base:
                # The in-memory numbering started at the value loaded without a lock.
                base[endpoint_id] = locked[endpoint_id].last_sequence - row.endpoint.last_sequence
            row.sequence += base[endpoint_id]
            row.position = row.sequence
            row.payload["data"]["position"] = row.sequence
        rows = [row for row in self.rows if row.endpoint_id in locked]
        WebhookDelivery.objects.bulk_create(rows)
        for endpoint_id in base:
            last = max(r.sequence for r in rows if r.endpoint_id == endpoint_id)
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(last_sequence=last)
            enqueue_after_commit(SEND_TASK, str(endpoint_id))
        return len(rows)


def _stream_start(name: str) -> int:
    """Where a stream's first fan-out starts: at the source's newest event, or earlier if an
    endpoint made before then starts earlier (events older than any endpoint go to none)."""
    head, last = _start_positions()
    field = "start_audit_position" if name == ACCESS else "start_dataset_event_id"
    oldest = WebhookEndpoint.objects.order_by(field).values_list(field, flat=True).first()
    newest = head if name == ACCESS else last
    return min(newest, oldest) if oldest is not None else newest


def _stream_locked(name: str) -> WebhookStream | None:
    """The stream's row, locked; None when another fan-out holds it (it does the work)."""
    if not WebhookStream.objects.filter(name=name).exists():
        WebhookStream.objects.get_or_create(name=name, defaults={"cursor": _stream_start(name)})
    return WebhookStream.objects.select_for_update(skip_locked=True).filter(name=name).first()


def _access_fan_out() -> int:
    with transaction.atomic():
        stream = _stream_locked(ACCESS)
        if stream is None:
            return 0
        # Every event up to the head's position is committed (the head moves in the
        # transaction that places them), so nothing at or below it can appear later.
        head = AuditHead.objects.filter(id=1).values_list("position", flat=True).first() or 0
        if head <= stream.cursor:
            return 0
        targets = _targets()
        events = list(
            AccessEvent.objects.filter(
                position__gt=stream.cursor,
                position__lte=head,
                action__in=list(ACCESS_EVENT_TYPES),
            )
            .select_related("access_request__dataset__publisher", "access_request__requester")
            .order_by("position")[:FAN_OUT_BATCH]
        )
        if not targets:
            events = []
        grants = {
            g.access_request_id: g
            for g in Grant.objects.filter(
                access_request_id__in={e.access_request_id for e in events}
            )
        }
        queue = _Queue(targets)
        for event in events:
            queue.add(
                source=ACCESS,
                source_id=event.position,
                event_type=ACCESS_EVENT_TYPES[event.action],
                audience=access_event_audience(event),
                timestamp=event.created,
                data=lambda e=event: access_event_data(e, grants.get(e.access_request_id)),
                after=lambda t, e=event: e.position > t.endpoint.start_audit_position,
            )
        written = queue.write()
        full = len(events) == FAN_OUT_BATCH
        stream.cursor = events[-1].position if full else head
        stream.save(update_fields=["cursor", "updated"])
    if full:
        send_now(DISPATCH_TASK)
    return written


def _ranges_without(ranges: list[list], event_id: int) -> list[list]:
    """The skipped ranges without ``event_id`` (a late event found in one)."""
    kept = []
    for first, last, when in ranges:
        if first <= event_id <= last:
            if first < event_id:
                kept.append([first, event_id - 1, when])
            if event_id < last:
                kept.append([event_id + 1, last, when])
        else:
            kept.append([first, last, when])
    return kept


def _catalogue_fan_out(now: datetime) -> int:
    with transaction.atomic():
        stream = _stream_locked(CATALOGUE)
        if stream is None:
            return 0
        queue = _Queue()  # endpoints are loaded only if there is an event to offer them
        related = ("publisher", "dataset")
        before = (stream.cursor, stream.gap_seen_at, list(stream.skipped))

        def add(event: DatasetEvent) -> None:
            if event.action not in DATASET_EVENT_TYPES:
                return
            queue.add(
                source=CATALOGUE,
                source_id=event.pk,
                event_type=DATASET_EVENT_TYPES[event.action],
                audience=dataset_event_audience(event),
                timestamp=event.at,
                data=lambda: dataset_event_data(event),
                after=lambda t: event.pk > t.endpoint.start_dataset_event_id,
            )

        # Events that committed after the cursor went past their id.
        horizon = now - timedelta(hours=settings.WEBHOOK_LATE_EVENT_HOURS)
        ranges = [r for r in stream.skipped if datetime.fromisoformat(r[2]) >= horizon]
        if ranges:
            in_ranges = Q()
            for first, last, _when in ranges:
                in_ranges |= Q(id__range=(first, last))
            for event in DatasetEvent.objects.filter(in_ranges).select_related(*related):
                add(event)
                ranges = _ranges_without(ranges, event.pk)
        stream.skipped = ranges

        events = list(
            DatasetEvent.objects.filter(id__gt=stream.cursor)
            .select_related(*related)
            .order_by("id")[:FAN_OUT_BATCH]
        )
        expected = stream.cursor + 1
        for event in events:
            if event.pk != expected:  # ids expected..pk-1 are not committed (yet, or ever)
                if stream.gap_seen_at is None:
                    stream.gap_seen_at = now
                    break
                if (
                    now - stream.gap_seen_at
                ).total_seconds() < settings.WEBHOOK_CATALOGUE_GAP_SECONDS:
                    break
                stream.skipped.append([expected, event.pk - 1, now.isoformat()])
                stream.skipped = stream.skipped[-MAX_SKIPPED_RANGES:]
                logger.info("webhooks: catalogue events %s..%s skipped", expected, event.pk - 1)
            stream.gap_seen_at = None
            add(event)
            stream.cursor = event.pk
            expected = event.pk + 1
        written = queue.write()
        if (stream.cursor, stream.gap_seen_at, stream.skipped) != before:
            stream.save(update_fields=["cursor", "gap_seen_at", "skipped", "updated"])
    if len(events) == FAN_OUT_BATCH:
        send_now(DISPATCH_TASK)
    return written


def webhooks_fan_out(*, now: datetime | None = None) -> int:
    """Turn new source events into messages; the number of messages written."""
    return _access_fan_out() + _catalogue_fan_out(now or timezone.now())


def webhooks_dispatch(*, now: datetime | None = None) -> int:
    """Beat's task (and the one a commit asks for): fan out, then ask a sender for every
    enabled endpoint whose first pending message is due. The number of endpoints asked."""
    now = now or timezone.now()
    webhooks_fan_out(now=now)
    head_due = Subquery(
        WebhookDelivery.objects.filter(
            endpoint=OuterRef("pk"), status=WebhookDeliveryStatus.PENDING
        )
        .order_by("sequence")
        .values("next_attempt_at")[:1]
    )
    due = (
        WebhookEndpoint.objects.filter(enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .annotate(head_due=head_due)
        .filter(head_due__lte=now)
        .values_list("pk", flat=True)
    )
    asked = 0
    for endpoint_id in list(due):
        if send_now(SEND_TASK, str(endpoint_id)):
            asked += 1
    return asked


# --- sending -----------------------------------------------------------------------------------


def _lease_seconds() -> float:
    return settings.WEBHOOK_DEADLINE_SECONDS + 30.0


def _lease_take(endpoint_id: Any, token: uuid.UUID) -> bool:
    now = timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_token=token))
        .update(lease_token=token, lease_until=now + timedelta(seconds=_lease_seconds()))
    )


def _lease_release(endpoint_id: Any, token: uuid.UUID) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, lease_token=token).update(
        lease_token=None, lease_until=None
    )


def _retry_delay(attempts: int) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones; None: give up."""
    schedule = list(settings.WEBHOOK_RETRY_SCHEDULE)
    if attempts > len(schedule):
        return None
    return float(schedule[attempts - 1]) * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    excerpt: str
    error: str


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Attempt:
    now = timezone.now()
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook_sign(
            secrets_=webhook_signing_secrets(endpoint, now=now),
            message_id=delivery.message_id,
            timestamp=now,
            body=body,
        ),
    }
    try:
        outcome = post_bounded(
            endpoint.url,
            body.encode(),
            headers=headers,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
            connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
            deadline_seconds=settings.WEBHOOK_DEADLINE_SECONDS,
            max_response_bytes=RESPONSE_EXCERPT_BYTES,
        )
    except FetchError as exc:
        return Attempt(False, None, "", exc.message)
    excerpt = outcome.excerpt.replace("\x00", "")
    if 200 <= outcome.status < 300:
        return Attempt(True, outcome.status, excerpt, "")
    if 300 <= outcome.status < 400:
        error = f"HTTP {outcome.status}: redirects are not followed."
    else:
        error = f"HTTP {outcome.status}."
    return Attempt(False, outcome.status, excerpt, error)


def _owner_recipients(endpoint: WebhookEndpoint) -> list[str]:
    """Who hears that an endpoint was disabled: the partner's service account's e-mail, or the
    administrator who made it; the superusers when neither has one."""
    emails: list[str] = []
    if endpoint.owner_client_id is not None:
        email = endpoint.owner_client.service_user.email
        if email:
            emails.append(email)
    elif endpoint.created_by is not None and endpoint.created_by.email:
        emails.append(endpoint.created_by.email)
    if not emails:
        emails = sorted(
            set(
                get_user_model()
                .objects.filter(is_superuser=True, is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
    return emails


def _disable(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = now
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated"])
    owner = endpoint.owner_client.name if endpoint.owner_client_id else "an administrator"
    body = (
        f"The webhook endpoint {endpoint.url} (id {endpoint.pk}, registered by {owner}) was "
        f"disabled on {now:%Y-%m-%d %H:%M} UTC:\n\n{reason}\n\n"
        "Messages keep queuing while it is disabled. Once the receiver works again, enable it "
        f'(PATCH /api/v1/webhooks/{endpoint.pk}/ with {{"enabled": true}}, or in the admin): '
        "sending resumes with the first message not yet delivered. Messages given up can be "
        f"sent again with POST /api/v1/webhooks/{endpoint.pk}/replay/.\n"
    )
    notifications_enqueue(
        [
            Message(
                key=f"webhook-disabled:{endpoint.pk}:{now.isoformat()}:{recipient}",
                recipient=recipient,
                subject="[Passerelle] Webhook endpoint disabled",
                body=body,
            )
            for recipient in _owner_recipients(endpoint)
        ]
    )
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


@transaction.atomic
def _record(delivery_id: Any, attempt: Attempt) -> float | None:
    """Store an attempt's outcome; the seconds until the retry, or None (done or given up)."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDeliveryStatus.PENDING:
        return None
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = attempt.status
    delivery.response_excerpt = attempt.excerpt
    delivery.last_error = attempt.error
    if attempt.ok:
        delivery.status = WebhookDeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.save()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            given_up_in_a_row=0, last_success_at=now
        )
        return None
    delay = _retry_delay(delivery.attempts)
    if delay is not None:
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        delivery.save()
        return delay
    delivery.status = WebhookDeliveryStatus.FAILED
    delivery.save()
    endpoint.given_up_in_a_row = F("given_up_in_a_row") + 1
    endpoint.save(update_fields=["given_up_in_a_row"])
    endpoint.refresh_from_db()
    logger.warning(
        "webhook %s to endpoint %s given up after %s attempts: %s",
        delivery.pk,
        endpoint.pk,
        delivery.attempts,
        attempt.error,
    )
    if endpoint.enabled and endpoint.given_up_in_a_row >= settings.WEBHOOK_DISABLE_AFTER_GIVEN_UP:
        _disable(
            endpoint,
            reason=(
                f"{endpoint.given_up_in_a_row} message(s) in a row failed every attempt "
                f"({delivery.attempts} attempts each); the last error: {attempt.error}"
            ),
            now=now,
        )
    return None


def webhook_endpoint_deliver(*, endpoint_id: Any, budget_seconds: float = 60.0) -> int:
    """Send the endpoint's due messages in order, as long as they succeed (at most
    SEND_BATCH, and ``budget_seconds``); the number delivered. Nothing is sent when another
    worker holds the endpoint's lease. Runs outside any transaction: no row stays locked
    while a receiver answers."""
    token = uuid.uuid4()
    if not _lease_take(endpoint_id, token):
        return 0
    delivered = 0
    started = time.monotonic()
    retry_in: float | None = None
    try:
        for _ in range(SEND_BATCH):
            endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).first()
            if endpoint is None:
                break
            head = (
                WebhookDelivery.objects.filter(
                    endpoint_id=endpoint_id, status=WebhookDeliveryStatus.PENDING
                )
                .order_by("sequence")
                .first()
            )
            if head is None:
                break
            wait = (head.next_attempt_at - timezone.now()).total_seconds()
            if wait > 0:
                retry_in = wait
                break
            attempt = _attempt(endpoint, head)
            retry_in = _record(head.pk, attempt)
            if attempt.ok:
                delivered += 1
            elif retry_in is not None:
                break
            if time.monotonic() - started > budget_seconds or not _lease_take(endpoint_id, token):
                send_now(SEND_TASK, str(endpoint_id))  # the rest in a fresh task
                break
    finally:
        _lease_release(endpoint_id, token)
    if retry_in is not None and retry_in <= COUNTDOWN_LIMIT_SECONDS:
        send_now(SEND_TASK, str(endpoint_id), countdown=max(retry_in, 0.0))
    return delivered


# --- replays and tests -------------------------------------------------------------------------


def _append(endpoint: WebhookEndpoint, originals: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Queue copies of ``originals`` (same message id and body) at the end of the endpoint's
    sequence; the endpoint row is locked by the caller."""
    sequence = endpoint.last_sequence
    copies = []
    for original in originals:
        sequence += 1
        copies.append(
            WebhookDelivery(
                endpoint=endpoint,
                sequence=sequence,
                position=original.position,
                message_id=original.message_id,
                event_type=original.event_type,
                source=original.source,
                source_id=original.source_id,
                payload=original.payload,
                replay_of=original,
            )
        )
    WebhookDelivery.objects.bulk_create(copies)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_sequence=sequence)
    enqueue_after_commit(SEND_TASK, str(endpoint.pk))
    return copies


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a message again (a new delivery at the end of the queue, same id and body)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    original = delivery.replay_of or delivery
    return _append(endpoint, [original])[0]


@dataclass(frozen=True)
class ReplayResult:
    queued: int
    next_position: int | None  # where to replay from next, when more were left than allowed


@transaction.atomic
def webhook_endpoint_replay(*, endpoint: WebhookEndpoint, from_position: int) -> ReplayResult:
    """Queue again every message of the endpoint from ``from_position`` on, in order, at most
    WEBHOOK_REPLAY_MAX at a time (``next_position`` says where to continue)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    limit = settings.WEBHOOK_REPLAY_MAX
    originals = list(
        endpoint.deliveries.filter(replay_of__isnull=True, position__gte=from_position).order_by(
            "position"
        )[: limit + 1]
    )
    more = len(originals) > limit
    originals = originals[:limit]
    copies = _append(endpoint, originals)
    return ReplayResult(len(copies), originals[-1].position + 1 if more else None)


@transaction.atomic
def webhook_endpoint_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``webhook.test`` message (after those already waiting)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    sequence = endpoint.last_sequence + 1
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        sequence=sequence,
        position=sequence,
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type=TEST_EVENT_TYPE,
        source=TEST,
        source_id=None,
        payload=message_body(
            event_type=TEST_EVENT_TYPE,
            timestamp=timezone.now(),
            position=sequence,
            data={"endpoint": str(endpoint.pk)},
        ),
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_sequence=sequence)
    enqueue_after_commit(SEND_TASK, str(endpoint.pk))
    return delivery


def webhook_deliveries_purge(*, now: datetime | None = None) -> int:
    """Hourly (beat): forget delivered and given-up messages older than
    WEBHOOK_LOG_RETENTION_DAYS. They can no longer be replayed.

    Pending messages of an enabled endpoint stay, however old (they are being retried). Those
    of a DISABLED endpoint are given up once older than the retention too: an endpoint left
    disabled would otherwise collect every event of its publishers for ever. A receiver
    re-enabled after that sees the gap in ``data.position``."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    WebhookDelivery.objects.filter(
        created__lt=cutoff,
        status=WebhookDeliveryStatus.PENDING,
        endpoint__enabled=False,
    ).update(
        status=WebhookDeliveryStatus.FAILED,
        last_error="Given up: the endpoint stayed disabled longer than the log is kept.",
    )
    deleted, _ = WebhookDelivery.objects.filter(
        created__lt=cutoff,
        status__in=[WebhookDeliveryStatus.DELIVERED, WebhookDeliveryStatus.FAILED],
    ).delete()
    return deleted
