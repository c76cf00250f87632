"""PostgreSQL only: the covering index of migration 0006, for listed datasets only.

Searches read ``Dataset.objects.listed()`` (withdrawn_at IS NULL). The old index did not hold
withdrawn_at, so every filter-only search had to visit the heap row to check it and the planner
fell back to bitmaps over every row of the filtered values (cost growing with the catalogue). A
partial index answers "listed" by its definition: a filter-only search reads the index alone and
stops at the count threshold.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
DROP INDEX IF EXISTS dataset_facet_cover;
CREATE INDEX IF NOT EXISTS dataset_facet_cover_listed ON catalogue_dataset
    (data_space_id, publisher_id, licence_id, access_rights)
    INCLUDE (id, modified, facet_theme_ids, facet_formats)
    WHERE withdrawn_at IS NULL;
"""
DROP_SQL = """
DROP INDEX IF EXISTS dataset_facet_cover_listed;
CREATE INDEX IF NOT EXISTS dataset_facet_cover ON catalogue_dataset
    (data_space_id, publisher_id, licence_id, access_rights)
    INCLUDE (id, modified, facet_theme_ids, facet_formats);
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0011_publisher_decisions_by_client")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
