"""Forms of the access admin. They only parse input: every rule is checked by the services, and
a service's refusal is shown on these forms (``catalogue.admin.add_service_errors``)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from access.models import PurposeCategory, Recommendation
from catalogue.models import Dataset, Distribution, LicenceVersion

PURPOSE_HELP = "Who will use the data, for what research question, and how (at least a sentence)."


class DistributionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Distribution) -> str:
        return f"{obj.title} ({obj.format})" if obj.format else obj.title


class RequestFieldsForm(forms.Form):
    """What a researcher states about a request: the fields of access_request_create/update."""

    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), help_text=PURPOSE_HELP
    )
    purpose_category = forms.ChoiceField(
        choices=[("", "—"), *PurposeCategory.choices],
        required=False,
        help_text="What the data will be used for (optional).",
    )
    project_title = forms.CharField(max_length=300, required=False)
    affiliation = forms.CharField(max_length=300, required=False)
    duration_days = forms.IntegerField(label="Duration in days", min_value=1)
    distributions = DistributionChoiceField(
        queryset=Distribution.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to ask for every distribution of the dataset.",
    )

    def __init__(self, *args: Any, dataset: Dataset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maximum = dataset.publisher.max_access_days
        duration = self.fields["duration_days"]
        # Shown to the browser; the service is the one that enforces the maximum.
        duration.widget.attrs["max"] = maximum
        duration.help_text = f"At most {maximum} days for {dataset.publisher.name}."
        self.fields["distributions"].queryset = dataset.distributions.order_by("created", "id")
        if not self.fields["distributions"].queryset.exists():
            del self.fields["distributions"]

    def request_values(self) -> dict[str, Any]:
        values = {
            name: self.cleaned_data[name]
            for name in (
                "purpose",
                "purpose_category",
                "project_title",
                "affiliation",
                "duration_days",
            )
        }
        if "distributions" in self.fields:
            values["distributions"] = list(self.cleaned_data["distributions"])
        return values


class LicenceAcceptanceMixin:
    """An "I accept" box for one licence version; the version travels with the form, so the
    service can refuse if the text changed between showing the page and submitting it."""

    def add_licence_fields(self, version: LicenceVersion | None) -> None:
        # Not required by the form: the service refuses without it, naming the licence.
        self.fields["accept_licence"] = forms.BooleanField(
            label="I accept this licence",
            required=False,
            widget=forms.CheckboxInput(attrs={"required": True}),
        )
        self.fields["licence_version"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, initial=version.version if version else None
        )


class AccessRequestCreateForm(LicenceAcceptanceMixin, RequestFieldsForm):
    def __init__(
        self,
        *args: Any,
        dataset: Dataset,
        licence_version: LicenceVersion | None,
        default_duration: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, dataset=dataset, **kwargs)
        self.fields["duration_days"].initial = default_duration
        self.add_licence_fields(licence_version)


class AccessRequestEditForm(LicenceAcceptanceMixin, RequestFieldsForm):
    """Edit a returned (or draft) request; the licence is accepted again only if its current
    version is not the one accepted before."""

    def __init__(
        self, *args: Any, dataset: Dataset, new_licence_version: LicenceVersion | None, **kwargs
    ) -> None:
        super().__init__(*args, dataset=dataset, **kwargs)
        self.needs_acceptance = new_licence_version is not None
        if self.needs_acceptance:
            self.add_licence_fields(new_licence_version)

    def changes(self) -> dict[str, Any]:
        values = self.request_values()
        return {name: value for name, value in values.items() if name in self.changed_data}

    def acceptance(self, *, submit: bool) -> dict[str, Any]:
        """The licence acceptance to submit with, when submitting and the text changed."""
        if not (submit and self.needs_acceptance):
            return {}
        return {
            "accept_licence": self.cleaned_data["accept_licence"],
            "licence_version": self.cleaned_data["licence_version"],
        }


# --- decisions ------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    """The input of one decision service; ``service_kwargs`` are passed to it as they are."""

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ApproveForm(DecisionForm):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    valid_until = forms.DateField(
        label="Access ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. By default the requested duration, within the publisher's maximum.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        day = self.cleaned_data.get("valid_until")
        return {
            "comment": self.cleaned_data.get("comment", ""),
            # Access ends at the start of that day, in the site's time zone.
            "valid_until": (
                datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
                if day
                else None
            ),
        }


class ReturnForm(DecisionForm):
    # The service requires it and says so; the browser is only told, to save a round trip.
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        required=False,
        help_text="What the researcher should change.",
    )


class ReasonForm(DecisionForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "required": True}), required=False
    )


class WithdrawForm(DecisionForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Optional."
    )


# --- the publisher's questions ------------------------------------------------------------------


ANSWER_PREFIX = "answers."


def answer_field_name(key: str) -> str:
    """The form field of a question: named as the service names its errors (``answers.<key>``),
    so ``add_service_errors`` puts a refusal on the right field."""
    return f"{ANSWER_PREFIX}{key}"


def question_form_fields(
    questions: list[dict[str, Any]], *, attachment_required: bool = False
) -> dict[str, forms.Field]:
    """Django form fields for a form version's questions, in their order, to add to any form
    (the researcher workspace, the admin). Requiredness is left to the service, which enforces
    it at submission only (a draft may be incomplete); the browser is told with the widget's
    ``required`` attribute. Attachment questions become file fields: the caller stores the file
    with ``services.attachment_add(question_key=...)``."""
    fields: dict[str, forms.Field] = {}
    for question in questions:
        kind, required = question["kind"], question["required"]
        common: dict[str, Any] = {
            "label": question["label"],
            "help_text": question.get("help_text", ""),
            "required": False,
        }
        attrs = {"required": True} if required and kind != "boolean" else {}
        if kind == "text":
            field: forms.Field = forms.CharField(
                max_length=2000, widget=forms.TextInput(attrs={"size": 80, **attrs}), **common
            )
        elif kind == "long_text":
            field = forms.CharField(
                max_length=20_000,
                widget=forms.Textarea(attrs={"rows": 5, "cols": 80, **attrs}),
                **common,
            )
        elif kind == "choice":
            field = forms.ChoiceField(
                choices=[("", "—"), *((c, c) for c in question["choices"])],
                widget=forms.Select(attrs=attrs),
                **common,
            )
        elif kind == "date":
            field = forms.DateField(
                widget=forms.DateInput(attrs={"type": "date", **attrs}), **common
            )
        elif kind == "boolean":
            # Yes and no are both answers; an unanswered question is neither.
            field = forms.NullBooleanField(
                widget=forms.Select(choices=[("unknown", "—"), ("true", "Yes"), ("false", "No")]),
                **common,
            )
        elif kind == "attachment":
            field = forms.FileField(
                widget=forms.ClearableFileInput(attrs=attrs if attachment_required else {}),
                **common,
            )
        else:  # a kind this code does not know: never silently dropped
            raise ValueError(f"Unknown question kind {kind!r}.")
        fields[answer_field_name(question["key"])] = field
    return fields


def answers_from_cleaned_data(
    questions: list[dict[str, Any]], cleaned_data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers, uploads) from a form built with ``question_form_fields``: answers as the
    service takes them (dates as yyyy-mm-dd, unanswered as None so an edit removes them), and
    the uploaded files of attachment questions, by key."""
    answers: dict[str, Any] = {}
    uploads: dict[str, Any] = {}
    for question in questions:
        name = answer_field_name(question["key"])
        if name not in cleaned_data:
            continue
        value = cleaned_data[name]
        if question["kind"] == "attachment":
            if value:
                uploads[question["key"]] = value
            continue
        if question["kind"] == "date" and value is not None:
            value = value.isoformat()
        answers[question["key"]] = None if value == "" else value
    return answers, uploads


def answers_initial(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """Initial values of the question fields from stored answers (files are not re-shown)."""
    return {
        answer_field_name(q["key"]): answers[q["key"]]
        for q in questions
        if q["key"] in answers and q["kind"] != "attachment"
    }


class InviteReviewerForm(DecisionForm):
    email = forms.EmailField(
        label="Reviewer's e-mail",
        help_text="Any active account; the reviewer sees this request only and recommends.",
    )


class ReviewForm(DecisionForm):
    recommendation = forms.ChoiceField(choices=Recommendation.choices)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CommentForm(DecisionForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        required=False,
        help_text="Seen by the researcher and the stewards, and mailed to the other side.",
    )


class RelinquishForm(DecisionForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Optional. Your download links stop working at once.",
    )
