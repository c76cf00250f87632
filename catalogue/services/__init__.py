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
from .facet_totals import facet_totals_compact, facet_totals_rebuild, facet_totals_verify
from .fetch import distribution_fetch, distributions_fetch_due
from .licences import licence_publish_text
from .stewardship import NotAStewardError, ensure_steward
from .sync import (
    DatasetUpsert,
    DistributionData,
    SyncItemsError,
    UpsertItem,
    UpsertOutcome,
    dataset_reinstate,
    dataset_upsert,
    dataset_withdraw,
    datasets_upsert,
    sync_stamp,
)

__all__ = [
    "DATASET_EDITABLE_FIELDS",
    "ChecksumMismatchError",
    "DatasetData",
    "DatasetUpsert",
    "DistributionData",
    "NotAStewardError",
    "SyncItemsError",
    "UpsertItem",
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
    "datasets_upsert",
    "distribution_add_file",
    "distribution_add_service",
    "distribution_delete",
    "distribution_fetch",
    "distribution_resolve_format",
    "distributions_fetch_due",
    "ensure_steward",
    "facet_totals_compact",
    "facet_totals_rebuild",
    "facet_totals_verify",
    "licence_publish_text",
    "normalise_keywords",
    "normalise_languages",
    "sync_stamp",
    "unique_dataset_slug",
    "upload_check_size",
]
