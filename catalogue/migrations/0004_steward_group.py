"""Groups for the admin: Stewards maintain datasets and files; Researchers read the catalogue.

Which publishers a steward may act for is not a permission but the Publisher.stewards relation,
checked by the services; these groups only open the admin screens.
"""

from django.db import migrations

from core.migration_operations import add_group_permissions

READ_ONLY = ["publisher", "licence", "licenceversion", "dataspace", "theme"]
GROUPS = {
    "Stewards": {
        "dataset": ["view", "add", "change", "delete"],
        "distribution": ["view", "add", "change", "delete"],
        **{model: ["view"] for model in READ_ONLY},
    },
    "Researchers": {model: ["view"] for model in ["dataset", "distribution", *READ_ONLY]},
}

# Group -> permission codenames ("view_dataset", ...).
CODENAMES = {
    group: [f"{action}_{model}" for model, actions in grants.items() for action in actions]
    for group, grants in GROUPS.items()
}


def create_groups(apps, schema_editor):
    add_group_permissions(apps, schema_editor, app_label="catalogue", groups=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Unapplying keeps the groups: removing them would silently take people's access away.
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
