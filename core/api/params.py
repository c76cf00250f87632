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


def whole_number(raw: str, *, name: str, minimum: int, maximum: int, message: str) -> int:
    """``raw`` as a whole number in [minimum, maximum], or a 400 on ``name`` with ``message``.

    Only ASCII digits: ``str.isdigit`` also accepts "²" (which ``int`` then refuses) and "\\u0661"
    (which it reads as 1); and a thousand digits is no page number.
    """
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        raise ValidationError({name: [message]})
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValidationError({name: [message]})
    return value
