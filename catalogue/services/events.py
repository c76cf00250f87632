"""The catalogue's change history: one DatasetEvent per change, written inside the change's own
transaction so that history and data never disagree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from catalogue.models import Dataset, DatasetEvent, DatasetEventAction


def dataset_event_record(
    *,
    dataset: Dataset,
    action: DatasetEventAction,
    actor: AbstractBaseUser | None,
    changed_fields: Iterable[str] = (),
    detail: dict[str, Any] | None = None,
) -> DatasetEvent:
    return DatasetEvent.objects.create(
        dataset_ref=dataset.pk,
        dataset=None if action == DatasetEventAction.DELETED else dataset,
        publisher_id=dataset.publisher_id,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        changed_fields=sorted(changed_fields),
        detail=detail or {},
    )
