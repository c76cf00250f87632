"""A grant covers exactly the files approved, frozen at approval; never "every file".

Before: an empty list on a request or a grant meant "every distribution of the dataset", so a
grant whose chosen files were all removed silently widened to the whole dataset, and one made for
"everything" took in files added after the approval. Now the request says whether it asked for
the whole dataset (``whole_dataset``), and the approval fixes the files it covers
(``approved_distributions``), which the grant opens. Existing approvals are frozen to what they
covered at the time of this migration.
"""

from django.db import migrations, models

DECIDED_STATES = ("approved", "revoked", "expired")


def freeze(apps, schema_editor):
    AccessRequest = apps.get_model("access", "AccessRequest")
    Distribution = apps.get_model("catalogue", "Distribution")
    Grant = apps.get_model("access", "Grant")
    for request in AccessRequest.objects.all().iterator():
        chosen = list(request.distributions.values_list("pk", flat=True))
        request.whole_dataset = not chosen
        request.save(update_fields=["whole_dataset"])
        if request.state not in DECIDED_STATES:
            continue
        grant = Grant.objects.filter(access_request=request).first()
        granted = list(grant.distributions.values_list("pk", flat=True)) if grant else []
        covered = granted or chosen or list(
            Distribution.objects.filter(dataset_id=request.dataset_id).values_list("pk", flat=True)
        )
        request.approved_distributions.set(covered)


def unfreeze(apps, schema_editor):
    AccessRequest = apps.get_model("access", "AccessRequest")
    Grant = apps.get_model("access", "Grant")
    for grant in Grant.objects.all().iterator():
        request = AccessRequest.objects.get(pk=grant.access_request_id)
        grant.distributions.set(request.approved_distributions.all())


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0009_audit_actions_enum"),
        ("catalogue", "0007_publisher_review_periods"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessrequest",
            name="whole_dataset",
            field=models.BooleanField(default=True, help_text="Asked for every distribution of the dataset."),
        ),
        migrations.AlterField(
            model_name="accessrequest",
            name="distributions",
            field=models.ManyToManyField(blank=True, help_text="The distributions chosen, when not asking for the whole dataset.", related_name="access_requests", to="catalogue.distribution"),
        ),
        migrations.AddField(
            model_name="accessrequest",
            name="approved_distributions",
            field=models.ManyToManyField(blank=True, help_text="The distributions the approval covers, fixed when it was approved.", related_name="approved_access_requests", to="catalogue.distribution"),
        ),
        migrations.RunPython(freeze, unfreeze),
        migrations.RemoveField(model_name="grant", name="distributions"),
    ]
