"""Forms of the access admin. They only parse input: every rule is checked by the services, and
a service's refusal is shown on these forms (``catalogue.admin.add_service_errors``)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from access.models import Recommendation
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
            for name in ("purpose", "project_title", "affiliation", "duration_days")
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
