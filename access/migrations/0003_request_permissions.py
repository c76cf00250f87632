"""Admin permissions for access requests.

Researchers file and edit their own requests; Stewards view and decide them. Which requests a user
sees is not a permission but access_requests_visible_to(); these permissions only open the admin
screens. Events are read-only for everybody: nobody gets add, change or delete on them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def grant_permissions(apps, schema_editor):
    using = schema_editor.connection.alias
    # Permissions are normally created by post_migrate, after every migration has run; make sure
    # those of the access app exist now (the pattern of catalogue 0004).
    app_config = apps.get_app_config("access")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="access", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found: {', '.join(sorted(missing))}")
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_access_requests"),
        ("catalogue", "0007_publisher_review_periods"),
    ]

    # Unapplying keeps the permissions: removing them would silently take people's access away.
    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
