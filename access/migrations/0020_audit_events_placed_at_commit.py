"""Audit events are placed in the chain at the end of their transaction.

An event is inserted with its content first and gets its position, previous hash and hash as the
last statements of its transaction (``access.services.audit``), so that the chain's head row is
locked for microseconds instead of for the whole change. Hence:

- ``position`` and ``hash`` may be empty, together, while the event is unplaced;
- PostgreSQL: the append-only trigger lets exactly one change through, placing an unplaced event
  with its content untouched; anything else is refused as before;
- PostgreSQL: a deferred constraint trigger checks at commit that every event inserted by the
  transaction was placed, so an unplaced event is never committed (the transaction fails).
"""

from django.db import migrations, models

from core.migration_operations import postgresql_only

CREATE_SQL = """
CREATE OR REPLACE FUNCTION access_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one change allowed: placing an unplaced event, its content untouched.
    IF TG_OP = 'UPDATE' AND OLD.position IS NULL AND OLD.hash IS NULL
       AND NEW.position IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.access_request_id, NEW.actor_id, NEW.actor_client_id,
            NEW.actor_client_name, NEW.action, NEW.from_state, NEW.to_state, NEW.comment,
            NEW.created)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.access_request_id, OLD.actor_id, OLD.actor_client_id,
            OLD.actor_client_name, OLD.action, OLD.from_state, OLD.to_state, OLD.comment,
            OLD.created)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused on event '
                  || coalesce('#' || OLD.position, 'id ' || OLD.id),
        ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION access_event_check_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM access_accessevent WHERE id = NEW.id AND position IS NULL) THEN
        RAISE EXCEPTION USING
            MESSAGE = 'audit event id ' || NEW.id || ' (' || NEW.action || ') would be '
                      || 'committed without a place in the chain',
            HINT = 'Record events inside access.services.audit.audited_atomic.',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS access_event_placed_at_commit ON access_accessevent;
CREATE CONSTRAINT TRIGGER access_event_placed_at_commit AFTER INSERT ON access_accessevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_event_check_placed();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS access_event_placed_at_commit ON access_accessevent;
DROP FUNCTION IF EXISTS access_event_check_placed();

CREATE OR REPLACE FUNCTION access_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused on event #'
                  || OLD.position,
        ERRCODE = 'insufficient_privilege';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("access", "0019_decision_policy_permissions")]

    operations = [
        migrations.AlterField(
            model_name="accessevent",
            name="hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="position",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="accessevent",
            constraint=models.CheckConstraint(
                condition=models.Q(position__isnull=True, hash__isnull=True, prev_hash="")
                | models.Q(position__isnull=False, hash__isnull=False),
                name="access_event_placed_whole",
            ),
        ),
        postgresql_only(CREATE_SQL, DROP_SQL),
    ]
