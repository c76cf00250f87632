"""Grants in the admin: made by workers, never by hand; stewards list and revoke them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from access import selectors, services
from access.forms import (
    ReasonForm,
)
from access.models import Grant
from core.admin import list_date, list_id
from core.errors import ApplicationError

from .common import (
    describe_refusal,
)

# --- grants ---------------------------------------------------------------------------------


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """Grants are made by workers, never by hand: the admin lists them and revokes them."""

    list_display = ["short_id", "grantee", "dataset", "state", "expires_on", "download_count"]
    list_filter = ["state", "dataset__publisher"]
    search_fields = ["grantee__username", "dataset__title", "id"]
    ordering = ["-created"]
    actions = ["revoke_selected"]
    readonly_fields = [
        "id", "access_request", "grantee", "dataset", "state", "valid_from", "expires_at",
        "revoked_at", "download_count", "created",
    ]  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Grant]:
        return selectors.grants_visible_to(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Grant", ordering="id")
    def short_id(self, grant: Grant) -> str:
        return list_id(grant.pk)

    @admin.display(description="Expires", ordering="expires_at")
    def expires_on(self, grant: Grant) -> str:
        return list_date(grant.expires_at)

    @admin.action(description="Revoke selected grants (asks for a reason)")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Grant]):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, failed = 0, []
            for grant in queryset:
                try:
                    services.grant_revoke(
                        user=request.user, grant=grant, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except ApplicationError as exc:
                    failed.append(f"{grant.pk}: {describe_refusal(exc)}")
            if done:
                self.message_user(request, f"Revoked {done} grant(s).", messages.SUCCESS)
            for failure in failed:
                self.message_user(request, failure, messages.ERROR)
            return None
        return TemplateResponse(
            request,
            "admin/access/grant/revoke.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Revoke grants",
                "grants": queryset,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
