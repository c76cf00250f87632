"""Full-text search with web-search syntax: words, ``"exact phrases"``, ``-excluded`` and ``or``.

The query is validated here, so malformed input is a clear 400 on every database. Accents are
optional everywhere: "recoltes" finds "récoltes" and "Müller" finds "Muller". On PostgreSQL each
term is read with every configuration the trigger indexes with (``languages.py``: each language
as written and without accents, and exact words without accents) and matched against the
stored, GIN-indexed ``search_vector``; on SQLite a substring match of accent-free, lower-case
text with light suffix-stripping stands in.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache, reduce

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast

from core.errors import ApplicationError

from .languages import EXACT_WORDS_CONFIG, PG_SEARCH_CONFIGS, stemming_configs

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
SEARCH_CONFIGS = (
    EXACT_WORDS_CONFIG,
    *sorted({c for config in PG_SEARCH_CONFIGS.values() for c in stemming_configs(config)}),
)

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)|(")')
_WORD_RE = re.compile(r"\w", re.UNICODE)


class SearchSyntaxError(ApplicationError):
    code = "invalid_query"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"q": [message]})


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False


@dataclass
class ParsedQuery:
    """AND of clauses; each clause is an OR of terms. Excluded terms are ANDed away."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)


def parse_query(raw: str) -> ParsedQuery:
    if "\x00" in raw or any(ord(ch) < 32 and ch not in "\t\n\r" for ch in raw):
        raise SearchSyntaxError("The query contains control characters.")
    if len(raw) > MAX_QUERY_LENGTH:
        raise SearchSyntaxError(
            f"The query is {len(raw)} characters long; at most {MAX_QUERY_LENGTH} are allowed."
        )
    if raw.count('"') % 2:
        raise SearchSyntaxError('The query has an unclosed quotation mark (").')

    parsed = ParsedQuery()
    pending_or = False
    terms = 0
    for match in _TOKEN_RE.finditer(raw):
        negated_phrase, phrase, negated_word, word, _stray = match.groups()
        is_phrase = phrase is not None
        text = " ".join((phrase if is_phrase else word or "").split())
        negated = bool(negated_phrase if is_phrase else negated_word)
        if not is_phrase and text.lower() == "or" and not negated:
            if not parsed.clauses or pending_or:
                raise SearchSyntaxError("'or' must stand between two search terms.")
            pending_or = True
            continue
        if not _WORD_RE.search(text):
            continue  # punctuation alone carries nothing to search for
        terms += 1
        if terms > MAX_TERMS:
            raise SearchSyntaxError(f"The query has more than {MAX_TERMS} terms.")
        term = Term(text=text, phrase=is_phrase)
        if negated:
            if pending_or:
                raise SearchSyntaxError("'or' cannot be followed by an excluded term.")
            parsed.excluded.append(term)
        elif pending_or:
            parsed.clauses[-1].append(term)
            pending_or = False
        else:
            parsed.clauses.append([term])
    if pending_or:
        raise SearchSyntaxError("'or' must stand between two search terms.")
    if not parsed.clauses:
        raise SearchSyntaxError("The query needs at least one word to search for (not excluded).")
    return parsed


@lru_cache(maxsize=4096)
def _readings(text: str) -> tuple[str, ...]:
    """Every distinct tsquery a term gives with the configurations in ``SEARCH_CONFIGS``.

    A term matches when any reading of it matches: the stem a French, German or English stemmer
    makes of it, as written or without accents, or the exact word without accents. Stemming is
    deterministic, so readings are cached per process; most configurations agree (a word without
    accents reads the same with and without unaccent), so the final query stays small.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT phraseto_tsquery(c::regconfig, %s)::text FROM unnest(%s::text[]) c",
            [text, list(SEARCH_CONFIGS)],
        )
        readings = sorted(row[0] for row in cursor.fetchall() if row[0])
    return tuple(readings)


def _any_reading(term: Term) -> str | None:
    readings = _readings(term.text)
    return "(" + " | ".join(f"({r})" for r in readings) + ")" if readings else None


def pg_tsquery(raw: str) -> str:
    """The tsquery text for ``raw``: built term by term so that exclusion applies to every
    reading of a word (OR-ing whole per-language queries would let a stemmer that reads an
    excluded word differently bring back the very datasets the user excluded)."""
    parsed = parse_query(raw)
    clauses = []
    for clause in parsed.clauses:
        alternatives = [r for r in map(_any_reading, clause) if r]
        if alternatives:
            clauses.append("(" + " | ".join(alternatives) + ")")
    if not clauses:
        raise SearchSyntaxError("The query has only words too common to search for.")
    clauses += [f"!{r}" for r in map(_any_reading, parsed.excluded) if r]
    return " & ".join(clauses)


def _pg_query(raw: str) -> SearchQuery:
    # The text is already a tsquery; the 'simple' configuration leaves its lexemes as they are.
    return SearchQuery(pg_tsquery(raw), search_type="raw", config="simple")


def search_filter(queryset: QuerySet, raw: str) -> QuerySet:
    """Restrict ``queryset`` to datasets matching the web-search query ``raw``."""
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_pg_query(raw))
    parsed = parse_query(raw)
    return queryset.alias(
        _title=_Fold("title"),
        _description=_Fold("description"),
        _keywords_text=_FoldJson(Cast("keywords", TextField())),
        _publisher_name=_Fold("publisher__name"),
    ).filter(_fallback_condition(parsed))


def rank_annotation(raw: str) -> SearchRank | None:
    if connection.vendor != "postgresql":
        return None
    return SearchRank(F("search_vector"), _pg_query(raw))


# --- SQLite: substring match of folded text ------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and an accent, folded as
# PostgreSQL's unaccent folds them.
_UNDECOMPOSABLE = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ħ": "h"}
    | {"\u0131": "i"}  # dotless i (Turkish)
)


def fold(text: str | None) -> str | None:
    """``text`` lower-cased and without accents: "Müller" -> "muller", "Łódź" -> "lodz"."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_json(text: str | None) -> str | None:
    # SQLite stores JSON with non-ASCII letters escaped ("r\u00e9colte"): decode before folding.
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return fold(text)
    return fold(" ".join(map(str, value)) if isinstance(value, list) else str(value))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Connect to ``connection_created``: gives each SQLite connection the folding functions."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("passerelle_fold", 1, fold, deterministic=True)
        connection.connection.create_function(
            "passerelle_fold_json", 1, _fold_json, deterministic=True
        )


class _Fold(Func):
    function = "passerelle_fold"
    output_field = TextField()


class _FoldJson(Func):
    function = "passerelle_fold_json"
    output_field = TextField()


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s", "e")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _term_q(term: Term) -> Q:
    needle = fold(term.text) if term.phrase else _stem(fold(term.text))
    return (
        Q(_title__contains=needle)
        | Q(_description__contains=needle)
        | Q(_keywords_text__contains=needle)
        | Q(_publisher_name__contains=needle)
    )


def _fallback_condition(parsed: ParsedQuery) -> Q:
    condition = Q()
    for clause in parsed.clauses:
        condition &= reduce(lambda a, b: a | b, (_term_q(term) for term in clause))
    for term in parsed.excluded:
        condition &= ~_term_q(term)
    return condition
