"""PostgreSQL only: a covering index with every column a facet count or a filter-only search
reads, so those read a 16 MB index instead of the wide dataset rows (search vector, description).
"""

from django.db import migrations

CREATE_SQL = """
CREATE INDEX IF NOT EXISTS dataset_facet_cover ON catalogue_dataset
    (data_space_id, publisher_id, licence_id, access_rights)
    INCLUDE (id, modified, facet_theme_ids, facet_formats);
"""
DROP_SQL = "DROP INDEX IF EXISTS dataset_facet_cover;"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_facet_columns")]

    operations = [migrations.RunPython(_on_postgresql(CREATE_SQL), _on_postgresql(DROP_SQL))]
