-- Parley store, schema version 7, SQLite: who is appointed to each escalation in a partnership
-- role (issue 14, item 4: an independent chair, the Safeguarding Partners Executive ...).
-- Keep in step with migrations/postgres/0007_escalation_appointments.sql (a test compares them).
--
-- A projection of the `appointed` events: a row says that `person_id` was appointed to the
-- escalation as `role` at `stage`, at `at_us`. Rows are never removed.
CREATE TABLE escalation_appointments (
    escalation_id  TEXT    NOT NULL,
    partnership_id TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    person_id      TEXT    NOT NULL,
    stage          INTEGER NOT NULL,
    at_us          INTEGER NOT NULL,
    -- Also "the appointees of escalation E".
    PRIMARY KEY (escalation_id, role, person_id)
);
-- "The escalations person X is appointed to."
CREATE INDEX escalation_appointments_person ON escalation_appointments (person_id, escalation_id);
