from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “Notebook on my workstation”.",
    )
    lifetime_days = forms.IntegerField(
        label="Lifetime (days)",
        required=False,
        min_value=1,
        help_text="Leave empty for the longest allowed.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_TTL_DAYS
        field = self.fields["lifetime_days"]
        field.max_value = longest
        field.validators.append(MaxValueValidator(longest))
        field.widget.attrs.update({"min": 1, "max": longest})
        field.help_text = f"At most {longest} days; leave empty for {longest}."
