"""Migration helpers for objects only PostgreSQL has (triggers, GIN and covering indexes).

On SQLite these operations do nothing: the application has a portable fallback for each.
"""

from django.db import migrations


def postgresql_only(create_sql: str, drop_sql: str) -> migrations.RunPython:
    def runner(sql: str):
        def run(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return run

    return migrations.RunPython(runner(create_sql), runner(drop_sql))
