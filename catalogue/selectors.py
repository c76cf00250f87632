"""Reads of the catalogue that are more than a get."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Prefetch, QuerySet

from config.errors import NotFoundError

from .formats import FORMAT_CHOICES
from .models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    LicenceVersion,
    Publisher,
    Theme,
)
from .search import rank_annotation

ORDERINGS = {
    "relevance": None,  # needs q
    "-modified": ("-modified", "id"),
    "modified": ("modified", "id"),
    "title": ("title", "id"),
    "-title": ("-title", "id"),
}


def publishers_stewarded_by(*, user: AbstractBaseUser | None) -> QuerySet[Publisher]:
    if user is None or not user.is_authenticated:
        return Publisher.objects.none()
    if user.is_superuser:
        return Publisher.objects.all()
    return Publisher.objects.filter(stewards=user)


def dataset_base_queryset() -> QuerySet[Dataset]:
    """What a list result needs, in a constant number of queries whatever the page size."""
    return (
        Dataset.objects.select_related("publisher", "data_space", "licence")
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("code")))
        .defer("search_vector")
    )


def dataset_detail_queryset() -> QuerySet[Dataset]:
    return dataset_base_queryset().prefetch_related(
        Prefetch("distributions", queryset=Distribution.objects.order_by("created", "id")),
        Prefetch("licence__versions", queryset=LicenceVersion.objects.order_by("-version")),
    )


def dataset_get(*, id_or_slug: str, queryset: QuerySet[Dataset] | None = None) -> Dataset:
    queryset = queryset if queryset is not None else dataset_detail_queryset()
    try:
        lookup: dict[str, Any] = {"pk": uuid.UUID(str(id_or_slug))}
    except ValueError:
        lookup = {"slug": id_or_slug}
    dataset = queryset.filter(**lookup).first()
    if dataset is None:
        raise NotFoundError(f"No dataset with the id or slug '{id_or_slug}'.")
    return dataset


def dataset_order(queryset: QuerySet[Dataset], *, ordering: str | None, q: str | None) -> QuerySet:
    """Apply an allow-listed ordering; relevance (the default with q) ranks by text match."""
    ordering = ordering or ("relevance" if q else "-modified")
    if ordering == "relevance":
        rank = rank_annotation(q) if q else None
        if rank is None:
            return queryset.order_by("-modified", "id")
        return queryset.annotate(rank=rank).order_by("-rank", "-modified", "id")
    return queryset.order_by(*ORDERINGS[ordering])


def dataset_facets(queryset: QuerySet[Dataset]) -> dict[str, list[dict[str, Any]]]:
    """Count the datasets of ``queryset`` (already searched and filtered) by each facet."""
    base = queryset.order_by()
    ids = base.values("pk")

    def single(field: str, value_field: str, label_field: str) -> list[dict[str, Any]]:
        rows = (
            base.values(f"{field}__{value_field}", f"{field}__{label_field}")
            .annotate(count=Count("pk"))
            .order_by("-count", f"{field}__{value_field}")
        )
        return [
            {
                "value": row[f"{field}__{value_field}"],
                "label": row[f"{field}__{label_field}"],
                "count": row["count"],
            }
            for row in rows
        ]

    access_labels = dict(AccessRights.choices)
    access_rows = (
        base.values("access_rights").annotate(count=Count("pk")).order_by("-count", "access_rights")
    )
    theme_rows = (
        Dataset.themes.through.objects.filter(dataset_id__in=ids)
        .values("theme__code", "theme__label")
        .annotate(count=Count("dataset_id"))
        .order_by("-count", "theme__code")
    )
    format_labels = dict(FORMAT_CHOICES)
    format_rows = (
        Distribution.objects.filter(dataset_id__in=ids)
        .values("format")
        .annotate(count=Count("dataset_id", distinct=True))
        .order_by("-count", "format")
    )
    return {
        "data_space": single("data_space", "slug", "name"),
        "publisher": single("publisher", "slug", "name"),
        "licence": single("licence", "identifier", "title"),
        "access_rights": [
            {
                "value": r["access_rights"],
                "label": access_labels[r["access_rights"]],
                "count": r["count"],
            }
            for r in access_rows
        ],
        "theme": [
            {"value": r["theme__code"], "label": r["theme__label"], "count": r["count"]}
            for r in theme_rows
        ],
        "format": [
            {
                "value": r["format"],
                "label": format_labels.get(r["format"], r["format"]),
                "count": r["count"],
            }
            for r in format_rows
        ],
    }


def licence_list() -> QuerySet[Licence]:
    return Licence.objects.prefetch_related(
        Prefetch("versions", queryset=LicenceVersion.objects.order_by("-version"))
    ).order_by("identifier")


def data_space_list() -> QuerySet[DataSpace]:
    return DataSpace.objects.annotate(dataset_count=Count("datasets")).order_by("name")


def publisher_list() -> QuerySet[Publisher]:
    return Publisher.objects.annotate(dataset_count=Count("datasets")).order_by("name")
