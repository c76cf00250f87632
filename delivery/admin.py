"""Webhook endpoints in the admin: administrators register endpoints for publishers (or all),
see every endpoint's delivery log, enable, disable, rotate secrets and replay messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.admin import ServiceWritesAdmin, list_date, list_text
from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.services import webhooks as services
from delivery.services.webhook_events import EVENT_TYPES


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )
    url = forms.CharField(max_length=2000, label="URL")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event_types", "description", "all_publishers", "publishers", "enabled"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        owner = self.instance.owner_client_id if self.instance.pk else None
        if owner is None and not cleaned.get("all_publishers") and not cleaned.get("publishers"):
            raise forms.ValidationError("Choose the publishers whose events it receives, or all.")
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceWritesAdmin):
    form = WebhookEndpointForm
    list_display = ["url_text", "owner", "enabled", "disabled_text", "created_on"]
    list_filter = ["enabled", "all_publishers"]
    search_fields = ["url", "description", "owner_client__name"]
    filter_horizontal = ["publishers"]
    readonly_fields = [
        "owner_client", "disabled_reason", "disabled_at", "last_sequence", "last_success_at",
        "previous_secret_expires_at", "created_by", "created", "updated",
    ]  # fmt: skip
    actions = ["enable", "disable", "rotate_secret", "send_test"]

    @admin.display(description="URL", ordering="url")
    def url_text(self, endpoint: WebhookEndpoint) -> str:
        return list_text(endpoint.url, 26)

    @admin.display(description="Owner")
    def owner(self, endpoint: WebhookEndpoint) -> str:
        return list_text(endpoint.owner_client.name, 14) if endpoint.owner_client_id else "admin"

    @admin.display(description="Disabled")
    def disabled_text(self, endpoint: WebhookEndpoint) -> str:
        return list_text(endpoint.disabled_reason, 14) if endpoint.disabled_reason else "—"

    @admin.display(description="Created", ordering="created")
    def created_on(self, endpoint: WebhookEndpoint) -> str:
        return list_date(endpoint.created)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("owner_client")

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> list[str]:
        fields = ["url", "event_types", "description", "all_publishers", "publishers", "enabled"]
        if obj is not None and obj.owner_client_id:  # a partner's: its organisations decide
            fields = ["url", "event_types", "description", "enabled"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            made = services.webhook_endpoint_create(
                client=None,
                url=data["url"],
                event_types=list(data["event_types"]),
                description=data.get("description", ""),
                publishers=list(data.get("publishers") or []),
                all_publishers=bool(data.get("all_publishers")),
                created_by=request.user,
            )
            for field in made.endpoint._meta.concrete_fields:
                setattr(obj, field.attname, getattr(made.endpoint, field.attname))
            obj._state.adding = False
            obj._state.db = made.endpoint._state.db
            request._webhook_secret = made
            if not data.get("enabled", True):
                services.webhook_endpoint_update(endpoint=obj, changes={"enabled": False})
            return
        changes = {
            name: data[name]
            for name in (
                "url", "event_types", "description", "enabled", "all_publishers", "publishers",
            )
            if name in form.changed_data
        }  # fmt: skip
        if "event_types" in changes:
            changes["event_types"] = list(changes["event_types"])
        if changes:
            services.webhook_endpoint_update(endpoint=obj, changes=changes)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # save_model wrote everything through the services (publishers included); the form's
        # own many-to-many save would write them again, around them.
        form.instance = WebhookEndpoint.objects.get(pk=form.instance.pk)

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue=None):
        made = request._webhook_secret
        return self._secret_page(request, made.endpoint, made.secret, created=True)

    def _secret_page(
        self, request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            "admin/delivery/webhookendpoint/secret.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Webhook signing secret",
                "endpoint": endpoint,
                "secret": secret,
                "created": created,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Enable (resume with the first message not yet delivered)")
    def enable(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, changes={"enabled": True})
        self.message_user(request, f"{queryset.count()} endpoint(s) enabled.", messages.SUCCESS)

    @admin.action(description="Disable (messages keep queuing)")
    def disable(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, changes={"enabled": False})
        self.message_user(request, f"{queryset.count()} endpoint(s) disabled.", messages.SUCCESS)

    @admin.action(description="Rotate the signing secret (the old one signs for the overlap)")
    def rotate_secret(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint's secret at a time.", messages.ERROR)
            return None
        made = services.webhook_secret_rotate(endpoint=queryset.get())
        return self._secret_page(request, made.endpoint, made.secret, created=False)

    @admin.action(description="Send a webhook.test message")
    def send_test(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_test(endpoint=endpoint)
        self.message_user(request, f"{queryset.count()} test message(s) queued.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The log of every message: read-only; replay sends a copy at the end of the queue."""

    list_display = [
        "endpoint_url", "pos", "type_text", "status", "tries", "error_text", "created_on",
    ]  # fmt: skip
    list_filter = ["status", "event_type"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    actions = ["replay"]

    @admin.display(description="Endpoint")
    def endpoint_url(self, delivery: WebhookDelivery) -> str:
        return list_text(delivery.endpoint.url, 14)

    @admin.display(description="Pos.", ordering="position")
    def pos(self, delivery: WebhookDelivery) -> int:
        return delivery.position

    @admin.display(description="Type", ordering="event_type")
    def type_text(self, delivery: WebhookDelivery) -> str:
        return list_text(delivery.event_type, 16)

    @admin.display(description="Tries", ordering="attempts")
    def tries(self, delivery: WebhookDelivery) -> int:
        return delivery.attempts

    @admin.display(description="Last error")
    def error_text(self, delivery: WebhookDelivery) -> str:
        return list_text(delivery.last_error, 14) if delivery.last_error else "—"

    @admin.display(description="Created", ordering="created")
    def created_on(self, delivery: WebhookDelivery) -> str:
        return list_date(delivery.created)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Send again (a copy at the end of the endpoint's queue)")
    def replay(self, request: HttpRequest, queryset) -> None:
        for delivery in queryset.order_by("endpoint", "sequence"):
            services.webhook_delivery_replay(delivery=delivery)
        self.message_user(request, f"{queryset.count()} message(s) queued again.", messages.SUCCESS)
