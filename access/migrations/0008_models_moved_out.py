"""ApiToken moved to accounts, SigningKey and GrantDownload to delivery. Their tables stay where
they are (the new apps' models name them), so only Django's record of the models changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0007_download_keeps_removed_files"),
        ("accounts", "0001_initial"),
        ("delivery", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="GrantDownload"),
                migrations.DeleteModel(name="SigningKey"),
            ],
        ),
    ]
