from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # Secrets are shown once, at creation through the API; the admin only revokes.
        return False


# --- sign-in lockouts (django-axes) -------------------------------------------------------------

if admin.site.is_registered(AccessAttempt):

    class AccessAttemptUnlockAdmin(AccessAttemptAdmin):
        """django-axes' failed sign-ins, with an explicit "Unlock" for administrators."""

        actions = ["unlock", *AccessAttemptAdmin.actions]

        @admin.action(description="Unlock: forget the selected failed sign-ins")
        def unlock(self, request, queryset) -> None:
            who = sorted({a.username or a.ip_address for a in queryset})
            count, _ = queryset.delete()
            self.message_user(
                request,
                f"Unlocked {', '.join(who)}: they can sign in again ({count} record(s) removed).",
                messages.SUCCESS,
            )

    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptUnlockAdmin)
