"""PostgreSQL only: a dataset row inserted after its themes and distributions gets its facet
copies (migration 0005) in the insert itself.

Foreign keys to the dataset are checked at commit, so the bulk paths (the sync's creations, the
catalogue generator) now write a new dataset's theme links and distributions first and its row
last: the row is written once, with its copies, instead of once and then rewritten by each of
the two refreshes (a new copy of the whole wide row each time: the table held about 2.5 times
its live size). A dataset inserted first, as before, gets empty copies here and the statement
triggers of migration 0005 fill them in, as they always did.
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE OR REPLACE FUNCTION catalogue_dataset_facet_copies_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.facet_theme_ids := coalesce(
        (SELECT array_agg(DISTINCT t.theme_id ORDER BY t.theme_id)
           FROM catalogue_dataset_themes t WHERE t.dataset_id = NEW.id), '{}');
    NEW.facet_formats := coalesce(
        (SELECT array_agg(DISTINCT x.format::text ORDER BY x.format::text)
           FROM catalogue_distribution x WHERE x.dataset_id = NEW.id), '{}');
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS catalogue_dataset_facet_copies ON catalogue_dataset;
CREATE TRIGGER catalogue_dataset_facet_copies BEFORE INSERT ON catalogue_dataset
    FOR EACH ROW EXECUTE FUNCTION catalogue_dataset_facet_copies_on_insert();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS catalogue_dataset_facet_copies ON catalogue_dataset;
DROP FUNCTION IF EXISTS catalogue_dataset_facet_copies_on_insert();
"""


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0014_facet_totals")]

    operations = [
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
