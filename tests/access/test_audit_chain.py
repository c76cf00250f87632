"""The audit chain under load: events are placed at the end of their transaction, so the head
row is locked for a moment only, and the chain stays one gap-free line however many write at
once."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from access import services
from access.events import AuditAction
from access.models import AccessEvent, AuditHead, Grant, RequestState
from catalogue.models import AccessRights
from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory


def _positions() -> list[int]:
    return list(AccessEvent.objects.order_by("position").values_list("position", flat=True))


def _unplaced_event(request) -> AccessEvent:
    """An event as written before its transaction places it (what a forgetful writer leaves)."""
    return AccessEvent.objects.create(
        access_request=request,
        action=AuditAction.EDITED,
        from_state=request.state,
        to_state=request.state,
        created=timezone.now().replace(microsecond=0),
    )


@pytest.mark.django_db
def test_events_get_their_place_when_the_audited_block_ends(researcher, restricted):
    with services.audited_atomic():
        request = submitted_request(researcher, restricted)
        waiting = list(AccessEvent.objects.filter(access_request=request))
        assert [e.action for e in waiting] == ["created", "submitted"]
        assert all(e.position is None and e.hash is None for e in waiting)
        assert not AuditHead.objects.exists() or AuditHead.objects.get().position == 0
    assert _positions() == [1, 2]
    assert AuditHead.objects.get().position == 2
    assert services.audit_log_verify().ok


@pytest.mark.django_db
def test_an_event_written_outside_an_audited_block_is_placed_at_once(researcher, restricted):
    request = submitted_request(researcher, restricted)
    with transaction.atomic():
        event = services.audit_event_append(
            access_request=request, actor=researcher, action=AuditAction.EDITED
        )
        assert event.position == 3 and event.hash
    assert services.audit_log_verify().ok


@pytest.mark.django_db
def test_a_rolled_back_savepoint_leaves_no_gap_in_the_chain(researcher, steward, restricted):
    other = DatasetFactory(publisher=restricted.publisher, access_rights=AccessRights.RESTRICTED)
    with services.audited_atomic():
        first = submitted_request(researcher, restricted)
        try:
            with transaction.atomic():
                services.access_request_approve(user=steward, request=first)
                raise RuntimeError("the caller changes its mind")
        except RuntimeError:
            pass
        submitted_request(researcher, other)
    first.refresh_from_db()
    assert first.state == RequestState.SUBMITTED
    assert not AccessEvent.objects.filter(action=AuditAction.APPROVED).exists()
    assert _positions() == [1, 2, 3, 4]
    assert services.audit_log_verify().ok


@pytest.mark.django_db
def test_a_failed_change_leaves_neither_its_events_nor_a_move_of_the_head(
    researcher, steward, restricted
):
    request = submitted_request(researcher, restricted)
    with pytest.raises(RuntimeError), services.audited_atomic():
        services.access_request_approve(user=steward, request=request)
        raise RuntimeError("something after the approval failed")
    assert _positions() == [1, 2]
    assert AuditHead.objects.get().position == 2
    assert services.audit_log_verify().ok


@pytest.mark.django_db
def test_verify_names_an_event_that_was_never_placed(researcher, restricted):
    request = submitted_request(researcher, restricted)
    # Only this transaction sees it (SQLite would commit it; PostgreSQL refuses), and it is
    # rolled back before the test's end, where PostgreSQL's commit-time check would run.
    with pytest.raises(_RolledBack), transaction.atomic():
        event = _unplaced_event(request)
        result = services.audit_log_verify()
        raise _RolledBack
    assert not result.ok
    assert f"Event {event.pk}" in result.message and "without a place" in result.message
    assert services.audit_log_verify().ok


class _RolledBack(Exception):
    pass


# --- PostgreSQL: what the database itself refuses ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_refuses_to_commit_an_event_without_its_place(researcher, restricted):
    request = submitted_request(researcher, restricted)
    with pytest.raises(IntegrityError, match="without a place in the chain"):  # noqa: SIM117
        with transaction.atomic():  # the check runs at the commit, when this block ends
            _unplaced_event(request)
    assert AccessEvent.objects.count() == 2
    assert services.audit_log_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db
def test_placing_an_event_cannot_rewrite_it(researcher, restricted):
    request = submitted_request(researcher, restricted)
    event = _unplaced_event(request)
    table = AccessEvent._meta.db_table
    forged = (
        f"UPDATE {table} SET position = 3, hash = %s, prev_hash = %s, comment = 'forged' "
        "WHERE id = %s"
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(forged, ["f" * 64, "e" * 64, event.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):  # a placed event is never moved
        cursor.execute(f"UPDATE {table} SET position = 9 WHERE position = 1")
    services.audit_chain_place([event])  # the one change allowed, content untouched
    assert event.position == 3
    assert services.audit_log_verify().ok


# --- PostgreSQL: many writers at once, from real threads ----------------------------------


def _in_threads(count: int, work) -> list[BaseException]:
    """Run ``work(index)`` in ``count`` threads started together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung (deadlock?)"
    return errors


@pytest.fixture
def _no_broker(sent_tasks):
    """The commits here run their on_commit hooks; keep the tasks off any broker."""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_writers_make_one_chain_without_gaps_forks_or_lost_events(
    publisher, steward, _no_broker
):
    writers, per_writer = 8, 4
    datasets = [
        [DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
         for _ in range(per_writer)]
        for _ in range(writers)
    ]  # fmt: skip
    researchers = [UserFactory(username=f"researcher-{n}") for n in range(writers)]

    def lifecycle(index: int) -> None:
        for dataset in datasets[index]:
            request = submitted_request(researchers[index], dataset)
            services.access_request_approve(user=steward, request=request)
            services.grant_provision(access_request_id=request.pk)

    assert _in_threads(writers, lifecycle) == []

    expected = writers * per_writer * 4  # created, submitted, approved, grant provisioned
    assert Grant.objects.count() == writers * per_writer
    assert _positions() == list(range(1, expected + 1))  # no gap, no position twice
    hashes = list(AccessEvent.objects.order_by("position").values_list("prev_hash", "hash"))
    assert len({h for _, h in hashes}) == expected  # no fork: every hash is followed once
    assert all(prev == hashes[n - 1][1] for n, (prev, _) in enumerate(hashes) if n)
    for request_events in _events_by_request().values():
        assert request_events == ["created", "submitted", "approved", "grant_provisioned"]
    head = AuditHead.objects.get()
    assert (head.position, head.hash) == (expected, hashes[-1][1])
    assert services.audit_log_verify().ok


def _events_by_request() -> dict[str, list[str]]:
    by_request: dict[str, list[str]] = {}
    for request_id, action in AccessEvent.objects.order_by("position").values_list(
        "access_request_id", "action"
    ):
        by_request.setdefault(str(request_id), []).append(action)
    return by_request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_in_progress_does_not_hold_up_other_writers(publisher, steward, _no_broker):
    """The head is locked only when a transaction places its events, just before it commits:
    while one change is still open, others record and commit theirs (before this change, the
    second writer waited for the first one's commit and this test timed out)."""
    slow_dataset, quick_dataset = (
        DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED) for _ in range(2)
    )
    slow_researcher, quick_researcher = UserFactory(username="slow"), UserFactory(username="quick")
    recorded, quick_done = threading.Event(), threading.Event()

    def slow() -> None:
        with services.audited_atomic():
            submitted_request(slow_researcher, slow_dataset)
            recorded.set()
            assert quick_done.wait(timeout=15), "the other writer was held up"

    def quick() -> None:
        assert recorded.wait(timeout=15)
        submitted_request(quick_researcher, quick_dataset)
        quick_done.set()

    assert _in_threads(2, lambda index: (slow, quick)[index]()) == []
    first, last = (
        AccessEvent.objects.order_by("position").first(),
        AccessEvent.objects.order_by("position").last(),
    )
    assert first.access_request.requester == quick_researcher  # committed first, placed first
    assert last.access_request.requester == slow_researcher
    assert _positions() == [1, 2, 3, 4]
    assert services.audit_log_verify().ok
