"""The landing page (no words, no filters) counts the whole catalogue exactly, from facet totals
that triggers keep on every write path, however large the catalogue (PostgreSQL: migration 0014).
Nothing here is timed."""

from __future__ import annotations

import threading
from importlib import import_module

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from catalogue import facet_totals_sql, selectors, services
from catalogue.models import Dataset, DataSpace, Distribution, Licence, Theme
from tests.catalogue.factories import DatasetFactory, DistributionFactory, PublisherFactory

URL = "/api/v1/datasets/"
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def landing(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def exact_facets() -> tuple[int, dict]:
    """Every listed dataset counted row by row (the CKAN API's plan): what the totals must say."""
    page = selectors.dataset_search(
        matches=Dataset.objects.listed(), q=None, ordering=None, offset=0, limit=1, exact=True
    )
    return page.total, page.facets


@pytest.fixture
def catalogue():
    agri, envi = Theme.objects.get(code="AGRI"), Theme.objects.get(code="ENVI")
    health = DataSpace.objects.get(slug="health")
    first, second = PublisherFactory(slug="first"), PublisherFactory(slug="second")
    made = [
        DatasetFactory(slug=f"d-{n}", publisher=first if n % 2 else second, themes=[agri])
        for n in range(5)
    ]
    made.append(DatasetFactory(slug="d-health", data_space=health, themes=[agri, envi]))
    for dataset in made[:3]:
        DistributionFactory(dataset=dataset, format="CSV")
    DistributionFactory(dataset=made[0], format="PARQUET")
    return made


def test_the_landing_page_counts_exactly_past_the_threshold_and_pages_stop_there(
    api_client, catalogue, settings
):
    settings.SEARCH_EXACT_COUNT_UP_TO = 3
    body = landing(api_client, page_size=2)
    assert (body["count"], body["count_exact"], body["facets_exact"]) == (6, True, True)
    total, facets = exact_facets()
    assert (body["count"], body["facets"]) == (total, facets)
    assert {b["value"]: b["count"] for b in body["facets"]["format"]} == {"CSV": 3, "PARQUET": 1}
    assert {b["value"]: b["count"] for b in body["facets"]["theme"]} == {"AGRI": 6, "ENVI": 1}

    # The count is exact, but pages reach the first 3 results only, as for any search.
    second = landing(api_client, page_size=2, page=2)
    assert len(second["results"]) == 1
    assert second["next"] is None
    response = api_client.get(URL, {"page_size": 2, "page": 3})
    assert response.status_code == 404
    assert "first 3 results only" in response.json()["error"]["message"]
    # The ordering is no filter: still the whole catalogue, exactly counted, in title order.
    by_title = landing(api_client, ordering="title")
    assert (by_title["count"], by_title["count_exact"]) == (6, True)
    titles = [r["title"] for r in by_title["results"]]
    assert titles == sorted(titles)


def test_every_kind_of_write_keeps_the_totals_exact(api_client, catalogue):
    first, *_rest, health_dataset = catalogue
    envi = Theme.objects.get(code="ENVI")
    cc0 = Licence.objects.get(identifier="CC0-1.0")

    def check() -> None:
        body = landing(api_client)
        assert (body["count"], body["facets"]) == exact_facets()

    Dataset.objects.filter(pk=first.pk).update(licence=cc0, access_rights="RESTRICTED")
    check()
    first.themes.add(envi)
    check()
    first.themes.remove(envi)
    Distribution.objects.filter(dataset=first, format="PARQUET").update(format="JSON")
    check()
    Distribution.objects.filter(dataset=first).delete()
    check()
    Dataset.objects.filter(pk=health_dataset.pk).update(withdrawn_at=timezone.now())
    assert landing(api_client)["count"] == 5
    check()
    Dataset.objects.filter(pk=health_dataset.pk).update(withdrawn_at=None)
    check()
    Dataset.objects.filter(slug__in=["d-1", "d-2"]).delete()
    assert landing(api_client)["count"] == 4
    check()
    # A value no dataset holds any more is not a facet bucket (its deltas sum to zero).
    body = landing(api_client)
    assert "JSON" not in {b["value"] for b in body["facets"]["format"]}


def row_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_facet_total")
        return cursor.fetchone()[0]


def row_addresses() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM catalogue_facet_total")
        return {row[0] for row in cursor.fetchall()}


def test_compaction_folds_the_deltas_and_a_rebuild_recounts(api_client, catalogue):
    before = landing(api_client)
    rows = row_count()
    removed = services.facet_totals_compact()
    assert removed > 0
    assert row_count() == rows - removed
    # One row per value now: as many as the buckets, plus the total.
    assert row_count() == 1 + sum(len(buckets) for buckets in before["facets"].values())
    assert landing(api_client) == before
    addresses = row_addresses()
    assert services.facet_totals_compact() == 0  # nothing left to fold...
    assert row_addresses() == addresses  # ...and nothing rewritten (no dead rows every minute)

    with connection.cursor() as cursor:  # totals lost (written with the triggers off, say)
        cursor.execute("DELETE FROM catalogue_facet_total")
    assert landing(api_client)["count"] == 0
    services.facet_totals_rebuild()
    assert landing(api_client) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_in_concurrent_transactions_never_wait_for_each_other(api_client):
    """Deltas are inserted, never updated: a transaction that changed the facets of a dataset
    of the same publisher, licence and themes holds no lock another writer needs."""
    publisher = PublisherFactory(slug="shared")
    params = connection.get_connection_params()
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def open_writer() -> None:
        try:
            with psycopg.connect(**params) as other, other.cursor() as cursor:
                # Uncommitted: PUBLIC -1 and RESTRICTED +1 written as deltas, the row locked.
                cursor.execute(
                    "UPDATE catalogue_dataset SET access_rights = 'RESTRICTED' WHERE slug = 'mine'"
                )
                written.set()
                release.wait(timeout=30)
                other.rollback()
        except BaseException as error:  # reported by the test below
            errors.append(error)
            written.set()

    DatasetFactory(slug="mine", publisher=publisher)
    writer = threading.Thread(target=open_writer)
    writer.start()
    try:
        assert written.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            try:
                DatasetFactory(slug="also-mine", publisher=publisher)  # would wait on a lock
                services.facet_totals_compact()  # also passes the uncommitted deltas by
            finally:
                cursor.execute("SET lock_timeout = DEFAULT")
        # The open transaction's change is not counted: both datasets are still public.
        body = landing(api_client)
        assert body["count"] == 2
        assert {b["value"]: b["count"] for b in body["facets"]["access_rights"]} == {"PUBLIC": 2}
    finally:
        release.set()
        writer.join()
    assert not errors, errors
    assert landing(api_client)["count"] == 2  # rolled back: its deltas went with it
    assert (landing(api_client)["count"], landing(api_client)["facets"]) == exact_facets()


def test_the_migration_installs_the_sql_of_facet_totals_sql():
    migration = import_module("catalogue.migrations.0014_facet_totals")
    assert migration.CREATE_SQL == facet_totals_sql.CREATE_SQL
    assert migration.DROP_SQL == facet_totals_sql.DROP_SQL


def test_a_drift_is_found_and_repaired_by_the_daily_check_and_the_command(api_client, catalogue):
    from django.core.management import CommandError, call_command

    assert services.facet_totals_verify(repair=False) == []
    second = PublisherFactory(slug="second")
    with connection.cursor() as cursor:
        # As a data-only load with the triggers off leaves them: a dataset of "second" gone from
        # the table while the totals still count it.
        cursor.execute(
            "INSERT INTO catalogue_facet_total (facet, value, n) VALUES "
            "('total', '', 1), ('publisher', %s, 1)",
            [str(second.pk)],
        )
    assert landing(api_client)["count"] == 7

    differences = services.facet_totals_verify(repair=False)
    assert sorted(differences) == [("publisher", str(second.pk), 4, 3), ("total", "", 7, 6)]
    with pytest.raises(CommandError, match="differ from the datasets"):
        call_command("verify_facet_totals")

    call_command("verify_facet_totals", "--repair")
    assert services.facet_totals_verify(repair=False) == []
    assert (landing(api_client)["count"], landing(api_client)["facets"]) == exact_facets()
