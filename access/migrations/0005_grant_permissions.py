"""Admin permissions for grants: stewards see and revoke them; researchers see their own.

Which grants a user sees is not a permission but grants_visible_to(); these open the screens.
"""

from django.db import migrations

from core.migration_operations import add_group_permissions

CODENAMES = {"Stewards": ["view_grant", "change_grant"], "Researchers": ["view_grant"]}


def grant_permissions(apps, schema_editor):
    add_group_permissions(apps, schema_editor, app_label="access", groups=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("access", "0004_grants")]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
