"""E-mails about access requests. Sent by Celery after the change committed; each (event or
reminder, recipient) is recorded, so a retried task never sends the same e-mail twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import AccessEvent, AccessRequest, RequestState, SentNotification
from core.dispatch import enqueue_after_commit

# Who hears about what: the researcher about every decision on their request; the stewards
# about what needs their decision or what the researcher did.
RESEARCHER_ACTIONS = {
    AuditAction.SUBMITTED: "was submitted",
    AuditAction.REJECTED: "was rejected",
    AuditAction.RETURNED: "was returned for changes",
    AuditAction.REVOKED: "was revoked",
    AuditAction.EXPIRED: "has expired",
    # The approval is announced with its grant, in one e-mail, once the bytes are reachable.
    AuditAction.GRANT_PROVISIONED: "was approved: your download grant is ready",
    AuditAction.EXPIRY_WARNING: "ends soon",
}
STEWARD_ACTIONS = {AuditAction.SUBMITTED, AuditAction.WITHDRAWN}


def notifications_schedule(event: AccessEvent) -> None:
    """Send the e-mails ``event`` calls for from a worker, once its transaction commits."""
    if event.action in RESEARCHER_ACTIONS or event.action in STEWARD_ACTIONS:
        enqueue_after_commit("access.notify_event", event.pk)


REMIND_DAYS_BEFORE_DEADLINE = 3


def _request_url(request: AccessRequest) -> str:
    return f"{settings.SITE_URL}/admin/access/accessrequest/{request.pk}/change/"


def _send_once(key: str, recipient: str, subject: str, body: str) -> bool:
    if not recipient or SentNotification.objects.filter(key=key).exists():
        return False
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    try:
        with transaction.atomic():
            SentNotification.objects.create(key=key, recipient=recipient, subject=subject[:300])
    except IntegrityError:  # another worker sent it at the same moment
        pass
    return True


def _steward_emails(request: AccessRequest) -> list[str]:
    return sorted(
        {u.email for u in request.dataset.publisher.stewards.filter(is_active=True) if u.email}
    )


def notify_for_event(*, event_id: int) -> int:
    """Send the e-mails an audit event calls for; returns how many went out."""
    event = (
        AccessEvent.objects.select_related(
            "access_request__dataset__publisher", "access_request__requester", "actor"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    request = event.access_request
    title = request.dataset.title
    sent = 0
    if event.action in RESEARCHER_ACTIONS:
        detail = f"\n\nComment: {event.comment}" if event.comment else ""
        until = (
            f"\nAccess ends on {request.valid_until:%Y-%m-%d}; your download links are at "
            f"{settings.SITE_URL}/api/v1/grants/."
            if event.action == AuditAction.GRANT_PROVISIONED and request.valid_until
            else ""
        )
        sent += _send_once(
            f"event:{event.pk}:researcher",
            request.requester.email,
            f"[Passerelle] Your access to '{title}' {RESEARCHER_ACTIONS[event.action]}",
            f"Your request {request.pk} for the dataset '{title}' is now {request.state}."
            f"{until}{detail}\n\n{_request_url(request)}\n",
        )
    if event.action in STEWARD_ACTIONS:
        for email in _steward_emails(request):
            sent += _send_once(
                f"event:{event.pk}:steward:{email}",
                email,
                f"[Passerelle] Access request {event.action} for '{title}'",
                f"{request.requester} {event.action} a request for '{title}'.\n"
                f"Purpose: {request.purpose}\n"
                + (f"Decide by {request.deadline:%Y-%m-%d}.\n" if request.deadline else "")
                + f"\n{_request_url(request)}\n",
            )
    return sent


def review_reminders_send(*, now=None) -> int:
    """Daily: remind stewards of submitted requests due within a few days or overdue."""
    now = now or timezone.now()
    soon = now + timedelta(days=REMIND_DAYS_BEFORE_DEADLINE)
    due = AccessRequest.objects.filter(
        state=RequestState.SUBMITTED, deadline__lte=soon
    ).select_related("dataset__publisher", "requester")
    sent = 0
    for request in due:
        overdue = request.deadline <= now
        wording = "is overdue" if overdue else f"is due on {request.deadline:%Y-%m-%d}"
        for email in _steward_emails(request):
            sent += _send_once(
                f"reminder:{request.pk}:{now:%Y-%m-%d}:{email}",
                email,
                f"[Passerelle] Decision on '{request.dataset.title}' {wording}",
                f"The access request of {request.requester} for '{request.dataset.title}' "
                f"{wording} (deadline {request.deadline:%Y-%m-%d %H:%M} UTC).\n\n"
                f"{_request_url(request)}\n",
            )
    return sent
