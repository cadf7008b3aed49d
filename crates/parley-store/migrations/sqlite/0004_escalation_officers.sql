-- Parley store, schema version 4, SQLite: who led each stage an escalation went through.
-- Keep in step with migrations/postgres/0004_escalation_officers.sql (a test compares them).
--
-- A projection: a row says that `person_id` was the named officer of `agency_id` for `stage`
-- while the escalation was at that stage, from `since_us`. The projector adds the officers then
-- named when an escalation enters a stage (raised at its route's entry stage, escalated), and a
-- newly named officer for every open escalation then at that stage involving the agency. Rows
-- are never removed: an officer who is replaced keeps the record of what they took part in.
-- Access is decided from these rows, never from stage numbers (a route may start at stage 3).
CREATE TABLE escalation_officers (
    escalation_id  TEXT    NOT NULL,
    partnership_id TEXT    NOT NULL,
    stage          INTEGER NOT NULL,
    agency_id      TEXT    NOT NULL,
    person_id      TEXT    NOT NULL,
    since_us       INTEGER NOT NULL,
    -- Also "the officers of escalation E".
    PRIMARY KEY (escalation_id, stage, agency_id, person_id)
);
-- "The escalations person X led a stage of."
CREATE INDEX escalation_officers_person ON escalation_officers (person_id, escalation_id);

-- A database upgraded in place holds escalations already: give each stage it reached (its
-- `escalation_stages` rows) the officers named now. That is never more than the numbers-based
-- rule gave before, and `parley admin rebuild-projections` replaces it with the exact record.
INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us)
SELECT s.escalation_id, e.partnership_id, s.stage, n.agency_id, n.person_id, s.started_at_us
FROM escalation_stages s
JOIN escalations e ON e.id = s.escalation_id
JOIN named_officers n ON n.partnership_id = e.partnership_id AND n.stage = s.stage
    AND (n.agency_id = e.raising_agency_id OR n.agency_id = e.receiving_agency_id)
WHERE true
ON CONFLICT DO NOTHING;
