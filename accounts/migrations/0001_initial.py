"""ApiToken moves here from access with its table (access_apitoken): no database change."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import move_content_type


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("access", "0007_download_keeps_removed_files"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("name", models.CharField(blank=True, max_length=100)),
                        ("prefix", models.CharField(help_text="First characters, to recognise a token.", max_length=12)),
                        ("key_hash", models.CharField(max_length=64, unique=True)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField()),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"verbose_name": "API token", "ordering": ["-created"], "db_table": "access_apitoken"},
                ),
            ],
        ),
        move_content_type(from_app="access", to_app="accounts", model="apitoken"),
    ]
