"""PostgreSQL only: theme ids and distribution formats copied onto each dataset row.

Facet counts then read one row per matching dataset instead of joining the whole themes and
distributions tables on every search. Statement-level triggers keep the copies exact on every
write path (admin, API, bulk_create, raw SQL); the M2M table and the distributions stay the truth.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
ALTER TABLE catalogue_dataset
    ADD COLUMN IF NOT EXISTS facet_theme_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS facet_formats text[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION catalogue_refresh_facet_themes(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE catalogue_dataset d
       SET facet_theme_ids = coalesce(
           (SELECT array_agg(DISTINCT t.theme_id) FROM catalogue_dataset_themes t
             WHERE t.dataset_id = d.id), '{}')
     WHERE d.id = ANY(ids);
$$;

CREATE OR REPLACE FUNCTION catalogue_refresh_facet_formats(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE catalogue_dataset d
       SET facet_formats = coalesce(
           (SELECT array_agg(DISTINCT x.format::text) FROM catalogue_distribution x
             WHERE x.dataset_id = d.id), '{}')
     WHERE d.id = ANY(ids);
$$;

CREATE OR REPLACE FUNCTION catalogue_themes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM catalogue_refresh_facet_themes(ARRAY(SELECT DISTINCT dataset_id FROM old_rows));
    ELSE
        PERFORM catalogue_refresh_facet_themes(ARRAY(SELECT DISTINCT dataset_id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION catalogue_distributions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM catalogue_refresh_facet_formats(ARRAY(SELECT DISTINCT dataset_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM catalogue_refresh_facet_formats(ARRAY(SELECT DISTINCT dataset_id FROM old_rows));
    ELSE
        PERFORM catalogue_refresh_facet_formats(ARRAY(
            SELECT dataset_id FROM new_rows UNION SELECT dataset_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS catalogue_themes_inserted ON catalogue_dataset_themes;
CREATE TRIGGER catalogue_themes_inserted AFTER INSERT ON catalogue_dataset_themes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_themes_changed();
DROP TRIGGER IF EXISTS catalogue_themes_deleted ON catalogue_dataset_themes;
CREATE TRIGGER catalogue_themes_deleted AFTER DELETE ON catalogue_dataset_themes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_themes_changed();

DROP TRIGGER IF EXISTS catalogue_distributions_inserted ON catalogue_distribution;
CREATE TRIGGER catalogue_distributions_inserted AFTER INSERT ON catalogue_distribution
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_distributions_changed();
DROP TRIGGER IF EXISTS catalogue_distributions_updated ON catalogue_distribution;
CREATE TRIGGER catalogue_distributions_updated AFTER UPDATE ON catalogue_distribution
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_distributions_changed();
DROP TRIGGER IF EXISTS catalogue_distributions_deleted ON catalogue_distribution;
CREATE TRIGGER catalogue_distributions_deleted AFTER DELETE ON catalogue_distribution
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_distributions_changed();

SELECT catalogue_refresh_facet_themes(ARRAY(SELECT id FROM catalogue_dataset));
SELECT catalogue_refresh_facet_formats(ARRAY(SELECT id FROM catalogue_dataset));
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS catalogue_themes_inserted ON catalogue_dataset_themes;
DROP TRIGGER IF EXISTS catalogue_themes_deleted ON catalogue_dataset_themes;
DROP TRIGGER IF EXISTS catalogue_distributions_inserted ON catalogue_distribution;
DROP TRIGGER IF EXISTS catalogue_distributions_updated ON catalogue_distribution;
DROP TRIGGER IF EXISTS catalogue_distributions_deleted ON catalogue_distribution;
DROP FUNCTION IF EXISTS catalogue_themes_changed();
DROP FUNCTION IF EXISTS catalogue_distributions_changed();
DROP FUNCTION IF EXISTS catalogue_refresh_facet_themes(uuid[]);
DROP FUNCTION IF EXISTS catalogue_refresh_facet_formats(uuid[]);
ALTER TABLE catalogue_dataset DROP COLUMN IF EXISTS facet_theme_ids,
    DROP COLUMN IF EXISTS facet_formats;
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0004_steward_group")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
