from django.db import migrations

from catalogue.search_sql import CREATE_SQL, DROP_SQL


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE_SQL), _on_postgresql(DROP_SQL)),
    ]
