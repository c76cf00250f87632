from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from access.services import api_token_create
from tests.factories import PublisherFactory, UserFactory


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
    from workers.celery import app as celery_app

    queue = f"passerelle-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.task_default_queue = queue
    yield queue


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
    client = APIClient()
    _, raw = api_token_create(user=steward)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


@pytest.fixture
def researcher_client(db) -> APIClient:
    client = APIClient()
    _, raw = api_token_create(user=UserFactory(username="researcher"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client
