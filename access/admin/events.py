"""The audit trail in the admin: read-only for everybody, superusers included."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from access import selectors
from access.models import AccessEvent, RequestState
from core.admin import list_date, list_text

# --- events ---------------------------------------------------------------------------------


class ReadOnlyEventsMixin:
    """Audit events are never added, changed or deleted in the admin, not even by superusers."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="From → to")
    def transition(self, event: AccessEvent) -> str:
        labels = dict(RequestState.choices)
        before = labels.get(event.from_state, event.from_state) or "—"
        return f"{before} → {labels.get(event.to_state, event.to_state)}"

    @admin.display(description="Actor")
    def actor_name(self, event: AccessEvent) -> str:
        if event.actor is None:
            return "system"
        return event.actor.get_full_name() or event.actor.get_username()


class AccessEventInline(ReadOnlyEventsMixin, admin.TabularInline):
    model = AccessEvent
    verbose_name = "event"
    verbose_name_plural = "History"
    fields = ["position", "created", "actor_name", "action", "transition", "comment"]
    readonly_fields = fields
    ordering = ["position"]
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessEvent]:
        # The requester's history leaves out the reviews (selectors.HIDDEN_FROM_REQUESTER).
        return (
            super()
            .get_queryset(request)
            .select_related("actor")
            .exclude(
                access_request__requester=request.user,
                action__in=selectors.HIDDEN_FROM_REQUESTER,
            )
        )


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyEventsMixin, admin.ModelAdmin):
    """The audit trail of the requests the user can see."""

    list_display = [
        "position", "created_on", "request_summary", "actor_name", "action", "transition",
    ]  # fmt: skip
    list_filter = ["action"]
    list_select_related = ["actor", "access_request__dataset", "access_request__requester"]
    fields = [
        "position", "created", "access_request", "actor", "action", "from_state", "to_state",
        "comment", "prev_hash", "hash",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Created", ordering="created")
    def created_on(self, event: AccessEvent) -> str:
        return list_date(event.created)

    @admin.display(description="Request")
    def request_summary(self, event: AccessEvent) -> str:
        access_request = event.access_request
        requester = access_request.requester.get_username()
        return list_text(f"{requester} → {access_request.dataset.title}", 50)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessEvent]:
        visible = selectors.access_requests_visible_to(user=request.user)
        return (
            super()
            .get_queryset(request)
            .filter(access_request__in=visible.values("pk"))
            .exclude(
                access_request__requester=request.user,
                action__in=selectors.HIDDEN_FROM_REQUESTER,
            )
        )
