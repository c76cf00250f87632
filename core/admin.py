"""Admin helpers every app uses: show a service's refusal on the form instead of a 500, save
through services inside the admin's transaction, small form fields, and short list cells."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from core.errors import ApplicationError

# URLs typed without a scheme are taken as https (Django 6's default, chosen now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def https_url_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """The ModelForms' formfield_callback; in the admin, formfield_overrides does the same."""
    return db_field.formfield(**HTTPS_URLS.get(type(db_field), {}), **kwargs)


def add_service_errors(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: on the fields it names, else above the form."""
    on_fields = {name: msgs for name, msgs in exc.fields.items() if name in form.fields}
    for name, msgs in on_fields.items():
        form.add_error(name, msgs)
    if not on_fields:
        form.add_error(None, exc.message)


# --- list cells --------------------------------------------------------------------------------
# Admin lists must fit a 1280-pixel window next to the navigation and the filters (see
# core/static/core/admin_lists.css): long values are cut short, whole in a tooltip.


def list_text(value: Any, length: int) -> str:
    """A long value cut to ``length`` characters in a list column, whole in its tooltip."""
    text = str(value)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(length))


def list_date(value: datetime | None) -> str:
    """The day of a timestamp in a list column, on one line; the time in its tooltip."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<span class="nowrap" title="{}">{}</span>',
        local.strftime("%Y-%m-%d %H:%M %Z"),
        local.date().isoformat(),
    )


def list_id(value: Any) -> str:
    """The first eight characters of a long identifier (a UUID), whole in its tooltip."""
    text = str(value)
    return format_html('<span class="nowrap" title="{}">{}…</span>', text, text[:8])


class CommaSeparatedField(forms.CharField):
    """A short list of strings typed as ``soil, yield, nitrogen``."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        return [part.strip() for part in super().to_python(value).split(",") if part.strip()]


class _ShowRefusal:
    """Mixed into the admin form on the second pass after a refusal (see ServiceWritesAdmin)."""

    refusal: ApplicationError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        add_service_errors(self, self.refusal)
        return cleaned


class HttpsUrlsAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS


class ServiceWritesAdmin(HttpsUrlsAdmin):
    """A model admin whose saves call services.

    Services run inside the admin's transaction. When one refuses, the exception rolls the whole
    save back (rows, files and log entry alike) and the form is built again from the same POST
    with the refusal as its errors, so the user keeps what they typed. Files stored on the way
    are listed in ``request._stored_files`` by the admin that stores them, and removed here.
    """

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ) -> HttpResponse:
        request._stored_files = []
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Exception as exc:
            # The rows were rolled back; files stored on the way were not.
            for stored in request._stored_files:
                stored.delete(save=False)
            if not isinstance(exc, ApplicationError):
                raise
            request._service_refusal = exc
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (_ShowRefusal, form), {"refusal": refusal})

    def delete_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
