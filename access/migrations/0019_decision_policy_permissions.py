"""Admin permissions for decision policies: stewards define their publishers' policies (which
policies they see is not a permission but decision_policies_visible_to()) and read what the
policies decided."""

from django.db import migrations

from core.migration_operations import add_group_permissions

CODENAMES = {
    "Stewards": [
        "view_decisionpolicy",
        "add_decisionpolicy",
        "change_decisionpolicy",
        "view_decisionpolicyversion",
        "view_policydecision",
    ],
}


def decision_policy_permissions(apps, schema_editor):
    add_group_permissions(apps, schema_editor, app_label="access", groups=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("access", "0018_decision_policies")]

    operations = [migrations.RunPython(decision_policy_permissions, migrations.RunPython.noop)]
