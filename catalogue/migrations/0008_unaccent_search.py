"""PostgreSQL only: search ignores accents ("recoltes" finds "récoltes", "Muller" finds "Müller").

Creates the ``unaccent`` extension (trusted: the database owner may create it; otherwise the
migration stops with a message that names the fix), the unaccented ``passerelle_*`` text search
configurations, and the new vector function, then recomputes every dataset's vector with one
UPDATE that runs the trigger (``modified`` stays as it was). The UPDATE locks the rows, not the
table: searches go on, with the old vectors, until the migration commits.

Reversal puts back the objects of migration 0002 and recomputes the vectors with them; the
extension stays installed (see ``core.migration_operations.create_extension``).

The SQL is frozen here, as ``catalogue/search_sql.py`` generated it when this migration was
written; tests/catalogue/test_search.py fails when the two differ, which means a new migration is
needed (databases migrated earlier would not have the new objects).
"""

from importlib import import_module

from django.db import migrations

from core.migration_operations import create_extension, postgresql_only

# The accent-sensitive objects as 0002 installed them (its module name is not an identifier).
initial = import_module("catalogue.migrations.0002_search_trigger")

CREATE_SQL = """
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_simple;
CREATE TEXT SEARCH CONFIGURATION passerelle_simple (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION passerelle_simple
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;
ALTER TEXT SEARCH CONFIGURATION passerelle_simple
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_basque;
CREATE TEXT SEARCH CONFIGURATION passerelle_basque (COPY = pg_catalog.basque);
ALTER TEXT SEARCH CONFIGURATION passerelle_basque
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, basque_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_basque
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_catalan;
CREATE TEXT SEARCH CONFIGURATION passerelle_catalan (COPY = pg_catalog.catalan);
ALTER TEXT SEARCH CONFIGURATION passerelle_catalan
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, catalan_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_catalan
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_danish;
CREATE TEXT SEARCH CONFIGURATION passerelle_danish (COPY = pg_catalog.danish);
ALTER TEXT SEARCH CONFIGURATION passerelle_danish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, danish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_danish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_dutch;
CREATE TEXT SEARCH CONFIGURATION passerelle_dutch (COPY = pg_catalog.dutch);
ALTER TEXT SEARCH CONFIGURATION passerelle_dutch
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, dutch_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_dutch
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_english;
CREATE TEXT SEARCH CONFIGURATION passerelle_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION passerelle_english
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, english_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_english
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_finnish;
CREATE TEXT SEARCH CONFIGURATION passerelle_finnish (COPY = pg_catalog.finnish);
ALTER TEXT SEARCH CONFIGURATION passerelle_finnish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, finnish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_finnish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_french;
CREATE TEXT SEARCH CONFIGURATION passerelle_french (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION passerelle_french
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, french_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_french
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_german;
CREATE TEXT SEARCH CONFIGURATION passerelle_german (COPY = pg_catalog.german);
ALTER TEXT SEARCH CONFIGURATION passerelle_german
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, german_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_german
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_greek;
CREATE TEXT SEARCH CONFIGURATION passerelle_greek (COPY = pg_catalog.greek);
ALTER TEXT SEARCH CONFIGURATION passerelle_greek
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, greek_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_greek
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_hungarian;
CREATE TEXT SEARCH CONFIGURATION passerelle_hungarian (COPY = pg_catalog.hungarian);
ALTER TEXT SEARCH CONFIGURATION passerelle_hungarian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, hungarian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_hungarian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_irish;
CREATE TEXT SEARCH CONFIGURATION passerelle_irish (COPY = pg_catalog.irish);
ALTER TEXT SEARCH CONFIGURATION passerelle_irish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, irish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_irish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_italian;
CREATE TEXT SEARCH CONFIGURATION passerelle_italian (COPY = pg_catalog.italian);
ALTER TEXT SEARCH CONFIGURATION passerelle_italian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, italian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_italian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_lithuanian;
CREATE TEXT SEARCH CONFIGURATION passerelle_lithuanian (COPY = pg_catalog.lithuanian);
ALTER TEXT SEARCH CONFIGURATION passerelle_lithuanian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, lithuanian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_lithuanian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_norwegian;
CREATE TEXT SEARCH CONFIGURATION passerelle_norwegian (COPY = pg_catalog.norwegian);
ALTER TEXT SEARCH CONFIGURATION passerelle_norwegian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, norwegian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_norwegian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_portuguese;
CREATE TEXT SEARCH CONFIGURATION passerelle_portuguese (COPY = pg_catalog.portuguese);
ALTER TEXT SEARCH CONFIGURATION passerelle_portuguese
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, portuguese_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_portuguese
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_romanian;
CREATE TEXT SEARCH CONFIGURATION passerelle_romanian (COPY = pg_catalog.romanian);
ALTER TEXT SEARCH CONFIGURATION passerelle_romanian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, romanian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_romanian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_russian;
CREATE TEXT SEARCH CONFIGURATION passerelle_russian (COPY = pg_catalog.russian);
ALTER TEXT SEARCH CONFIGURATION passerelle_russian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, russian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_russian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_serbian;
CREATE TEXT SEARCH CONFIGURATION passerelle_serbian (COPY = pg_catalog.serbian);
ALTER TEXT SEARCH CONFIGURATION passerelle_serbian
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, serbian_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_serbian
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_spanish;
CREATE TEXT SEARCH CONFIGURATION passerelle_spanish (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION passerelle_spanish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, spanish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_spanish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_swedish;
CREATE TEXT SEARCH CONFIGURATION passerelle_swedish (COPY = pg_catalog.swedish);
ALTER TEXT SEARCH CONFIGURATION passerelle_swedish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, swedish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_swedish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_turkish;
CREATE TEXT SEARCH CONFIGURATION passerelle_turkish (COPY = pg_catalog.turkish);
ALTER TEXT SEARCH CONFIGURATION passerelle_turkish
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, turkish_stem;
ALTER TEXT SEARCH CONFIGURATION passerelle_turkish
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
CREATE OR REPLACE FUNCTION passerelle_search_configs(code text) RETURNS regconfig[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(code)
        WHEN 'ca' THEN ARRAY['catalan', 'passerelle_catalan']::regconfig[]
        WHEN 'da' THEN ARRAY['danish', 'passerelle_danish']::regconfig[]
        WHEN 'de' THEN ARRAY['german', 'passerelle_german']::regconfig[]
        WHEN 'el' THEN ARRAY['greek', 'passerelle_greek']::regconfig[]
        WHEN 'en' THEN ARRAY['english', 'passerelle_english']::regconfig[]
        WHEN 'es' THEN ARRAY['spanish', 'passerelle_spanish']::regconfig[]
        WHEN 'eu' THEN ARRAY['basque', 'passerelle_basque']::regconfig[]
        WHEN 'fi' THEN ARRAY['finnish', 'passerelle_finnish']::regconfig[]
        WHEN 'fr' THEN ARRAY['french', 'passerelle_french']::regconfig[]
        WHEN 'ga' THEN ARRAY['irish', 'passerelle_irish']::regconfig[]
        WHEN 'hu' THEN ARRAY['hungarian', 'passerelle_hungarian']::regconfig[]
        WHEN 'it' THEN ARRAY['italian', 'passerelle_italian']::regconfig[]
        WHEN 'lt' THEN ARRAY['lithuanian', 'passerelle_lithuanian']::regconfig[]
        WHEN 'nl' THEN ARRAY['dutch', 'passerelle_dutch']::regconfig[]
        WHEN 'no' THEN ARRAY['norwegian', 'passerelle_norwegian']::regconfig[]
        WHEN 'pt' THEN ARRAY['portuguese', 'passerelle_portuguese']::regconfig[]
        WHEN 'ro' THEN ARRAY['romanian', 'passerelle_romanian']::regconfig[]
        WHEN 'ru' THEN ARRAY['russian', 'passerelle_russian']::regconfig[]
        WHEN 'sr' THEN ARRAY['serbian', 'passerelle_serbian']::regconfig[]
        WHEN 'sv' THEN ARRAY['swedish', 'passerelle_swedish']::regconfig[]
        WHEN 'tr' THEN ARRAY['turkish', 'passerelle_turkish']::regconfig[]
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
        configs := (ARRAY['english', 'passerelle_english']::regconfig[])[1:per_language];
    END IF;

    vec := setweight(to_tsvector('passerelle_simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('passerelle_simple', words_b), 'B')
        || setweight(to_tsvector('passerelle_simple', coalesce(NEW.description, '')), 'C');
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

DROP_CONFIGURATIONS_SQL = """
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_basque;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_catalan;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_danish;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_dutch;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_english;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_finnish;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_french;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_german;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_greek;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_hungarian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_irish;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_italian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_lithuanian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_norwegian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_portuguese;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_romanian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_russian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_serbian;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_spanish;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_swedish;
DROP TEXT SEARCH CONFIGURATION IF EXISTS passerelle_turkish;"""

RECOMPUTE_SQL = "UPDATE catalogue_dataset SET title = title;"

FORWARD_SQL = f"""{CREATE_SQL}
DROP FUNCTION IF EXISTS passerelle_search_config(text);
{RECOMPUTE_SQL}
"""

BACKWARD_SQL = f"""{initial.CREATE_SQL}
DROP FUNCTION IF EXISTS passerelle_search_configs(text);
{RECOMPUTE_SQL}
{DROP_CONFIGURATIONS_SQL}
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_publisher_review_periods")]

    operations = [
        create_extension("unaccent", needed_for="accent-insensitive search"),
        postgresql_only(FORWARD_SQL, BACKWARD_SQL),
    ]
