"""django-filter pieces that keep odd but well-formed input a 400."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class BoundedIsoDateTimeField(IsoDateTimeField):
    """A date-time that must also exist in UTC: "9999-12-31T23:59:59-23:59" parses, but is past
    the last representable moment once converted, which the database adapter finds too late."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None:
            try:
                parsed.astimezone(UTC)
            except (OverflowError, ValueError):
                raise ValidationError(
                    "This date-time is out of range once converted to UTC.", code="invalid"
                ) from None
        return parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField
