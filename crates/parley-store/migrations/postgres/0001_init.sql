-- Parley store, schema version 1, PostgreSQL.
-- Keep the tables and columns in step with migrations/sqlite/0001_init.sql (a test compares
-- them). Applied migrations are never edited: change the schema with a new file.
--
-- Times are UTC microseconds since the Unix epoch (BIGINT); dates are 'YYYY-MM-DD' text.
--
-- The events table's privileges are set by the deployment (scripts/pg-roles.sql): a separate
-- owner role owns it and the application's role has only SELECT and INSERT on it.

CREATE TABLE events (
    partnership_id TEXT   NOT NULL,
    seq            BIGINT NOT NULL,
    stream         TEXT   NOT NULL,
    stream_version BIGINT NOT NULL,
    at_us          BIGINT NOT NULL,
    kind           TEXT   NOT NULL,
    actor          TEXT,
    reason         TEXT,
    payload        TEXT,
    salt           BYTEA,
    content_hash   BYTEA  NOT NULL,
    prev_hash      BYTEA  NOT NULL,
    hash           BYTEA  NOT NULL,
    PRIMARY KEY (partnership_id, seq),
    UNIQUE (partnership_id, stream, stream_version)
);

-- A second line of defence where the application's role could otherwise change events
-- (the privileges are the first).
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

CREATE TABLE chain_heads (
    partnership_id TEXT   PRIMARY KEY,
    seq            BIGINT NOT NULL,
    hash           BYTEA  NOT NULL
);

CREATE TABLE partnerships (
    id                TEXT   PRIMARY KEY,
    name              TEXT   NOT NULL,
    short_name        TEXT,
    procedure_id      TEXT   NOT NULL,
    procedure_version BIGINT NOT NULL,
    closure_days      TEXT   NOT NULL,
    created_at_us     BIGINT NOT NULL
);

CREATE TABLE procedures (
    partnership_id TEXT   NOT NULL,
    version        BIGINT NOT NULL,
    procedure_id   TEXT   NOT NULL,
    source         TEXT   NOT NULL,
    sha256         TEXT   NOT NULL,
    adopted_at_us  BIGINT NOT NULL,
    PRIMARY KEY (partnership_id, version)
);

CREATE TABLE agencies (
    id             TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    sector         TEXT NOT NULL
);
CREATE INDEX agencies_partnership ON agencies (partnership_id);

CREATE TABLE people (
    id              TEXT    PRIMARY KEY,
    partnership_id  TEXT    NOT NULL,
    agency_id       TEXT,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    job_title       TEXT    NOT NULL,
    roles           TEXT    NOT NULL,
    line_manager_id TEXT,
    active          BOOLEAN NOT NULL
);
CREATE INDEX people_partnership ON people (partnership_id);
CREATE INDEX people_line_manager ON people (line_manager_id);

CREATE TABLE named_officers (
    partnership_id TEXT   NOT NULL,
    agency_id      TEXT   NOT NULL,
    stage          BIGINT NOT NULL,
    person_id      TEXT   NOT NULL,
    PRIMARY KEY (agency_id, stage)
);

CREATE TABLE escalations (
    id                  TEXT    PRIMARY KEY,
    partnership_id      TEXT    NOT NULL,
    reference           TEXT    NOT NULL UNIQUE,
    procedure_version   BIGINT  NOT NULL,
    version             BIGINT  NOT NULL,
    route               TEXT    NOT NULL,
    subject             TEXT    NOT NULL,
    child_status        TEXT,
    category            TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    outcome             TEXT,
    current_stage       BIGINT  NOT NULL,
    stage_due           TEXT    NOT NULL,
    overall_due         TEXT,
    raised_at_us        BIGINT  NOT NULL,
    raised_on           TEXT    NOT NULL,
    closed_at_us        BIGINT,
    resolved_by_events  BOOLEAN NOT NULL,
    raised_by           TEXT    NOT NULL,
    raising_agency_id   TEXT    NOT NULL,
    receiving_agency_id TEXT    NOT NULL,
    receiving_person_id TEXT,
    summary             TEXT    NOT NULL,
    updated_at_us       BIGINT  NOT NULL
);
CREATE INDEX escalations_partnership ON escalations (partnership_id, status);
CREATE INDEX escalations_stage_due ON escalations (status, stage_due);

CREATE TABLE escalation_children (
    escalation_id TEXT PRIMARY KEY,
    details       TEXT NOT NULL
);

CREATE TABLE escalation_cases (
    escalation_id  TEXT PRIMARY KEY,
    decision       TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    outcome_wanted TEXT NOT NULL
);

CREATE TABLE escalation_stages (
    escalation_id TEXT   NOT NULL,
    stage         BIGINT NOT NULL,
    started_at_us BIGINT NOT NULL,
    started_on    TEXT   NOT NULL,
    due           TEXT   NOT NULL,
    agreed_days   BIGINT,
    ended_at_us   BIGINT,
    record        TEXT   NOT NULL,
    meetings      BIGINT NOT NULL,
    PRIMARY KEY (escalation_id, stage)
);

CREATE TABLE compliments (
    id             TEXT   PRIMARY KEY,
    partnership_id TEXT   NOT NULL,
    from_person_id TEXT   NOT NULL,
    to_person_id   TEXT   NOT NULL,
    message        TEXT   NOT NULL,
    given_at_us    BIGINT NOT NULL
);

CREATE TABLE outbox (
    id             TEXT    PRIMARY KEY,
    partnership_id TEXT    NOT NULL,
    event_seq      BIGINT  NOT NULL,
    escalation_id  TEXT,
    recipient      TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    stage          BIGINT  NOT NULL,
    child_details  BOOLEAN NOT NULL,
    address        TEXT,
    created_at_us  BIGINT  NOT NULL,
    sent_at_us     BIGINT,
    attempts       BIGINT  NOT NULL,
    last_error     TEXT
);
CREATE INDEX outbox_unsent ON outbox (sent_at_us, created_at_us);
