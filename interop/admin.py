"""Harvest sources and their runs in the admin, and "where it came from" on dataset pages.

Sources are plain configuration (edited directly); "Harvest now" enqueues a run in a worker.
Runs are read-only: what a harvest did, its counts and the records it skipped. The catalogue
knows nothing of harvesting, so the dataset page gains its "Harvested from" section here, by
extending whichever dataset admin is registered (the access app's, which extends the
catalogue's), as access/admin/datasets.py does.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalogue.models import Dataset
from core.admin import list_date, list_text

from .harvest import selectors, services
from .models import HarvestedDataset, HarvestRun, HarvestSource


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    # Few, short columns so that the list fits 1280 pixels beside the filters; the data space
    # and the URL are on the source's page.
    list_display = ["name_text", "kind", "publisher_text", "active", "last_run"]
    list_filter = ["kind", "active", "publisher", "data_space"]
    list_select_related = ["publisher"]
    search_fields = ["name", "url"]
    actions = ["harvest_now"]
    fieldsets = [
        (None, {"fields": ["name", "url", "kind", "active"]}),
        (
            "Into",
            {"fields": ["publisher", "data_space", "default_licence", "default_access_rights"]},
        ),
        ("Schedule and limits", {"fields": ["interval_hours", "max_pages", "deadline_seconds"]}),
    ]

    @admin.display(description="Name", ordering="name")
    def name_text(self, source: HarvestSource) -> str:
        return list_text(source.name, 40)

    @admin.display(description="Publisher", ordering="publisher__name")
    def publisher_text(self, source: HarvestSource) -> str:
        return list_text(source.publisher.name, 20)

    @admin.display(description="Last run")
    def last_run(self, source: HarvestSource) -> str:
        run = source.runs.order_by("-started").first()
        if run is None:
            return "never"
        url = reverse("admin:interop_harvestrun_change", args=[run.pk])
        return format_html('<a href="{}">{} ({})</a>', url, list_date(run.started), run.status)

    @admin.action(description="Harvest now")
    def harvest_now(self, request: HttpRequest, queryset: QuerySet[HarvestSource]) -> None:
        for source in queryset:
            services.harvest_source_enqueue(source=source)
        self.message_user(
            request,
            f"{queryset.count()} source(s) will be harvested by a worker shortly; "
            "their runs appear under Harvest runs.",
            messages.SUCCESS,
        )


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = ["started_on", "source_text", "status", "outcome"]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    date_hierarchy = "started"
    fields = ["source", "status", "started", "finished", "pages", "created_count",
              "updated_count", "unchanged_count", "removed_count", "failed_count", "error",
              "errors_table"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: HarvestRun | None = None) -> bool:
        return False

    @admin.display(description="Started", ordering="started")
    def started_on(self, run: HarvestRun) -> str:
        return list_date(run.started)

    @admin.display(description="Source", ordering="source__name")
    def source_text(self, run: HarvestRun) -> str:
        return list_text(run.source.name, 30)

    @admin.display(description="Outcome")
    def outcome(self, run: HarvestRun) -> str:
        counts = [
            (run.created_count, "created"),
            (run.updated_count, "updated"),
            (run.unchanged_count, "unchanged"),
            (run.removed_count, "removed"),
            (run.failed_count, "failed"),
        ]
        return ", ".join(f"{n} {what}" for n, what in counts if n) or "nothing read"

    @admin.display(description="Records skipped or imported with notes")
    def errors_table(self, run: HarvestRun) -> str:
        if not run.record_errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((e.get("identifier", ""), e.get("message", "")) for e in run.record_errors),
        )
        return format_html("<table><tr><th>Record</th><th>Message</th></tr>{}</table>", rows)


@admin.register(HarvestedDataset)
class HarvestedDatasetAdmin(admin.ModelAdmin):
    list_display = ["remote_text", "source_text", "dataset_text", "last_seen_on"]
    list_filter = ["source"]
    search_fields = ["remote_identifier", "dataset__title"]
    list_select_related = ["source", "dataset"]
    readonly_fields = ["source", "dataset", "remote_identifier", "first_seen", "last_seen",
                       "last_run"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Remote identifier", ordering="remote_identifier")
    def remote_text(self, record: HarvestedDataset) -> str:
        return list_text(record.remote_identifier, 24)

    @admin.display(description="Source", ordering="source__name")
    def source_text(self, record: HarvestedDataset) -> str:
        return list_text(record.source.name, 24)

    @admin.display(description="Dataset", ordering="dataset__title")
    def dataset_text(self, record: HarvestedDataset) -> str:
        return list_text(record.dataset.title, 30)

    @admin.display(description="Last seen", ordering="last_seen")
    def last_seen_on(self, record: HarvestedDataset) -> str:
        return list_date(record.last_seen)


# --- the dataset page: where it came from -----------------------------------------------------

_RegisteredDatasetAdmin = type(admin.site._registry[Dataset])


class DatasetWithProvenanceAdmin(_RegisteredDatasetAdmin):  # type: ignore[misc, valid-type]
    def get_readonly_fields(self, request: HttpRequest, obj: Dataset | None = None):
        return [*super().get_readonly_fields(request, obj), "harvested_from"]

    def get_fieldsets(self, request: HttpRequest, obj: Dataset | None = None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and selectors.dataset_provenance(dataset_id=obj.pk):
            fieldsets.append(("Harvested from", {"fields": ["harvested_from"]}))
        return fieldsets

    @admin.display(description="Where it came from")
    def harvested_from(self, dataset: Dataset) -> str:
        records = selectors.dataset_provenance(dataset_id=dataset.pk)
        return format_html_join(
            "",
            "<p>{} (as <code>{}</code>): first seen {}, last seen {}</p>",
            (
                (r.source.name, r.remote_identifier, list_date(r.first_seen),
                 list_date(r.last_seen))
                for r in records
            ),
        )  # fmt: skip


admin.site.unregister(Dataset)
admin.site.register(Dataset, DatasetWithProvenanceAdmin)
