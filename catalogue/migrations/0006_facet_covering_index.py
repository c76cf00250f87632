"""PostgreSQL only: a covering index with every column a facet count or a filter-only search
reads, so those read a 16 MB index instead of the wide dataset rows (search vector, description).
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE INDEX IF NOT EXISTS dataset_facet_cover ON catalogue_dataset
    (data_space_id, publisher_id, licence_id, access_rights)
    INCLUDE (id, modified, facet_theme_ids, facet_formats);
"""
DROP_SQL = "DROP INDEX IF EXISTS dataset_facet_cover;"


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_facet_columns")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
