"""Catalogue tables: data spaces, themes, publishers, licences, datasets and distributions.

Workflows live in services.py; this module only says what is stored and what must never happen.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .formats import FORMAT_CHOICES


class DataSpace(models.Model):
    """One of the Common European Data Spaces (loaded by a data migration)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    """A data theme from the EU Publications Office vocabulary (AGRI, HEAL, TRAN...)."""

    code = models.CharField(max_length=16, unique=True)
    label = models.CharField(max_length=120)
    uri = models.URLField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


class Publisher(models.Model):
    """A data-holding organisation. Its stewards register its datasets and review requests."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    homepage = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    stewards = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="stewarded_publishers", blank=True
    )
    review_deadline_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days the stewards have to decide on a submitted access request."
    )
    max_access_days = models.PositiveSmallIntegerField(
        default=365, help_text="Longest access period a steward may approve."
    )
    # A committee that decides in its own system: its partner client decides, the stewards see.
    decisions_by_client = models.ForeignKey(
        "accounts.PartnerClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_publishers",
        help_text=(
            "Decisions only by this partner client: the stewards see the requests but do not "
            "approve, reject or return them."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_deadline_days__gte=1) & Q(max_access_days__gte=1),
                name="publisher_review_and_access_periods_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        client = self.decisions_by_client
        if client is None:
            return
        # The client must be this publisher's, and allowed to decide (its scopes).
        bound = self.pk is not None and self.partner_clients.filter(pk=client.pk).exists()
        if not bound or "access:decide" not in client.scopes:
            raise ValidationError(
                {
                    "decisions_by_client": (
                        f"'{client}' must be one of this publisher's partner clients, with the "
                        "scope access:decide."
                    )
                }
            )


class Licence(models.Model):
    """Terms of use. The text lives in versions: a changed text is a new version, never an edit."""

    identifier = models.CharField(
        max_length=64, unique=True, help_text="SPDX identifier, or a LicenseRef- identifier."
    )
    title = models.CharField(max_length=255)
    url = models.URLField(blank=True)
    is_open = models.BooleanField(default=False)
    requires_attribution = models.BooleanField(default=False)
    requires_share_alike = models.BooleanField(default=False)
    permits_commercial_use = models.BooleanField(default=True)
    research_only = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_open=True) & Q(research_only=True)),
                name="licence_open_is_not_research_only",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier

    @property
    def current_version(self) -> LicenceVersion | None:
        """The version a researcher accepts now: the highest number. The one place that says
        so. Uses the prefetched versions when the caller prefetched them."""
        if "versions" in getattr(self, "_prefetched_objects_cache", {}):
            versions = list(self.versions.all())
            return max(versions, key=lambda v: v.version) if versions else None
        return self.versions.order_by("-version").first()


class LicenceVersion(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    text = models.TextField(help_text="Full text, or an authoritative summary with its URL.")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["licence", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "version"], name="licence_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.licence.identifier} v{self.version}"


class AccessRights(models.TextChoices):
    PUBLIC = "PUBLIC", "Public"
    RESTRICTED = "RESTRICTED", "Restricted"
    NON_PUBLIC = "NON_PUBLIC", "Non-public"


class DatasetQuerySet(models.QuerySet):
    def listed(self) -> DatasetQuerySet:
        """What the catalogue shows and accepts requests for: withdrawn datasets are kept (their
        requests, grants and history stay provable) but are no longer listed or requestable."""
        return self.filter(withdrawn_at__isnull=True)


class Dataset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    # The publisher's own identifier (from its database, or a harvested dct:identifier): what a
    # sync or a harvest matches on, so the same record never becomes two datasets.
    identifier = models.CharField(
        max_length=255,
        blank=True,
        help_text="The publisher's own identifier for this dataset; unique per publisher.",
    )
    title = models.CharField(max_length=300)
    description = models.TextField()
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="datasets")
    data_space = models.ForeignKey(DataSpace, on_delete=models.PROTECT, related_name="datasets")
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="datasets")
    access_rights = models.CharField(
        max_length=16, choices=AccessRights.choices, default=AccessRights.RESTRICTED
    )
    themes = models.ManyToManyField(Theme, related_name="datasets", blank=True)
    # Short lists read with the dataset and indexed for search; JSON keeps them in the row so the
    # search-vector trigger sees them.
    keywords = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes.")
    spatial = models.CharField(max_length=255, blank=True, help_text="Place name or URI.")
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    issued = models.DateField(null=True, blank=True)
    modified = models.DateTimeField(default=timezone.now, db_index=True)
    landing_page = models.URLField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    version = models.CharField(max_length=50, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    # What the last sync sent, stamped with the `modified` it left: a bulk resync that sends the
    # same again, to a row no one changed since, is known unchanged without reading the item.
    sync_digest = models.CharField(max_length=64, blank=True, editable=False)
    # Maintained by a PostgreSQL trigger (see migrations) on every insert and update, whatever
    # the write path; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-modified", "id"]
        indexes = [
            models.Index(fields=["data_space", "-modified"], name="dataset_space_modified"),
            models.Index(fields=["publisher", "-modified"], name="dataset_publisher_modified"),
            models.Index(fields=["licence"], name="dataset_licence"),
            models.Index(fields=["access_rights"], name="dataset_access_rights"),
            models.Index(fields=["title", "id"], name="dataset_title"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(temporal_start__isnull=True)
                | Q(temporal_end__isnull=True)
                | Q(temporal_start__lte=models.F("temporal_end")),
                name="dataset_temporal_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(access_rights__in=AccessRights.values),
                name="dataset_access_rights_valid",
            ),
            models.UniqueConstraint(
                fields=["publisher", "identifier"],
                condition=~Q(identifier=""),
                name="dataset_identifier_unique_per_publisher",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("api:dataset-detail", kwargs={"id_or_slug": str(self.id)})


def distribution_storage() -> Storage:
    """Where distribution bytes live: a private storage, never under a public URL."""
    return storages["distributions"]


def distribution_upload_path(instance: Distribution, filename: str) -> str:
    return f"{instance.dataset_id}/{instance.id}/{filename}"


class FetchStatus(models.TextChoices):
    """Where a file given by URL stands: fetched by a worker, verified, then stored."""

    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Distribution(models.Model):
    """A file or a service endpoint through which a dataset's data is obtained.

    ``file``, ``sha256`` and ``byte_size`` describe the bytes Passerelle holds. A file given by URL
    (``source_url``) says what the publisher declared in ``source_sha256`` / ``source_byte_size``;
    a worker fetches it and only bytes matching the declaration ever replace ``file``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    # The publisher's own identifier for this file, unique within its dataset: what a sync or a
    # harvest matches on.
    identifier = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    format = models.CharField(max_length=16, choices=FORMAT_CHOICES, db_index=True)
    media_type = models.CharField(max_length=120, blank=True)
    byte_size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(
        upload_to=distribution_upload_path, storage=distribution_storage, blank=True, max_length=500
    )
    access_url = models.URLField(blank=True, help_text="Service endpoint, for API distributions.")
    source_url = models.URLField(
        max_length=2000, blank=True, help_text="Where a worker fetches the file from (sync)."
    )
    source_sha256 = models.CharField(max_length=64, blank=True)
    source_byte_size = models.BigIntegerField(null=True, blank=True)
    fetch_status = models.CharField(max_length=16, choices=FetchStatus.choices, blank=True)
    fetch_error = models.CharField(max_length=500, blank=True)
    fetch_attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; while a worker fetches, a lease that keeps others off.
    fetch_next_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            # The sweep's question: which fetches are due? Only pending rows are indexed.
            models.Index(
                fields=["fetch_next_at"],
                condition=Q(fetch_status="pending"),
                name="distribution_fetch_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(byte_size__isnull=True) | Q(byte_size__gte=0),
                name="distribution_byte_size_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(source_url="") | ~Q(source_sha256=""),
                name="distribution_source_url_has_checksum",
            ),
            models.UniqueConstraint(
                fields=["dataset", "identifier"],
                condition=~Q(identifier=""),
                name="distribution_identifier_unique_per_dataset",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def checksum(self) -> str | None:
        return f"sha256:{self.sha256}" if self.sha256 else None

    @property
    def drs_uri(self) -> str | None:
        """The file's GA4GH DRS URI, drs://<DRS_HOSTNAME>/<id> (docs/drs.md); None without bytes."""
        return distribution_drs_uri(self.pk) if self.file else None


def distribution_drs_uri(distribution_id: uuid.UUID | str) -> str:
    """The GA4GH DRS URI of the file of that id: hostname-based (docs/drs.md)."""
    return f"drs://{settings.DRS_HOSTNAME}/{distribution_id}"


class DatasetEventAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REINSTATED = "reinstated", "Reinstated"
    DELETED = "deleted", "Deleted"
    FILE_FETCHED = "file_fetched", "File fetched"
    FILE_FETCH_FAILED = "fetch_failed", "File fetch failed"


class DatasetEvent(models.Model):
    """One change to a dataset's record, in order: who (a person, a partner's service account or
    none for a harvest run), what changed, and why. The gap-free id is a cursor for consumers that
    follow the catalogue (webhooks, mirrors)."""

    id = models.BigAutoField(primary_key=True)
    # Kept as a plain value too: a deleted dataset's history still names it.
    dataset_ref = models.UUIDField(db_index=True)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=DatasetEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    changed_fields = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.dataset_ref} at {self.at:%Y-%m-%d %H:%M}"
