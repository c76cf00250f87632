"""A worker provisions the approvals waiting beside its own in one transaction, and sends the
e-mails of a batch over one connection; no grant, event or e-mail is lost or made twice."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from access import services
from access.models import AccessEvent, AccessRequest, Grant, Notification, NotificationState
from access.services.grants import RECENT_APPROVAL
from access.tasks import provision_grant
from catalogue.models import AccessRights
from tests.access.factories import approved_request
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory


def _approved(steward, publisher, count: int) -> list[AccessRequest]:
    return [
        approved_request(
            UserFactory(username=f"researcher-{n}"),
            steward,
            DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED),
        )
        for n in range(count)
    ]


def _provisioned_events(request: AccessRequest) -> int:
    return AccessEvent.objects.filter(access_request=request, action="grant_provisioned").count()


@pytest.mark.django_db
def test_a_worker_provisions_the_approvals_waiting_beside_its_own(
    steward, publisher, sent_tasks, django_capture_on_commit_callbacks
):
    first, second, third = _approved(steward, publisher, 3)
    with django_capture_on_commit_callbacks(execute=True):
        grant = services.grant_provision(access_request_id=first.pk, also_waiting=10)

    assert grant.access_request == first
    assert Grant.objects.count() == 3
    for request in (first, second, third):
        assert _provisioned_events(request) == 1
    announcements = Notification.objects.filter(event__action="grant_provisioned")
    assert sorted(n.recipient for n in announcements) == sorted(
        r.requester.email for r in (first, second, third)
    )
    assert all("approved" in n.subject for n in announcements)
    # One task sends the batch's e-mails; the e-mails were written with the grants.
    assert sent_tasks == [("access.send_notifications", [sorted(n.pk for n in announcements)])]
    assert services.audit_log_verify().ok

    # The second approval's own task finds its grant made: nothing more is written.
    assert provision_grant.run(str(second.pk)) == str(second.grant.pk)
    assert _provisioned_events(second) == 1 and Grant.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_takes_no_more_than_asked_and_leaves_old_approvals_to_the_sweep(
    steward, publisher, sent_tasks
):
    own, old, *recent = _approved(steward, publisher, 4)
    AccessRequest.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - RECENT_APPROVAL - timedelta(minutes=1)
    )

    services.grant_provision(access_request_id=own.pk, also_waiting=1)

    assert set(Grant.objects.values_list("access_request", flat=True)) == {own.pk, recent[0].pk}
    assert services.grants_provision_missing(older_than=timedelta(0)) == 2
    assert Grant.objects.count() == 4
    assert AccessEvent.objects.filter(action="grant_provisioned").count() == 4
    assert services.audit_log_verify().ok


@pytest.mark.django_db
def test_a_request_no_longer_approved_gets_no_grant_in_a_batch(steward, publisher, sent_tasks):
    own, revoked = _approved(steward, publisher, 2)
    services.access_request_revoke(user=steward, request=revoked, reason="Consent withdrawn.")
    services.grant_provision(access_request_id=own.pk, also_waiting=10)
    assert list(Grant.objects.values_list("access_request", flat=True)) == [own.pk]
    assert services.grant_provision(access_request_id=revoked.pk, also_waiting=10) is None


# --- PostgreSQL: workers at once, from real threads ---------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_passes_over_a_request_another_transaction_holds(steward, publisher, sent_tasks):
    own, held, free = _approved(steward, publisher, 3)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                AccessRequest.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        services.grant_provision(access_request_id=own.pk, also_waiting=10)  # does not wait
        assert set(Grant.objects.values_list("access_request", flat=True)) == {own.pk, free.pk}
    finally:
        release.set()
        holder.join(timeout=30)
    services.grant_provision(access_request_id=held.pk, also_waiting=10)  # its own task
    assert Grant.objects.count() == 3
    assert services.audit_log_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_provisioning_at_once_make_each_grant_and_event_once(
    steward, publisher, sent_tasks
):
    requests = _approved(steward, publisher, 24)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker(seed: int) -> None:
        order = requests[:]
        random.Random(seed).shuffle(order)  # each worker takes the tasks in another order
        try:
            start.wait(timeout=10)
            for request in order:
                services.grant_provision(access_request_id=request.pk, also_waiting=5)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (deadlock?)"
    assert errors == []
    assert Grant.objects.count() == 24
    assert all(_provisioned_events(request) == 1 for request in requests)
    assert Notification.objects.filter(event__action="grant_provisioned").count() == 24
    assert services.audit_log_verify().ok


# --- the e-mails of a batch -----------------------------------------------------------------


class Sessions:
    """An SMTP handler that keeps what it receives and over which connection."""

    def __init__(self) -> None:
        self.received: list[tuple[int, bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((id(session), envelope.content))
        return "250 OK"


@pytest.mark.django_db
def test_a_batch_of_emails_goes_out_over_one_connection(steward, publisher, sent_tasks, settings):
    from aiosmtpd.controller import Controller

    from tests.access.test_notifications import free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    requests = _approved(steward, publisher, 3)
    services.grant_provision(access_request_id=requests[0].pk, also_waiting=10)
    ids = list(
        Notification.objects.filter(event__action="grant_provisioned").values_list("pk", flat=True)
    )

    # The mail server is down: nothing is lost, each e-mail records why and waits its turn.
    assert services.notifications_send(notification_ids=ids) == 0
    for notification in Notification.objects.filter(pk__in=ids):
        assert notification.state == NotificationState.PENDING and notification.attempts == 1
        assert notification.last_error

    handler = Sessions()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        Notification.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
        assert services.notifications_send(notification_ids=ids) == 3
        assert services.notifications_send(notification_ids=ids) == 0  # sent once only
    finally:
        server.stop()
    assert len(handler.received) == 3
    assert len({session for session, _ in handler.received}) == 1
    assert set(Notification.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        NotificationState.SENT
    }
