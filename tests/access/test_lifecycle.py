"""The access-request lifecycle through the services: states, rules and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from access import services
from access.models import AccessEvent, Notification, RequestState
from catalogue.models import AccessRights
from catalogue.services import licence_publish_text
from core.errors import ApplicationError, ConflictError
from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db


create = submitted_request


def test_submit_and_approve_record_events(researcher, steward, restricted):
    request = create(researcher, restricted, duration_days=30)
    assert request.state == RequestState.SUBMITTED
    assert request.deadline.date() == (timezone.now() + timedelta(days=30)).date()
    assert request.licence_version.version == 1
    approved = services.access_request_approve(user=steward, request=request, comment="OK")
    assert approved.state == RequestState.APPROVED
    assert approved.valid_until.date() == (timezone.now() + timedelta(days=30)).date()
    actions = list(request.events.values_list("action", "from_state", "to_state", "actor"))
    assert actions == [
        ("created", "", "draft", researcher.pk),
        ("submitted", "draft", "submitted", researcher.pk),
        ("approved", "submitted", "approved", steward.pk),
    ]


def test_emails_go_to_stewards_on_submission_and_to_the_researcher_on_decisions(
    researcher, steward, restricted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as enqueued:
        request = create(researcher, restricted)
        services.access_request_return(user=steward, request=request, comment="Add a project.")
    # Written with the changes, sent only after commit: submitted (researcher and steward) and
    # returned (researcher); the creation itself e-mails nobody.
    pending = list(Notification.objects.order_by("pk"))
    assert [(n.recipient, n.state) for n in pending] == [
        (researcher.email, "pending"),
        (steward.email, "pending"),
        (researcher.email, "pending"),
    ]
    # One send per e-mail (besides the webhook dispatch nudge of delivery/signals.py).
    sends = [callback for callback in enqueued if not getattr(callback, "webhook_nudge", False)]
    assert len(sends) == 3 and not mail.outbox
    for notification in pending:
        assert services.notification_send(notification_id=notification.pk)
    by_recipient = {(tuple(m.to), m.subject) for m in mail.outbox}
    assert any(to == (steward.email,) and "submitted" in subj for to, subj in by_recipient)
    assert any(to == (researcher.email,) and "was returned" in subj for to, subj in by_recipient)
    sent = len(mail.outbox)
    for notification in pending:  # a retried task sends nothing twice
        assert not services.notification_send(notification_id=notification.pk)
    assert len(mail.outbox) == sent


def test_reminders_for_requests_due_soon_or_overdue(researcher, steward, restricted):
    request = create(researcher, restricted)
    assert services.review_reminders_send() == 0  # due in 30 days
    later = request.deadline + timedelta(days=1)
    assert services.review_reminders_send(now=later) == 1
    reminder = Notification.objects.get(key__startswith="reminder:")
    assert reminder.recipient == steward.email and "overdue" in reminder.subject
    assert services.review_reminders_send(now=later) == 0  # once a day
    assert services.notification_send(notification_id=reminder.pk)
    assert "overdue" in mail.outbox[-1].subject


def test_public_dataset_is_approved_at_once(researcher, publisher):
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    request = create(researcher, public)
    assert request.state == RequestState.APPROVED
    assert request.events.last().actor is None


def test_second_open_request_is_409_naming_the_first(researcher, restricted):
    first = create(researcher, restricted)
    with pytest.raises(ConflictError) as exc:
        create(researcher, restricted)
    assert exc.value.extra["existing_request"] == str(first.pk)


def test_wrong_moves_are_409_with_the_current_state(researcher, steward, restricted):
    request = create(researcher, restricted)
    services.access_request_reject(user=steward, request=request, reason="Out of scope.")
    with pytest.raises(ConflictError) as exc:
        services.access_request_approve(user=steward, request=request)
    assert exc.value.extra["state"] == "rejected"


def test_return_edit_resubmit_and_licence_reacceptance(researcher, steward, restricted):
    request = create(researcher, restricted)
    services.access_request_return(user=steward, request=request, comment="Name the project.")
    services.access_request_update(
        user=researcher, request=request, changes={"project_title": "SoilNet"}
    )
    licence_publish_text(licence=restricted.licence, text="New terms, version two.")
    with pytest.raises(ApplicationError) as exc:
        services.access_request_submit(user=researcher, request=request)
    assert "accept_licence" in exc.value.fields
    resubmitted = services.access_request_submit(
        user=researcher, request=request, accept_licence=True
    )
    assert resubmitted.state == RequestState.SUBMITTED
    assert resubmitted.licence_version.version == 2


def test_rules_on_input(researcher, restricted):
    with pytest.raises(ApplicationError) as exc:
        create(researcher, restricted, accept_licence=False)
    assert "CC-BY-4.0" in exc.value.message
    with pytest.raises(ApplicationError):
        create(researcher, restricted, purpose="Because.")
    with pytest.raises(ApplicationError):
        create(researcher, restricted, duration_days=10_000)
    other = DatasetFactory()
    from tests.catalogue.factories import DistributionFactory

    foreign = DistributionFactory(dataset=other)
    with pytest.raises(ApplicationError) as exc:
        create(researcher, restricted, distributions=[foreign.pk])
    assert "distributions" in exc.value.fields


def test_only_the_publishers_steward_decides(researcher, restricted):
    request = create(researcher, restricted)
    outsider = UserFactory(username="other-steward")
    with pytest.raises(services.NotAllowedError):
        services.access_request_approve(user=outsider, request=request)
    with pytest.raises(services.NotAllowedError):
        services.access_request_approve(user=researcher, request=request)


def test_expiry_moves_approved_requests_once(researcher, steward, restricted):
    request = create(researcher, restricted)
    services.access_request_approve(user=steward, request=request)
    later = timezone.now() + timedelta(days=400)
    assert services.access_requests_expire_due(now=later) == 1
    assert services.access_requests_expire_due(now=later) == 0
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED


def test_events_cannot_be_changed_through_the_orm(researcher, restricted):
    create(researcher, restricted)
    event = AccessEvent.objects.first()
    event.comment = "rewritten"
    with pytest.raises(Exception, match="never changed"):
        event.save()
    with pytest.raises(Exception, match="never deleted"):
        event.delete()


def test_verify_audit_log_detects_a_changed_and_a_removed_event(researcher, steward, restricted):
    request = create(researcher, restricted)
    services.access_request_approve(user=steward, request=request)
    call_command("verify_audit_log")  # intact
    second = AccessEvent.objects.order_by("position")[1]
    table = AccessEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What an intruder with the table owner's rights would do first (after the test
            # transaction's deferred foreign-key checks, which ALTER TABLE cannot overtake).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER access_event_append_only")
        cursor.execute(f"UPDATE {table} SET comment = %s WHERE id = %s", ["forged", second.pk])
    with pytest.raises(CommandError, match=f"#{second.position}"):
        call_command("verify_audit_log")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET comment = %s WHERE id = %s", ["", second.pk])
    call_command("verify_audit_log")
    newest = AccessEvent.objects.order_by("position").last()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [newest.pk])
    with pytest.raises(CommandError, match="removed"):
        call_command("verify_audit_log")


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_an_event(researcher, restricted):
    from django.db import DatabaseError, transaction

    create(researcher, restricted)
    table = AccessEvent._meta.db_table
    for statement in (f"UPDATE {table} SET comment = 'forged'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AccessEvent.objects.filter(comment="forged").count() == 0
    assert AccessEvent.objects.count() == 2


@pytest.mark.parametrize("decision", ["approve", "return", "reject"])
def test_a_steward_never_decides_their_own_request(decision, steward, restricted, publisher):
    other_steward = UserFactory(username="second-steward")
    publisher.stewards.add(other_steward)
    own = create(steward, restricted)  # stewards may request access like anyone
    client = token_client(steward)
    body = {"approve": {}, "return": {"comment": "Fine."}, "reject": {"reason": "No."}}[decision]
    response = client.post(f"/api/v1/access-requests/{own.pk}/{decision}/", body, format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["rule"] == "no_self_decision"
    assert "No one decides on their own access request" in error["message"]
    own.refresh_from_db()
    assert own.state == RequestState.SUBMITTED
    # Another steward of the publisher decides it.
    other = token_client(other_steward)
    decided = other.post(f"/api/v1/access-requests/{own.pk}/{decision}/", body, format="json")
    assert decided.status_code == 200


def test_a_superuser_does_not_decide_their_own_request_either(restricted, admin_user):
    own = create(admin_user, restricted)
    with pytest.raises(services.NotAllowedError, match="their own"):
        services.access_request_approve(user=admin_user, request=own)
