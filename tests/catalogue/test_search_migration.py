"""Migration 0008 (accent-insensitive search) recomputes the vectors of datasets already stored,
and its reversal brings back the accent-sensitive ones."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalogue.models import Dataset
from tests.catalogue.factories import DatasetFactory

URL = "/api/v1/datasets/"
BEFORE = [("catalogue", "0007_publisher_review_periods")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def vector_has(pk, lexeme: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector @@ to_tsquery('simple', %s) FROM catalogue_dataset WHERE id = %s",
            [lexeme, pk],
        )
        return cursor.fetchone()[0]


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["results"]}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_stored_vectors_are_recomputed_when_migrating_either_way(api_client):
    try:
        written_after = DatasetFactory(title="Rendements des récoltes de blé", languages=["fr"])
        assert vector_has(written_after.pk, "recolt")

        old = migrate(BEFORE)
        # Reversed: the accent-sensitive vector again, and no trace of the configurations.
        assert not vector_has(written_after.pk, "recolt")
        assert vector_has(written_after.pk, "récolt")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_ts_config WHERE cfgname LIKE 'passerelle_%%'")
            assert cursor.fetchone()[0] == 0

        written_before = old.get_model("catalogue", "Dataset").objects.create(
            slug="recoltes-de-mais",
            title="Récoltes de maïs en Alsace",
            description="Par commune.",
            publisher_id=written_after.publisher_id,
            data_space_id=written_after.data_space_id,
            licence_id=written_after.licence_id,
            access_rights="PUBLIC",
            keywords=["céréales"],
            languages=["fr"],
        )
        assert not vector_has(written_before.pk, "recolt")
        # Only these columns: the table is at the older migration's shape here.
        modified = dict(Dataset.objects.values_list("pk", "modified"))

        migrate(latest())
        assert titles(api_client.get(URL, {"q": "recoltes"})) == {
            "Rendements des récoltes de blé",
            "Récoltes de maïs en Alsace",
        }
        assert titles(api_client.get(URL, {"q": "cereales"})) == {"Récoltes de maïs en Alsace"}
        # Recomputing is not an edit: the order by modification date stays as it was.
        assert dict(Dataset.objects.values_list("pk", "modified")) == modified
    finally:
        migrate(latest())
