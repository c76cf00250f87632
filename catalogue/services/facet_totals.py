"""Upkeep of the whole catalogue's facet totals (``catalogue/facet_totals_sql.py``)."""

from __future__ import annotations

import logging

from django.db import connection, transaction

from catalogue.facet_totals_sql import VERIFY_SQL

logger = logging.getLogger(__name__)


def facet_totals_compact() -> int:
    """Folds the delta rows that writes added into one row per facet value, so the landing page
    reads as many rows as there are values. Returns how many rows it removed. Safe beside writers
    and another compaction (one statement, under a lock of its own). PostgreSQL only: elsewhere
    there is no such table and nothing to do."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT catalogue_facet_totals_compact()")
        return cursor.fetchone()[0]


def facet_totals_rebuild() -> None:
    """Recounts the totals from the datasets: for rows written with triggers off (a bulk copy
    under ``session_replication_role = replica``). PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT catalogue_facet_totals_rebuild()")


def facet_totals_verify(*, repair: bool) -> list[tuple[str, str, int, int]]:
    """The facet values whose kept total differs from a recount of the datasets, as
    (facet, value, kept, counted); with ``repair``, recounts them all when any differs. The
    triggers keep every write that fires them; only rows written with triggers off can drift
    (a data-only restore with ``--disable-triggers``, a bulk copy under
    ``session_replication_role = replica``). Reads every listed dataset: run it daily, not per
    request. PostgreSQL only (empty elsewhere)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(VERIFY_SQL)
        differences = [
            (facet, value, int(kept), int(counted))
            for facet, value, kept, counted in cursor.fetchall()
        ]
    if differences:
        logger.error(
            "The catalogue's facet totals differ from the datasets for %d values (first: %s)%s",
            len(differences),
            ", ".join(f"{f}={v}: kept {k}, counted {c}" for f, v, k, c in differences[:5]),
            "; recounting them" if repair else "",
        )
        if repair:
            facet_totals_rebuild()
    return differences
