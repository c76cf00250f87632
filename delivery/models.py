"""Delivery: the keys that sign grant tokens, and the record of every download.

Both tables predate the delivery app (access created them); they keep their names.
"""

from __future__ import annotations

from django.db import models


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
