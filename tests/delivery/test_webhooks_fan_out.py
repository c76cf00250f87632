"""The fan-out: which endpoint gets which event (organisations never leak), each event once,
and catalogue events that commit out of id order on PostgreSQL are still delivered."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from access.models import AccessRequest
from catalogue.models import DatasetEventAction
from catalogue.services.events import dataset_event_record
from delivery.models import WebhookDelivery, WebhookEndpoint, WebhookStream
from delivery.services import webhooks
from delivery.services.webhook_events import EVENT_TYPES
from tests.access.factories import submitted_request
from tests.accounts.factories import partner_client

URL = "http://127.0.0.1:9/hooks"


def endpoint_for(client=None, types=EVENT_TYPES, **admin):
    return webhooks.webhook_endpoint_create(
        client=client, url=URL, event_types=list(types), **admin
    ).endpoint


def fan_out() -> int:
    """Fan out as the beat would over a while: the first catalogue id of a test follows ids
    that rolled-back tests consumed, a gap the stream waits at once, then goes past."""
    return webhooks.webhooks_fan_out(now=timezone.now() - timedelta(hours=1)) + (
        webhooks.webhooks_fan_out()
    )


def received(endpoint) -> list[tuple[str, str]]:
    """(type, dataset id) of each message queued for the endpoint, in order."""
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("sequence")
    out = []
    for row in rows:
        data = row.payload["data"]
        dataset = (
            data["dataset"]["id"] if "dataset" in data else data["access_request"]["dataset"]["id"]
        )
        out.append((row.event_type, dataset))
    return out


@pytest.mark.django_db
def test_events_of_other_organisations_never_reach_an_endpoint(
    publisher, researcher, restricted, other_dataset
):
    rival = other_dataset.publisher
    client_a, _ = partner_client("A", scopes=("webhooks:manage",), publishers=[publisher])
    client_b, _ = partner_client("B", scopes=("webhooks:manage",), publishers=[rival])
    client_c, _ = partner_client("C", scopes=("webhooks:manage",), publishers=[publisher])
    mine, theirs, lost_scope = (
        endpoint_for(client_a),
        endpoint_for(client_b),
        endpoint_for(client_c),
    )
    admin_rival = endpoint_for(publishers=[rival])
    admin_all = endpoint_for(all_publishers=True)
    client_c.scopes = ["grants:read"]  # no longer allowed to receive
    client_c.save(update_fields=["scopes"])

    submitted_request(researcher, restricted)
    # A request for the rival's dataset that client A submitted for a researcher: A hears of it.
    on_behalf = submitted_request(researcher, other_dataset)
    AccessRequest.objects.filter(pk=on_behalf.pk).update(submitted_by_client=client_a)
    dataset_event_record(dataset=restricted, action=DatasetEventAction.UPDATED, actor=None)
    dataset_event_record(dataset=other_dataset, action=DatasetEventAction.UPDATED, actor=None)
    dataset_event_record(
        dataset=restricted, action=DatasetEventAction.FILE_FETCH_FAILED, actor=None
    )

    written = fan_out()
    ours, rivals = str(restricted.pk), str(other_dataset.pk)
    assert received(mine) == [
        ("access_request.submitted", ours),
        ("access_request.submitted", rivals),
        ("dataset.updated", ours),
    ]
    assert received(theirs) == [
        ("access_request.submitted", rivals),
        ("dataset.updated", rivals),
    ]
    assert received(admin_rival) == received(theirs)
    assert received(admin_all) == [
        ("access_request.submitted", ours),
        ("access_request.submitted", rivals),
        ("dataset.updated", ours),
        ("dataset.updated", rivals),
    ]
    assert received(lost_scope) == []
    assert written == 3 + 2 + 2 + 4
    # Each event once: a second run finds nothing new.
    assert fan_out() == 0
    # Positions are the endpoint's own, gap-free.
    assert list(
        WebhookDelivery.objects.filter(endpoint=mine)
        .order_by("sequence")
        .values_list("position", flat=True)
    ) == [1, 2, 3]


@pytest.mark.django_db
def test_an_endpoint_gets_only_its_types_and_only_events_after_it_was_made(
    publisher, researcher, restricted
):
    client, _ = partner_client("A", scopes=("webhooks:manage",), publishers=[publisher])
    dataset_event_record(dataset=restricted, action=DatasetEventAction.CREATED, actor=None)
    submitted_request(researcher, restricted)
    fan_out()
    endpoint = endpoint_for(client, types=["dataset.withdrawn", "dataset.updated"])
    for action in (
        DatasetEventAction.WITHDRAWN,
        DatasetEventAction.REINSTATED,
        DatasetEventAction.FILE_FETCHED,
        DatasetEventAction.DELETED,
    ):
        dataset_event_record(dataset=restricted, action=action, actor=None)
    fan_out()
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("sequence")
    assert [(r.event_type, r.payload["data"]["action"]) for r in rows] == [
        ("dataset.withdrawn", "withdrawn"),
        ("dataset.updated", "reinstated"),
        ("dataset.updated", "file_fetched"),
        ("dataset.withdrawn", "deleted"),
    ]
    body = rows[0].payload
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["dataset"]["publisher"] == publisher.slug


def _hold_a_catalogue_event(dataset, *, commit: bool):
    """In another connection: write a dataset event (taking the next id) and keep the
    transaction open until told; then commit or roll back."""
    written, finish = threading.Event(), threading.Event()

    def run():
        try:
            with transaction.atomic():
                dataset_event_record(dataset=dataset, action=DatasetEventAction.UPDATED, actor=None)
                written.set()
                finish.wait(20)
                if not commit:
                    transaction.set_rollback(True)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert written.wait(10)
    return thread, finish


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_catalogue_events_committed_out_of_id_order_are_all_delivered(publisher, restricted):
    now = timezone.now()
    # The table was emptied but its sequence was not: the first event's id follows a gap that
    # the stream waits at once, then goes past.
    dataset_event_record(dataset=restricted, action=DatasetEventAction.CREATED, actor=None)
    webhooks.webhooks_fan_out(now=now - timedelta(hours=1))
    webhooks.webhooks_fan_out(now=now)
    client, _ = partner_client("A", scopes=("webhooks:manage",), publishers=[publisher])
    endpoint = endpoint_for(client, types=["dataset.updated", "dataset.withdrawn"])

    # 1. Id N is taken by an open transaction; N+1 commits first. The fan-out waits at N.
    thread, finish = _hold_a_catalogue_event(restricted, commit=True)
    dataset_event_record(dataset=restricted, action=DatasetEventAction.WITHDRAWN, actor=None)
    assert webhooks.webhooks_fan_out(now=now) == 0
    # N commits within the wait: both go, in id order.
    finish.set()
    thread.join()
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=0.5)) == 2
    assert [r[0] for r in received(endpoint)] == ["dataset.updated", "dataset.withdrawn"]

    # 2. The open transaction outlasts the wait: N+1 goes first, N when it commits.
    thread, finish = _hold_a_catalogue_event(restricted, commit=True)
    dataset_event_record(dataset=restricted, action=DatasetEventAction.WITHDRAWN, actor=None)
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=10)) == 0
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=20)) == 1  # past the gap
    stream = WebhookStream.objects.get(name="catalogue")
    assert len(stream.skipped) == 1
    finish.set()
    thread.join()
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=30)) == 1  # the late one
    assert [r[0] for r in received(endpoint)][2:] == ["dataset.withdrawn", "dataset.updated"]
    assert WebhookStream.objects.get(name="catalogue").skipped == []

    # 3. A rolled-back transaction leaves its id missing for ever: the fan-out goes past it
    #    after the wait, and forgets the range after WEBHOOK_LATE_EVENT_HOURS.
    thread, finish = _hold_a_catalogue_event(restricted, commit=False)
    finish.set()
    thread.join()
    dataset_event_record(dataset=restricted, action=DatasetEventAction.WITHDRAWN, actor=None)
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=40)) == 0
    assert webhooks.webhooks_fan_out(now=now + timedelta(seconds=50)) == 1
    assert len(WebhookStream.objects.get(name="catalogue").skipped) == 1
    assert webhooks.webhooks_fan_out(now=now + timedelta(hours=25)) == 0
    assert WebhookStream.objects.get(name="catalogue").skipped == []
    assert len(received(endpoint)) == 5


@pytest.mark.django_db
def test_the_log_keeps_finished_messages_for_the_retention_period(publisher, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    endpoint = endpoint_for(publishers=[publisher])
    old_done, old_failed, old_pending, recent = (
        webhooks.webhook_endpoint_test(endpoint=endpoint) for _ in range(4)
    )
    long_ago = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.filter(pk=old_done.pk).update(status="delivered", created=long_ago)
    WebhookDelivery.objects.filter(pk=old_failed.pk).update(status="failed", created=long_ago)
    WebhookDelivery.objects.filter(pk=old_pending.pk).update(created=long_ago)
    WebhookDelivery.objects.filter(pk=recent.pk).update(status="delivered")
    assert webhooks.webhook_deliveries_purge() == 2
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}


@pytest.mark.django_db
def test_a_disabled_endpoint_does_not_collect_messages_for_ever(publisher, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    enabled = endpoint_for(publishers=[publisher])
    disabled = endpoint_for(publishers=[publisher])
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(enabled=False)
    long_ago = timezone.now() - timedelta(days=31)
    kept = webhooks.webhook_endpoint_test(endpoint=enabled)
    stale = webhooks.webhook_endpoint_test(endpoint=disabled)
    fresh = webhooks.webhook_endpoint_test(endpoint=disabled)
    WebhookDelivery.objects.filter(pk__in=[kept.pk, stale.pk]).update(created=long_ago)
    assert webhooks.webhook_deliveries_purge() == 1
    # The enabled endpoint's old message is still being retried; the disabled one's is gone,
    # and its recent one waits for the endpoint to be enabled again.
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {kept.pk, fresh.pk}
    assert WebhookDelivery.objects.get(pk=fresh.pk).status == "pending"


@pytest.mark.django_db
def test_an_administrator_moves_an_endpoint_to_another_publisher(
    publisher, restricted, other_dataset
):
    endpoint = endpoint_for(publishers=[publisher])
    webhooks.webhook_endpoint_update(
        endpoint=endpoint, changes={"publishers": [other_dataset.publisher]}
    )
    fan_out()  # the stream starts here
    for dataset in (restricted, other_dataset):
        dataset_event_record(dataset=dataset, action=DatasetEventAction.UPDATED, actor=None)
    fan_out()
    assert received(endpoint) == [("dataset.updated", str(other_dataset.pk))]
    webhooks.webhook_endpoint_update(endpoint=endpoint, changes={"all_publishers": True})
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).all_publishers


@pytest.mark.django_db
def test_a_partners_endpoint_follows_its_client_not_a_publisher_list(publisher, other_dataset):
    client, _ = partner_client("A", scopes=("webhooks:manage",), publishers=[publisher])
    endpoint = endpoint_for(client)
    for changes in ({"publishers": [other_dataset.publisher]}, {"all_publishers": True}):
        with pytest.raises(webhooks.WebhookInputError):
            webhooks.webhook_endpoint_update(endpoint=endpoint, changes=changes)
    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert not fresh.all_publishers and not fresh.publishers.exists()
