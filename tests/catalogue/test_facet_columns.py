"""The facet copies on each dataset row (themes, formats) follow their tables, and a statement that
leaves them as they were does not rewrite the wide dataset row (PostgreSQL: migration 0013)."""

from __future__ import annotations

import pytest
from django.db import connection

from catalogue.models import Theme
from tests.catalogue.factories import DatasetFactory, DistributionFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="trigger-kept columns exist on PostgreSQL only"
    ),
]


def row_version(dataset) -> tuple[str, list, list]:
    """The row's physical address (a new one for every UPDATE, even in one transaction) and its
    facet copies."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ctid::text, facet_formats, facet_theme_ids"
            " FROM catalogue_dataset WHERE id = %s",
            [dataset.id],
        )
        return cursor.fetchone()


def test_a_distribution_edit_that_keeps_the_format_leaves_the_dataset_row_alone():
    dataset = DatasetFactory()
    distribution = DistributionFactory(dataset=dataset, format="CSV")
    address, formats, _ = row_version(dataset)
    assert formats == ["CSV"]

    type(distribution).objects.filter(pk=distribution.pk).update(title="Renamed file")
    assert row_version(dataset)[:2] == (address, ["CSV"])

    type(distribution).objects.filter(pk=distribution.pk).update(format="PARQUET")
    new_address, formats, _ = row_version(dataset)
    assert formats == ["PARQUET"]
    assert new_address != address


def test_theme_changes_are_copied_and_a_refresh_without_change_writes_nothing():
    agri, envi = Theme.objects.get(code="AGRI"), Theme.objects.get(code="ENVI")
    dataset = DatasetFactory(themes=[envi])
    dataset.themes.add(agri)
    address, _, theme_ids = row_version(dataset)
    assert theme_ids == sorted([agri.pk, envi.pk])

    with connection.cursor() as cursor:
        cursor.execute("SELECT catalogue_refresh_facet_themes(ARRAY[%s]::uuid[])", [dataset.id])
        cursor.execute("SELECT catalogue_refresh_facet_formats(ARRAY[%s]::uuid[])", [dataset.id])
    assert row_version(dataset)[0] == address

    dataset.themes.remove(envi)
    assert row_version(dataset)[2] == [agri.pk]


def updates_in_this_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_xact_user_tables"
            " WHERE relname = 'catalogue_dataset'"
        )
        return int(cursor.fetchone()[0])


def test_datasets_created_by_a_sync_are_written_once_with_their_copies(steward_client, publisher):
    from catalogue.models import Dataset

    items = [
        {
            "identifier": f"rec-{n}",
            "title": f"Soil survey {n}",
            "description": "Readings.",
            "publisher": publisher.slug,
            "data_space": "agriculture",
            "licence": "CC-BY-4.0",
            "themes": ["AGRI", "ENVI"] if n else ["AGRI"],
            "distributions": [
                {"identifier": "csv", "title": "CSV", "format": "CSV",
                 "access_url": "https://example.org/a.csv"},
                {"identifier": "pq", "title": "Parquet", "format": "PARQUET",
                 "access_url": "https://example.org/a.parquet"},
            ],
        }
        for n in range(3)
    ]  # fmt: skip
    before = updates_in_this_transaction()
    response = steward_client.post("/api/v1/datasets/bulk/", {"items": items}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["created"] == 3
    assert updates_in_this_transaction() == before  # no row rewritten to copy its facets
    agri, envi = Theme.objects.get(code="AGRI").pk, Theme.objects.get(code="ENVI").pk
    for dataset in Dataset.objects.filter(publisher=publisher):
        _, formats, theme_ids = row_version(dataset)
        assert formats == ["CSV", "PARQUET"]
        assert theme_ids == ([agri] if dataset.identifier == "rec-0" else sorted([agri, envi]))
