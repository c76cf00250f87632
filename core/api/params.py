"""Query-parameter checks shared by every list endpoint: a typo is a 400, never ignored."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def reject_unknown_params(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(
            {
                name: [f"Unknown parameter. Allowed: {', '.join(sorted(allowed))}."]
                for name in unknown
            }
        )


def choice_error_messages(label: str) -> dict[str, str]:
    """django-filter messages that name the unknown value ("Unknown data space 'x'.")."""
    return {
        "invalid_choice": f"Unknown {label} '%(value)s'.",
        "invalid_pk_value": f"Unknown {label} '%(pk)s'.",
    }
