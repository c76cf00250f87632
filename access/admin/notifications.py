"""The e-mail outbox in the admin: administrators see what was sent, what is still being retried
and what failed (with the last error), and send failed e-mails again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from access import services
from access.models import Notification, NotificationState
from access.services.notifications import SUBJECT_PREFIX
from core.admin import list_date, list_text


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    # Short columns, whole values in tooltips: the list fits 1280 pixels.
    list_display = ["created_on", "recipient", "short_subject", "delivery", "short_error"]
    list_filter = ["state"]
    search_fields = ["recipient", "subject", "key"]
    date_hierarchy = "created"
    ordering = ["-created"]
    actions = ["send_again"]
    fields = [
        "key", "event", "recipient", "subject", "body", "state", "attempts", "last_error",
        "created", "next_attempt_at", "sent_at",
    ]  # fmt: skip
    readonly_fields = fields

    # E-mails carry names and purposes: administrators only, and never edited by hand.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Created", ordering="created")
    def created_on(self, notification: Notification) -> str:
        return list_date(notification.created)

    @admin.display(description="Subject", ordering="subject")
    def short_subject(self, notification: Notification) -> str:
        return list_text(notification.subject.removeprefix(SUBJECT_PREFIX), 50)

    @admin.display(description="State", ordering="state")
    def delivery(self, notification: Notification) -> str:
        tries = f", {notification.attempts} attempt(s)" if notification.attempts != 1 else ""
        return f"{notification.get_state_display()}{tries}"

    @admin.display(description="Last error")
    def short_error(self, notification: Notification) -> str:
        return list_text(notification.last_error, 40) or "—"

    @admin.action(description="Send the selected e-mails again", permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        retried = services.notifications_retry(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        skipped = queryset.filter(state=NotificationState.SENT).count()
        self.message_user(
            request, f"{retried} e-mail(s) will be sent again by the worker.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} e-mail(s) were already sent and were left alone.",
                messages.INFO,
            )
