"""Objects addressed in URLs and inputs by their UUID or their slug."""

from __future__ import annotations

import uuid
from typing import Any


def id_or_slug(value: str, *, slug_field: str = "slug") -> dict[str, Any]:
    """The lookup for ``value``: by primary key if it is a UUID, else by slug."""
    try:
        return {"pk": uuid.UUID(str(value))}
    except ValueError:
        return {slug_field: value}
