"""E-mails go through an outbox: written pending in the change's transaction, sent by a worker,
retried by a sweep, failed visibly. The record of sent e-mails becomes that outbox; the e-mails
it held were sent."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def sent_rows_keep_their_time(apps, schema_editor):
    Notification = apps.get_model("access", "Notification")
    Notification.objects.update(created=F("sent_at"), next_attempt_at=F("sent_at"))


class Migration(migrations.Migration):
    dependencies = [("access", "0010_frozen_approved_files")]

    operations = [
        migrations.RenameModel("SentNotification", "Notification"),
        migrations.AlterModelOptions(name="notification", options={"ordering": ["-created"]}),
        migrations.AlterField(
            model_name="notification",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="event",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="notifications", to="access.accessevent"),
        ),
        migrations.AddField(model_name="notification", name="body", field=models.TextField(blank=True)),
        # Rows from before were sent: they get "sent"; new rows start "pending".
        migrations.AddField(
            model_name="notification",
            name="state",
            field=models.CharField(choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")], default="sent", max_length=8),
        ),
        migrations.AlterField(
            model_name="notification",
            name="state",
            field=models.CharField(choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")], default="pending", max_length=8),
        ),
        migrations.AddField(model_name="notification", name="attempts", field=models.PositiveSmallIntegerField(default=0)),
        migrations.AddField(model_name="notification", name="last_error", field=models.TextField(blank=True)),
        migrations.AddField(model_name="notification", name="created", field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.AddField(model_name="notification", name="next_attempt_at", field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.RunPython(sent_rows_keep_their_time, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(condition=models.Q(("state", "pending")), fields=["next_attempt_at"], name="notification_pending_due"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(condition=models.Q(("state__in", ["pending", "sent", "failed"])), name="notification_state_valid"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("state", "sent"), _negated=True), ("sent_at__isnull", False), _connector="OR"), name="sent_notification_has_time"),
        ),
    ]
