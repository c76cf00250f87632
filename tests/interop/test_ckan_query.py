"""CKAN's q/fq syntax read into the catalogue's terms, and the envelope's shapes: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalogue.selectors import DatasetCondition
from interop.ckan import query
from interop.ckan.envelope import (
    BadRequestError,
    NotFoundError,
    SearchQueryError,
    ValidationError,
    error_body,
    success_body,
)


def test_free_words_go_to_the_full_text_search_and_fields_to_conditions():
    terms = query.parse_search("soil moisture", "organization:bauer-agrar license_id:CC-BY-4.0")
    assert terms.text == "soil moisture"
    assert terms.conditions == [
        DatasetCondition(field="publisher", values=("bauer-agrar",)),
        DatasetCondition(field="licence", values=("CC-BY-4.0",)),
    ]


def test_match_all_and_empty_queries_search_nothing():
    assert query.parse_search("*:*", None).text is None
    assert query.parse_search("*", "").text is None
    assert query.parse_search(None, None).conditions == []


def test_incremental_harvest_range_is_open_at_the_end():
    terms = query.parse_search("metadata_modified:[2026-01-01T00:00:00Z TO *]", None)
    assert terms.text is None
    assert terms.conditions == [
        DatasetCondition(
            field="modified", start=datetime(2026, 1, 1, tzinfo=UTC), end=None,
            start_inclusive=True, end_inclusive=True,
        )
    ]  # fmt: skip


def test_ranges_read_exclusive_bounds_fractions_dates_and_escapes():
    (condition,) = query.parse_search(
        None, r"metadata_created:{2025-06-01T10\:00\:00.123456Z TO 2026-01-01]"
    ).conditions
    assert condition.field == "created"
    assert condition.start == datetime(2025, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert condition.end == datetime(2026, 1, 1, tzinfo=UTC)
    assert (condition.start_inclusive, condition.end_inclusive) == (False, True)


def test_now_with_day_arithmetic():
    (condition,) = query.parse_search("metadata_modified:[NOW-7DAYS TO NOW]", None).conditions
    expected = datetime.now(UTC) - timedelta(days=7)
    assert abs((condition.start - expected).total_seconds()) < 60


def test_quoted_values_and_groups_of_alternatives():
    terms = query.parse_search('tags:"soil carbon"', 'res_format:(CSV OR "JSON-LD") +groups:agri')
    assert terms.conditions == [
        DatasetCondition(field="keyword_or_theme", values=("soil carbon",)),
        DatasetCondition(field="format", values=("CSV", "JSON-LD")),
        DatasetCondition(field="theme", values=("agri",)),
    ]


def test_the_forms_ckanext_harvest_sends():
    """organizations_filter_include/exclude, groups filters and the since-last-time range."""
    terms = query.parse_search(
        None,
        "organization:a OR organization:b -groups:agri -groups:heal "
        "metadata_modified:[2026-01-01T09:00:00.250000Z TO *]",
    )
    assert terms.conditions == [
        DatasetCondition(field="publisher", values=("a", "b")),
        DatasetCondition(field="theme", values=("agri",), negated=True),
        DatasetCondition(field="theme", values=("heal",), negated=True),
        DatasetCondition(field="modified", start=datetime(2026, 1, 1, 9, 0, 0, 250000, tzinfo=UTC)),
    ]
    assert query.parse_sort("id asc") == "id"


def test_web_syntax_survives_phrases_exclusions_and_or():
    terms = query.parse_search('"crop yield" -organic wheat OR barley AND maize', None)
    assert terms.text == '"crop yield" -organic wheat or barley maize'


@pytest.mark.parametrize(
    "q",
    [
        "unknown_field:x",
        "author:someone",
        "organization:a OR tags:b",
        "organization:a OR soil",
        "soil OR organization:a",
        "organization:a OR",
        "OR soil",
        "organization:a OR -organization:b",
        "metadata_modified:[2026-01-01 TO",
        "metadata_modified:[yesterday TO *]",
        "metadata_modified:[2026-02-01T00:00:00Z TO 2026-01-01T00:00:00Z]",
        "metadata_modified:[9999-12-31T23:59:59-23:59 TO *]",
        "metadata_modified:[2026-01-01]",
        "organization:[a TO b]",
        "tags:(a AND b)",
        "tags:(a b)",
        "tags:()",
        "organization:*",
        'tags:"unclosed',
        "-*:*",
        " ".join(f"w{i}" for i in range(40)),
    ],
)
def test_queries_it_cannot_read_are_search_query_errors(q):
    with pytest.raises(SearchQueryError):
        query.parse_search(q, None)


def test_the_same_errors_in_fq():
    with pytest.raises(SearchQueryError, match="Unknown field 'bogus'"):
        query.parse_search("soil", "bogus:1")


@pytest.mark.parametrize(
    ("sort", "ordering"),
    [
        (None, "relevance"),
        ("score desc, metadata_modified desc", "relevance"),
        ("metadata_modified desc", "-modified"),
        ("Metadata_Modified   ASC", "modified"),
        ("title_string asc", "title"),
        ("name asc", "slug"),
    ],
)
def test_sorts_map_to_the_catalogue_orderings(sort, ordering):
    assert query.parse_sort(sort) == ordering


def test_an_unknown_sort_is_a_search_query_error():
    with pytest.raises(SearchQueryError):
        query.parse_sort("popularity desc")


def test_rows_are_capped_at_1000_and_must_be_natural_numbers():
    assert query.parse_int({"rows": "5000"}, "rows", default=10, maximum=1000) == 1000
    assert query.parse_int({"rows": 7}, "rows", default=10, maximum=1000) == 7
    assert query.parse_int({}, "rows", default=10, maximum=1000) == 10
    for bad in ("-1", "ten", True, 1.5):
        with pytest.raises(ValidationError) as raised:
            query.parse_int({"rows": bad}, "rows", default=10)
        assert "rows" in raised.value.fields


def test_facet_fields_are_a_json_list_of_known_fields():
    known = ("organization", "tags")
    assert query.parse_facet_fields('["tags", "organization", "tags"]', known) == [
        "tags",
        "organization",
    ]
    assert query.parse_facet_fields(["tags"], known) == ["tags"]
    with pytest.raises(ValidationError):
        query.parse_facet_fields("tags", known)
    with pytest.raises(SearchQueryError):
        query.parse_facet_fields('["maintainer"]', known)


def test_envelopes_carry_the_ckan_type_message_and_fields():
    assert success_body(help_url="h", result=[1]) == {"help": "h", "success": True, "result": [1]}
    error = ValidationError("Missing value: id.", fields={"name_or_id": ["Missing value"]})
    assert error_body(help_url="h", error=error) == {
        "help": "h",
        "success": False,
        "error": {
            "__type": "Validation Error",
            "message": "Missing value: id.",
            "name_or_id": ["Missing value"],
        },
    }
    assert (error.status_code, NotFoundError("x").status_code) == (409, 404)
    assert (SearchQueryError("x").status_code, BadRequestError("x").status_code) == (400, 400)
    assert NotFoundError("x").as_error()["__type"] == "Not Found Error"
    assert SearchQueryError("x").as_error()["__type"] == "Search Query Error"
