"""Harvest sources (other catalogues whose datasets Passerelle keeps in step), their runs, and
where each harvested dataset came from."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalogue.models import AccessRights


class HarvestKind(models.TextChoices):
    DCAT = "dcat", "DCAT-AP (Turtle, RDF/XML or JSON-LD, Hydra paging)"
    CKAN = "ckan", "CKAN Action API (package_search)"


class HarvestSource(models.Model):
    """A catalogue an administrator set up for one publisher: its datasets become that
    publisher's, in that data space, on the given interval."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(
        max_length=1000,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=(
            "DCAT-AP: the catalogue's first page (e.g. https://example.org/catalogue.ttl). "
            "CKAN: the site's root or its /api/3/action/package_search URL."
        ),
    )
    kind = models.CharField(max_length=8, choices=HarvestKind.choices)
    publisher = models.ForeignKey(
        "catalogue.Publisher", on_delete=models.PROTECT, related_name="harvest_sources"
    )
    data_space = models.ForeignKey(
        "catalogue.DataSpace", on_delete=models.PROTECT, related_name="harvest_sources"
    )
    default_licence = models.ForeignKey(
        "catalogue.Licence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=(
            "Given to records whose licence is missing or not one of ours. Leave empty to "
            "report such records as errors and skip them."
        ),
    )
    default_access_rights = models.CharField(
        max_length=16,
        choices=AccessRights.choices,
        default=AccessRights.PUBLIC,
        help_text="For records that do not state their access rights.",
    )
    interval_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Harvested again this many hours after the last run started."
    )
    active = models.BooleanField(default=True)
    max_pages = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides HARVEST_MAX_PAGES for this source."
    )
    deadline_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides HARVEST_RUN_DEADLINE_SECONDS."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HarvestRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class HarvestRun(models.Model):
    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    started = models.DateTimeField(default=timezone.now, db_index=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=HarvestRunStatus.choices, default=HarvestRunStatus.RUNNING
    )
    pages = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the source as a whole could not be read.")
    record_errors = models.JSONField(
        default=list, blank=True, help_text="[{identifier, message}] for records skipped."
    )

    class Meta:
        ordering = ["-started"]
        constraints = [
            # One source is never harvested twice at once: a second run cannot even start.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status="running"),
                name="interop_one_running_harvest_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} at {self.started:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        return self.finished - self.started if self.finished else None

    def summary(self) -> str:
        return (
            f"created {self.created_count}, updated {self.updated_count}, "
            f"unchanged {self.unchanged_count}, removed {self.removed_count}, "
            f"failed {self.failed_count}"
        )


class HarvestedDataset(models.Model):
    """Where a dataset came from: its source, its identifier there, when it was last seen."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="records")
    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.CASCADE, related_name="harvest_records"
    )
    remote_identifier = models.CharField(max_length=255)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    last_run = models.ForeignKey(
        HarvestRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["source", "remote_identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "remote_identifier"], name="interop_one_record_per_identifier"
            ),
            models.UniqueConstraint(
                fields=["source", "dataset"], name="interop_one_record_per_dataset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remote_identifier} from {self.source}"
