"""Query parameters of the dataset search, validated by django-filter: an unknown value is a 400."""

from __future__ import annotations

import django_filters
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import ValidationError

from catalogue.formats import FORMAT_MEDIA_TYPES, normalise_format
from catalogue.models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    Publisher,
    Theme,
)
from catalogue.search import search_filter
from catalogue.selectors import ORDERINGS
from core.api.filters import IsoDateTimeFilter
from core.api.params import choice_error_messages

KNOWN_FORMATS = ", ".join(FORMAT_MEDIA_TYPES)


class DatasetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text='Full text, web syntax: words, "exact phrase", -excluded, or.',
    )
    data_space = django_filters.ModelMultipleChoiceFilter(
        field_name="data_space",
        method="filter_in",
        queryset=DataSpace.objects.all(),
        to_field_name="slug",
        help_text="Data space slug; repeat for several.",
        error_messages=choice_error_messages("data space"),
    )
    publisher = django_filters.ModelMultipleChoiceFilter(
        field_name="publisher",
        method="filter_in",
        queryset=Publisher.objects.all(),
        to_field_name="slug",
        help_text="Publisher slug; repeat for several.",
        error_messages=choice_error_messages("publisher"),
    )
    licence = django_filters.ModelMultipleChoiceFilter(
        field_name="licence",
        method="filter_in",
        queryset=Licence.objects.all(),
        to_field_name="identifier",
        help_text="Licence identifier (SPDX); repeat for several.",
        error_messages=choice_error_messages("licence"),
    )
    access_rights = django_filters.MultipleChoiceFilter(
        choices=AccessRights.choices,
        # A column of the dataset row: no join, so no duplicates for DISTINCT to remove (and
        # DISTINCT would make the search read every match before stopping at the threshold).
        distinct=False,
        help_text="PUBLIC, RESTRICTED or NON_PUBLIC; repeat for several.",
        error_messages=choice_error_messages("access rights value"),
    )
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(),
        to_field_name="code",
        method="filter_theme",
        help_text="EU data-theme code (AGRI, HEAL...); repeat for several.",
        error_messages=choice_error_messages("theme"),
    )
    keyword = django_filters.CharFilter(method="filter_keyword", help_text="Exact keyword.")
    format = django_filters.CharFilter(
        method="filter_format",
        help_text=f"Distribution format: {', '.join(FORMAT_MEDIA_TYPES)}.",
    )
    modified_since = IsoDateTimeFilter(
        field_name="modified", lookup_expr="gte", help_text="ISO 8601 date or date-time."
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="filter_noop",
        help_text="relevance (default with q), -modified (default), modified, title, -title.",
        error_messages=choice_error_messages("ordering"),
    )

    class Meta:
        model = Dataset
        fields: list[str] = []

    def filter_noop(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # ordering is applied by the view after filtering and faceting

    def filter_in(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # By primary key, so the (column, -modified) indexes serve the filter and the ordering.
        return queryset.filter(**{f"{name}__in": [obj.pk for obj in value]}) if value else queryset

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_filter(queryset, value) if value.strip() else queryset

    def filter_theme(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        ids = [theme.pk for theme in value]
        if connection.vendor == "postgresql":
            # The trigger-maintained copy (migration 0005) is in the covering index: no join.
            return queryset.filter(
                RawSQL("catalogue_dataset.facet_theme_ids && %s::bigint[]", [ids], BooleanField())
            )
        # EXISTS instead of a join: a dataset with two of the chosen themes appears once.
        through = Dataset.themes.through.objects.filter(dataset_id=OuterRef("pk"), theme_id__in=ids)
        return queryset.filter(Exists(through))

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        keyword = " ".join(value.split())
        if not keyword:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(keywords__contains=[keyword])  # jsonb @>, GIN-indexed
        # SQLite has no JSON containment; a self-contained subquery survives table aliasing.
        with_keyword = RawSQL(
            "SELECT d.id FROM catalogue_dataset d, json_each(d.keywords) k WHERE k.value = %s",
            [keyword],
        )
        return queryset.filter(pk__in=with_keyword)

    def filter_format(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        codes = []
        for part in value.split(","):
            code = normalise_format(part)
            if code is None:
                raise ValidationError(
                    {"format": [f"Unknown format '{part.strip()}'. Use one of: {KNOWN_FORMATS}."]}
                )
            codes.append(code)
        if connection.vendor == "postgresql":
            return queryset.filter(
                RawSQL("catalogue_dataset.facet_formats && %s::text[]", [codes], BooleanField())
            )
        return queryset.filter(
            Exists(Distribution.objects.filter(dataset_id=OuterRef("pk"), format__in=codes))
        )
