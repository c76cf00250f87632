"""Input serializers every app uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Unknown keys are a 400, not silently dropped: a misspelt field must not look accepted."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                allowed = ", ".join(sorted(self.fields))
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Allowed: {allowed}."] for name in unknown}
                )
        return super().to_internal_value(data)


class PartialInputMixin:
    """For PATCH inputs: every field optional, and an empty body refused (it would change
    nothing and usually means the fields were misnamed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                f"Send at least one of: {', '.join(sorted(self.fields))}."
            )
        return super().validate(attrs)
