from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from catalogue.models import AccessRights
from tests.accounts.factories import UserFactory, admin_user_in, token_client
from tests.catalogue.factories import DatasetFactory, PublisherFactory, file_distribution
from workers.celery import app as celery_app


def pytest_report_header(config) -> list[str]:
    db = settings.DATABASES["default"]
    return [
        f"passerelle: database {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db['NAME']}, "
        f"redis {'yes: ' + settings.REDIS_URL if settings.USING_REDIS else 'NO'}, "
        f"broker {settings.CELERY_BROKER_URL.split('@')[-1]}"
    ]


def pytest_collection_modifyitems(config, items) -> None:
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: none answered at DATABASE_URL or 127.0.0.1:5432"
    )
    skip_redis = pytest.mark.skip(
        reason="needs Redis: none answered at REDIS_URL or 127.0.0.1:6379"
    )
    for item in items:
        if "postgres" in item.keywords and not settings.USING_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.USING_REDIS:
            item.add_marker(skip_redis)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    missing = [
        name
        for name, ok in (("PostgreSQL", settings.USING_POSTGRES), ("Redis", settings.USING_REDIS))
        if not ok
    ]
    if missing:
        terminalreporter.write_sep(
            "!",
            f"NOTICE: {' and '.join(missing)} not reachable; the tests that need them were "
            "SKIPPED. Start them, or run with REQUIRE_SERVICES=1 to make this an error.",
            yellow=True,
        )


@pytest.fixture(scope="session", autouse=True)
def _own_task_queue():
    """Workers started by this test process consume only its tasks: not those of another xdist
    process, nor of another test run using the same Redis at the same time."""
    queue = f"passerelle-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.task_default_queue = queue
    yield queue


def _reset_celery_connections() -> None:
    """Forget every cached broker connection (kombu keeps producer pools per connection)."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(monkeypatch):
    """Point the app at a port where nothing listens; restore the real broker afterwards."""
    _reset_celery_connections()
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_connection_retry", False)
    monkeypatch.setitem(celery_app.conf, "broker_connection_max_retries", 0)
    yield
    _reset_celery_connections()


@pytest.fixture
def sent_tasks(monkeypatch) -> list[tuple[str, list]]:
    """Tasks that services send, recorded instead of leaving for a broker (no worker runs)."""
    sent: list[tuple[str, list]] = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=None, **kwargs: sent.append((name, args))
    )
    return sent


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Reference data (data spaces, licences, groups...) comes from migrations. A transactional
    test empties the database when it ends, and with xdist such a test may run before others in
    the same process: put the migrated data back for any test that finds it gone."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue(
        "transactional_db" if marker and marker.kwargs.get("transaction") else "db"
    )
    from django.contrib.auth.models import Group
    from django.db import connection

    from catalogue.models import DataSpace

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents and not (DataSpace.objects.exists() and Group.objects.exists()):
        connection.creation.deserialize_db_from_string(contents)
    yield


@pytest.fixture(autouse=True)
def _clean_distribution_storage():
    yield
    shutil.rmtree(settings.DISTRIBUTION_ROOT, ignore_errors=True)
    shutil.rmtree(settings.ATTACHMENT_ROOT, ignore_errors=True)


# --- people and what they hold -------------------------------------------------------------


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def steward(db):
    return UserFactory(username="steward")


@pytest.fixture
def publisher(db, steward):
    publisher = PublisherFactory(slug="bauer-agrar", name="Bauer Agrar Institut")
    publisher.stewards.add(steward)
    return publisher


@pytest.fixture
def steward_client(steward) -> APIClient:
    return token_client(steward)


@pytest.fixture
def admin_steward(steward, publisher):
    """The steward of Bauer Agrar, with admin access through the Stewards group."""
    return admin_user_in(steward, "Stewards")


@pytest.fixture
def researcher(db):
    return UserFactory(username="researcher")


@pytest.fixture
def researcher_client(researcher) -> APIClient:
    return token_client(researcher)


# --- datasets --------------------------------------------------------------------------------


@pytest.fixture
def restricted(publisher):
    """A restricted dataset of the steward's publisher (no files)."""
    return DatasetFactory(
        title="Soil moisture on Bavarian farms",
        slug="soil-moisture",
        publisher=publisher,
        access_rights=AccessRights.RESTRICTED,
    )


@pytest.fixture
def restricted_file(restricted):
    """A file of ``restricted``, with real bytes in the private storage."""
    return file_distribution(restricted)


@pytest.fixture
def other_dataset(db):
    """A restricted dataset of another publisher, which the steward does not steward."""
    return DatasetFactory(
        title="Rival harvest records",
        publisher=PublisherFactory(slug="rival-farms", name="Rival Farms"),
        access_rights=AccessRights.RESTRICTED,
    )


# --- an approved request and its grant --------------------------------------------------------


@pytest.fixture
def approved(researcher, steward, restricted, restricted_file):
    """The researcher's request for ``restricted`` (with its one file), approved."""
    from tests.access.factories import approved_request

    return approved_request(researcher, steward, restricted)


@pytest.fixture
def grant(approved):
    from access import services

    return services.grant_provision(access_request_id=approved.pk)


@pytest.fixture
def grantee_client(api_client, researcher) -> APIClient:
    api_client.force_authenticate(researcher)
    return api_client
