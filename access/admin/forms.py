"""Application forms in the admin: stewards define the questions of their publishers' forms.

Editing the questions publishes a new version through ``services.application_form_publish``;
earlier versions stay, read-only, because requests record the version they answered. A steward
sees and edits only the forms of the publishers they steward.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from access import selectors, services
from access.models import ApplicationForm, ApplicationFormVersion
from catalogue import selectors as catalogue_selectors
from core.errors import ApplicationError

QUESTIONS_HELP = (
    "A JSON list of questions. Each has a key (slug, unique), a label, a kind (text, long_text, "
    "choice, date, boolean, attachment), and optionally required (true/false), help_text, "
    "choices (a list of strings, for choice questions) and order. Saving changed questions "
    "publishes a new version; requests keep the version they answered."
)


class ApplicationFormAdminForm(forms.ModelForm):
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "class": "vLargeTextField"}),
        help_text=QUESTIONS_HELP,
        initial="[]",
    )

    class Meta:
        model = ApplicationForm
        fields = ["publisher", "name", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.current_version if self.instance.pk else None
        if current is not None:
            self.fields["questions"].initial = json.dumps(
                current.questions, indent=2, ensure_ascii=False
            )

    def clean_questions(self) -> list[dict[str, Any]]:
        try:
            raw = json.loads(self.cleaned_data["questions"])
        except ValueError as exc:
            raise ValidationError(f"Not valid JSON: {exc}.") from None
        try:
            return services.questions_clean(raw)
        except ApplicationError as exc:
            raise ValidationError(
                [f"{field}: {message}" for field, msgs in exc.fields.items() for message in msgs]
                or [exc.message]
            ) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        publisher = cleaned.get("publisher") or getattr(self.instance, "publisher", None)
        if cleaned.get("active") and publisher is not None:
            others = ApplicationForm.objects.filter(publisher=publisher, active=True).exclude(
                pk=self.instance.pk
            )
            if others.exists():
                self.add_error(
                    "active",
                    f"{publisher} already has an active form ({others.first().name}); "
                    "deactivate it first.",
                )
        return cleaned


class ApplicationFormVersionInline(admin.TabularInline):
    model = ApplicationFormVersion
    fields = ["version", "created", "created_by", "question_list"]
    readonly_fields = fields
    ordering = ["-version"]
    extra = 0
    can_delete = False

    @admin.display(description="Questions")
    def question_list(self, version: ApplicationFormVersion) -> str:
        return format_html_join(
            "",
            "<div><code>{}</code> {} <em>({}{})</em></div>",
            (
                (q["key"], q["label"], q["kind"], ", required" if q["required"] else "")
                for q in version.questions
            ),
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApplicationForm)
class ApplicationFormAdmin(admin.ModelAdmin):
    form = ApplicationFormAdminForm
    list_display = ["name", "publisher", "active", "current_version_number"]
    list_filter = ["active"]
    search_fields = ["name", "publisher__name"]
    inlines = [ApplicationFormVersionInline]
    fields = ["publisher", "name", "active", "questions"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApplicationForm]:
        return selectors.application_forms_editable_by(user=request.user).prefetch_related(
            "versions"
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["publisher"] if obj else []  # versions belong to one publisher for good

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "publisher":
            kwargs["queryset"] = catalogue_selectors.publishers_stewarded_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # requests refer to its versions; deactivate it instead

    @admin.display(description="Version")
    def current_version_number(self, form: ApplicationForm) -> int | None:
        current = form.current_version
        return current.version if current else None

    def save_model(self, request: HttpRequest, obj: ApplicationForm, form, change) -> None:
        obj.save()  # name and active are plain edits; the questions go through the service
        before = obj.current_version
        version = services.application_form_publish(
            user=request.user,
            publisher=obj.publisher,
            questions=form.cleaned_data["questions"],
            form=obj,
        )
        if before is not None and version.pk != before.pk:
            self.message_user(
                request, f"The questions are now version {version.version}.", messages.INFO
            )
