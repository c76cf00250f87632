"""An index for the approvals still waiting for their grant (a worker's batch, the sweep)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("access", "0020_audit_events_placed_at_commit")]

    operations = [
        migrations.AddIndex(
            model_name="accessrequest",
            index=models.Index(fields=["state", "decided_at"], name="request_state_decided"),
        ),
    ]
