"""PostgreSQL only: the facet copies of migration 0005 rewrite a dataset row only when they change.

Every statement on a dataset's themes or distributions refreshed the dataset's copies with an
UPDATE of its row, changed or not. A dataset row is wide (its text and search vector: about 2 KB)
and the copies are in the covering index, so no such update is HOT: each one left a dead copy of
the whole row. A catalogue created by the sync or harvest (dataset, then themes, then
distributions) held about 2.5 times its live size in heap pages, and every search that reads rows
read that many more pages. Now an unchanged copy writes nothing; a new dataset's row is still
rewritten once per statement that changes its themes or formats.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE OR REPLACE FUNCTION catalogue_refresh_facet_themes(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE catalogue_dataset d
       SET facet_theme_ids = fresh.theme_ids
      FROM (SELECT d2.id, coalesce(
                (SELECT array_agg(DISTINCT t.theme_id ORDER BY t.theme_id)
                   FROM catalogue_dataset_themes t WHERE t.dataset_id = d2.id), '{}') AS theme_ids
              FROM catalogue_dataset d2 WHERE d2.id = ANY(ids)) fresh
     WHERE d.id = fresh.id AND d.facet_theme_ids IS DISTINCT FROM fresh.theme_ids;
$$;

CREATE OR REPLACE FUNCTION catalogue_refresh_facet_formats(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE catalogue_dataset d
       SET facet_formats = fresh.formats
      FROM (SELECT d2.id, coalesce(
                (SELECT array_agg(DISTINCT x.format::text ORDER BY x.format::text)
                   FROM catalogue_distribution x WHERE x.dataset_id = d2.id), '{}') AS formats
              FROM catalogue_dataset d2 WHERE d2.id = ANY(ids)) fresh
     WHERE d.id = fresh.id AND d.facet_formats IS DISTINCT FROM fresh.formats;
$$;
"""

# Migration 0005's versions: an UPDATE of every named row.
DROP_SQL = """
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
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0012_facet_cover_listed_only")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
