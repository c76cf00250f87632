"""Grant.download_count becomes a count of the grant's download records.

Every download incremented one counter on the grant's row, so parallel range requests of one
grant queued on its row lock. The records (access_grantdownload) already say the same; the
count is now taken from them (Grant.download_count, annotated in lists).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0022_grant_status_index"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="grant",
            name="download_count",
        ),
    ]
