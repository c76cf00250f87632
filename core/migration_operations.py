"""Migration helpers for objects only PostgreSQL has (triggers, GIN and covering indexes).

On SQLite these operations do nothing: the application has a portable fallback for each.
"""

from django.db import DatabaseError, migrations

# SQLSTATEs of CREATE EXTENSION failures: the server lacks the extension's files (0A000 in current
# versions, 58P01 in older ones), or the database user may not create it.
_NOT_INSTALLED = {"0A000", "58P01"}
_NOT_ALLOWED = "42501"


class ExtensionUnavailable(RuntimeError):
    """A PostgreSQL extension that a migration needs could not be created."""


def create_extension(name: str, *, needed_for: str) -> migrations.RunPython:
    """``CREATE EXTENSION IF NOT EXISTS name`` on PostgreSQL (nothing elsewhere).

    When the database user may not create the extension, or the server does not have it, the
    migration fails with a message that names the extension and the fix, not PostgreSQL's bare
    error. An extension a superuser created beforehand needs no privilege at all.

    Reversal leaves the extension installed: it changes nothing by itself, other objects or
    applications may use it, and dropping it needs its owner's rights.
    """

    def create(apps, schema_editor) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        try:
            schema_editor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
        except DatabaseError as exc:
            cause = exc.__cause__
            sqlstate = getattr(cause, "sqlstate", None)
            if sqlstate != _NOT_ALLOWED and sqlstate not in _NOT_INSTALLED:
                raise
            reason = getattr(getattr(cause, "diag", None), "message_primary", None) or str(cause)
            database = connection.settings_dict["NAME"]
            user = connection.settings_dict.get("USER") or "the application's database user"
            fix = (
                f'Have a superuser (or the database owner) run, in the database "{database}": '
                f"CREATE EXTENSION {name}; then run the migrations again."
            )
            if sqlstate == _NOT_ALLOWED:
                problem = f'"{user}" may not create it'
            else:
                problem = "this PostgreSQL server does not have it installed"
                fix = (
                    "Install it on the database server (the extensions that come with PostgreSQL "
                    "are in Debian's and Ubuntu's postgresql package, elsewhere in "
                    f"postgresql-contrib). {fix}"
                )
            raise ExtensionUnavailable(
                f'The PostgreSQL extension "{name}" is needed for {needed_for}, but {problem} '
                f"({reason}). {fix}"
            ) from exc

    return migrations.RunPython(create, migrations.RunPython.noop)


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

    def relabel(source: str, target: str):
        def run(apps, schema_editor) -> None:
            types = apps.get_model("contenttypes", "ContentType").objects.using(
                schema_editor.connection.alias
            )
            if not types.filter(app_label=target, model=model).exists():
                types.filter(app_label=source, model=model).update(app_label=target)

        return run

    return migrations.RunPython(relabel(from_app, to_app), relabel(to_app, from_app))
