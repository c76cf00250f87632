"""PostgreSQL objects that keep ``catalogue_dataset.search_vector`` current on every write path.

A trigger, not application code, computes the vector: the admin, the API, bulk commands and raw
SQL all get the same result. The vector holds every word
- word for word without accents (``passerelle_simple``), so exact words match across languages and
  "Muller" finds "Müller";
- stemmed in each of the dataset's languages that PostgreSQL has a dictionary for (English when
  none is given) by PostgreSQL's configuration, as written, and, when the text has accents, also
  by its unaccented copy (``passerelle_french``...: ``unaccent`` first, then the stemmer). So
  "recoltes" finds "récoltes", and forms that only the accented spelling stems alike
  ("cultivées" and "cultiver" -> "cultiv") keep matching.

``catalogue/search.py`` reads queries with the same configurations; ``languages.py`` names them.

Migration 0008 installs a frozen copy of this SQL (0002 installed the first, accent-sensitive
version). A test fails when the two differ: changing anything here (or the languages) needs a new
migration, or databases migrated earlier keep the old objects while the query side expects the
new ones.
"""

from .languages import (
    DEFAULT_SEARCH_CONFIG,
    EXACT_WORDS_CONFIG,
    PG_SEARCH_CONFIGS,
    UNACCENTED_CONFIGS,
    stemming_configs,
)


def _regconfig_array(config: str) -> str:
    return "ARRAY[" + ", ".join(f"'{c}'" for c in stemming_configs(config)) + "]::regconfig[]"


# Token types that may hold letters with accents (asciiword, email, url... cannot, or must not
# change). The copies of the language configurations keep their stemmer for words.
_WORD_TOKENS = "word, hword, hword_part"
_NUMWORD_TOKENS = "numword, numhword, hword_numpart"


def _config_sql(name: str, base: str) -> str:
    words = "simple" if base == "simple" else f"{base}_stem"
    return f"""
DROP TEXT SEARCH CONFIGURATION IF EXISTS {name};
CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base});
ALTER TEXT SEARCH CONFIGURATION {name}
    ALTER MAPPING FOR {_WORD_TOKENS} WITH unaccent, {words};
ALTER TEXT SEARCH CONFIGURATION {name}
    ALTER MAPPING FOR {_NUMWORD_TOKENS} WITH unaccent, simple;"""


# Needs the unaccent extension (migration 0008 creates it first).
CONFIGURATIONS_SQL = "".join(_config_sql(name, base) for name, base in UNACCENTED_CONFIGS.items())

DROP_CONFIGURATIONS_SQL = "".join(
    f"\nDROP TEXT SEARCH CONFIGURATION IF EXISTS {name};" for name in UNACCENTED_CONFIGS
)

_CASES = "\n".join(
    f"        WHEN '{code}' THEN {_regconfig_array(config)}"
    for code, config in sorted(PG_SEARCH_CONFIGS.items())
)

# passerelle_search_configs(code): stemming_configs() of the language's configuration, in order.
FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION passerelle_search_configs(code text) RETURNS regconfig[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(code)
{_CASES}
        ELSE NULL
    END
$$;

CREATE OR REPLACE FUNCTION catalogue_dataset_search_vector_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    words_b text;
    whole text;
    per_language int;
    configs regconfig[];
    cfg regconfig;
    vec tsvector;
BEGIN
    SELECT coalesce(string_agg(kw, ' '), '') INTO words_b
      FROM jsonb_array_elements_text(coalesce(NEW.keywords, '[]'::jsonb)) AS kw;
    words_b := words_b || ' ' || coalesce(
        (SELECT name FROM catalogue_publisher WHERE id = NEW.publisher_id), '');

    -- Each language gives PostgreSQL's configuration, then its unaccented copy. Where unaccent
    -- changes nothing (no accents at all) the copy gives the very same lexemes: PostgreSQL's
    -- alone then, or the vector would repeat every position.
    whole := concat_ws(' ', NEW.title, words_b, NEW.description);
    per_language := CASE WHEN unaccent(whole) = whole THEN 1 ELSE 2 END;
    SELECT array_agg(DISTINCT lang_configs.config) INTO configs
      FROM jsonb_array_elements_text(coalesce(NEW.languages, '[]'::jsonb)) AS lang,
           unnest((passerelle_search_configs(lang))[1:per_language]) AS lang_configs(config);
    IF configs IS NULL THEN
        configs := ({_regconfig_array(DEFAULT_SEARCH_CONFIG)})[1:per_language];
    END IF;

    vec := setweight(to_tsvector('{EXACT_WORDS_CONFIG}', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('{EXACT_WORDS_CONFIG}', words_b), 'B')
        || setweight(to_tsvector('{EXACT_WORDS_CONFIG}', coalesce(NEW.description, '')), 'C');
    FOREACH cfg IN ARRAY configs LOOP
        vec := vec
            || setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector(cfg, words_b), 'B')
            || setweight(to_tsvector(cfg, coalesce(NEW.description, '')), 'C');
    END LOOP;
    NEW.search_vector := vec;
    RETURN NEW;
END
$$;
"""

# Unchanged since migration 0002; here so that this module shows every object in one place.
TRIGGERS_SQL = """
DROP TRIGGER IF EXISTS catalogue_dataset_search_vector ON catalogue_dataset;
CREATE TRIGGER catalogue_dataset_search_vector
    BEFORE INSERT OR UPDATE OF title, description, keywords, languages, publisher_id
    ON catalogue_dataset
    FOR EACH ROW EXECUTE FUNCTION catalogue_dataset_search_vector_update();

-- A renamed publisher changes the text of all its datasets: touching publisher_id re-runs the
-- dataset trigger for each of them.
CREATE OR REPLACE FUNCTION catalogue_publisher_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_dataset SET publisher_id = publisher_id WHERE publisher_id = NEW.id;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS catalogue_publisher_search_vector ON catalogue_publisher;
CREATE TRIGGER catalogue_publisher_search_vector
    AFTER UPDATE OF name ON catalogue_publisher
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION catalogue_publisher_renamed();

CREATE INDEX IF NOT EXISTS dataset_search_vector_gin
    ON catalogue_dataset USING gin (search_vector);
-- Keyword filters use jsonb containment (keywords @> '["soil"]').
CREATE INDEX IF NOT EXISTS dataset_keywords_gin
    ON catalogue_dataset USING gin (keywords jsonb_path_ops);
"""

# Every object, as it is now (idempotent: it also brings an older version up to date).
CREATE_SQL = CONFIGURATIONS_SQL + FUNCTIONS_SQL + TRIGGERS_SQL

# Every row through the trigger again, in one statement: an UPDATE that names title fires it
# (UPDATE OF), while ``modified``, set by the application, stays as it was.
RECOMPUTE_SQL = "UPDATE catalogue_dataset SET title = title;"
