-- Parley store, schema version 7, PostgreSQL: who is appointed to each escalation in a
-- partnership role (issue 14, item 4: an independent chair, the Safeguarding Partners Executive ...).
-- Keep in step with migrations/sqlite/0007_escalation_appointments.sql (a test compares them).
--
-- A projection of the `appointed` events: a row says that `person_id` was appointed to the
-- escalation as `role` at `stage`, at `at_us`. Rows are never removed.
CREATE TABLE escalation_appointments (
    escalation_id  TEXT   NOT NULL,
    partnership_id TEXT   NOT NULL,
    role           TEXT   NOT NULL,
    person_id      TEXT   NOT NULL,
    stage          BIGINT NOT NULL,
    at_us          BIGINT NOT NULL,
    -- Also "the appointees of escalation E".
    PRIMARY KEY (escalation_id, role, person_id)
);
-- "The escalations person X is appointed to."
CREATE INDEX escalation_appointments_person ON escalation_appointments (person_id, escalation_id);

-- Every role already given the application's privileges (`PgStore::grant_app_role`, which can
-- change the outbox's delivery columns) may use the new table too.
DO $$
DECLARE
    app TEXT;
BEGIN
    FOR app IN
        SELECT DISTINCT pg_get_userbyid(a.grantee)
        FROM pg_class c, aclexplode(c.relacl) AS a
        WHERE c.oid = 'outbox'::regclass
          AND a.privilege_type = 'UPDATE'
          AND a.grantee <> 0
          AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON escalation_appointments TO %I', app);
    END LOOP;
END
$$;
