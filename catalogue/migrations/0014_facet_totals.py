"""PostgreSQL only: the whole catalogue's facet counts, kept by triggers (the landing page).

A search without words or filters read at least the threshold's worth of datasets and a block
sample of the catalogue, and could only give a lower bound and estimates. This table of signed
deltas per facet value (``catalogue/facet_totals_sql.py`` explains it) gives the exact total and
exact facets for the cost of the number of facet values. The SQL is frozen here as that module
generated it; a test fails when the two differ.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE TABLE IF NOT EXISTS catalogue_facet_total (
    facet varchar(16) NOT NULL,
    value text NOT NULL,
    n bigint NOT NULL
);

CREATE OR REPLACE FUNCTION catalogue_facet_total_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM catalogue_facet_total;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO catalogue_facet_total (facet, value, n)
        SELECT facet, value, sum(n) FROM (
        SELECT f.facet, f.value, 1 AS n
          FROM new_rows r CROSS JOIN LATERAL (VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', '')) f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, 1 FROM new_rows r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, 1 FROM new_rows r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL) d
         GROUP BY facet, value HAVING sum(n) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO catalogue_facet_total (facet, value, n)
        SELECT facet, value, sum(n) FROM (
        SELECT f.facet, f.value, -1 AS n
          FROM old_rows r CROSS JOIN LATERAL (VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', '')) f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, -1 FROM old_rows r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, -1 FROM old_rows r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL) d
         GROUP BY facet, value HAVING sum(n) <> 0;
    ELSE
        INSERT INTO catalogue_facet_total (facet, value, n)
        SELECT facet, value, sum(n) FROM (
        SELECT f.facet, f.value, 1 AS n
          FROM new_rows r CROSS JOIN LATERAL (VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', '')) f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, 1 FROM new_rows r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, 1 FROM new_rows r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL UNION ALL
        SELECT f.facet, f.value, -1 AS n
          FROM old_rows r CROSS JOIN LATERAL (VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', '')) f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, -1 FROM old_rows r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, -1 FROM old_rows r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL) d
         GROUP BY facet, value HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS catalogue_facet_total_inserted ON catalogue_dataset;
CREATE TRIGGER catalogue_facet_total_inserted AFTER INSERT ON catalogue_dataset
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_total_changed();
DROP TRIGGER IF EXISTS catalogue_facet_total_updated ON catalogue_dataset;
CREATE TRIGGER catalogue_facet_total_updated AFTER UPDATE ON catalogue_dataset
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_total_changed();
DROP TRIGGER IF EXISTS catalogue_facet_total_deleted ON catalogue_dataset;
CREATE TRIGGER catalogue_facet_total_deleted AFTER DELETE ON catalogue_dataset
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_total_changed();
DROP TRIGGER IF EXISTS catalogue_facet_total_truncated ON catalogue_dataset;
CREATE TRIGGER catalogue_facet_total_truncated AFTER TRUNCATE ON catalogue_dataset
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_total_changed();

-- One statement, so one snapshot: the rows it folds are exactly the rows it deletes; deltas
-- committed meanwhile stay as they are. The lock keeps two compactions (or a rebuild) apart.
CREATE OR REPLACE FUNCTION catalogue_facet_totals_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('catalogue_facet_total'));
    -- Already one row per value (nothing written since): rewriting them would only leave dead rows.
    IF NOT EXISTS (SELECT FROM catalogue_facet_total GROUP BY facet, value HAVING count(*) > 1)
    THEN
        RETURN 0;
    END IF;
    WITH gone AS (DELETE FROM catalogue_facet_total RETURNING facet, value, n),
         kept AS (INSERT INTO catalogue_facet_total (facet, value, n)
                  SELECT facet, value, sum(n) FROM gone GROUP BY facet, value
                  HAVING sum(n) <> 0 RETURNING 1)
    SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept) INTO folded;
    RETURN folded;
END $$;

-- Also one statement: the datasets it counts and the deltas it deletes are of one snapshot.
CREATE OR REPLACE FUNCTION catalogue_facet_totals_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('catalogue_facet_total'));
    WITH gone AS (DELETE FROM catalogue_facet_total RETURNING 1)
    INSERT INTO catalogue_facet_total (facet, value, n)
    SELECT facet, value, sum(n) FROM (
        SELECT f.facet, f.value, 1 AS n
          FROM catalogue_dataset r CROSS JOIN LATERAL (VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', '')) f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, 1 FROM catalogue_dataset r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, 1 FROM catalogue_dataset r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL) d
     GROUP BY facet, value;
END $$;

SELECT catalogue_facet_totals_rebuild();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS catalogue_facet_total_inserted ON catalogue_dataset;
DROP TRIGGER IF EXISTS catalogue_facet_total_updated ON catalogue_dataset;
DROP TRIGGER IF EXISTS catalogue_facet_total_deleted ON catalogue_dataset;
DROP TRIGGER IF EXISTS catalogue_facet_total_truncated ON catalogue_dataset;
DROP FUNCTION IF EXISTS catalogue_facet_total_changed();
DROP FUNCTION IF EXISTS catalogue_facet_totals_compact();
DROP FUNCTION IF EXISTS catalogue_facet_totals_rebuild();
DROP TABLE IF EXISTS catalogue_facet_total;
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0013_facet_refresh_only_changes")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
