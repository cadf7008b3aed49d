-- Parley store, schema version 8, PostgreSQL: the deadline monitor's wake date, and who each
-- notification was delivered to (issue 15). Keep in step with
-- migrations/sqlite/0008_notifications.sql (a test compares them).

-- A projection column like the rest of the row: the first date on which the deadline monitor
-- has something to record for the escalation (the day after the earliest running deadline not
-- yet recorded), NULL when it has nothing left (closed, or every running deadline recorded).
-- The projector keeps it with every event; a pass reads only the rows whose date has come,
-- through the index, never every open escalation.
ALTER TABLE escalations ADD COLUMN wake_on TEXT;
CREATE INDEX escalations_wake ON escalations (partnership_id, wake_on) WHERE wake_on IS NOT NULL;

-- A database upgraded in place holds open escalations already. Until this version nothing
-- recorded a passed deadline, so the earliest running deadline is the one the monitor waits for:
-- at a referral step `stage_due` holds the step's own and `overall_due` is NULL. Where a
-- deadline was recorded all the same (demo data) this date is early: the monitor looks, finds
-- nothing due and records nothing, and `parley admin rebuild-projections` makes it exact.
UPDATE escalations
SET wake_on = to_char(LEAST(stage_due, COALESCE(overall_due, stage_due))::date + 1, 'YYYY-MM-DD')
WHERE status = 'open';

-- One row per person or address a notification (an outbox row) was resolved to: the record of
-- who was told what and when, each person's inbox, and the mail queue. Not a projection and not
-- an event: its delivery columns change as mail is sent and as people read their notifications.
-- `person_id` is NULL for a procedure's own address, and with `address` for a recipient that
-- resolved to nobody (`mail` = 'undeliverable', `last_error` saying who was looked for).
CREATE TABLE deliveries (
    id              TEXT   PRIMARY KEY,   -- a time-ordered UUID; the e-mail's Message-ID
    outbox_id       TEXT   NOT NULL,
    partnership_id  TEXT   NOT NULL,
    escalation_id   TEXT,
    person_id       TEXT,
    address         TEXT,
    created_at_us   BIGINT NOT NULL,      -- when the notification was made (its event)
    read_at_us      BIGINT,
    mail            TEXT   NOT NULL,      -- pending, sent, failed, undeliverable, digest
    attempts        BIGINT NOT NULL,
    last_error      TEXT,
    next_attempt_us BIGINT NOT NULL,
    lease_until_us  BIGINT,
    leased_by       TEXT,
    sent_at_us      BIGINT
);
-- A person's inbox, newest first; and its unread count, from the unread rows alone.
CREATE INDEX deliveries_inbox ON deliveries (person_id, created_at_us);
CREATE INDEX deliveries_unread ON deliveries (person_id) WHERE read_at_us IS NULL;
-- The mail queue: pending rows whose next attempt has come.
CREATE INDEX deliveries_queue ON deliveries (mail, next_attempt_us);
-- Who was told about one escalation; a partnership's deliveries for its administrators.
CREATE INDEX deliveries_escalation ON deliveries (escalation_id, created_at_us);
CREATE INDEX deliveries_partnership ON deliveries (partnership_id, created_at_us);
-- The rows of one notification (exports place them after it).
CREATE INDEX deliveries_outbox ON deliveries (outbox_id);

-- How each person wants e-mail: 'each' (one per notification, the default when absent) or
-- 'daily' (a summary). A person's own setting, beside their account.
CREATE TABLE mail_preferences (
    person_id TEXT PRIMARY KEY,
    mode      TEXT NOT NULL
);

-- Every role already given the application's privileges (`PgStore::grant_app_role`, which can
-- change the outbox's delivery columns) may use the new tables too.
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
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON deliveries, mail_preferences TO %I', app);
    END LOOP;
END
$$;
