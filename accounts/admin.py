"""Accounts in the admin: API tokens (revoked here, created through the API), the user list and
partner clients."""

from __future__ import annotations

from typing import Any

# Imported (so their models are registered) before some are replaced or unregistered below.
from allauth.account import admin as _account_admin  # noqa: F401
from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount import admin as _socialaccount_admin  # noqa: F401
from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from core.admin import list_date, list_text
from core.errors import ApplicationError

from . import services
from .models import ApiToken, PartnerClient

# Providers come from OIDC_PROVIDERS (settings), not from SocialApp rows, and provider tokens
# are not stored (SOCIALACCOUNT_STORE_TOKENS): those two lists would only mislead. Partner
# clients are managed as such (below); django-oauth-toolkit's own lists would offer grants this
# installation does not have, and tokens stored only as hashes.
for _model in (
    SocialApp,
    SocialToken,
    get_application_model(),
    get_access_token_model(),
    get_grant_model(),
    get_id_token_model(),
    get_refresh_token_model(),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class EmailAddressListAdmin(EmailAddressAdmin):
    """allauth's addresses, cut short with the whole in a tooltip: the list fits 1280 pixels."""

    list_display = ["user", "address", "primary", "verified"]

    @admin.display(description="E-mail address", ordering="email")
    def address(self, record: EmailAddress) -> str:
        return list_text(record.email, 24)


class SocialAccountListAdmin(SocialAccountAdmin):
    """Identities linked through OpenID Connect providers (their subject ids can be long)."""

    list_display = ["user", "provider", "subject", "last_login_on"]

    @admin.display(description="Subject (uid)", ordering="uid")
    def subject(self, record: SocialAccount) -> str:
        return list_text(record.uid, 24)

    @admin.display(description="Last sign-in", ordering="last_login")
    def last_login_on(self, record: SocialAccount) -> str:
        return list_date(record.last_login)


for _model, _model_admin in (
    (EmailAddress, EmailAddressListAdmin),
    (SocialAccount, SocialAccountListAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # Dates without times, and the three end dates as one status: the list fits 1280 pixels.
    list_display = ["prefix", "user", "name_text", "created_on", "last_used_on", "status"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # Secrets are shown once, at creation through the API; the admin only revokes.
        return False

    @admin.display(description="Name", ordering="name")
    def name_text(self, token: ApiToken) -> str:
        return list_text(token.name, 40) or "—"

    @admin.display(description="Created", ordering="created")
    def created_on(self, token: ApiToken) -> str:
        return list_date(token.created)

    @admin.display(description="Last used", ordering="last_used_at")
    def last_used_on(self, token: ApiToken) -> str:
        return list_date(token.last_used_at)

    @admin.display(description="Status", ordering="expires_at")
    def status(self, token: ApiToken) -> str:
        if token.revoked_at:
            return format_html("Revoked {}", list_date(token.revoked_at))
        if token.expires_at <= timezone.now():
            return format_html("Expired {}", list_date(token.expires_at))
        return format_html("Valid until {}", list_date(token.expires_at))


class AccountUserAdmin(UserAdmin):
    """Django's user admin with a list that fits 1280 pixels beside its four filters: the name in
    one column instead of two, so that e-mail addresses keep to one line."""

    list_display = ["username", "full_name", "email", "is_staff"]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, user) -> str:
        return user.get_full_name() or "—"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountUserAdmin)

# --- sign-in lockouts (django-axes) -------------------------------------------------------------


@admin.display(description="When", ordering="attempt_time")
def _when(record) -> str:
    return list_date(record.attempt_time)


@admin.display(description="Username", ordering="username")
def _username(record) -> str:
    # allauth signs in by e-mail address: a failed attempt may name a long one.
    return list_text(record.username, 24)


@admin.display(description="Browser")
def _agent(record) -> str:
    return list_text(record.user_agent, 24)


if admin.site.is_registered(AccessAttempt):

    class AccessAttemptUnlockAdmin(AccessAttemptAdmin):
        """django-axes' failed sign-ins, with an explicit "Unlock" for administrators."""

        list_display = [_when, _username, "ip_address", "failures_since_start", "status"]
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

    class AccessLogListAdmin(AccessLogAdmin):
        list_display = [_when, _username, "ip_address", _agent, "logout_time"]

    class AccessFailureLogListAdmin(AccessFailureLogAdmin):
        list_display = [_when, _username, "ip_address", _agent, "locked_out"]

    for model, model_admin in (
        (AccessLog, AccessLogListAdmin),
        (AccessFailureLog, AccessFailureLogListAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, model_admin)


# --- partner clients ----------------------------------------------------------------------------


class PartnerClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="What the client may obtain in its tokens.",
    )

    class Meta:
        model = PartnerClient
        fields = ["name", "publishers", "research_organisation", "scopes", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope, f"{scope}: {meaning}") for scope, meaning in settings.PARTNER_SCOPES.items()
        ]

    def clean_scopes(self) -> list[str]:
        try:
            return services.partner_scopes_clean(self.cleaned_data["scopes"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(PartnerClient)
class PartnerClientAdmin(admin.ModelAdmin):
    """Partner systems. Creating one shows its secret once; "Rotate the secret" gives a new one
    while the old keeps working for the overlap period; deactivating ends its tokens at once."""

    form = PartnerClientForm
    list_display = ["name_text", "client_id", "scope_list", "is_active", "created_on"]
    list_filter = ["is_active"]
    search_fields = ["name", "application__client_id", "research_organisation"]
    filter_horizontal = ["publishers"]
    readonly_fields = [
        "client_id", "service_user", "secret_rotated_at", "previous_secret_expires_at", "created",
    ]  # fmt: skip
    actions = ["rotate_secret", "revoke_tokens", "deactivate"]

    @admin.display(description="Name", ordering="name")
    def name_text(self, client: PartnerClient) -> str:
        return list_text(client.name, 40)

    def get_fields(self, request: HttpRequest, obj: PartnerClient | None = None) -> list[str]:
        fields = ["name", "publishers", "research_organisation", "scopes", "is_active"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: PartnerClient | None = None):
        return self.readonly_fields if obj is not None else []

    @admin.display(description="Client id", ordering="application__client_id")
    def client_id(self, client: PartnerClient) -> str:
        return list_text(client.application.client_id, 14)

    @admin.display(description="Scopes")
    def scope_list(self, client: PartnerClient) -> str:
        return ", ".join(client.scopes)

    @admin.display(description="Created", ordering="created")
    def created_on(self, client: PartnerClient) -> str:
        return list_date(client.created)

    def save_model(self, request: HttpRequest, obj: PartnerClient, form, change: bool) -> None:
        if not change:
            client, secret = services.partner_client_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                research_organisation=form.cleaned_data.get("research_organisation", ""),
            )
            obj.pk = client.pk
            obj._state.adding = False
            obj.application = client.application
            obj.service_user = client.service_user
            request._partner_secret = (client, secret)
            if not form.cleaned_data.get("is_active", True):
                services.partner_client_set_active(client=client, active=False)
            return
        was_active = PartnerClient.objects.filter(pk=obj.pk).values_list("is_active", flat=True)
        obj.save()
        if was_active and was_active[0] != obj.is_active:
            services.partner_client_set_active(client=obj, active=obj.is_active)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        form.instance = PartnerClient.objects.get(pk=form.instance.pk)
        form.instance.publishers.set(form.cleaned_data.get("publishers", []))

    def response_add(self, request: HttpRequest, obj: PartnerClient, post_url_continue=None):
        client, secret = request._partner_secret
        return self._secret_page(request, client, secret, created=True)

    def _secret_page(
        self, request: HttpRequest, client: PartnerClient, secret: str, *, created: bool
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            "admin/accounts/partnerclient/secret.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Credentials of {client.name}",
                "client": client,
                "client_id": client.application.client_id,
                "secret": secret,
                "created": created,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Rotate the secret (the old one works for the overlap period)")
    def rotate_secret(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one client's secret at a time.", messages.ERROR)
            return None
        client = queryset.select_related("application").get()
        secret = services.partner_client_rotate_secret(client=client)
        client.refresh_from_db()
        return self._secret_page(request, client, secret, created=False)

    @admin.action(description="Revoke every token now (the client may obtain new ones)")
    def revoke_tokens(self, request: HttpRequest, queryset) -> None:
        revoked = sum(services.partner_client_tokens_revoke(client=c) for c in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)

    @admin.action(description="Deactivate: its tokens stop at once, it obtains no new one")
    def deactivate(self, request: HttpRequest, queryset) -> None:
        for client in queryset:
            services.partner_client_set_active(client=client, active=False)
        self.message_user(request, f"{queryset.count()} client(s) deactivated.", messages.SUCCESS)
