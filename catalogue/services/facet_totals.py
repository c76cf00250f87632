"""Upkeep of the whole catalogue's facet totals (``catalogue/facet_totals_sql.py``)."""

from __future__ import annotations

from django.db import connection, transaction


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
