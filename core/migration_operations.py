"""Migration helpers for objects only PostgreSQL has (triggers, GIN and covering indexes).

On SQLite these operations do nothing: the application has a portable fallback for each.
"""

from django.db import migrations


def postgresql_only(create_sql: str, drop_sql: str) -> migrations.RunPython:
    def runner(sql: str):
        def run(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return run

    return migrations.RunPython(runner(create_sql), runner(drop_sql))


def add_group_permissions(
    apps, schema_editor, *, app_label: str, groups: dict[str, list[str]]
) -> None:
    """Give auth groups (created if missing) permissions of one app, by codename.

    Permissions are normally created by post_migrate, after every migration has run; a data
    migration that assigns them creates those of its app first (the standard pattern).
    """
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions = Permission.objects.using(using).filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found: {', '.join(sorted(missing))}")
        group.permissions.add(*permissions)


def move_content_type(*, from_app: str, to_app: str, model: str) -> migrations.RunPython:
    """Relabel a model's content type when the model moves to another app with its table, so
    that the permissions given to groups and the admin's history follow it."""

    def move(apps, schema_editor) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        using = schema_editor.connection.alias
        if not ContentType.objects.using(using).filter(app_label=to_app, model=model).exists():
            ContentType.objects.using(using).filter(app_label=from_app, model=model).update(
                app_label=to_app
            )

    def back(apps, schema_editor) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        using = schema_editor.connection.alias
        if not ContentType.objects.using(using).filter(app_label=from_app, model=model).exists():
            ContentType.objects.using(using).filter(app_label=to_app, model=model).update(
                app_label=from_app
            )

    return migrations.RunPython(move, back)
