"""PostgreSQL only: the trigger that computes ``catalogue_dataset.search_vector``, as first installed.

The SQL is frozen here, as it was when this migration was written: a migration must install the
same objects whenever it runs, and a later migration that changes them reverses to exactly these.
``catalogue/search_sql.py`` holds the current objects.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE OR REPLACE FUNCTION passerelle_search_config(code text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(code)
        WHEN 'ca' THEN 'catalan'::regconfig
        WHEN 'da' THEN 'danish'::regconfig
        WHEN 'de' THEN 'german'::regconfig
        WHEN 'el' THEN 'greek'::regconfig
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'es' THEN 'spanish'::regconfig
        WHEN 'eu' THEN 'basque'::regconfig
        WHEN 'fi' THEN 'finnish'::regconfig
        WHEN 'fr' THEN 'french'::regconfig
        WHEN 'ga' THEN 'irish'::regconfig
        WHEN 'hu' THEN 'hungarian'::regconfig
        WHEN 'it' THEN 'italian'::regconfig
        WHEN 'lt' THEN 'lithuanian'::regconfig
        WHEN 'nl' THEN 'dutch'::regconfig
        WHEN 'no' THEN 'norwegian'::regconfig
        WHEN 'pt' THEN 'portuguese'::regconfig
        WHEN 'ro' THEN 'romanian'::regconfig
        WHEN 'ru' THEN 'russian'::regconfig
        WHEN 'sr' THEN 'serbian'::regconfig
        WHEN 'sv' THEN 'swedish'::regconfig
        WHEN 'tr' THEN 'turkish'::regconfig
        ELSE NULL
    END
$$;

CREATE OR REPLACE FUNCTION catalogue_dataset_search_vector_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    words_b text;
    configs regconfig[];
    cfg regconfig;
    vec tsvector;
BEGIN
    SELECT coalesce(string_agg(kw, ' '), '') INTO words_b
      FROM jsonb_array_elements_text(coalesce(NEW.keywords, '[]'::jsonb)) AS kw;
    words_b := words_b || ' ' || coalesce(
        (SELECT name FROM catalogue_publisher WHERE id = NEW.publisher_id), '');

    SELECT array_agg(DISTINCT passerelle_search_config(lang)) INTO configs
      FROM jsonb_array_elements_text(coalesce(NEW.languages, '[]'::jsonb)) AS lang
     WHERE passerelle_search_config(lang) IS NOT NULL;
    IF configs IS NULL THEN
        configs := ARRAY['english'::regconfig];
    END IF;

    vec := setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('simple', words_b), 'B')
        || setweight(to_tsvector('simple', coalesce(NEW.description, '')), 'C');
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

DROP_SQL = """
DROP TRIGGER IF EXISTS catalogue_publisher_search_vector ON catalogue_publisher;
DROP FUNCTION IF EXISTS catalogue_publisher_renamed();
DROP TRIGGER IF EXISTS catalogue_dataset_search_vector ON catalogue_dataset;
DROP FUNCTION IF EXISTS catalogue_dataset_search_vector_update();
DROP FUNCTION IF EXISTS passerelle_search_config(text);
DROP INDEX IF EXISTS dataset_search_vector_gin;
DROP INDEX IF EXISTS dataset_keywords_gin;
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
