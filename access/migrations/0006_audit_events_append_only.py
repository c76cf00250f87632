"""PostgreSQL only: the database itself refuses to change or delete an audit event.

The model already refuses through the ORM; this closes raw SQL and other clients too. Someone
with the rights to drop the trigger can still tamper, and then the hash chain shows it
(``manage.py verify_audit_log``).
"""

from django.db import migrations

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE OR REPLACE FUNCTION access_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused on event #'
                  || OLD.position,
        ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER IF EXISTS access_event_append_only ON access_accessevent;
CREATE TRIGGER access_event_append_only BEFORE UPDATE OR DELETE ON access_accessevent
    FOR EACH ROW EXECUTE FUNCTION access_event_refuse_change();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS access_event_append_only ON access_accessevent;
DROP FUNCTION IF EXISTS access_event_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("access", "0005_grant_permissions")]

    operations = [postgresql_only(CREATE_SQL, DROP_SQL)]
