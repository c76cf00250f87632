"""CKAN's search parameters (Solr syntax in ``q`` and ``fq``) read into the catalogue's terms.

What is understood, in ``q`` and ``fq`` alike (terms are ANDed, as Solr's default operator):

- free words, ``"phrases"``, ``-excluded`` words and ``or`` between words: the catalogue's own
  full-text search (the one /api/v1 uses), so stemming and accent folding are the same;
- ``*:*`` and ``*``: everything;
- ``field:value``, ``field:"quoted value"``, ``field:(a OR b)`` for the fields of
  ``FIELDS``; Solr escapes (``\\:``) are undone;
- ``metadata_modified`` and ``metadata_created`` with a range ``[from TO to]`` (``{}`` for an
  exclusive bound, ``*`` for an open one; ISO 8601 dates or date-times, ``NOW``, ``NOW-7DAYS``),
  which is how portals harvest incrementally.

``-field:value`` excludes, and ``field:a OR field:b`` (one field) reads as ``field:(a OR b)``:
the forms ckanext-harvest sends. Anything else (an unknown field, ``OR`` between different
fields or between a field and words, an unclosed bracket) raises ``SearchQueryError``: the
client learns its query was not understood instead of silently getting another result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from catalogue.selectors import DatasetCondition

from .envelope import SearchQueryError, ValidationError

MAX_ROWS = 1000  # CKAN's ckan.search.rows_max
DEFAULT_ROWS = 10
DEFAULT_FACET_LIMIT = 50
MAX_CLAUSES = 32
MAX_INTEGER = 2**31 - 1

# CKAN's field -> the catalogue's condition field (catalogue.selectors.DATASET_CONDITION_FIELDS).
FIELDS: dict[str, str] = {
    "organization": "publisher",
    "owner_org": "publisher",
    "license_id": "licence",
    "tags": "keyword_or_theme",
    "groups": "theme",
    "res_format": "format",
    "name": "slug",
    "id": "id",
    "data_space": "data_space",
    "access_rights": "access_rights",
    "metadata_modified": "modified",
    "metadata_created": "created",
}
RANGE_FIELDS = {"metadata_modified", "metadata_created"}

# CKAN sort strings -> the catalogue's orderings (catalogue.selectors.dataset_search).
SORTS: dict[str, str] = {
    "score desc, metadata_modified desc": "relevance",
    "score desc": "relevance",
    "metadata_modified desc": "-modified",
    "metadata_modified asc": "modified",
    "title_string asc": "title",
    "title_string desc": "-title",
    "name asc": "slug",
    "id asc": "id",  # what ckanext-harvest pages by
}
DEFAULT_SORT = "score desc, metadata_modified desc"

_CLAUSE_RE = re.compile(
    r"""
    (?P<sign>[+-]?)
    (?:
        (?P<field>[A-Za-z_][\w.]*):
        (?:
            "(?P<quoted>(?:[^"\\]|\\.)*)"
          | (?P<range>[\[{][^\[\]{}]*[\]}])
          | \((?P<group>[^()]*)\)
          | (?P<bare>(?:\\.|[^\s()"\[\]{}\\])+)
        )
      | (?P<phrase>"[^"]*")
      | (?P<word>[^\s"]+)
    )
    """,
    re.VERBOSE,
)
_FIELD_PREFIX_RE = re.compile(r"[A-Za-z_][\w.]*:")
_GROUP_VALUE_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
_ESCAPE_RE = re.compile(r"\\(.)")
_NOW_RE = re.compile(r"^NOW(?:/DAY)?(?:([+-])(\d{1,5})(DAY|DAYS|HOUR|HOURS))?(?:/DAY)?$")


@dataclass
class SearchTerms:
    """What ``q`` and ``fq`` asked: full text in the catalogue's web syntax, and conditions."""

    text: str | None = None
    conditions: list[DatasetCondition] = field(default_factory=list)


def parse_search(q: str | None, fq: str | None) -> SearchTerms:
    """``q`` and ``fq`` together: their words joined, their conditions ANDed."""
    words: list[str] = []
    conditions: list[DatasetCondition] = []
    for source in (q, fq):
        if source:
            source_words, source_conditions = _parse_clauses(source)
            words += source_words
            conditions += source_conditions
    text = " ".join(words)
    # "*" or punctuation alone searches nothing: the whole catalogue.
    return SearchTerms(text=text if re.search(r"\w", text) else None, conditions=conditions)


def _parse_clauses(raw: str) -> tuple[list[str], list[DatasetCondition]]:
    words: list[str] = []
    conditions: list[DatasetCondition] = []
    position = 0
    previous: str | None = None  # "word" or "field": what the last term was
    pending_or = False
    clauses = 0
    while True:
        while position < len(raw) and raw[position].isspace():
            position += 1
        if position >= len(raw):
            break
        match = _CLAUSE_RE.match(raw, position)
        if match is None:  # a stray quote, bracket or parenthesis
            raise SearchQueryError(f"Cannot read the query at: {raw[position : position + 40]!r}.")
        position = match.end()
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise SearchQueryError(f"The query has more than {MAX_CLAUSES} terms.")
        if match["field"] is None:
            word = match["phrase"] or match["word"]
            if match["sign"] == "-" and word == "*:*":
                raise SearchQueryError("Excluding everything (-*:*) leaves nothing to find.")
            if word in ("AND", "&&", "*:*"):
                continue
            if _FIELD_PREFIX_RE.match(word):  # a field whose value could not be read
                raise SearchQueryError(f"Cannot read the value in: {word[:60]!r}.")
            if word in ("OR", "||"):
                if previous is None or pending_or:
                    raise SearchQueryError("OR must stand between two terms.")
                pending_or = True
                if previous == "word":
                    words.append("or")  # the catalogue's web syntax reads it
                continue
            if pending_or and previous == "field":
                raise SearchQueryError("OR between a field term and words is not supported.")
            words.append("-" + word if match["sign"] == "-" else word)
            previous, pending_or = "word", False
            continue
        condition = _condition(match)
        if pending_or:
            # ckanext-harvest sends "organization:a OR organization:b": one field's
            # alternatives, as field:(a OR b) says.
            last = conditions[-1] if previous == "field" else None
            if (
                last is None
                or last.field != condition.field
                or last.negated
                or condition.negated
                or not last.values
                or not condition.values
            ):
                raise SearchQueryError(
                    "OR is supported between values of one field only: field:(a OR b)."
                )
            conditions[-1] = replace(last, values=(*last.values, *condition.values))
        else:
            conditions.append(condition)
        previous, pending_or = "field", False
    if pending_or:
        raise SearchQueryError("OR must stand between two terms.")
    return words, conditions


def _condition(match: re.Match) -> DatasetCondition:
    condition = _positive_condition(match)
    return replace(condition, negated=True) if match["sign"] == "-" else condition


def _positive_condition(match: re.Match) -> DatasetCondition:
    name = match["field"]
    if name not in FIELDS:
        raise SearchQueryError(
            f"Unknown field '{name}'. Known fields: {', '.join(sorted(FIELDS))}."
        )
    target = FIELDS[name]
    if match["range"] is not None:
        if name not in RANGE_FIELDS:
            raise SearchQueryError(f"Field '{name}' does not take a range.")
        return _range_condition(name, target, match["range"])
    if match["group"] is not None:
        values = _group_values(name, match["group"])
    else:
        values = [_unescape(match["quoted"] if match["quoted"] is not None else match["bare"])]
    if name in RANGE_FIELDS:
        # One instant: the range from it to itself.
        if values == ["*"]:
            return DatasetCondition(field=target)
        instants = [_instant(name, value) for value in values]
        if len(instants) != 1:
            raise SearchQueryError(f"Field '{name}' takes one date or a range [from TO to].")
        return DatasetCondition(field=target, start=instants[0], end=instants[0])
    if values == ["*"]:
        raise SearchQueryError(f"'{name}:*' is not supported; leave the field out.")
    return DatasetCondition(field=target, values=tuple(values))


def _group_values(name: str, group: str) -> list[str]:
    values = []
    expect_value = True
    for quoted, bare in _GROUP_VALUE_RE.findall(group):
        if bare in ("OR", "||"):
            if expect_value:
                raise SearchQueryError(f"'{name}:( ... )' has OR without a value before it.")
            expect_value = True
            continue
        if bare in ("AND", "&&", "NOT"):
            raise SearchQueryError(f"'{name}:( ... )' supports only OR between values.")
        if not expect_value:
            raise SearchQueryError(f"'{name}:( ... )' needs OR between its values.")
        values.append(_unescape(bare or quoted))
        expect_value = False
    if not values or expect_value:
        raise SearchQueryError(f"'{name}:( ... )' needs values separated by OR.")
    return values


def _range_condition(name: str, target: str, text: str) -> DatasetCondition:
    body = text[1:-1].strip()
    parts = re.split(r"\s+TO\s+", body)
    if len(parts) != 2 or not all(parts):
        raise SearchQueryError(f"A range on '{name}' reads [from TO to], '*' for an open end.")
    start_text, end_text = (_unescape(part.strip()) for part in parts)
    start = None if start_text == "*" else _instant(name, start_text)
    end = None if end_text == "*" else _instant(name, end_text)
    if start is not None and end is not None and start > end:
        raise SearchQueryError(f"The range on '{name}' ends before it starts.")
    return DatasetCondition(
        field=target,
        start=start,
        end=end,
        start_inclusive=text[0] == "[",
        end_inclusive=text[-1] == "]",
    )


def _instant(name: str, text: str) -> datetime:
    """An ISO 8601 date or date-time (UTC when no offset is given, as in Solr), or NOW with
    day/hour arithmetic."""
    now_match = _NOW_RE.match(text)
    if now_match:
        instant = datetime.now(UTC)
        if "/DAY" in text:
            instant = datetime.combine(instant.date(), time.min, tzinfo=UTC)
        sign, amount, unit = now_match.groups()
        if amount:
            delta = timedelta(**{"days" if unit.startswith("DAY") else "hours": int(amount)})
            instant = instant + delta if sign == "+" else instant - delta
        return instant
    value = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise SearchQueryError(
            f"'{text}' on '{name}' is not a date: use ISO 8601 (2026-01-01T00:00:00Z), or NOW."
        ) from None
    instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 exists nowhere in UTC
        raise SearchQueryError(f"'{text}' on '{name}' is out of range.") from None


def _unescape(text: str) -> str:
    return _ESCAPE_RE.sub(r"\1", text)


# --- the other parameters -----------------------------------------------------------------------


def parse_sort(raw: Any) -> str:
    """The catalogue ordering for a CKAN ``sort`` string."""
    if raw is None or raw == "":
        return SORTS[DEFAULT_SORT]
    if not isinstance(raw, str):
        raise ValidationError("Invalid sort.", fields={"sort": ["Must be a string."]})
    normalised = ", ".join(" ".join(part.split()).lower() for part in raw.split(","))
    if normalised not in SORTS:
        raise SearchQueryError(f"Cannot sort by '{raw}'. Supported: {'; '.join(SORTS)}.")
    return SORTS[normalised]


def parse_int(params: dict[str, Any], name: str, *, default: int, maximum: int | None = None,
              minimum: int = 0) -> int:  # fmt: skip
    """A non-negative integer parameter; above ``maximum`` it is capped, as CKAN caps ``rows``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationError(f"Invalid {name}.", fields={name: ["Invalid integer"]})
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"Invalid {name}.", fields={name: ["Invalid integer"]}) from None
    if value > MAX_INTEGER and maximum is None:  # an OFFSET PostgreSQL cannot hold: not a 500
        raise ValidationError(f"Invalid {name}.", fields={name: [f"Must be at most {MAX_INTEGER}"]})
    if value < minimum:
        raise ValidationError(
            f"Invalid {name}.", fields={name: [f"Must be a natural number ({minimum} or more)"]}
        )
    return min(value, maximum) if maximum is not None else value


def parse_bool(params: dict[str, Any], name: str, *, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(raw, str) and raw.lower() in ("false", "0", "no", "off"):
        return False
    raise ValidationError(f"Invalid {name}.", fields={name: ["Must be true or false"]})


def parse_string(params: dict[str, Any], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationError(f"Invalid {name}.", fields={name: ["Must be a string"]})
    return raw


def parse_string_list(params: dict[str, Any], name: str) -> list[str]:
    """A list of strings (in a JSON body), or one string (in a query string)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValidationError(f"Invalid {name}.", fields={name: ["Must be a list of strings"]})
    return raw


def parse_facet_fields(raw: Any, known: tuple[str, ...]) -> list[str]:
    """``facet.field``: a JSON list of field names (a list already, in a JSON body)."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError(
                "Invalid facet.field.", fields={"facet.field": ["Must be a JSON list"]}
            ) from None
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ValidationError(
            "Invalid facet.field.", fields={"facet.field": ["Must be a list of field names"]}
        )
    unknown = [name for name in raw if name not in known]
    if unknown:
        raise SearchQueryError(
            f"Cannot facet on {', '.join(unknown)}. Facet fields: {', '.join(known)}."
        )
    return list(dict.fromkeys(raw))
