"""Delivery: the keys that sign grant tokens, the record of every download, and webhooks.

The first two tables predate the delivery app (access created them); they keep their names.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SigningKey(models.Model):
    """An Ed25519 key that signs grant tokens. The private key is stored encrypted with a key
    derived from SECRET_KEY and never leaves the server; the public key is published in the JWKS
    until the key is retired, so tokens signed before a rotation keep verifying."""

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=16, default="EdDSA")
    private_key_encrypted = models.BinaryField(editable=False)
    public_jwk = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_signingkey"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kid} ({'retired' if self.retired_at else 'published'})"


class GrantDownload(models.Model):
    """One download through a grant's link: who, which file, how many bytes, from where."""

    grant = models.ForeignKey("access.Grant", on_delete=models.PROTECT, related_name="downloads")
    # A steward may still remove a file that was downloaded; the record of the download stays.
    distribution = models.ForeignKey(
        "catalogue.Distribution",
        on_delete=models.SET_NULL,
        null=True,
        related_name="downloads",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    bytes_requested = models.BigIntegerField()
    range_start = models.BigIntegerField(default=0)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "access_grantdownload"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.distribution_id} {self.bytes_requested} B"


# --- webhooks (Standard Webhooks) ---------------------------------------------------------------


class WebhookEndpoint(models.Model):
    """A URL that receives signed webhook messages about some event types.

    Whose events it receives: a partner client's endpoint (``owner_client``) gets the events of
    its publishers' datasets, requests and grants, and of the requests it submitted; an endpoint
    an administrator made (no owner) gets those of the publishers it names, or of all.

    The signing secret is stored encrypted (it is needed to sign). ``last_sequence`` numbers the
    messages queued for this endpoint, in the order they are sent; the lease says which worker
    sends them now (one at a time per endpoint, so they arrive in order).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_client = models.ForeignKey(
        "accounts.PartnerClient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text="The partner client that registered it; empty: made by an administrator.",
    )
    all_publishers = models.BooleanField(
        default=False,
        help_text="Administrator's endpoints only: events of every publisher.",
    )
    publishers = models.ManyToManyField(
        "catalogue.Publisher",
        blank=True,
        related_name="+",
        help_text="Administrator's endpoints only: the publishers whose events it receives.",
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=300, blank=True)
    event_types = models.JSONField(default=list)
    secret_encrypted = models.BinaryField(editable=False)
    # During a rotation the replaced secret signs too, until it expires.
    previous_secret_encrypted = models.BinaryField(null=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Events before these positions (the access audit chain, the catalogue's event ids) were
    # committed before the endpoint existed and are not sent to it.
    start_audit_position = models.BigIntegerField(default=0, editable=False)
    start_dataset_event_id = models.BigIntegerField(default=0, editable=False)
    last_sequence = models.BigIntegerField(default=0, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Messages given up in a row (reset by a success); the endpoint is disabled at the limit.
    given_up_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_client__isnull=True) | Q(all_publishers=False),
                name="webhook_partner_endpoint_not_all_publishers",
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({'enabled' if self.enabled else 'disabled'})"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (given up)"


class WebhookDelivery(models.Model):
    """One message to one endpoint (the outbox row) and the log of its delivery attempts.

    ``sequence`` is the order in which the endpoint's messages are sent; ``position`` is what
    the receiver sees in ``data.position``: the same as ``sequence`` for a message, kept by a
    replay (which is a new row at the end of the queue carrying the same message id and body).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    sequence = models.BigIntegerField()
    position = models.BigIntegerField()
    message_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    # Where it came from: "access" (an audit event's position), "catalogue" (a dataset event's
    # id) or "test" (a ping); replays point at their original.
    source = models.CharField(max_length=16)
    source_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=12,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["endpoint", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "sequence"], name="webhook_delivery_sequence_unique"
            ),
            models.UniqueConstraint(
                fields=["endpoint", "source", "source_id"],
                condition=Q(replay_of__isnull=True, source_id__isnull=False),
                name="webhook_delivery_once_per_source_event",
            ),
            models.CheckConstraint(
                condition=Q(status__in=WebhookDeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "sequence"],
                condition=Q(status="pending"),
                name="webhook_delivery_pending",
            ),
            models.Index(fields=["endpoint", "position"], name="webhook_delivery_position"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} ({self.status})"


class WebhookStream(models.Model):
    """Where the fan-out stands in one source of events ("access" or "catalogue").

    ``cursor``: every source event up to it was turned into messages (or skipped, below).
    Catalogue only: ``gap_seen_at`` is when the fan-out first waited at a missing id, and
    ``skipped`` lists the [first, last, when] id ranges it went past after waiting long enough;
    an event that commits later with such an id is still delivered (see
    ``delivery.services.webhooks``)."""

    name = models.CharField(max_length=16, primary_key=True)
    cursor = models.BigIntegerField(default=0)
    gap_seen_at = models.DateTimeField(null=True, blank=True)
    skipped = models.JSONField(default=list, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.cursor}"
