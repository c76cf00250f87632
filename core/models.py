"""Core's one table: the responses kept for Idempotency-Key retries (core/api/idempotency.py)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a caller's POST with an Idempotency-Key, replayed to its retries.

    Kept in PostgreSQL, not Redis: a replay must be exact and must survive Redis being down.
    The row is written in the same transaction as what the request did, so there is never an
    action without its record nor a record without its action.
    """

    # client:<application id>, user:<pk>: one caller never sees another's responses.
    caller = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    # sha256 of method, path, media type and body: the same key with another request is a 422.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    # [[name, value], ...]: Content-Type, Location, ETag... (REPLAYED_HEADERS).
    headers = models.JSONField(default=list)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
