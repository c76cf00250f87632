"""Every grant gets a place in the token status lists: a sequence hands the numbers out (on
PostgreSQL), existing grants are numbered in the order they were made, and the sequence goes on
from there."""

from django.db import migrations, models

SEQUENCE = "access_grant_status_index_seq"


def sequence_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint MINVALUE 0 START WITH 0"
        )


def sequence_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


def indexes_backfill(apps, schema_editor):
    Grant = apps.get_model("access", "Grant")
    alias = schema_editor.connection.alias
    batch, count = [], 0
    for grant in Grant.objects.using(alias).order_by("created", "pk").only("pk").iterator(2000):
        grant.status_index = count
        count += 1
        batch.append(grant)
        if len(batch) == 2000:
            Grant.objects.using(alias).bulk_update(batch, ["status_index"])
            batch = []
    if batch:
        Grant.objects.using(alias).bulk_update(batch, ["status_index"])
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # The next nextval() returns ``count``.
            cursor.execute("SELECT setval(%s, %s, false)", [SEQUENCE, count])


class Migration(migrations.Migration):
    dependencies = [("access", "0021_request_state_decided_index")]

    operations = [
        migrations.RunPython(sequence_create, sequence_drop),
        migrations.AddField(
            model_name="grant",
            name="status_index",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(indexes_backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="grant",
            name="status_index",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
    ]
