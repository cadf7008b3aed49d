-- Parley store, schema version 1, SQLite.
-- Keep the tables and columns in step with migrations/postgres/0001_init.sql (a test compares
-- them). Applied migrations are never edited: change the schema with a new file.
--
-- Times are UTC microseconds since the Unix epoch (INTEGER); dates are 'YYYY-MM-DD' text.
-- Ids are UUIDs as text, made by the application, so that an export imports with the same ids.

-- The event log: every change, append-only, hash-chained per partnership.
CREATE TABLE events (
    partnership_id TEXT    NOT NULL,
    seq            INTEGER NOT NULL,   -- position in the partnership's chain, from 1
    stream         TEXT    NOT NULL,   -- what the event is about: 'partnership', 'escalation:<id>'...
    stream_version INTEGER NOT NULL,   -- 1 for the stream's first event
    at_us          INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    actor          TEXT,               -- content: NULL once purged
    reason         TEXT,               -- content: NULL once purged
    payload        TEXT,               -- content (JSON): NULL once purged
    salt           BLOB,               -- content: NULL once purged
    content_hash   BLOB    NOT NULL,   -- SHA-256 of salt and content
    prev_hash      BLOB    NOT NULL,   -- the previous event's hash (zeros for seq 1)
    hash           BLOB    NOT NULL,   -- SHA-256 of prev_hash, the fixed fields and content_hash
    PRIMARY KEY (partnership_id, seq),
    UNIQUE (partnership_id, stream, stream_version)
);

-- Nothing updates or deletes an event.
CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;

CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;

-- INSERT OR REPLACE and REPLACE INTO delete the conflicting row without firing the DELETE
-- trigger; accepting only the next sequence number of the chain closes that door too.
CREATE TRIGGER events_refuse_out_of_sequence BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE partnership_id = NEW.partnership_id)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event must take the next sequence number of its chain');
END;

-- The head of each chain: where the next event links. Derived from events.
CREATE TABLE chain_heads (
    partnership_id TEXT    PRIMARY KEY,
    seq            INTEGER NOT NULL,
    hash           BLOB    NOT NULL
);

-- Projections: query tables derived from the events, rebuilt by `parley admin rebuild-projections`.

CREATE TABLE partnerships (
    id                TEXT    PRIMARY KEY,
    name              TEXT    NOT NULL,
    short_name        TEXT,
    procedure_id      TEXT    NOT NULL,
    procedure_version INTEGER NOT NULL,
    closure_days      TEXT    NOT NULL,   -- JSON array of dates
    created_at_us     INTEGER NOT NULL
);

CREATE TABLE procedures (
    partnership_id TEXT    NOT NULL,
    version        INTEGER NOT NULL,   -- 1, 2, 3... as adopted by the partnership
    procedure_id   TEXT    NOT NULL,
    source         TEXT    NOT NULL,   -- the procedure file
    sha256         TEXT    NOT NULL,
    adopted_at_us  INTEGER NOT NULL,
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
    roles           TEXT    NOT NULL,   -- JSON array of access roles
    line_manager_id TEXT,
    active          BOOLEAN NOT NULL
);
CREATE INDEX people_partnership ON people (partnership_id);
CREATE INDEX people_line_manager ON people (line_manager_id);

CREATE TABLE named_officers (
    partnership_id TEXT    NOT NULL,
    agency_id      TEXT    NOT NULL,
    stage          INTEGER NOT NULL,
    person_id      TEXT    NOT NULL,
    PRIMARY KEY (agency_id, stage)
);

CREATE TABLE escalations (
    id                  TEXT    PRIMARY KEY,
    partnership_id      TEXT    NOT NULL,
    reference           TEXT    NOT NULL UNIQUE,
    procedure_version   INTEGER NOT NULL,
    version             INTEGER NOT NULL,   -- events applied; the version an action is based on
    route               TEXT    NOT NULL,
    subject             TEXT    NOT NULL,   -- 'child' or 'thematic'
    child_status        TEXT,
    category            TEXT    NOT NULL,
    status              TEXT    NOT NULL,   -- open, resolved, referred-on, withdrawn, redirected
    outcome             TEXT,               -- resolution, referral id or redirection kind
    current_stage       INTEGER NOT NULL,
    stage_due           TEXT    NOT NULL,
    overall_due         TEXT,
    raised_at_us        INTEGER NOT NULL,
    raised_on           TEXT    NOT NULL,
    closed_at_us        INTEGER,
    resolved_by_events  BOOLEAN NOT NULL,
    raised_by           TEXT    NOT NULL,
    raising_agency_id   TEXT    NOT NULL,
    receiving_agency_id TEXT    NOT NULL,
    receiving_person_id TEXT,
    summary             TEXT    NOT NULL,   -- the decision or action challenged (no child details)
    updated_at_us       INTEGER NOT NULL
);
CREATE INDEX escalations_partnership ON escalations (partnership_id, status);
CREATE INDEX escalations_stage_due ON escalations (status, stage_due);

-- A child's details live apart from the escalation, so that no partnership query can reach them.
CREATE TABLE escalation_children (
    escalation_id TEXT PRIMARY KEY,
    details       TEXT NOT NULL        -- JSON: the minimal identifiers given when raising
);

-- The case as put by the raiser: evidence and the outcome wanted (may mention the child).
CREATE TABLE escalation_cases (
    escalation_id  TEXT PRIMARY KEY,
    decision       TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    outcome_wanted TEXT NOT NULL
);

CREATE TABLE escalation_stages (
    escalation_id TEXT    NOT NULL,
    stage         INTEGER NOT NULL,
    started_at_us INTEGER NOT NULL,
    started_on    TEXT    NOT NULL,
    due           TEXT    NOT NULL,
    agreed_days   INTEGER,
    ended_at_us   INTEGER,
    record        TEXT    NOT NULL,   -- JSON array of [field, text]
    meetings      INTEGER NOT NULL,
    PRIMARY KEY (escalation_id, stage)
);

CREATE TABLE compliments (
    id             TEXT    PRIMARY KEY,
    partnership_id TEXT    NOT NULL,
    from_person_id TEXT    NOT NULL,
    to_person_id   TEXT    NOT NULL,
    message        TEXT    NOT NULL,
    given_at_us    INTEGER NOT NULL
);

-- Notifications to send, written in the same transaction as the event that calls for them.
-- Not a projection: its delivery columns change as the sender works.
CREATE TABLE outbox (
    id             TEXT    PRIMARY KEY,
    partnership_id TEXT    NOT NULL,
    event_seq      INTEGER NOT NULL,
    escalation_id  TEXT,
    recipient      TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    stage          INTEGER NOT NULL,
    child_details  BOOLEAN NOT NULL,
    address        TEXT,
    created_at_us  INTEGER NOT NULL,
    sent_at_us     INTEGER,
    attempts       INTEGER NOT NULL,
    last_error     TEXT
);
CREATE INDEX outbox_unsent ON outbox (sent_at_us, created_at_us);
