"""Query parameters of the access-request list, validated by django-filter: an unknown value is a
400 in the common error shape, never an empty or unfiltered list."""

from __future__ import annotations

import django_filters
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework.exceptions import ValidationError

from access.models import AccessRequest, RequestState
from access.selectors import REQUEST_ORDERINGS
from catalogue import selectors as catalogue_selectors
from catalogue.models import Dataset, Publisher
from core.api.params import choice_error_messages
from core.errors import NotFoundError

DEFAULT_ORDERING = "-created"


def request_ordering(key: str | None) -> list[OrderBy]:
    """The allow-listed ordering, with requests without a deadline (drafts) last on every
    database, and the id as a final tie-break so that pages never overlap."""
    expressions = []
    for field in (*REQUEST_ORDERINGS[key or DEFAULT_ORDERING], "pk"):
        name = field.lstrip("-")
        descending = field.startswith("-")
        expressions.append(
            F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
        )
    return expressions


class AccessRequestFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=RequestState.choices,
        distinct=False,
        help_text="Request state; repeat for several.",
        error_messages=choice_error_messages("state"),
    )
    dataset = django_filters.CharFilter(method="filter_dataset", help_text="Dataset UUID or slug.")
    publisher = django_filters.ModelMultipleChoiceFilter(
        queryset=Publisher.objects.all(),
        to_field_name="slug",
        method="filter_publisher",
        help_text="Publisher slug; repeat for several.",
        error_messages=choice_error_messages("publisher"),
    )
    mine = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_mine",
        help_text="true: only your own requests; false: only other people's (a steward's queue).",
        error_messages={"invalid_choice": "Use true or false, not '%(value)s'."},
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in REQUEST_ORDERINGS],
        method="filter_noop",
        help_text=f"{', '.join(REQUEST_ORDERINGS)} (default {DEFAULT_ORDERING}). Requests "
        "without a deadline (drafts) come last.",
        error_messages=choice_error_messages("ordering"),
    )

    class Meta:
        model = AccessRequest
        fields: list[str] = []

    def filter_noop(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # applied by the view, with a default when absent

    def filter_dataset(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        try:
            dataset = catalogue_selectors.dataset_get(
                id_or_slug=value, queryset=Dataset.objects.only("pk")
            )
        except NotFoundError:
            raise ValidationError({"dataset": [f"Unknown dataset '{value}'."]}) from None
        return queryset.filter(dataset_id=dataset.pk)

    def filter_publisher(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(dataset__publisher__in=[publisher.pk for publisher in value])

    def filter_mine(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        user = self.request.user
        if value == "true":
            return queryset.filter(requester=user)
        return queryset.exclude(requester=user)
