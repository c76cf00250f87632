"""A database migrated before the apps were split (tokens, signing keys and downloads in access)
migrates forward with every row intact, its tables unrenamed and its permissions kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import ApiToken
from delivery.models import GrantDownload, SigningKey

BEFORE_THE_MOVE = [
    ("access", "0007_download_keeps_removed_files"),
    ("catalogue", "0007_publisher_review_periods"),
    ("accounts", None),
    ("delivery", None),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_of_the_moved_models_survive_the_move():
    old = migrate(BEFORE_THE_MOVE)
    User = old.get_model("auth", "User")
    Publisher = old.get_model("catalogue", "Publisher")
    Dataset = old.get_model("catalogue", "Dataset")
    Distribution = old.get_model("catalogue", "Distribution")
    Licence = old.get_model("catalogue", "Licence")
    DataSpace = old.get_model("catalogue", "DataSpace")
    AccessRequest = old.get_model("access", "AccessRequest")
    Grant = old.get_model("access", "Grant")
    OldToken = old.get_model("access", "ApiToken")
    OldKey = old.get_model("access", "SigningKey")
    OldDownload = old.get_model("access", "GrantDownload")

    now = timezone.now()
    user = User.objects.create(username="legacy", email="legacy@example.org")
    token = OldToken.objects.create(
        user=user, name="laptop", prefix="pst_abcdefgh", key_hash="a" * 64, expires_at=now
    )
    key = OldKey.objects.create(kid="legacy-kid", private_key_encrypted=b"x", public_jwk={"k": 1})
    licence = Licence.objects.get(identifier="CC-BY-4.0")
    dataset = Dataset.objects.create(
        slug="legacy",
        title="Legacy",
        description="d",
        publisher=Publisher.objects.create(slug="legacy-pub", name="Legacy"),
        data_space=DataSpace.objects.get(slug="agriculture"),
        licence=licence,
        access_rights="RESTRICTED",
    )
    distribution = Distribution.objects.create(dataset=dataset, title="f", format="CSV")
    request = AccessRequest.objects.create(
        requester=user,
        dataset=dataset,
        purpose="p",
        duration_days=30,
        licence_version=licence.versions.order_by("-version").first(),
        licence_accepted_at=now,
        state="approved",
        valid_until=now + timedelta(days=30),
    )
    grant = Grant.objects.create(
        access_request=request,
        grantee=user,
        dataset=dataset,
        valid_from=now,
        expires_at=now + timedelta(days=30),
    )
    download = OldDownload.objects.create(
        grant=grant, distribution=distribution, bytes_requested=42, client_address="192.0.2.1"
    )

    migrate(latest())

    moved_token = ApiToken.objects.get(pk=token.pk)
    assert (moved_token.user_id, moved_token.name, moved_token.key_hash) == (
        user.pk,
        "laptop",
        "a" * 64,
    )
    assert SigningKey.objects.get(pk=key.pk).kid == "legacy-kid"
    # Grants made before status lists got an index, and new ones go on from the next number.
    from access.models import Grant as CurrentGrant
    from access.models import grant_status_indexes_allocate

    assert CurrentGrant.objects.get(pk=grant.pk).status_index == 0
    assert grant_status_indexes_allocate(2) == [1, 2]
    moved_download = GrantDownload.objects.get(pk=download.pk)
    assert (moved_download.grant_id, moved_download.bytes_requested) == (grant.pk, 42)
    assert str(moved_download.client_address) == "192.0.2.1"
    # The tables kept their names: nothing was copied, and raw SQL of old tools still works.
    tables = set(connection.introspection.table_names())
    assert {"access_apitoken", "access_signingkey", "access_grantdownload"} <= tables
    # Permissions given to groups follow the model to its new app.
    assert Permission.objects.filter(
        codename="view_apitoken", content_type__app_label="accounts"
    ).exists()
    assert not Permission.objects.filter(
        content_type__app_label="access", codename__endswith="apitoken"
    ).exists()
