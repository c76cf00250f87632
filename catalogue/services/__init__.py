"""Every write to the catalogue. Views, the admin and commands call these; none writes directly.

Import from here: ``from catalogue import services``.
"""

from .datasets import (
    DATASET_EDITABLE_FIELDS,
    DatasetData,
    clean_identifier,
    dataset_check_temporal,
    dataset_create,
    dataset_delete,
    dataset_update,
    normalise_keywords,
    normalise_languages,
    unique_dataset_slug,
)
from .distributions import (
    ChecksumMismatchError,
    distribution_add_file,
    distribution_add_service,
    distribution_delete,
    distribution_resolve_format,
    upload_check_size,
)
from .events import dataset_event_record
from .licences import licence_publish_text
from .stewardship import NotAStewardError, ensure_steward
from .sync import (
    DatasetUpsert,
    DistributionData,
    UpsertOutcome,
    dataset_reinstate,
    dataset_upsert,
    dataset_withdraw,
)

__all__ = [
    "DATASET_EDITABLE_FIELDS",
    "ChecksumMismatchError",
    "DatasetData",
    "DatasetUpsert",
    "DistributionData",
    "NotAStewardError",
    "UpsertOutcome",
    "clean_identifier",
    "dataset_check_temporal",
    "dataset_create",
    "dataset_delete",
    "dataset_event_record",
    "dataset_reinstate",
    "dataset_update",
    "dataset_upsert",
    "dataset_withdraw",
    "distribution_add_file",
    "distribution_add_service",
    "distribution_delete",
    "distribution_resolve_format",
    "ensure_steward",
    "licence_publish_text",
    "normalise_keywords",
    "normalise_languages",
    "unique_dataset_slug",
    "upload_check_size",
]
