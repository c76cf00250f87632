"""Every e-mail about a request is delivered or visibly failed, and says what happened.

The e-mails go through an outbox (access.models.Notification): written with the change, sent by
a worker after commit, retried by a sweep. These tests break each link of that chain for real: a
broker that does not answer, a task that never runs, an SMTP server that is down and then up.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from access import services
from access.models import Notification, NotificationState
from access.services.notifications import MAX_ATTEMPTS
from tests.access.factories import PURPOSE, submitted_request
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """Real SMTP delivery to a port of our own; start() and stop() the server at will."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    inbox.start, inbox.stop = controller.start, controller.stop
    yield inbox
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


def send_all_due(at) -> int:
    return services.notifications_send_due(now=at)


def test_an_email_is_not_lost_when_the_broker_is_down(
    dead_broker, django_capture_on_commit_callbacks, researcher_client, steward, restricted
):
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(
            "/api/v1/access-requests/",
            {"dataset": restricted.slug, "purpose": PURPOSE, "accept_licence": True},
            format="json",
        )
    assert response.status_code == 201  # the broker's outage is nobody's 500
    assert not mail.outbox  # the task could not be queued...
    to_steward = Notification.objects.get(recipient=steward.email)
    assert to_steward.state == NotificationState.PENDING  # ...but the e-mail was kept
    assert send_all_due(timezone.now() + LATER) == 2  # the sweep, once the worker runs again
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["researcher@example.org", steward.email])
    to_steward.refresh_from_db()
    assert to_steward.state == NotificationState.SENT and to_steward.sent_at is not None
    assert send_all_due(timezone.now() + LATER) == 0  # never twice


def test_a_task_that_never_ran_leaves_its_email_to_the_sweep(
    sent_tasks, django_capture_on_commit_callbacks, researcher, restricted
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted_request(researcher, restricted)
    queued = [args for name, args in sent_tasks if name == "access.send_notification"]
    assert len(queued) == Notification.objects.count() == 2
    # The worker died with the task (or its database connection dropped): nothing was sent.
    assert not mail.outbox
    # Within the grace period the task still has its chance; after it, the sweep sends.
    assert send_all_due(timezone.now()) == 0
    assert send_all_due(timezone.now() + LATER) == 2
    assert len(mail.outbox) == 2


def test_an_smtp_outage_is_retried_until_the_email_goes_out(smtp, researcher, steward, restricted):
    submitted_request(researcher, restricted)
    notification = Notification.objects.get(recipient=steward.email)
    start = timezone.now()

    assert not services.notification_send(notification_id=notification.pk, now=start)
    notification.refresh_from_db()
    assert notification.state == NotificationState.PENDING
    assert notification.attempts == 1
    assert "Connection refused" in notification.last_error or "ConnectionRefused" in (
        notification.last_error
    )
    assert notification.next_attempt_at > start  # backs off
    assert send_all_due(start) == 0  # not before its time

    smtp.start()
    assert send_all_due(notification.next_attempt_at + timedelta(seconds=1)) >= 1
    notification.refresh_from_db()
    assert notification.state == NotificationState.SENT and notification.attempts == 2
    received = [m for m in smtp.messages if m["To"] == steward.email]
    assert len(received) == 1
    assert "submitted" in received[0]["Subject"]


def test_an_email_that_never_goes_out_is_marked_failed_and_can_be_sent_again(
    smtp, researcher, steward, restricted, client, admin_user
):
    submitted_request(researcher, restricted)
    notification = Notification.objects.get(recipient=steward.email)
    moment = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        services.notification_send(notification_id=notification.pk, now=moment)
        moment += timedelta(hours=2)
    notification.refresh_from_db()
    assert notification.state == NotificationState.FAILED
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.last_error
    assert send_all_due(moment) == 0  # failed is final until someone acts

    # The administrator sees it, with its error, and sends it again once SMTP is back.
    client.force_login(admin_user)
    listing = client.get("/admin/access/notification/?state__exact=failed")
    assert listing.status_code == 200
    assert steward.email in listing.content.decode()
    smtp.start()
    response = client.post(
        "/admin/access/notification/",
        {"action": "send_again", "_selected_action": [notification.pk]},
        follow=True,
    )
    assert "will be sent again" in response.content.decode()
    notification.refresh_from_db()
    assert notification.state == NotificationState.PENDING and notification.attempts == 0
    assert services.notification_send(notification_id=notification.pk)
    assert [m["To"] for m in smtp.messages] == [steward.email]


def test_only_superusers_see_the_outbox_even_with_the_view_permission(
    client, steward, researcher, admin_user
):
    """E-mails carry names and purposes: a staff account that was given the model's view
    permission (by mistake, or in a group) still does not read them."""
    view = Permission.objects.get(codename="view_notification", content_type__app_label="access")
    for user in (steward, researcher):
        user.is_staff = True
        user.save()
        user.user_permissions.add(view)
        client.force_login(user)
        assert client.get("/admin/access/notification/").status_code == 403
        assert "/admin/access/notification/" not in client.get("/admin/").content.decode()
    client.force_login(admin_user)
    assert client.get("/admin/access/notification/").status_code == 200


def test_each_email_describes_its_own_event_not_the_current_state(researcher, steward, restricted):
    request = submitted_request(researcher, restricted)
    services.access_request_return(
        user=steward, request=request, comment="Add your ethics approval number."
    )
    services.access_request_submit(user=researcher, request=request)
    services.access_request_approve(user=steward, request=request, comment="Fine now.")
    # The worker only now gets to the "returned" e-mail: it still says what happened then.
    returned = Notification.objects.get(recipient=researcher.email, event__action="returned")
    assert "returned for changes" in returned.subject
    assert "What to change: Add your ethics approval number." in returned.body
    assert "approved" not in returned.body.lower()


def test_the_approval_comment_reaches_the_researcher_with_the_grant(
    researcher, steward, restricted, restricted_file
):
    steward.first_name, steward.last_name = "Sabine", "Bauer"
    steward.save()
    request = submitted_request(researcher, restricted)
    services.access_request_approve(
        user=steward, request=request, comment="Approved for SoilNet; please cite the institute."
    )
    services.grant_provision(access_request_id=request.pk)
    assert not mail.outbox  # provisioning writes the e-mail; a worker sends it
    announcement = Notification.objects.get(
        recipient=researcher.email, event__action="grant_provisioned"
    )
    assert "approved" in announcement.subject
    assert "Comment from the stewards: Approved for SoilNet; please cite the institute." in (
        announcement.body
    )
    assert "Sabine Bauer (steward)" in announcement.body
    assert services.notification_send(notification_id=announcement.pk)
    assert "please cite the institute" in mail.outbox[0].body


def test_a_title_with_line_breaks_is_one_line_on_input(steward_client, publisher):
    response = steward_client.post(
        "/api/v1/datasets/",
        {
            "title": "Soil moisture\r\nBcc: someone@example.org\n2024",
            "description": "Topsoil moisture.",
            "publisher": publisher.slug,
            "data_space": "agriculture",
            "licence": "CC-BY-4.0",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Soil moisture Bcc: someone@example.org 2024"


def test_a_stored_title_with_line_breaks_cannot_break_a_subject(researcher, steward, publisher):
    # Written before titles were normalised (or by raw SQL): the subject is still one line.
    dataset = DatasetFactory(
        publisher=publisher,
        title="Soil moisture\nBcc: someone@example.org",
        access_rights="RESTRICTED",
    )
    submitted_request(researcher, dataset)
    notification = Notification.objects.get(recipient=steward.email)
    assert "\n" not in notification.subject
    assert services.notification_send(notification_id=notification.pk)
    message = mail.outbox[0].message()
    assert message["Bcc"] is None
    assert message["Subject"].startswith("[Passerelle] Access request submitted for 'Soil")
