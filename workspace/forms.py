"""The workspace's request forms, built here and only here: the per-publisher questions and
attachments (application forms) are added to these classes, and every workspace page that asks
for access or edits a request gets them.

They parse input; the rules are the services' (``access.services``), whose refusals are put back
on the form (``core.admin.add_service_errors``).
"""

from __future__ import annotations

from typing import Any

from django import forms

from access.forms import (
    AccessRequestCreateForm,
    AccessRequestEditForm,
    answers_from_cleaned_data,
    answers_initial,
    question_form_fields,
)
from access.models import Recommendation

WHOLE, CHOSEN = "whole", "chosen"


class FileScopeMixin:
    """Whole dataset or chosen files, said outright rather than by ticking no file at all."""

    def add_scope_field(self, *, initial: str) -> None:
        if "distributions" not in self.fields:
            return  # no files yet: a request covers whatever the dataset holds when approved
        self.fields["scope"] = forms.ChoiceField(
            label="Files",
            choices=[(WHOLE, "The whole dataset"), (CHOSEN, "Only the files I tick below")],
            widget=forms.RadioSelect,
            initial=initial,
        )
        self.fields["distributions"].help_text = "Used when you ask for chosen files only."
        # The radio buttons come before the boxes they govern.
        order = [name for name in self.fields if name != "scope"]
        order.insert(order.index("distributions"), "scope")
        self.order_fields(order)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("scope") == CHOSEN and not cleaned.get("distributions"):
            self.add_error(
                "distributions", "Tick the files you need, or ask for the whole dataset."
            )
        return cleaned

    def request_values(self) -> dict[str, Any]:
        values = super().request_values()
        if self.cleaned_data.get("scope") == WHOLE:
            values["distributions"] = []
        return values


class QuestionsMixin:
    """The publisher's own questions (its application form), after the request's fields and
    before the licence; documents for attachment questions are uploaded with the form."""

    questions: list[dict[str, Any]]

    def add_question_fields(
        self, questions: list[dict[str, Any]], *, answers: dict[str, Any] | None = None
    ) -> None:
        self.questions = questions
        fields = question_form_fields(questions, attachment_required=not answers)
        if answers:
            for name, value in answers_initial(questions, answers).items():
                fields[name].initial = value
        licence = [name for name in ("accept_licence", "licence_version") if name in self.fields]
        kept = {name: self.fields.pop(name) for name in licence}
        self.fields.update(fields)
        self.fields.update(kept)

    def answers_and_uploads(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(answers, documents by question key), as the services take them."""
        return answers_from_cleaned_data(self.questions, self.cleaned_data)


class WorkspaceRequestForm(QuestionsMixin, FileScopeMixin, AccessRequestCreateForm):
    """ "Request access" in the workspace: purpose, project, affiliation, duration (the
    publisher's default), files, the publisher's questions, and the current licence text to
    accept."""

    def __init__(self, *args: Any, questions: list[dict[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_scope_field(initial=WHOLE)
        self.add_question_fields(list(questions))


class WorkspaceEditForm(QuestionsMixin, FileScopeMixin, AccessRequestEditForm):
    """Edit a returned (or draft) request; the licence again only if its text changed. A
    document already given is kept unless a new one is uploaded for its question."""

    def __init__(
        self,
        *args: Any,
        whole_dataset: bool = True,
        questions: list[dict[str, Any]] = (),
        answers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_scope_field(initial=WHOLE if whole_dataset else CHOSEN)
        self.add_question_fields(list(questions), answers=answers or {})

    def changes(self) -> dict[str, Any]:
        values = self.request_values()
        changed = set(self.changed_data)
        if "scope" in changed:
            changed.add("distributions")
        changes = {name: value for name, value in values.items() if name in changed}
        answers, _ = self.answers_and_uploads()
        changed_answers = {
            key: value for key, value in answers.items() if f"answers.{key}" in changed
        }
        if changed_answers:
            changes["answers"] = changed_answers
        return changes


class RenewForm(forms.Form):
    """Ask for an extension: the purpose and duration come pre-filled from the request renewed;
    the licence is accepted again (its current text)."""

    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}))
    duration_days = forms.IntegerField(label="Duration in days", min_value=1)
    accept_licence = forms.BooleanField(
        label="I accept this licence",
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
    )
    licence_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, maximum: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duration_days"].widget.attrs["max"] = maximum
        self.fields["duration_days"].help_text = f"At most {maximum} days, counted from approval."


class ReviewForm(forms.Form):
    recommendation = forms.ChoiceField(
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        required=False,
        help_text="Seen by the stewards and the other reviewers, never by the researcher.",
    )
