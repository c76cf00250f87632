"""The catalogue in the Django admin: stewards register and maintain their publishers' datasets.

Admin classes parse forms and call the same services as the API, so the rules are the API's: a
steward edits only the datasets of the publishers they steward (everyone with the view permission,
researchers too, browses the whole catalogue read-only), files are hashed from the bytes received,
a changed licence text is a new version. A service refusal
(``ApplicationError``) becomes a form error or an admin message, never a 500.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin import (
    HTTPS_URLS,
    CommaSeparatedField,
    HttpsUrlsAdmin,
    ServiceWritesAdmin,
    add_service_errors,
    https_url_formfield,
    list_date,
    list_text,
)
from core.errors import ApplicationError

from . import selectors, services
from .formats import FORMAT_CHOICES
from .languages import LANGUAGE_NAMES
from .models import Dataset, DataSpace, Distribution, Licence, LicenceVersion, Publisher, Theme

DATASET_DATA_FIELDS = [f.name for f in dataclass_fields(services.DatasetData)]


# --- reference data -------------------------------------------------------------------------


class ReferenceDataAdmin(HttpsUrlsAdmin):
    """Loaded by migrations and referred to by code: editable labels, fixed keys, no deletion."""

    key_field = ""

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [self.key_field] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DataSpace)
class DataSpaceAdmin(ReferenceDataAdmin):
    key_field = "slug"
    list_display = ["name", "slug", "url"]
    search_fields = ["name", "slug"]


@admin.register(Theme)
class ThemeAdmin(ReferenceDataAdmin):
    key_field = "code"
    list_display = ["code", "label", "uri"]
    search_fields = ["code", "label"]


# --- publishers -----------------------------------------------------------------------------


@admin.register(Publisher)
class PublisherAdmin(HttpsUrlsAdmin):
    list_display = ["name", "slug", "country", "homepage"]
    list_filter = ["country"]
    search_fields = ["name", "slug", "email"]
    filter_horizontal = ["stewards"]
    readonly_fields = ["created", "updated"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Publisher]:
        # Who stewards which organisation is not everyone's business: a steward sees their own.
        return selectors.publishers_stewarded_by(user=request.user)


# --- licences -------------------------------------------------------------------------------


class LicenceForm(forms.ModelForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="A changed text is published as a new version; earlier versions are kept.",
    )

    class Meta:
        model = Licence
        formfield_callback = https_url_formfield
        fields = [
            "identifier", "title", "url", "is_open", "requires_attribution",
            "requires_share_alike", "permits_commercial_use", "research_only",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.current_version if self.instance.pk else None
        self.fields["text"].initial = current.text if current else ""


class LicenceVersionInline(admin.TabularInline):
    model = LicenceVersion
    fields = ["version", "created", "excerpt"]
    readonly_fields = fields
    ordering = ["-version"]
    extra = 0
    can_delete = False

    @admin.display(description="Text")
    def excerpt(self, version: LicenceVersion) -> str:
        return Truncator(version.text).chars(160)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Licence)
class LicenceAdmin(ServiceWritesAdmin):
    form = LicenceForm
    list_display = ["identifier", "title", "is_open", "research_only", "current_version_number"]
    list_filter = ["is_open", "research_only", "permits_commercial_use"]
    search_fields = ["identifier", "title"]
    inlines = [LicenceVersionInline]
    fields = [*LicenceForm.Meta.fields, "text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Licence]:
        return selectors.licence_list()

    @admin.display(description="Version")
    def current_version_number(self, licence: Licence) -> int | None:
        current = licence.current_version
        return current.version if current else None

    def save_model(self, request: HttpRequest, obj: Licence, form: LicenceForm, change) -> None:
        obj.save()  # the terms themselves are a plain edit; the text goes through the service
        version = services.licence_publish_text(licence=obj, text=form.cleaned_data["text"])
        if change and "text" in form.changed_data:
            self.message_user(request, f"The text is now version {version.version}.", messages.INFO)


# --- datasets and distributions -------------------------------------------------------------


def _through_service(function, value: Any, field: str) -> Any:
    try:
        return function(value)
    except ApplicationError as exc:
        raise ValidationError(exc.fields.get(field) or [exc.message]) from exc


class DatasetForm(forms.ModelForm):
    keywords = CommaSeparatedField(
        required=False, help_text="Separated by commas, e.g. soil, crop yield, nitrogen."
    )
    languages = CommaSeparatedField(
        required=False, help_text="ISO 639-1 codes separated by commas, e.g. en, de."
    )

    class Meta:
        model = Dataset
        formfield_callback = https_url_formfield
        fields = [
            "title", "slug", "description", "publisher", "data_space", "licence", "access_rights",
            "themes", "keywords", "languages", "spatial", "temporal_start", "temporal_end",
            "issued", "version", "landing_page", "contact_name", "contact_email",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields and self.instance._state.adding:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Leave empty to derive it from the title."

    def clean_keywords(self) -> list[str]:
        return _through_service(
            services.normalise_keywords, self.cleaned_data["keywords"], "keywords"
        )

    def clean_languages(self) -> list[str]:
        return _through_service(
            services.normalise_languages, self.cleaned_data["languages"], "languages"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            services.dataset_check_temporal(
                start=cleaned.get("temporal_start"), end=cleaned.get("temporal_end")
            )
        except ApplicationError as exc:
            add_service_errors(self, exc)
        return cleaned


class StoredDistributionInline(admin.TabularInline):
    """Distributions already stored: shown, and removable, but not edited (bytes and hash belong
    together; a corrected file is a new distribution)."""

    model = Distribution
    verbose_name_plural = "Distributions"
    fields = [
        "title",
        "format",
        "stored_file",
        "access_url",
        "media_type",
        "byte_size",
        "sha256_hex",
    ]
    readonly_fields = fields
    extra = 0

    @admin.display(description="SHA-256")
    def sha256_hex(self, distribution: Distribution) -> str:
        if not distribution.sha256:
            return "—"
        return format_html('<code style="word-break: break-all">{}</code>', distribution.sha256)

    @admin.display(description="File")
    def stored_file(self, distribution: Distribution) -> str:
        return distribution.file.name.rsplit("/", 1)[-1] if distribution.file else "—"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class NewDistributionForm(forms.ModelForm):
    format = forms.ChoiceField(
        choices=[("", "From the file name"), *FORMAT_CHOICES], required=False
    )

    class Meta:
        model = Distribution
        formfield_callback = https_url_formfield
        fields = ["file", "format", "title", "description", "access_url"]
        widgets = {"file": forms.FileInput, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = "Defaults to the file name."
        self.fields["access_url"].label = "Or a service URL"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, access_url = cleaned.get("file"), cleaned.get("access_url")
        if upload and access_url:
            self.add_error("access_url", "Give a file or a service URL, not both.")
        elif upload:
            try:
                services.upload_check_size(size=upload.size)
                services.distribution_resolve_format(
                    format=cleaned.get("format", ""), filename=upload.name
                )
            except ApplicationError as exc:
                add_service_errors(self, exc)
        elif not access_url and "access_url" not in self.errors:
            self.add_error("file", "Upload a file or give a service URL.")
        return cleaned


class NewDistributionFormSet(forms.BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        # Apart from the stored distributions' formset, which has the default prefix.
        return "new_distributions"


class NewDistributionInline(admin.StackedInline):
    """Upload a file (hashed by the service) or declare a service endpoint."""

    model = Distribution
    form = NewDistributionForm
    formset = NewDistributionFormSet
    formfield_overrides = HTTPS_URLS
    verbose_name = "distribution"
    verbose_name_plural = "Add distributions"
    extra = 1
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Distribution]:
        return super().get_queryset(request).none()


class StewardedByYouFilter(admin.SimpleListFilter):
    """The datasets a steward maintains, among the whole catalogue they can browse."""

    title = "your publishers"
    parameter_name = "stewarded"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        if request.user.is_superuser or not _stewarded(request).exists():
            return []  # no choice to offer: the filter is not shown
        return [("yes", "Datasets you steward")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
        if self.value() == "yes":
            return queryset.filter(publisher__in=_stewarded(request))
        return queryset


def _stewarded(request: HttpRequest) -> QuerySet[Publisher]:
    return selectors.publishers_stewarded_by(user=request.user)


def keyword_list(keywords: list[str]) -> str:
    """Keywords as people write them: ``soil, carbon``."""
    return ", ".join(keywords) or "—"


def language_list(codes: list[str]) -> str:
    """Languages by name, with the code the API uses: ``English (en), German (de)``."""
    named = [f"{LANGUAGE_NAMES[c]} ({c})" if c in LANGUAGE_NAMES else c for c in codes]
    return ", ".join(named) or "—"


# On a dataset the user may only view, these fields are shown by a method of DatasetAdmin (the
# admin would print the JSON of the list); the change form edits them as comma-separated text.
READ_ONLY_DISPLAY = {"keywords": "keywords_text", "languages": "languages_text"}


@admin.register(Dataset)
class DatasetAdmin(ServiceWritesAdmin):
    """Everyone with the view permission browses every dataset; only the stewards of a dataset's
    publisher (and superusers) change or delete it. The access app extends this page with
    "Request access" (``access/admin/datasets.py``)."""

    form = DatasetForm
    # Few columns, so that the list fits 1280 pixels beside the filters (and, for those who may
    # request access, a link to do so); data space and licence are filters.
    list_display = ["title_text", "publisher", "access_rights", "modified_on"]
    list_filter = [
        StewardedByYouFilter,
        "data_space",
        ("publisher", admin.RelatedOnlyFieldListFilter),
        "licence",
        "access_rights",
        "themes",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["publisher"]
    search_fields = ["title", "description", "slug", "publisher__name"]
    date_hierarchy = "modified"
    filter_horizontal = ["themes"]
    readonly_fields = [
        "id", "identifier", "modified", "created", "withdrawn_at", "withdrawn_reason",
        *READ_ONLY_DISPLAY.values(),
    ]  # fmt: skip
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "description",
                    "publisher",
                    "data_space",
                    "licence",
                    "access_rights",
                ]
            },
        ),
        ("Classification", {"fields": ["themes", "keywords", "languages"]}),
        (
            "Coverage",
            {"fields": ["spatial", ("temporal_start", "temporal_end"), "issued", "version"]},
        ),
        ("Contact", {"fields": ["landing_page", "contact_name", "contact_email"]}),
        (
            "Record",
            {
                "fields": [
                    "id",
                    "identifier",
                    "modified",
                    "created",
                    "withdrawn_at",
                    "withdrawn_reason",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Dataset | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [fs for fs in fieldsets if fs[0] != "Record"]
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [READ_ONLY_DISPLAY.get(f, f) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description="Title", ordering="title")
    def title_text(self, dataset: Dataset) -> str:
        return list_text(dataset.title, 70)

    @admin.display(description="Modified", ordering="modified")
    def modified_on(self, dataset: Dataset) -> str:
        return list_date(dataset.modified)

    @admin.display(description="Keywords")
    def keywords_text(self, dataset: Dataset) -> str:
        return keyword_list(dataset.keywords)

    @admin.display(description="Languages")
    def languages_text(self, dataset: Dataset) -> str:
        return language_list(dataset.languages)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dataset]:
        # The catalogue is public (the API lists it to anyone): browsing it needs no stewardship.
        return super().get_queryset(request).defer("search_vector")

    def _stewards(self, request: HttpRequest, obj: Dataset | None) -> bool:
        return obj is None or _stewarded(request).filter(pk=obj.publisher_id).exists()

    def has_change_permission(self, request: HttpRequest, obj: Dataset | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._stewards(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Dataset | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._stewards(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "publisher":
            kwargs["queryset"] = selectors.publishers_stewarded_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Dataset | None):
        if obj is None:
            return [NewDistributionInline]
        if not self.has_change_permission(request, obj):
            return [StoredDistributionInline]  # browsing: no empty upload form
        return [StoredDistributionInline, NewDistributionInline]

    def save_model(self, request: HttpRequest, obj: Dataset, form: DatasetForm, change) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in DATASET_DATA_FIELDS
            if name in form.cleaned_data
        }
        if change:
            changes = {name: values[name] for name in form.changed_data if name in values}
            if not changes:
                return
            saved = services.dataset_update(user=request.user, dataset=obj, changes=changes)
        else:
            for name in ("themes", "keywords", "languages"):
                values[name] = tuple(values.get(name) or ())
            saved = services.dataset_create(user=request.user, data=services.DatasetData(**values))
        # The admin goes on with the form's instance (inlines point at it): make it the saved row.
        for field in Dataset._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_related(self, request: HttpRequest, form: DatasetForm, formsets, change) -> None:
        # Themes were set by the service; only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: DatasetForm, formset, change) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.deleted_forms:
            services.distribution_delete(user=request.user, distribution=row.instance)
            formset.deleted_objects.append(row.instance)
        if not isinstance(formset, NewDistributionFormSet):
            return
        for row in formset.forms:
            if row.has_changed():
                distribution = self._add_distribution(request, form.instance, row.cleaned_data)
                formset.new_objects.append(distribution)

    def _add_distribution(self, request: HttpRequest, dataset: Dataset, data: dict) -> Distribution:
        if not data.get("file"):
            return services.distribution_add_service(
                user=request.user,
                dataset=dataset,
                title=data["title"] or data["access_url"],
                access_url=data["access_url"],
                format=data["format"] or "API",
                description=data["description"],
            )
        distribution = services.distribution_add_file(
            user=request.user,
            dataset=dataset,
            upload=data["file"],
            title=data["title"],
            format=data["format"],
            description=data["description"],
        )
        request._stored_files.append(distribution.file)
        return distribution

    def delete_model(self, request: HttpRequest, obj: Dataset) -> None:
        services.dataset_delete(user=request.user, dataset=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> None:
        for dataset in queryset:
            try:
                services.dataset_delete(user=request.user, dataset=dataset)
            except ApplicationError as exc:
                self.message_user(request, f"{dataset}: {exc.message}", messages.ERROR)
