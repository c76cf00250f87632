"""E-mails about access requests, through an outbox.

The e-mails an audit event calls for are written, subject and body, in the transaction of the
change they report: they say what happened then (a "returned" e-mail never reads "approved"
because the request moved on before the worker sent it), and they cannot be lost. After commit a
worker sends each one; whatever goes wrong (the broker was down so no task was queued, the task
died with its database connection, the SMTP server refused), the notification stays pending with
its last error and a sweep tries again with growing delays, until it is sent or, after about a
day, marked failed for an administrator to see and send again.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from access.events import AuditAction
from access.models import (
    AccessEvent,
    AccessRequest,
    Notification,
    NotificationState,
    RequestState,
    ReviewInvitation,
)
from accounts.selectors import email_is_verified
from core.dispatch import enqueue_after_commit
from core.text import single_line

logger = logging.getLogger(__name__)

SEND_TASK = "access.send_notification"
SEND_MANY_TASK = "access.send_notifications"
SEND_BATCH_SIZE = 100
# 1, 2, 4 ... minutes, then hourly: 30 attempts cover about a day of SMTP outage.
MAX_ATTEMPTS = 30
MAX_RETRY_DELAY = timedelta(hours=1)
REMIND_DAYS_BEFORE_DEADLINE = 3
SUBJECT_PREFIX = "[Passerelle] "


# --- what each event says, and to whom ---------------------------------------------------------


@dataclass(frozen=True)
class Message:
    key: str
    recipient: str
    subject: str
    body: str


def _request_url(request: AccessRequest) -> str:
    return f"{settings.SITE_URL}/admin/access/accessrequest/{request.pk}/change/"


def _who(user) -> str:
    if user is None:
        return "Passerelle"
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _steward_emails(request: AccessRequest) -> list[str]:
    return sorted(
        {u.email for u in request.dataset.publisher.stewards.filter(is_active=True) if u.email}
    )


def _subject(text: str) -> str:
    """One line (a title with a line break cannot add a header), within the stored length."""
    return single_line(SUBJECT_PREFIX + text)[:300]


def _claim_instructions(user) -> str:
    """For an account a partner made (no password yet): how the researcher takes it over."""
    if user.has_usable_password() or email_is_verified(user=user):
        return ""
    return (
        f"An account was made for you at {settings.SITE_URL} with this address. To use it, "
        f"choose a password at {settings.SITE_URL}/accounts/password/reset/ (enter this "
        "address), then sign in and confirm the address with the link we send."
    )


def _latest_approvals(request_ids: list[Any]) -> dict[Any, AccessEvent]:
    """The newest approval of each request. One not yet placed in the chain is the current
    transaction's own, newer than every placed one."""
    latest: dict[Any, AccessEvent] = {}
    approvals = (
        AccessEvent.objects.filter(access_request__in=request_ids, action=AuditAction.APPROVED)
        .select_related("actor")
        .order_by(F("position").desc(nulls_first=True), "-pk")
    )
    for approval in approvals:
        latest.setdefault(approval.access_request_id, approval)
    return latest


def _researcher_message(
    event: AccessEvent, approvals: dict[Any, AccessEvent] | None = None
) -> Message | None:
    request = event.access_request
    title = single_line(request.dataset.title)
    when = f"{event.created:%Y-%m-%d %H:%M} UTC"
    publisher = request.dataset.publisher.name
    lines: list[str]
    match event.action:
        case AuditAction.SUBMITTED if request.submitted_by_client_id:
            client = single_line(request.submitted_by_client.name)
            subject = f"{client} requested access to '{title}' for you"
            lines = [
                f"{client} submitted the request {request.pk} for the dataset '{title}' on your "
                f"behalf on {when} (purpose: {request.purpose}).",
                f"The stewards of {publisher} are due to decide by {request.deadline:%Y-%m-%d}."
                if request.deadline
                else "",
                _claim_instructions(request.requester),
            ]
        case AuditAction.SUBMITTED:
            subject = f"Your request for '{title}' was submitted"
            lines = [
                f"Your request {request.pk} for the dataset '{title}' was submitted on {when}.",
                f"The stewards of {publisher} are due to decide by {request.deadline:%Y-%m-%d}."
                if request.deadline
                else "",
            ]
        case AuditAction.RETURNED:
            subject = f"Your request for '{title}' was returned for changes"
            lines = [
                f"The stewards of {publisher} returned your request {request.pk} for the dataset "
                f"'{title}' for changes on {when}.",
                f"What to change: {event.comment}",
                "Edit the request and submit it again.",
            ]
        case AuditAction.REJECTED:
            subject = f"Your request for '{title}' was rejected"
            lines = [
                f"The stewards of {publisher} rejected your request {request.pk} for the "
                f"dataset '{title}' on {when}.",
                f"Reason: {event.comment}",
            ]
        case AuditAction.REVOKED:
            subject = f"Your access to '{title}' was revoked"
            lines = [
                f"The stewards of {publisher} revoked your access to the dataset '{title}' "
                f"(request {request.pk}) on {when}. Its download links no longer work.",
                f"Reason: {event.comment}",
            ]
        case AuditAction.EXPIRED:
            subject = f"Your access to '{title}' has expired"
            lines = [
                f"Your access to the dataset '{title}' (request {request.pk}) ended on {when}.",
                "Ask again if you still need the data.",
            ]
        case AuditAction.GRANT_PROVISIONED:
            # The approval is announced with its grant, in one e-mail, once the bytes are
            # reachable; it carries the steward's comment on the approval.
            approval = (
                approvals.get(request.pk)
                if approvals is not None
                else _latest_approvals([request.pk]).get(request.pk)
            )
            subject = f"Your access to '{title}' was approved: your download grant is ready"
            lines = [
                f"Your request {request.pk} for the dataset '{title}' was approved"
                + (f" by {_who(approval.actor)}" if approval and approval.actor else "")
                + (f" on {approval.created:%Y-%m-%d %H:%M} UTC" if approval else "")
                + ".",
                f"Comment from the stewards: {approval.comment}"
                if approval and approval.comment
                else "",
                f"{event.comment} Your download links are at {settings.SITE_URL}/api/v1/grants/.",
            ]
        case AuditAction.COMMENTED if event.actor_id != request.requester_id:
            subject = f"New comment on your request for '{title}'"
            lines = [
                f"{_who(event.actor)} wrote on your request {request.pk} for the dataset "
                f"'{title}' on {when}:",
                event.comment,
            ]
        case AuditAction.EXPIRY_WARNING:
            subject = f"Your access to '{title}' ends soon"
            lines = [f"Your access to the dataset '{title}' (request {request.pk}) ends soon.",
                     event.comment]  # fmt: skip
        case _:
            return None
    body = "\n\n".join(line for line in lines if line) + f"\n\n{_request_url(request)}\n"
    return Message(f"event:{event.pk}:researcher", request.requester.email, _subject(subject), body)


def _steward_messages(event: AccessEvent) -> list[Message]:
    request = event.access_request
    title = single_line(request.dataset.title)
    when = f"{event.created:%Y-%m-%d %H:%M} UTC"
    match event.action:
        case AuditAction.SUBMITTED:
            kind = "renewal of an access" if request.renews_id else "request"
            subject = (
                f"Renewal requested for '{title}'"
                if request.renews_id
                else f"Access request submitted for '{title}'"
            )
            body = (
                f"{_who(request.requester)} submitted a {kind} for '{title}' on {when}.\n\n"
                + (f"It renews request {request.renews_id}.\n" if request.renews_id else "")
                + f"Purpose: {request.purpose}\n"
                + (f"Project: {request.project_title}\n" if request.project_title else "")
                + (f"Decide by {request.deadline:%Y-%m-%d}.\n" if request.deadline else "")
            )
        case AuditAction.COMMENTED if event.actor_id == request.requester_id:
            subject = f"New comment from the researcher on '{title}'"
            body = (
                f"{_who(request.requester)} wrote on their request on {when}:\n\n{event.comment}\n"
            )
        case AuditAction.REVIEWED:
            subject = f"Review of the request for '{title}'"
            body = (
                f"{_who(event.actor)} reviewed the request of {_who(request.requester)} on "
                f"{when}.\n\n{event.comment}\n"
            )
        case AuditAction.RELINQUISHED:
            subject = f"Access to '{title}' relinquished"
            body = (
                f"{_who(request.requester)} ended their access to '{title}' on {when}; its "
                "download links no longer work.\n"
            )
            if event.comment:
                body += f"\nComment: {event.comment}\n"
        case AuditAction.WITHDRAWN:
            subject = f"Access request withdrawn for '{title}'"
            body = f"{_who(request.requester)} withdrew their request for '{title}' on {when}.\n"
            if event.comment:
                body += f"\nComment: {event.comment}\n"
        case _:
            return []
    body += f"\n{_request_url(request)}\n"
    return [
        Message(f"event:{event.pk}:steward:{email}", email, _subject(subject), body)
        for email in _steward_emails(request)
    ]


def _reviewer_messages(event: AccessEvent) -> list[Message]:
    """The invited reviewer hears of their invitation (read from the event it is linked to)."""
    if event.action != AuditAction.REVIEWER_INVITED:
        return []
    invitation = ReviewInvitation.objects.select_related("reviewer").filter(event=event).first()
    if invitation is None or not invitation.reviewer.email:
        return []
    request = event.access_request
    title = single_line(request.dataset.title)
    body = (
        f"{_who(event.actor)} asks you to review the request of {_who(request.requester)} for "
        f"the dataset '{title}' ({request.dataset.publisher.name}).\n\n"
        f"Purpose: {request.purpose}\n\n"
        "Recommend approving, rejecting or abstaining, with a comment; the stewards decide.\n"
        f"\n{settings.SITE_URL}/api/v1/access-requests/{request.pk}/\n"
    )
    return [
        Message(
            f"event:{event.pk}:reviewer:{invitation.reviewer.email}",
            invitation.reviewer.email,
            _subject(f"Please review a request for '{title}'"),
            body,
        )
    ]


def _assignee_messages(event: AccessEvent) -> list[Message]:
    """The steward a decision policy assigned the request to hears that it is theirs."""
    request = event.access_request
    steward = request.assigned_to
    if event.action != AuditAction.ASSIGNED or steward is None or not steward.email:
        return []
    title = single_line(request.dataset.title)
    body = (
        f"The request of {_who(request.requester)} for the dataset '{title}' "
        f"({request.dataset.publisher.name}) is assigned to you.\n\n{event.comment}\n\n"
        f"Purpose: {request.purpose}\n"
        + (f"Decide by {request.deadline:%Y-%m-%d}.\n" if request.deadline else "")
        + f"\n{_request_url(request)}\n"
    )
    return [
        Message(
            f"event:{event.pk}:assignee:{steward.email}",
            steward.email,
            _subject(f"A request for '{title}' is assigned to you"),
            body,
        )
    ]


def messages_for_event(
    event: AccessEvent, *, approvals: dict[Any, AccessEvent] | None = None
) -> list[Message]:
    """The e-mails ``event`` calls for: the researcher hears of every decision on their
    request, the stewards of what needs their decision or what the researcher did, an invited
    reviewer of their invitation; each side of the conversation of the other's comments."""
    researcher = _researcher_message(event, approvals)
    messages = [researcher] if researcher and researcher.recipient else []
    return (
        messages + _steward_messages(event) + _reviewer_messages(event) + _assignee_messages(event)
    )


# --- the outbox ----------------------------------------------------------------------------------


def _enqueue(messages: list[Message], *, event: AccessEvent | None = None) -> list[Notification]:
    """Store ``messages`` as pending notifications (once per key) and send each after commit."""
    created = []
    for message in messages:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    key=message.key,
                    event=event,
                    recipient=message.recipient,
                    subject=message.subject,
                    body=message.body,
                )
        except IntegrityError:  # already written (a retried reminder run)
            continue
        enqueue_after_commit(SEND_TASK, notification.pk)
        created.append(notification)
    return created


def notifications_enqueue(messages: list[Message]) -> list[Notification]:
    """Store e-mails that no audit event calls for (a webhook endpoint disabled, for one) in the
    outbox, in the caller's transaction: sent after commit, retried like every other."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications_enqueue must run inside the change's transaction.")
    return _enqueue(messages)


def notifications_schedule(event: AccessEvent) -> list[Notification]:
    """Write the e-mails ``event`` calls for, in the event's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications_schedule must run inside the event's transaction.")
    return _enqueue(messages_for_event(event), event=event)


def notifications_schedule_many(events: list[AccessEvent]) -> list[Notification]:
    """``notifications_schedule`` for events just written together (a worker's batch): one
    INSERT, and one task per SEND_BATCH_SIZE e-mails after commit. Their keys name events that
    are new, so none can have been written before."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("notifications_schedule_many must run inside the events' transaction.")
    if not connection.features.can_return_rows_from_bulk_insert:
        return [n for event in events for n in notifications_schedule(event)]
    approvals = _latest_approvals(
        [e.access_request_id for e in events if e.action == AuditAction.GRANT_PROVISIONED]
    )
    created = Notification.objects.bulk_create(
        Notification(
            key=message.key,
            event=event,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
        )
        for event in events
        for message in messages_for_event(event, approvals=approvals)
    )
    ids = [notification.pk for notification in created]
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        enqueue_after_commit(SEND_MANY_TASK, ids[start : start + SEND_BATCH_SIZE])
    return created


def _retry_delay(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_RETRY_DELAY)


def notification_send(
    *,
    notification_id: int,
    now: datetime | None = None,
    connection: BaseEmailBackend | None = None,
) -> bool:
    """Send one pending notification; True if it went out now.

    The row is locked while sending (another worker skips it), so two workers never send it at
    once. A failure to send is recorded on the row (attempts, last error, next attempt) and not
    raised: the sweep retries it. Database errors do raise, so the task is retried.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, state=NotificationState.PENDING)
            .first()
        )
        if notification is None:  # sent or failed already, or in another worker's hands
            return False
        now = now or timezone.now()
        notification.attempts += 1
        try:
            send_mail(
                single_line(notification.subject),
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient],
                connection=connection,
            )
        except Exception as exc:  # SMTP refused, timed out, bad address...: record and retry
            if connection is not None:
                connection.close()  # a batch's next e-mail opens a fresh one
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = NotificationState.FAILED
                logger.error(
                    "notification %s to %s failed for good after %d attempts: %s",
                    notification.pk,
                    notification.recipient,
                    notification.attempts,
                    notification.last_error,
                )
            else:
                notification.next_attempt_at = now + _retry_delay(notification.attempts)
                logger.warning(
                    "notification %s not sent (attempt %d), retrying at %s: %s",
                    notification.pk,
                    notification.attempts,
                    notification.next_attempt_at.isoformat(),
                    notification.last_error,
                )
            notification.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return False
        notification.state = NotificationState.SENT
        notification.sent_at = now
        notification.save(update_fields=["attempts", "state", "sent_at"])
        return True


def notifications_send(*, notification_ids: list[int]) -> int:
    """Send several pending notifications (a batch written together), each as
    ``notification_send`` does, over one connection to the mail server. Returns how many went
    out now."""
    mail = get_connection()
    with contextlib.suppress(Exception):  # each send below tries again, recording why it fails
        mail.open()
    try:
        return sum(
            notification_send(notification_id=pk, connection=mail) for pk in notification_ids
        )
    finally:
        mail.close()


def notifications_send_due(*, now: datetime | None = None) -> int:
    """The sweep (every minute): send pending notifications whose time has come, that the task
    sent after commit did not (the broker was down, the worker died, SMTP refused)."""
    now = now or timezone.now()
    # The task sent after commit gets the first go; the sweep takes what is pending after that.
    grace = timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    due = Notification.objects.filter(
        state=NotificationState.PENDING, next_attempt_at__lte=now, created__lte=now - grace
    ).order_by("next_attempt_at", "pk")
    sent = 0
    for pk in list(due.values_list("pk", flat=True)[:500]):
        sent += notification_send(notification_id=pk, now=now)
    return sent


@transaction.atomic
def notifications_retry(*, notification_ids: list[int]) -> int:
    """An administrator sends failed (or pending) notifications again: pending, due now, with a
    fresh budget of attempts. Returns how many were put back."""
    ids = list(
        Notification.objects.filter(pk__in=notification_ids)
        .exclude(state=NotificationState.SENT)
        .values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=ids).update(
        state=NotificationState.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    for pk in ids:
        enqueue_after_commit(SEND_TASK, pk)
    return len(ids)


def review_reminders_send(*, now: datetime | None = None) -> int:
    """Daily: remind stewards of submitted requests due within a few days or overdue (one
    reminder per request, steward and day)."""
    now = now or timezone.now()
    soon = now + timedelta(days=REMIND_DAYS_BEFORE_DEADLINE)
    due = AccessRequest.objects.filter(
        state=RequestState.SUBMITTED, deadline__lte=soon
    ).select_related("dataset__publisher", "requester")
    written = 0
    for request in due:
        overdue = request.deadline <= now
        wording = "is overdue" if overdue else f"is due on {request.deadline:%Y-%m-%d}"
        title = single_line(request.dataset.title)
        with transaction.atomic():
            written += len(
                _enqueue(
                    [
                        Message(
                            f"reminder:{request.pk}:{now:%Y-%m-%d}:{email}",
                            email,
                            _subject(f"Decision on '{title}' {wording}"),
                            f"The access request of {_who(request.requester)} for '{title}' "
                            f"{wording} (deadline {request.deadline:%Y-%m-%d %H:%M} UTC).\n\n"
                            f"{_request_url(request)}\n",
                        )
                        for email in _steward_emails(request)
                    ]
                )
            )
    return written


def notifications_write_for_event(*, event_id: int) -> int:
    """Write the notifications of an event recorded before the outbox existed (a task queued by
    an older version); those already written or sent are skipped by their keys."""
    with transaction.atomic():
        event = (
            AccessEvent.objects.select_related(
                "access_request__dataset__publisher", "access_request__requester", "actor"
            )
            .filter(pk=event_id)
            .first()
        )
        return len(_enqueue(messages_for_event(event), event=event)) if event else 0
