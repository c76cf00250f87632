"""Groups for the admin: Stewards maintain datasets and files; Researchers read the catalogue.

Which publishers a steward may act for is not a permission but the Publisher.stewards relation,
checked by the services; these groups only open the admin screens.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_ONLY = ["publisher", "licence", "licenceversion", "dataspace", "theme"]
GROUPS = {
    "Stewards": {
        "dataset": ["view", "add", "change", "delete"],
        "distribution": ["view", "add", "change", "delete"],
        **{model: ["view"] for model in READ_ONLY},
    },
    "Researchers": {model: ["view"] for model in ["dataset", "distribution", *READ_ONLY]},
}


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    # Permissions are normally created by post_migrate, after every migration has run; make sure
    # those of the catalogue exist now (the standard pattern for migrations that assign them).
    app_config = apps.get_app_config("catalogue")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="catalogue", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found: {', '.join(sorted(missing))}")
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Unapplying keeps the groups: removing them would silently take people's access away.
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
