"""Reads of the catalogue that are more than a get."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import OperationalError, connection, connections, transaction
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from core.api import lookups
from core.errors import ApplicationError, NotFoundError
from core.partners import partner_context

from .formats import FORMAT_CHOICES, normalise_format
from .models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    LicenceVersion,
    Publisher,
    Theme,
)
from .search import pg_tsquery, rank_annotation, search_filter

ORDERINGS = ("relevance", "-modified", "modified", "title", "-title")


def publishers_stewarded_by(
    *, user: AbstractBaseUser | None, scope: str | None = None
) -> QuerySet[Publisher]:
    """The publishers whose part of the catalogue (and requests) ``user`` looks after: a
    steward's, every one for a superuser. A partner client's service user has its client's
    publishers, and only for ``scope`` when its token holds that scope (the right a caller needs:
    ``catalogue:write`` to edit, ``access:decide`` to decide, ``grants:read`` to read grants);
    without a scope, none."""
    if user is None or not user.is_authenticated:
        return Publisher.objects.none()
    partner = partner_context(user)
    if partner is not None:
        if scope is None or not partner.allows(scope):
            return Publisher.objects.none()
        return Publisher.objects.filter(partner_clients__pk=partner.client_id)
    if user.is_superuser:
        return Publisher.objects.all()
    return Publisher.objects.filter(stewards=user)


def sync_lookups(*, publisher_slugs: set[str]) -> dict[str, dict[str, Any]]:
    """What the items of a sync batch refer to, by the names the API takes, read once for the
    whole batch: the publishers it names, and every data space, licence and theme (short
    reference lists)."""
    return {
        "publisher": {p.slug: p for p in Publisher.objects.filter(slug__in=publisher_slugs)},
        "data_space": {d.slug: d for d in DataSpace.objects.all()},
        "licence": {lic.identifier: lic for lic in Licence.objects.all()},
        "theme": {t.code: t for t in Theme.objects.all()},
    }


def sync_unchanged_rows(
    *, user: AbstractBaseUser | None, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[Any, str, Any, str]]:
    """For a bulk sync's (publisher slug, identifier) pairs: the listed datasets of publishers
    the user stewards, as (id, slug, modified, sync_digest), in one query."""
    if not keys:
        return {}
    rows = (
        Dataset.objects.filter(
            publisher__in=publishers_stewarded_by(user=user),
            publisher__slug__in={slug for slug, _ in keys},
            identifier__in={identifier for _, identifier in keys},
            withdrawn_at__isnull=True,
        )
        .exclude(identifier="")
        .values_list("publisher__slug", "identifier", "id", "slug", "modified", "sync_digest")
    )
    return {(row[0], row[1]): row[2:] for row in rows if (row[0], row[1]) in keys}


def dataset_base_queryset() -> QuerySet[Dataset]:
    """What a list result needs, in a constant number of queries whatever the page size."""
    return (
        Dataset.objects.select_related("publisher", "data_space", "licence")
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("code")))
        .defer("search_vector")
    )


def dataset_detail_queryset() -> QuerySet[Dataset]:
    return dataset_base_queryset().prefetch_related(
        Prefetch("distributions", queryset=Distribution.objects.order_by("created", "id")),
        Prefetch("licence__versions", queryset=LicenceVersion.objects.order_by("-version")),
    )


def dataset_get(*, id_or_slug: str, queryset: QuerySet[Dataset] | None = None) -> Dataset:
    """The dataset named by UUID or slug, from ``queryset`` (what the caller may see or change;
    by default the whole catalogue with what a detail shows); 404 otherwise."""
    queryset = queryset if queryset is not None else dataset_detail_queryset()
    dataset = queryset.filter(**lookups.id_or_slug(id_or_slug)).first()
    if dataset is None:
        raise NotFoundError(f"No dataset with the id or slug '{id_or_slug}'.")
    return dataset


def dataset_export_queryset(*, modified_since: datetime | None = None) -> QuerySet[Dataset]:
    """The whole catalogue as published to other portals (DCAT-AP, CKAN), with what a detail
    shows. Oldest change first, so that an incremental harvest walks towards the present and a
    dataset changed during the walk reappears at the end rather than being missed."""
    queryset = dataset_detail_queryset().filter(withdrawn_at__isnull=True)
    if modified_since is not None:
        queryset = queryset.filter(modified__gte=modified_since)
    return queryset.order_by("modified", "id")


@dataclass
class SearchPage:
    """One page of a search. ``total`` is exact when ``count_exact``; otherwise it is a lower
    bound (settings.SEARCH_EXACT_COUNT_UP_TO). ``facets`` are exact counts when ``facets_exact``;
    otherwise estimates from a sample of the catalogue, scaled to it."""

    total: int
    page_ids: list[uuid.UUID]
    facets: dict[str, list[dict[str, Any]]]
    count_exact: bool = True
    facets_exact: bool = True
    # How many results pages reach, when fewer than ``total``: the whole catalogue is counted
    # exactly, but pages stop at SEARCH_EXACT_COUNT_UP_TO, as a search engine's result window.
    reachable: int | None = None

    @property
    def pages_reach(self) -> int:
        return self.total if self.reachable is None else self.reachable


class SearchTimeoutError(ApplicationError):
    """The search ran past settings.SEARCH_STATEMENT_TIMEOUT_MS and was cancelled."""

    status_code = 503
    code = "search_timeout"


_ORDER_FIELDS = {
    "relevance": ("-modified", "id"),  # past the rank window: the newest first
    "-modified": ("-modified", "id"),
    "modified": ("modified", "id"),
    "title": ("title", "id"),
    "-title": ("-title", "id"),
    # Not offered by /api/v1 (ORDERINGS): the CKAN-compatible API sorts by name (the slug), and
    # harvesters page by id.
    "slug": ("slug",),
    "id": ("id",),
}

# PostgreSQL: one pass over the matches feeds every facet at once (GROUPING SETS keeps one hash
# table per facet). Theme ids and formats are arrays copied onto each dataset row by triggers
# (migration 0005), counted per distinct array and then unnested, so no search joins the whole
# themes and distributions tables. The covering index of migration 0006 lets a filter-only search
# read these columns without touching the wide heap rows.
_PG_FACETS_SQL = """
    f AS (
        SELECT GROUPING(data_space_id) AS g_space, GROUPING(publisher_id) AS g_publisher,
               GROUPING(licence_id) AS g_licence, GROUPING(access_rights) AS g_access,
               GROUPING(facet_theme_ids) AS g_themes, GROUPING(facet_formats) AS g_formats,
               data_space_id, publisher_id, licence_id, access_rights, facet_theme_ids,
               facet_formats, COUNT(*) AS n
          FROM m
         GROUP BY GROUPING SETS ((data_space_id), (publisher_id), (licence_id), (access_rights),
                                 (facet_theme_ids), (facet_formats), ())
    )
    SELECT 'data_space', CAST(data_space_id AS TEXT), n FROM f WHERE g_space = 0
    UNION ALL SELECT 'publisher', CAST(publisher_id AS TEXT), n FROM f WHERE g_publisher = 0
    UNION ALL SELECT 'licence', CAST(licence_id AS TEXT), n FROM f WHERE g_licence = 0
    UNION ALL SELECT 'access_rights', access_rights, n FROM f WHERE g_access = 0
    UNION ALL
    SELECT 'theme', CAST(t.value AS TEXT), SUM(n)
      FROM f, unnest(f.facet_theme_ids) AS t(value) WHERE g_themes = 0 GROUP BY t.value
    UNION ALL
    SELECT 'format', x.value, SUM(n)
      FROM f, unnest(f.facet_formats) AS x(value) WHERE g_formats = 0 GROUP BY x.value
    UNION ALL
    SELECT 'total', '', n FROM f
     WHERE g_space + g_publisher + g_licence + g_access + g_themes + g_formats = 6
"""

# Elsewhere (SQLite): scalar facets from the distinct combinations of their columns, themes and
# formats by joining.
_PORTABLE_FACETS_SQL = """
    g AS (
        SELECT data_space_id, publisher_id, licence_id, access_rights, COUNT(*) AS n
          FROM m GROUP BY data_space_id, publisher_id, licence_id, access_rights
    )
    SELECT 'data_space', CAST(data_space_id AS TEXT), SUM(n) FROM g GROUP BY data_space_id
    UNION ALL SELECT 'publisher', CAST(publisher_id AS TEXT), SUM(n) FROM g GROUP BY publisher_id
    UNION ALL SELECT 'licence', CAST(licence_id AS TEXT), SUM(n) FROM g GROUP BY licence_id
    UNION ALL SELECT 'access_rights', access_rights, SUM(n) FROM g GROUP BY access_rights
    UNION ALL SELECT 'total', '', COALESCE(SUM(n), 0) FROM g
    UNION ALL
    SELECT 'theme', CAST(t.theme_id AS TEXT), COUNT(*)
      FROM catalogue_dataset_themes t JOIN m ON m.id = t.dataset_id GROUP BY t.theme_id
    UNION ALL
    SELECT 'format', d.format, COUNT(DISTINCT d.dataset_id)
      FROM catalogue_distribution d JOIN m ON m.id = d.dataset_id GROUP BY d.format
"""

_RELEVANCE_PAGE_SQL = """
    UNION ALL
    SELECT * FROM (
        SELECT 'page', CAST(id AS TEXT) AS page_id, 0 FROM m
         ORDER BY rank DESC, modified DESC, id LIMIT %s OFFSET %s
    ) page
"""


def dataset_search(
    *,
    matches: QuerySet[Dataset],
    q: str | None,
    ordering: str | None,
    offset: int,
    limit: int,
    exact: bool = False,
    whole_catalogue: bool = False,
) -> SearchPage:
    """One page of ``matches`` (already searched and filtered), its total and its facets.

    On PostgreSQL the cost stays bounded however many datasets match (``exact=False``):
    - one statement reads at most ``SEARCH_EXACT_COUNT_UP_TO`` + 1 matches and derives the total
      and every facet from them; when there are more, ``total`` is that lower bound and the facets
      are counted on a repeatable block sample of about ``SEARCH_FACET_SAMPLE_ROWS`` rows of the
      catalogue, scaled up (``count_exact`` and ``facets_exact`` say which);
    - relevance ranks, in that same statement, the ``SEARCH_RANK_WINDOW`` most recently modified
      of the matches it reads (of all matches when they are within the threshold; every match
      when there are fewer than the window); the other matches follow newest first, so no
      request scores every match. Other orderings read the page through the indexes on modified
      and title.
    ``exact=True`` counts, ranks and facets every match (the CKAN-compatible API, whose harvesters
    rely on ``count``). ``whole_catalogue=True`` says ``matches`` is every listed dataset (no
    words, no filters: the landing page): the total and the facets are then exact, read from the
    trigger-kept facet totals (``facet_totals_sql.py``) at the cost of the number of facet values.
    Every statement runs on ``settings.CATALOGUE_READ_DATABASE`` (a read
    replica when one is configured) under ``SEARCH_STATEMENT_TIMEOUT_MS``; past it the search is
    cancelled with ``SearchTimeoutError`` (503).
    """
    ordering = ordering or ("relevance" if q else "-modified")
    alias = settings.CATALOGUE_READ_DATABASE
    matches = matches.using(alias)
    db = connections[alias]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            return _search_everything(
                matches=matches, q=q, ordering=ordering, offset=offset, limit=limit, cursor=cursor
            )
    nested = db.in_atomic_block
    timeout_ms = settings.SEARCH_STATEMENT_TIMEOUT_MS
    try:
        with transaction.atomic(using=alias), db.cursor() as cursor:
            # Local to this transaction: nothing else on the connection inherits the limit.
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{timeout_ms}ms"])
            search = (
                _search_everything
                if exact
                else _search_whole_catalogue
                if whole_catalogue and not q
                else _search_bounded
            )
            page = search(
                matches=matches, q=q, ordering=ordering, offset=offset, limit=limit, cursor=cursor
            )
            if nested:  # the caller's transaction goes on: give it its own limit back
                cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != _QUERY_CANCELED:
            raise
        raise SearchTimeoutError(
            f"The search took longer than {timeout_ms / 1000:g} s and was stopped. Add words or "
            "filters to narrow it, or try again in a moment.",
            extra={"timeout_ms": timeout_ms},
        ) from None
    return page


_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for statement_timeout (and cancel requests)


def _facet_columns(matches: QuerySet[Dataset], *extra: str) -> QuerySet:
    columns = ["id", "data_space_id", "publisher_id", "licence_id", "access_rights", *extra]
    if connections[matches.db].vendor != "postgresql":
        return matches.order_by().values(*columns)
    return (
        matches.order_by()
        .annotate(
            facet_theme_ids=RawSQL("catalogue_dataset.facet_theme_ids", ()),
            facet_formats=RawSQL("catalogue_dataset.facet_formats", ()),
        )
        .values(*columns, "facet_theme_ids", "facet_formats")
    )


def _read_facet_rows(rows, *, scale: float = 1.0):
    counts: dict[str, list[tuple[str, int]]] = {}
    ids: dict[str, list[uuid.UUID]] = {"page": [], "window": []}
    total = 0
    for facet, value, count in rows:
        if facet in ids:
            ids[facet].append(uuid.UUID(value))
        elif facet == "count":  # the matches themselves, not the facets' grand total
            total = int(count)
        elif facet == "total":
            total = max(total, int(count))
        else:
            counts.setdefault(facet, []).append((value, round(int(count) * scale)))
    return total, counts, ids["page"], ids["window"]


def _ordered_ids(matches: QuerySet[Dataset], ordering: str, start: int, stop: int) -> list:
    if stop <= start:
        return []
    ordered = matches.order_by(*_ORDER_FIELDS[ordering]).values_list("id", flat=True)
    return list(ordered[start:stop])


def _search_bounded(
    *, matches: QuerySet[Dataset], q: str | None, ordering: str, offset: int, limit: int, cursor
) -> SearchPage:
    threshold = settings.SEARCH_EXACT_COUNT_UP_TO
    window = settings.SEARCH_RANK_WINDOW
    ranked = ordering == "relevance" and bool(q)
    # The search vectors stay out of the matches read: carrying 10,000 of them (about 1 KB each)
    # spilled the statement's rows to a temporary file; the window joins back for its 1,000.
    columns = _facet_columns(matches, *(("modified",) if ranked else ()))
    bounded_sql, params = columns[: threshold + 1].query.sql_with_params()
    # Facets of the matches read only when they are all of them; past the threshold the
    # aggregate reads nothing (a one-time filter) and the sample gives the facets instead.
    sql = f"WITH m AS ({bounded_sql}), {_PG_GATED_FACETS_SQL}"
    params = [*params, threshold]
    if ranked and offset < window:
        # The window: the newest of the matches this statement reads (all of them up to the
        # threshold), ranked; only these rows are scored.
        sql += _RANKED_WINDOW_PAGE_SQL
        params += [window, pg_tsquery(q), min(limit, window - offset), offset]
    if ranked and offset + limit > window:
        sql += _WINDOW_IDS_SQL  # past the window the page leaves these out
        params += [window]
    by_index = bool(q) and _read_words_by_index(matches, cursor, threshold)
    if by_index:
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
    cursor.execute(sql, params)
    read = cursor.fetchall()
    if by_index:  # for this statement only: the sample and the page choose their own plans
        cursor.execute("SELECT set_config('enable_seqscan', 'on', true)")
    total, counts, page_ids, window_ids = _read_facet_rows(read)
    count_exact = total <= threshold
    if not count_exact:
        total = threshold
        counts = _sampled_facet_counts(matches, cursor)

    # Pages stop at ``total``: past the threshold it is the last position served.
    stop = min(offset + limit, total)
    if ranked:
        page_ids = page_ids[: max(0, stop - offset)]
        if offset + len(page_ids) < stop and total > window:
            rest = matches if count_exact else matches.exclude(pk__in=window_ids)
            start = max(offset, window) - (0 if count_exact else window)
            page_ids += _ordered_ids(rest, "relevance", start, start + stop - max(offset, window))
    elif ordering == "relevance":
        page_ids = _ordered_ids(matches, "-modified", offset, stop)
    else:
        page_ids = _ordered_ids(matches, ordering, offset, stop)
    return SearchPage(
        total=total,
        page_ids=page_ids,
        facets=_label_facets(counts, using=matches.db),
        count_exact=count_exact,
        facets_exact=count_exact,
    )


_FACET_TOTALS_SQL = """
    SELECT facet, value, sum(n) FROM catalogue_facet_total
     GROUP BY facet, value HAVING sum(n) > 0 OR facet = 'total'
"""


def _search_whole_catalogue(
    *, matches: QuerySet[Dataset], q: str | None, ordering: str, offset: int, limit: int, cursor
) -> SearchPage:
    """Every listed dataset: the exact total and facets from the facet totals (one row per value
    once compacted, plus the deltas written since), the page through the ordering's index."""
    cursor.execute(_FACET_TOTALS_SQL)
    total, counts, _, _ = _read_facet_rows(cursor.fetchall())
    reachable = min(total, settings.SEARCH_EXACT_COUNT_UP_TO)
    stop = min(offset + limit, reachable)
    page_ids = _ordered_ids(
        matches, "-modified" if ordering == "relevance" else ordering, offset, stop
    )
    return SearchPage(
        total=total,
        page_ids=page_ids,
        facets=_label_facets(counts, using=matches.db),
        reachable=reachable if reachable < total else None,
    )


# What reading one row costs, relative to one another (microseconds on the benchmark machine):
# testing a row's search vector in a sequential read (it is decompressed), adding one entry to
# the GIN index's bitmap, fetching a matched row from the bitmap.
_SEQUENTIAL_ROW_COST = 1.5
_BITMAP_ENTRY_COST = 0.1
_BITMAP_ROW_COST = 2.0


def words_read_by_index(*, estimated_matches: float, rows: float, threshold: int) -> bool:
    """Whether to find a search's first ``threshold`` + 1 matches through the GIN index rather
    than by reading the table in order until that many turn up.

    The sequential read stops early but tests every row it passes (threshold / share of rows
    that match); the index builds a bitmap of every match first, then reads only matches. So
    the index wins for words matching a few percent of the catalogue and the sequential read for
    words matching most of it, whatever the catalogue's size: each plan's cost stays bounded by
    the threshold where it is chosen. PostgreSQL's own choice ignores the decompression, and
    read "hospital or patients" (11% of 100k datasets) by testing 88,000 rows (134 ms) instead
    of fetching 10,001 (about 20 ms)."""
    if estimated_matches <= 0 or rows <= 0:
        return True
    share = min(1.0, estimated_matches / rows)
    sequential = min(rows, (threshold + 1) / share) * _SEQUENTIAL_ROW_COST
    by_index = (
        estimated_matches * _BITMAP_ENTRY_COST
        + min(threshold + 1, estimated_matches) * _BITMAP_ROW_COST
    )
    return by_index < sequential


def _read_words_by_index(matches: QuerySet[Dataset], cursor, threshold: int) -> bool:
    """words_read_by_index with the planner's estimate of the matches (EXPLAIN: planning only,
    about a millisecond) and the table's row count from its statistics."""
    sql, params = matches.order_by().values("id").query.sql_with_params()
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimated = float(plan[0]["Plan"]["Plan Rows"])
    return words_read_by_index(
        estimated_matches=estimated, rows=_catalogue_rows(cursor), threshold=threshold
    )


def _catalogue_rows(cursor) -> float:
    """The dataset table's row count as its statistics have it (0 before the first ANALYZE)."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'catalogue_dataset'::regclass")
    return max(0.0, float(cursor.fetchone()[0]))


# The same facets, counted only when the matches read (at most the threshold + 1) are all of
# them: otherwise the aggregate's one-time filter is false and it reads nothing. The number of
# matches read comes apart ('count').
_PG_GATED_FACETS_SQL = (
    _PG_FACETS_SQL.replace(  # noqa: S608 - constant SQL; the threshold is a parameter
        "FROM m\n         GROUP BY",
        "FROM m WHERE (SELECT count(*) FROM m) <= %s\n         GROUP BY",
    )
    + "    UNION ALL SELECT 'count', '', count(*) FROM m\n"
)


_RANKED_WINDOW_PAGE_SQL = """
    UNION ALL
    SELECT * FROM (
        SELECT 'page', CAST(w.id AS TEXT), 0
          FROM (SELECT id, modified FROM m ORDER BY modified DESC, id LIMIT %s) w
          JOIN catalogue_dataset ranked ON ranked.id = w.id
         ORDER BY ts_rank(ranked.search_vector, to_tsquery('simple'::regconfig, %s)) DESC,
                  w.modified DESC, w.id
         LIMIT %s OFFSET %s
    ) page
"""

_WINDOW_IDS_SQL = """
    UNION ALL
    SELECT * FROM (
        SELECT 'window', CAST(id AS TEXT), 0 FROM m ORDER BY modified DESC, id LIMIT %s
    ) window_ids
"""


# Where the dataset table enters a compiled matches query (subqueries name other tables or
# alias it): the block sample goes there.
_DATASET_FROM = 'FROM "catalogue_dataset"'
_SAMPLE_SEED = 20260101  # the same blocks on every request: stable facets while paging


def _sampled_facet_counts(matches: QuerySet[Dataset], cursor) -> dict[str, list[tuple[str, int]]]:
    """Facet counts of ``matches`` estimated on a block sample of about
    ``SEARCH_FACET_SAMPLE_ROWS`` rows of the catalogue (TABLESAMPLE SYSTEM), scaled to it: the
    cost follows the sample size, not the catalogue's or the match count."""
    estimated_rows = _catalogue_rows(cursor)
    percent = (
        min(100.0, 100.0 * settings.SEARCH_FACET_SAMPLE_ROWS / estimated_rows)
        if estimated_rows > 0
        else 100.0  # never analysed: read it all
    )
    inner_sql, params = _facet_columns(matches).query.sql_with_params()
    if _DATASET_FROM not in inner_sql:
        raise RuntimeError("The matches query does not read catalogue_dataset directly.")
    sampled_sql = inner_sql.replace(
        _DATASET_FROM,
        f"{_DATASET_FROM} TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE ({_SAMPLE_SEED})",
        1,
    )
    cursor.execute(f"WITH m AS ({sampled_sql}), {_PG_FACETS_SQL}", params)
    _, counts, _, _ = _read_facet_rows(cursor.fetchall(), scale=100.0 / percent)
    return counts


def _search_everything(
    *, matches: QuerySet[Dataset], q: str | None, ordering: str, offset: int, limit: int, cursor
) -> SearchPage:
    """Counts, facets and (with relevance) ranks every match: one statement finds the matching
    rows once and derives the total, every facet and the ranked page from them."""
    rank = rank_annotation(q) if q and ordering == "relevance" else None
    if ordering == "relevance" and rank is None:
        ordering = "-modified"  # no q, or SQLite: nothing to rank by
    on_postgresql = cursor.db.vendor == "postgresql"

    inner = matches.order_by()
    columns = ["id", "data_space_id", "publisher_id", "licence_id", "access_rights"]
    if rank is not None:
        inner = inner.annotate(rank=rank)
        columns += ["rank", "modified"]
    if on_postgresql:
        inner = inner.annotate(
            facet_theme_ids=RawSQL("catalogue_dataset.facet_theme_ids", ()),
            facet_formats=RawSQL("catalogue_dataset.facet_formats", ()),
        )
        columns += ["facet_theme_ids", "facet_formats"]
    inner_sql, params = inner.values(*columns).query.sql_with_params()
    sql = (
        f"WITH m AS ({inner_sql}), "
        + (_PG_FACETS_SQL if on_postgresql else _PORTABLE_FACETS_SQL)
        + (_RELEVANCE_PAGE_SQL if rank is not None else "")
    )
    params = [*params, limit, offset] if rank is not None else list(params)
    cursor.execute(sql, params)
    total, counts, page_ids, _ = _read_facet_rows(cursor.fetchall())
    if rank is None and total > offset:
        page_ids = _ordered_ids(matches, ordering, offset, offset + limit)
    return SearchPage(
        total=total, page_ids=page_ids, facets=_label_facets(counts, using=matches.db)
    )


_LABELLED_FACETS = (
    ("data_space", DataSpace, "slug", "name"),
    ("publisher", Publisher, "slug", "name"),
    ("licence", Licence, "identifier", "title"),
    ("theme", Theme, "code", "label"),
)


def _label_facets(
    counts: dict[str, list[tuple[str, int]]], *, using: str = "default"
) -> dict[str, list[dict[str, Any]]]:
    # Every facet's values and labels in one statement (a UNION ALL of the four small tables):
    # one round trip per search instead of four.
    label_queries = [
        model.objects.using(using)
        .filter(pk__in=[int(v) for v, _ in counts[facet]])
        .order_by()  # SQLite refuses an ORDER BY inside a UNION's parts (models order by name)
        .annotate(facet=Value(facet, output_field=CharField()))
        .values_list("facet", "pk", value_field, label_field)
        for facet, model, value_field, label_field in _LABELLED_FACETS
        if counts.get(facet)
    ]
    names: dict[tuple[str, str], tuple[str, str]] = {}
    if label_queries:
        first, *rest = label_queries
        union = first.union(*rest, all=True) if rest else first
        names = {(facet, str(pk)): (value, label) for facet, pk, value, label in union}

    def labelled(facet: str) -> list[tuple[str, str, int]]:
        pairs = counts.get(facet, [])
        return [(*names[(facet, v)], n) for v, n in pairs if (facet, v) in names]

    access_labels = dict(AccessRights.choices)
    format_labels = dict(FORMAT_CHOICES)
    buckets = {
        "data_space": labelled("data_space"),
        "publisher": labelled("publisher"),
        "licence": labelled("licence"),
        "access_rights": [
            (v, access_labels.get(v, v), n) for v, n in counts.get("access_rights", [])
        ],
        "theme": labelled("theme"),
        "format": [(v, format_labels.get(v, v), n) for v, n in counts.get("format", [])],
    }
    return {
        facet: [
            {"value": value, "label": label, "count": n}
            for value, label, n in sorted(items, key=lambda item: (-item[2], item[0]))
        ]
        for facet, items in buckets.items()
    }


def datasets_by_ids(ids: list[uuid.UUID]) -> list[Dataset]:
    """Rows for a page of ids, in the order given, with what the list shape needs (read where
    the search ran: the replica when one is configured)."""
    by_id = dataset_base_queryset().using(settings.CATALOGUE_READ_DATABASE).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def licence_list() -> QuerySet[Licence]:
    return Licence.objects.prefetch_related(
        Prefetch("versions", queryset=LicenceVersion.objects.order_by("-version"))
    ).order_by("identifier")


def data_space_list() -> QuerySet[DataSpace]:
    return DataSpace.objects.annotate(dataset_count=Count("datasets")).order_by("name")


def publisher_list() -> QuerySet[Publisher]:
    listed = Q(datasets__withdrawn_at__isnull=True)
    return Publisher.objects.annotate(dataset_count=Count("datasets", filter=listed)).order_by(
        "name"
    )


# --- reads for other vocabularies (the CKAN-compatible API of interop) -------------------------


@dataclass(frozen=True)
class DatasetCondition:
    """One restriction of a search: the dataset's ``field`` has one of ``values``, or, for the
    date fields, lies in the range (``start``/``end``, None for open; ``*_inclusive`` says
    whether the bound itself matches)."""

    field: str
    values: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    start_inclusive: bool = True
    end_inclusive: bool = True
    negated: bool = False  # datasets that do NOT match


DATASET_CONDITION_FIELDS = (
    "publisher",  # slug
    "licence",  # identifier
    "keyword_or_theme",  # a keyword, or a theme code
    "theme",  # code, any case
    "format",  # code or a common spelling (csv, JSON-LD)
    "slug",
    "id",
    "data_space",  # slug
    "access_rights",
    "modified",  # range
    "created",  # range
)


def dataset_matches(
    *, text: str | None, conditions: list[DatasetCondition] | tuple[DatasetCondition, ...] = ()
) -> QuerySet[Dataset]:
    """The whole catalogue, as the public API shows it, restricted to datasets matching the
    web-search ``text`` (the same full-text search as /api/v1) and every condition (each one
    an OR of its values). Feed the result to ``dataset_search``. Unknown values match nothing,
    as a search index would answer; a malformed ``text`` raises ``SearchSyntaxError``."""
    matches = Dataset.objects.listed()
    if text:
        matches = search_filter(matches, text)
    for condition in conditions:
        q = _condition_q(condition)
        matches = matches.filter(~q if condition.negated else q)
    return matches


def _condition_q(condition: DatasetCondition) -> Q:
    field, values = condition.field, list(condition.values)
    if field in ("modified", "created"):
        q = Q()
        if condition.start is not None:
            lookup = "gte" if condition.start_inclusive else "gt"
            q &= Q(**{f"{field}__{lookup}": condition.start})
        if condition.end is not None:
            lookup = "lte" if condition.end_inclusive else "lt"
            q &= Q(**{f"{field}__{lookup}": condition.end})
        return q
    if field == "publisher":
        return Q(publisher__slug__in=values)
    if field == "licence":
        return Q(licence__identifier__in=values)
    if field == "data_space":
        return Q(data_space__slug__in=values)
    if field == "access_rights":
        return Q(access_rights__in=[v.upper() for v in values])
    if field == "slug":
        return Q(slug__in=values)
    if field == "id":
        ids = []
        for value in values:
            try:
                ids.append(uuid.UUID(value))
            except ValueError:
                continue  # not an id: matches nothing, like any unknown value
        return Q(pk__in=ids)
    if field == "format":
        codes = [normalise_format(v) or v for v in values]
        return Q(Exists(Distribution.objects.filter(dataset_id=OuterRef("pk"), format__in=codes)))
    if field in ("theme", "keyword_or_theme"):
        # EXISTS, not a join: a dataset with two of the themes is still one row.
        by_theme = Q(
            Exists(
                Dataset.themes.through.objects.filter(
                    dataset_id=OuterRef("pk"), theme__code__in=[v.upper() for v in values]
                )
            )
        )
        if field == "theme":
            return by_theme
        by_keyword = Q()
        for value in values:
            by_keyword |= _keyword_q(value)
        return by_theme | by_keyword
    raise ValueError(f"Unknown dataset condition field {field!r}.")


def _keyword_q(keyword: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(keywords__contains=[keyword])  # jsonb @>, GIN-indexed
    # SQLite has no JSON containment; a self-contained subquery survives table aliasing.
    return Q(
        pk__in=RawSQL(
            "SELECT d.id FROM catalogue_dataset d, json_each(d.keywords) k WHERE k.value = %s",
            [keyword],
        )
    )


def datasets_with_distributions_by_ids(ids: list[uuid.UUID]) -> list[Dataset]:
    """Rows for a page of ids, in the order given, with their distributions and licence: a
    constant number of queries whatever the page size."""
    by_id = dataset_detail_queryset().in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def dataset_keyword_counts(
    *, matches: QuerySet[Dataset], limit: int | None
) -> list[tuple[str, int]]:
    """How many of ``matches`` carry each keyword, most frequent first (then by keyword)."""
    if connection.vendor == "postgresql":
        inner_sql, params = matches.order_by().values("keywords").query.sql_with_params()
        sql = (
            # The queryset's own compiled SQL, its values passed as parameters.
            f"SELECT k, COUNT(*) FROM ({inner_sql}) m, jsonb_array_elements_text(m.keywords) k "  # noqa: S608
            "GROUP BY k ORDER BY COUNT(*) DESC, k"
        )
        if limit is not None:
            sql += " LIMIT %s"
            params = (*params, limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(keyword, int(n)) for keyword, n in cursor.fetchall()]
    counts: dict[str, int] = {}
    for keywords in matches.order_by().values_list("keywords", flat=True):
        for keyword in set(keywords or ()):
            counts[keyword] = counts.get(keyword, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked if limit is None else ranked[:limit]


def keywords_in_use() -> list[str]:
    """Every keyword of any dataset, sorted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT k FROM catalogue_dataset, jsonb_array_elements_text(keywords) k "
                "ORDER BY k"
            )
            return [row[0] for row in cursor.fetchall()]
    found: set[str] = set()
    for keywords in Dataset.objects.values_list("keywords", flat=True):
        found.update(keywords or ())
    return sorted(found)


def themes_in_use() -> QuerySet[Theme]:
    """Themes at least one dataset has, by code."""
    return Theme.objects.filter(
        Exists(Dataset.themes.through.objects.filter(theme_id=OuterRef("pk")))
    ).order_by("code")


def dataset_slugs(*, offset: int, limit: int | None) -> list[str]:
    """Every dataset's slug, in slug order (the unique index serves it)."""
    slugs = Dataset.objects.listed().order_by("slug").values_list("slug", flat=True)
    return list(slugs[offset:] if limit is None else slugs[offset : offset + limit])


def publisher_get(*, slug: str) -> Publisher:
    """The publisher with ``slug``, with its dataset count; 404 otherwise."""
    publisher = publisher_list().filter(slug=slug).first()
    if publisher is None:
        raise NotFoundError(f"No publisher with the slug '{slug}'.")
    return publisher
