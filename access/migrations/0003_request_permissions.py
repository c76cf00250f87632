"""Admin permissions for access requests.

Researchers file and edit their own requests; Stewards view and decide them. Which requests a user
sees is not a permission but access_requests_visible_to(); these permissions only open the admin
screens. Events are read-only for everybody: nobody gets add, change or delete on them.
"""

from django.db import migrations

from core.migration_operations import add_group_permissions

GROUPS = {
    "Researchers": {
        "accessrequest": ["view", "add", "change"],
        "accessevent": ["view"],
    },
    "Stewards": {
        "accessrequest": ["view", "change"],
        "accessevent": ["view"],
    },
}

# Group -> permission codenames ("view_dataset", ...).
CODENAMES = {
    group: [f"{action}_{model}" for model, actions in grants.items() for action in actions]
    for group, grants in GROUPS.items()
}


def grant_permissions(apps, schema_editor):
    add_group_permissions(apps, schema_editor, app_label="access", groups=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_access_requests"),
        ("catalogue", "0007_publisher_review_periods"),
    ]

    # Unapplying keeps the permissions: removing them would silently take people's access away.
    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
