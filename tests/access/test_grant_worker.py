"""Grants are provisioned by real workers on Redis, and no approval is lost when one dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from access import services
from access.models import AccessRequest, Grant
from access.services.grants import RECENT_APPROVAL
from access.tasks import provision_grant
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory
from workers.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


TOTAL = 60


def wait_for(condition, timeout: float = 30.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def approved_requests(steward, publisher, count: int) -> list[AccessRequest]:
    requests = []
    for n in range(count):
        researcher = UserFactory(username=f"researcher-{n}")
        dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
        request = services.access_request_create(
            requester=researcher, dataset=dataset, purpose=PURPOSE, accept_licence=True
        )
        requests.append(services.access_request_approve(user=steward, request=request))
    return requests


def test_an_approval_becomes_a_grant_through_the_worker(steward, publisher):
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        (request,) = approved_requests(steward, publisher, 1)  # enqueued after commit
        assert wait_for(lambda: Grant.objects.filter(access_request=request).exists())


@pytest.mark.postgres
def test_a_worker_killed_mid_provisioning_loses_no_approval(steward, publisher):
    """SIGKILL a worker while it provisions; after a restart (and the sweep), every approved
    request has exactly one grant."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PASSERELLE_VAR_DIR": str(ROOT / "var" / "test-worker"),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=prefork",
        "--concurrency=2", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
    ]  # fmt: skip

    requests = approved_requests(steward, publisher, TOTAL)  # one provisioning task each
    # As if approved a while ago, so that the sweep will consider them, and before what a
    # worker's batch looks back to: each task provisions its own request, one by one, and the
    # kill lands mid-work (batches: tests/access/test_grant_batches.py).
    AccessRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        decided_at=timezone.now() - RECENT_APPROVAL - timedelta(minutes=1)
    )
    connection.close()

    worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        # Kill it the moment the first grant appears: it is then busy with the others.
        started = wait_for(lambda: Grant.objects.exists(), timeout=60, every=0.01)
        os.killpg(worker.pid, signal.SIGKILL)  # the main process and its pool children
        assert started, "the worker never started"
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    done_before_restart = Grant.objects.count()

    restarted = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        # Tasks still queued are consumed; those the killed worker held are the sweep's.
        celery_app.send_task("access.provision_missing_grants")
        assert wait_for(lambda: Grant.objects.count() == TOTAL, timeout=90)
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(timeout=30)
    for request in requests:
        assert Grant.objects.filter(access_request=request).count() == 1
    # The kill landed mid-work: some grants were made before it, not all of them.
    assert 0 < done_before_restart < TOTAL, done_before_restart


def test_provision_task_is_idempotent(steward, publisher):
    (request,) = approved_requests(steward, publisher, 1)
    first = provision_grant.apply(args=[str(request.pk)]).get()
    second = provision_grant.apply(args=[str(request.pk)]).get()
    assert first == second
    assert Grant.objects.filter(access_request=request).count() == 1
