"""Accounts made before self-registration: their addresses count as verified, and researchers
lose the staff flag while stewards, members of the Stewards group and superusers keep it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_accounts_get_verified_addresses_and_researchers_lose_staff():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Group = old.get_model("auth", "Group")
    Publisher = old.get_model("catalogue", "Publisher")
    make = User.objects.create

    researcher = make(username="rui", email="Rui@Example.org", is_staff=True)
    researcher.groups.add(Group.objects.get(name="Researchers"))
    in_group = make(username="sofia", email="sofia@example.org", is_staff=True)
    in_group.groups.add(Group.objects.get(name="Stewards"))
    stewarding = make(username="stan", email="stan@example.org", is_staff=True)
    Publisher.objects.create(slug="p", name="P").stewards.add(stewarding)
    superuser = make(username="ada", email="ada@example.org", is_staff=True, is_superuser=True)
    first = make(username="twin1", email="twin@example.org")
    second = make(username="twin2", email="TWIN@example.org")
    no_email = make(username="anon", email="", is_staff=True)

    new = migrate(latest())
    User = new.get_model("auth", "User")
    EmailAddress = new.get_model("account", "EmailAddress")

    staff = dict(User.objects.values_list("username", "is_staff"))
    assert staff == {
        "rui": False, "sofia": True, "stan": True, "ada": True,
        "twin1": False, "twin2": False, "anon": False,
    }  # fmt: skip
    verified = {
        (a.user.username, a.email, a.primary)
        for a in EmailAddress.objects.filter(verified=True).select_related("user")
    }
    assert verified == {
        ("rui", "rui@example.org", True),
        ("sofia", "sofia@example.org", True),
        ("stan", "stan@example.org", True),
        ("ada", "ada@example.org", True),
        ("twin1", "twin@example.org", True),  # the older account keeps the shared address
    }
    assert EmailAddress.objects.get(user_id=second.pk).verified is False
    assert not EmailAddress.objects.filter(user_id=no_email.pk).exists()
    assert {researcher.pk, in_group.pk, stewarding.pk, superuser.pk, first.pk} <= set(
        User.objects.values_list("pk", flat=True)
    )
