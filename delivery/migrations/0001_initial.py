"""SigningKey and GrantDownload move here from access with their tables: no database change."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import move_content_type


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("access", "0007_download_keeps_removed_files"),
        ("catalogue", "0007_publisher_review_periods"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SigningKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kid", models.CharField(max_length=64, unique=True)),
                        ("algorithm", models.CharField(default="EdDSA", max_length=16)),
                        ("private_key_encrypted", models.BinaryField(editable=False)),
                        ("public_jwk", models.JSONField()),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("retired_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={"ordering": ["-created"], "db_table": "access_signingkey"},
                ),
                migrations.CreateModel(
                    name="GrantDownload",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("started_at", models.DateTimeField(auto_now_add=True)),
                        ("bytes_requested", models.BigIntegerField()),
                        ("range_start", models.BigIntegerField(default=0)),
                        ("client_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("distribution", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="downloads", to="catalogue.distribution")),
                        ("grant", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="downloads", to="access.grant")),
                    ],
                    options={"ordering": ["-started_at"], "db_table": "access_grantdownload"},
                ),
            ],
        ),
        move_content_type(from_app="access", to_app="delivery", model="signingkey"),
        move_content_type(from_app="access", to_app="delivery", model="grantdownload"),
    ]
