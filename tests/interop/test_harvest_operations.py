"""Running harvests: the command, one run per source at a time, the schedule, the worker and
the admin (sources, runs, and where a dataset came from)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Dataset
from interop.harvest import selectors, services
from interop.models import HarvestRun, HarvestRunStatus
from tests.accounts.factories import UserFactory

from .harvest_helpers import harvest, make_source
from .harvest_server import static

PAGE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.example/ds/1> a dcat:Dataset ; dct:title "Harvested soil data" ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC0> .
<https://x.example/ds/2> a dcat:Dataset ; dct:title "Harvested rain data" ;
  dct:license <https://example.org/licences/unknown> .
"""


@pytest.mark.django_db
def test_harvest_command_prints_the_summary_and_the_skipped_records(catalogue_server):
    catalogue_server.routes["/c.ttl"] = static(PAGE, "text/turtle")
    source = make_source(catalogue_server.url("/c.ttl"), name="Soil portal")
    out, err = io.StringIO(), io.StringIO()

    call_command("harvest", "Soil portal", stdout=out, stderr=err)

    text = out.getvalue()
    assert "created 1, updated 0, unchanged 0, removed 0, failed 1" in text
    assert "https://x.example/ds/2: No licence" in text
    assert "dataset/s" in err.getvalue() or "100%" in err.getvalue()  # the progress bar
    call_command("harvest", str(source.pk), stdout=(again := io.StringIO()), no_progress=True)
    assert "created 0, updated 0, unchanged 1, removed 0, failed 1" in again.getvalue()


@pytest.mark.django_db
def test_harvest_command_fails_for_an_unknown_source_or_a_failed_run(catalogue_server):
    with pytest.raises(CommandError, match="No harvest source"):
        call_command("harvest", "nowhere", stdout=io.StringIO())
    catalogue_server.routes["/c.ttl"] = static("<html>down</html>", "text/html")
    make_source(catalogue_server.url("/c.ttl"), name="Broken")
    with pytest.raises(CommandError, match="HTML"):
        call_command("harvest", "Broken", stdout=io.StringIO(), no_progress=True)


@pytest.mark.django_db
def test_a_source_is_never_harvested_twice_at_once(catalogue_server):
    catalogue_server.routes["/c.ttl"] = static(PAGE, "text/turtle")
    source = make_source(catalogue_server.url("/c.ttl"), name="Busy")
    running = services.harvest_run_start(source=source)

    with pytest.raises(services.HarvestAlreadyRunningError):
        services.harvest_run_start(source=source)
    with pytest.raises(CommandError, match="being harvested already"):
        call_command("harvest", "Busy", stdout=io.StringIO())
    from interop.tasks import harvest_source

    assert harvest_source(source.pk) is None
    assert not Dataset.objects.filter(title__startswith="Harvested").exists()

    # A run left 'running' by a worker that died is closed once well past the deadline.
    HarvestRun.objects.filter(pk=running.pk).update(started=timezone.now() - timedelta(days=1))
    assert harvest_source(source.pk) is not None
    running.refresh_from_db()
    assert running.status == HarvestRunStatus.FAILED and "Interrupted" in running.error


@pytest.mark.django_db
def test_due_sources_are_the_active_idle_ones_past_their_interval(
    catalogue_server, sent_tasks, django_capture_on_commit_callbacks
):
    url = catalogue_server.url("/c.ttl")
    never = make_source(url, name="never run")
    recent = make_source(url, name="recent", interval_hours=24)
    HarvestRun.objects.create(source=recent, status="succeeded", started=timezone.now())
    old = make_source(url, name="old", interval_hours=1)
    HarvestRun.objects.create(
        source=old, status="succeeded", started=timezone.now() - timedelta(hours=2)
    )
    make_source(url, name="inactive", active=False)
    busy = make_source(url, name="busy", interval_hours=1)
    HarvestRun.objects.create(source=busy, started=timezone.now() - timedelta(hours=3))

    due = selectors.harvest_sources_due(now=timezone.now())

    assert {s.name for s in due} == {never.name, old.name}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.harvest_sources_enqueue_due() == 2
    assert sorted(sent_tasks) == sorted(
        [("interop.harvest_source", [never.pk]), ("interop.harvest_source", [old.pk])]
    )


@pytest.mark.django_db
def test_admin_lists_sources_enqueues_harvest_now_and_shows_runs_and_provenance(
    catalogue_server, sent_tasks, django_capture_on_commit_callbacks
):
    catalogue_server.routes["/c.ttl"] = static(PAGE, "text/turtle")
    source = make_source(catalogue_server.url("/c.ttl"), name="Soil portal")
    run = harvest(source)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)

    listing = client.get(reverse("admin:interop_harvestsource_changelist"))
    assert listing.status_code == 200 and b"Soil portal" in listing.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:interop_harvestsource_changelist"),
            {"action": "harvest_now", "_selected_action": [source.pk]},
            follow=True,
        )
    assert response.status_code == 200 and b"will be harvested" in response.content
    assert sent_tasks == [("interop.harvest_source", [source.pk])]

    page = client.get(reverse("admin:interop_harvestrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert b"https://x.example/ds/2" in page.content and b"No licence" in page.content

    dataset = Dataset.objects.get(title="Harvested soil data")
    detail = client.get(reverse("admin:catalogue_dataset_change", args=[dataset.pk]))
    assert detail.status_code == 200
    assert b"Harvested from" in detail.content and b"Soil portal" in detail.content
    assert b"https://x.example/ds/1" in detail.content


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_runs_a_harvest_enqueued_from_the_admin_action(catalogue_server):
    from celery.contrib.testing.worker import start_worker

    from workers.celery import app as celery_app

    catalogue_server.routes["/c.ttl"] = static(PAGE, "text/turtle")
    source = make_source(catalogue_server.url("/c.ttl"), name="Worker portal")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        services.harvest_source_enqueue(source=source)  # no transaction: sent at once
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and not HarvestRun.objects.filter(
                source=source, status=HarvestRunStatus.SUCCEEDED
            ).exists()
        ):
            time.sleep(0.2)
    run = HarvestRun.objects.get(source=source)
    assert (run.status, run.created_count, run.failed_count) == ("succeeded", 1, 1)
    assert Dataset.objects.filter(title="Harvested soil data").exists()
