"""Admin permissions for grants: stewards see and revoke them; researchers see their own.

Which grants a user sees is not a permission but grants_visible_to(); these open the screens.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {"Stewards": ["view_grant", "change_grant"], "Researchers": ["view_grant"]}


def grant_permissions(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("access")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.using(using).filter(
                content_type__app_label="access", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [("access", "0004_grants")]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
