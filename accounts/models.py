"""Accounts: personal API tokens and OAuth2 partner clients."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored: a database leak leaks none."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table predates the accounts app (it was created by access); it keeps its name.
        db_table = "access_apitoken"
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class PartnerClient(models.Model):
    """An organisation's system that calls the API with an OAuth2 client-credentials token.

    It acts through its own service user (no usable password, never staff), so every service
    that takes a ``user`` works unchanged and the audit trail names that user as the actor. What
    it may do is the intersection of its scopes and its organisations: the publishers whose
    catalogue and requests it handles, and the research organisation it submits requests for.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="partner_client",
        help_text="The OAuth2 application holding the client id and the hashed secret.",
    )
    name = models.CharField(max_length=150, unique=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner_client",
        help_text="The account the client acts as: the actor of everything it does.",
    )
    publishers = models.ManyToManyField(
        "catalogue.Publisher",
        blank=True,
        related_name="partner_clients",
        help_text="Publishers whose datasets, requests and grants the client handles.",
    )
    research_organisation = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            "The research organisation whose researchers the client submits requests for "
            "(with access:request); empty: any affiliation."
        ),
    )
    scopes = models.JSONField(
        default=list, blank=True, help_text="The OAuth2 scopes the client may obtain."
    )
    is_active = models.BooleanField(
        default=True, help_text="An inactive client obtains no token and its tokens stop working."
    )
    # Secret rotation: the secret replaced last keeps working until previous_secret_expires_at.
    previous_secret_hash = models.CharField(max_length=255, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "partner client"

    def __str__(self) -> str:
        return self.name
