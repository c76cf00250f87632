"""A migration that needs a PostgreSQL extension it cannot create says which, and how to fix it."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.db import connection, transaction

from core.migration_operations import ExtensionUnavailable, create_extension

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def run(operation) -> None:
    with connection.schema_editor(atomic=False) as editor:
        operation.code(apps, editor)


def test_a_database_user_who_may_not_create_the_extension_is_told_the_fix():
    role = f"passerelle_test_{uuid.uuid4().hex[:12]}"
    # Everything in this block is rolled back: the extension (and what depends on it) and the role.
    with pytest.raises(ExtensionUnavailable) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP EXTENSION unaccent CASCADE")
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")
            cursor.execute(f"SET LOCAL ROLE {role}")
        run(create_extension("unaccent", needed_for="accent-insensitive search"))
    message = str(caught.value)
    assert 'extension "unaccent" is needed for accent-insensitive search' in message
    assert "may not create it" in message
    assert "permission denied" in message
    assert f'in the database "{connection.settings_dict["NAME"]}": CREATE EXTENSION unaccent;' in (
        message
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'")
        assert cursor.fetchone()[0] == 1


def test_an_extension_the_server_does_not_have_is_named_with_the_fix():
    with pytest.raises(ExtensionUnavailable) as caught, transaction.atomic():
        run(create_extension("passerelle_no_such_extension", needed_for="a test"))
    message = str(caught.value)
    assert 'extension "passerelle_no_such_extension" is needed for a test' in message
    assert "does not have it installed" in message
    assert "postgresql-contrib" in message


def test_an_extension_already_there_needs_no_privilege():
    role = f"passerelle_test_{uuid.uuid4().hex[:12]}"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")
            cursor.execute(f"SET LOCAL ROLE {role}")
        run(create_extension("unaccent", needed_for="accent-insensitive search"))
        transaction.set_rollback(True)
