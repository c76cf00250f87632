"""Accounts in the admin: API tokens (revoked here, created through the API) and the user list."""

from __future__ import annotations

# Imported (so their models are registered) before some are replaced or unregistered below.
from allauth.account import admin as _account_admin  # noqa: F401
from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.socialaccount import admin as _socialaccount_admin  # noqa: F401
from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.html import format_html

from core.admin import list_date, list_text

from .models import ApiToken

# Providers come from OIDC_PROVIDERS (settings), not from SocialApp rows, and provider tokens
# are not stored (SOCIALACCOUNT_STORE_TOKENS): those two lists would only mislead.
for _model in (SocialApp, SocialToken):
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
