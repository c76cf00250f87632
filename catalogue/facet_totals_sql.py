"""PostgreSQL objects that keep the whole catalogue's facet counts (the landing page's) current.

``catalogue_facet_total`` holds signed deltas: (facet, value, n). Statement-level triggers on
``catalogue_dataset`` add, for each statement that changes listed datasets, one row per facet value
it changed: +1 for each listed dataset row that appears (inserted, edited into a value, reinstated)
and -1 for each that goes (deleted, edited out of a value, withdrawn); the facet copies of themes
and formats on the dataset row (migration 0005) bring theme and distribution changes through the
same triggers. Writers only ever insert, so concurrent writers never wait for one another on this
table, and a count is the sum of its rows as the reader's snapshot sees them: exact, and
consistent with the datasets in the same snapshot.

``catalogue_facet_totals_compact()`` folds the rows into one per value (Celery beat, every
minute); reads then cost the number of facet values, not of datasets.
``catalogue_facet_totals_rebuild()`` recounts from the datasets, for data written with triggers
off (``session_replication_role = replica``, as the benchmark's bulk copy does).

Migration 0014 installs this SQL; a change here needs a new migration (a test compares them).
"""

# (facet, value) pairs of one dataset row ``r``, as the search's facets name them.
_SCALAR_VALUES = """(VALUES
                  ('data_space', r.data_space_id::text), ('publisher', r.publisher_id::text),
                  ('licence', r.licence_id::text), ('access_rights', r.access_rights::text),
                  ('total', ''))"""


def _deltas(rows: str, sign: str) -> str:
    """The signed (facet, value, n) rows of the listed datasets in ``rows``."""
    return f"""
        SELECT f.facet, f.value, {sign} AS n
          FROM {rows} r CROSS JOIN LATERAL {_SCALAR_VALUES} f(facet, value)
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'theme', t::text, {sign} FROM {rows} r, unnest(r.facet_theme_ids) t
         WHERE r.withdrawn_at IS NULL
        UNION ALL
        SELECT 'format', x, {sign} FROM {rows} r, unnest(r.facet_formats) x
         WHERE r.withdrawn_at IS NULL"""


def _insert_deltas(*parts: str) -> str:
    # Net per value within the statement: an edit that changes no facet adds nothing.
    return f"""
        INSERT INTO catalogue_facet_total (facet, value, n)
        SELECT facet, value, sum(n) FROM ({" UNION ALL".join(parts)}) d
         GROUP BY facet, value HAVING sum(n) <> 0;"""


CREATE_SQL = f"""
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
    ELSIF TG_OP = 'INSERT' THEN{_insert_deltas(_deltas("new_rows", "1"))}
    ELSIF TG_OP = 'DELETE' THEN{_insert_deltas(_deltas("old_rows", "-1"))}
    ELSE{_insert_deltas(_deltas("new_rows", "1"), _deltas("old_rows", "-1"))}
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
    SELECT facet, value, sum(n) FROM ({_deltas("catalogue_dataset", "1")}) d
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

# The values whose total differs from a recount of the datasets, in one statement (one snapshot):
# (facet, value, total, recount). Empty when the triggers kept every write.
VERIFY_SQL = f"""
SELECT facet, value, coalesce(kept.n, 0), coalesce(counted.n, 0)
  FROM (SELECT facet, value, sum(n) AS n FROM catalogue_facet_total
         GROUP BY facet, value HAVING sum(n) <> 0) kept
  FULL JOIN (SELECT facet, value, sum(n) AS n FROM ({_deltas("catalogue_dataset", "1")}) d
              GROUP BY facet, value) counted USING (facet, value)
 WHERE coalesce(kept.n, 0) <> coalesce(counted.n, 0)
 ORDER BY facet, value
"""
