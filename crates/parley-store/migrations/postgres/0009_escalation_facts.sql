-- Parley store, schema version 9, PostgreSQL: what the period reports read of each escalation
-- (issue 17, item 1). Keep in step with migrations/sqlite/0009_escalation_facts.sql (a test
-- compares them).
--
-- A projection of each escalation's decided state: `facts` is the JSON of its report facts
-- (route, category, agencies by id, stages with their governing due dates, closing, meetings,
-- referrals, the learning recorded), never a child's details. `last_on` is the last date any
-- of those facts falls on once it is closed (a stage record may still be written after it
-- closed), NULL while it is open: a period from F to T reads the rows raised by T whose
-- `last_on` is NULL or not before F.
--
-- Databases from before this version have no rows here until `parley admin
-- rebuild-projections` is run (`parley audit verify` names each missing row).
CREATE TABLE escalation_facts (
    escalation_id  TEXT NOT NULL PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    raised_on      TEXT NOT NULL,
    closed_on      TEXT,
    last_on        TEXT,
    facts          TEXT NOT NULL
);
-- "Raised by T" of one partnership.
CREATE INDEX escalation_facts_raised ON escalation_facts (partnership_id, raised_on);
-- "Still open, or active on or after F" of one partnership.
CREATE INDEX escalation_facts_last ON escalation_facts (partnership_id, last_on);

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
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON escalation_facts TO %I', app);
    END LOOP;
END
$$;
