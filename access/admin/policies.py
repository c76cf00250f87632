"""Decision policies in the admin: stewards define their publishers' policies.

Saving goes through ``services.decision_policy_create`` / ``decision_policy_update``: a change is
a new version (shown below, read-only), and a refused policy shows each problem on its field
(``conditions.<n>...`` on the conditions). A policy is never deleted: "Remove from use" archives
it, keeping the versions its decisions name. A steward sees only their publishers' policies.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from access import selectors, services
from access.models import DecisionPolicy, DecisionPolicyVersion, PolicyEffect, RouteRole
from access.policy_conditions import condition_kinds
from catalogue import selectors as catalogue_selectors
from catalogue.models import Dataset
from core.errors import ApplicationError


def _conditions_help() -> str:
    kinds = "; ".join(
        f"{cls.kind} ({', '.join(cls.parameters) or 'no parameters'})"
        for cls in condition_kinds().values()
    )
    return (
        'A JSON list of conditions that must all hold, such as [{"kind": "email_domain", '
        f'"domains": ["uni-muenchen.de"]}}]. Kinds: {kinds}. An empty list matches every request.'
    )


class DecisionPolicyAdminForm(forms.ModelForm):
    name = forms.CharField(max_length=200)
    priority = forms.IntegerField(
        initial=100, help_text="Lower runs first; the first policy whose conditions hold decides."
    )
    active = forms.BooleanField(required=False, initial=True)
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 100, "class": "vLargeTextField"}),
        initial="[]",
        required=False,
    )
    effect = forms.ChoiceField(choices=PolicyEffect.choices)
    validity_days = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Approve: the longest access given (the requested duration when shorter).",
    )
    route_to = forms.CharField(
        required=False, help_text="Route: the username or e-mail of the account it goes to."
    )
    route_role = forms.ChoiceField(choices=[("", "—"), *RouteRole.choices], required=False)

    class Meta:
        model = DecisionPolicy
        fields = ["publisher", "dataset"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conditions"].help_text = _conditions_help()
        current = self.instance.current if self.instance.pk else None
        if current is not None:
            for name in ("name", "priority", "active", "effect", "validity_days", "route_role"):
                self.fields[name].initial = getattr(current, name)
            self.fields["conditions"].initial = json.dumps(
                current.conditions, indent=2, ensure_ascii=False
            )
            self.fields["route_to"].initial = (
                current.route_to.get_username() if current.route_to else ""
            )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("name"),
            "priority": data.get("priority"),
            "active": data.get("active", False),
            "conditions": data.get("parsed_conditions", []),
            "effect": data.get("effect"),
            "validity_days": data.get("validity_days"),
            "route_to": data.get("route_to") or None,
            "route_role": data.get("route_role") or "",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            cleaned["parsed_conditions"] = json.loads(cleaned.get("conditions") or "[]")
        except ValueError as exc:
            self.add_error("conditions", f"Not valid JSON: {exc}.")
            return cleaned
        publisher = cleaned.get("publisher") or getattr(self.instance, "publisher", None)
        if publisher is None or self.errors:
            return cleaned
        dataset = cleaned.get("dataset") if not self.instance.pk else self.instance.dataset
        if dataset is not None and dataset.publisher_id != publisher.pk:
            self.add_error("dataset", f"Not a dataset of {publisher}.")
            return cleaned
        try:
            services.decision_policy_clean(
                publisher=publisher, dataset=dataset, values=self.values()
            )
        except ApplicationError as exc:
            for field, messages_ in exc.fields.items():
                name = field.split(".", 1)[0]
                target = name if name in self.fields else None
                prefix = "" if field == name else f"{field}: "
                self.add_error(target, [f"{prefix}{m}" for m in messages_])
        return cleaned


class DecisionPolicyVersionInline(admin.TabularInline):
    model = DecisionPolicyVersion
    fields = [
        "version", "name", "priority", "active", "effect", "rule", "created", "created_by",
    ]  # fmt: skip
    readonly_fields = fields
    ordering = ["-version"]
    extra = 0
    can_delete = False

    @admin.display(description="Conditions and effect")
    def rule(self, version: DecisionPolicyVersion) -> str:
        lines = [(json.dumps(c, ensure_ascii=False),) for c in version.conditions]
        if version.effect == PolicyEffect.APPROVE:
            lines.append((f"→ approve, {version.validity_days or 'requested'} days",))
        else:
            lines.append((f"→ route to {version.route_to} as {version.route_role}",))
        return format_html_join("", "<div><code>{}</code></div>", lines)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DecisionPolicy)
class DecisionPolicyAdmin(admin.ModelAdmin):
    form = DecisionPolicyAdminForm
    list_display = ["policy_name", "publisher", "dataset", "priority", "active", "effect_shown",
                    "version"]  # fmt: skip
    list_filter = ["current__active", "current__effect"]
    search_fields = ["current__name", "publisher__name", "dataset__title"]
    inlines = [DecisionPolicyVersionInline]
    fields = ["publisher", "dataset", "name", "priority", "active", "conditions", "effect",
              "validity_days", "route_to", "route_role"]  # fmt: skip
    actions = ["remove_from_use"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DecisionPolicy]:
        return selectors.decision_policies_visible_to(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["publisher", "dataset"] if obj else []  # the scope is fixed at creation

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        publishers = catalogue_selectors.publishers_stewarded_by(user=request.user)
        if db_field.name == "publisher":
            kwargs["queryset"] = publishers
        elif db_field.name == "dataset":
            kwargs["queryset"] = Dataset.objects.filter(publisher__in=publishers).order_by("title")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # decisions name its versions: remove it from use instead

    @admin.display(description="Name", ordering="current__name")
    def policy_name(self, policy: DecisionPolicy) -> str:
        return policy.current.name

    @admin.display(description="Priority", ordering="current__priority")
    def priority(self, policy: DecisionPolicy) -> int:
        return policy.current.priority

    @admin.display(description="Active", boolean=True)
    def active(self, policy: DecisionPolicy) -> bool:
        return policy.current.active

    @admin.display(description="Effect")
    def effect_shown(self, policy: DecisionPolicy) -> str:
        return policy.current.get_effect_display()

    @admin.display(description="Version")
    def version(self, policy: DecisionPolicy) -> int:
        return policy.current.version

    def save_model(self, request: HttpRequest, obj: DecisionPolicy, form, change) -> None:
        values = form.values()
        if not change:
            created = services.decision_policy_create(
                user=request.user,
                publisher=form.cleaned_data["publisher"],
                dataset=form.cleaned_data.get("dataset"),
                **values,
            )
            # The admin goes on with the object it was given (its history, its redirect).
            obj.pk, obj.current_id, obj.created = created.pk, created.current_id, created.created
            obj._state.adding, obj._state.db = False, created._state.db
            return
        before = obj.current_id
        services.decision_policy_update(user=request.user, policy=obj, changes=values)
        obj.refresh_from_db()
        if obj.current_id != before:
            self.message_user(
                request, f"The policy is now version {obj.current.version}.", messages.INFO
            )

    @admin.action(description="Remove from use (keeps its versions for the record)")
    def remove_from_use(self, request: HttpRequest, queryset: QuerySet[DecisionPolicy]) -> None:
        removed = 0
        for policy in queryset:
            try:
                services.decision_policy_archive(user=request.user, policy=policy)
                removed += 1
            except ApplicationError as exc:
                self.message_user(request, f"{policy}: {exc.message}", messages.ERROR)
        if removed:
            self.message_user(request, f"{removed} policies removed from use.", messages.SUCCESS)
