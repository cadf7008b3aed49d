-- Parley store, schema version 2, SQLite: what the web application needs.
-- Keep the tables, columns and indexes in step with migrations/postgres/0002_web.sql (a test
-- compares them).
--
-- Accounts, sessions and API tokens are mutable security state: not events, not projections.
-- Nothing replays them and rebuilding the projections leaves them alone.

-- A person's sign-in. One account per person; the person's details are in `people`.
CREATE TABLE accounts (
    person_id       TEXT    PRIMARY KEY,
    partnership_id  TEXT    NOT NULL,
    email           TEXT    NOT NULL UNIQUE,   -- stored lower-case
    password_hash   TEXT    NOT NULL,          -- a PHC string; never the password
    failed_attempts INTEGER NOT NULL,          -- since the last successful sign-in
    locked_until_us INTEGER,
    created_at_us   INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL
);

-- Signed-in browsers. The cookie holds a random token; only its SHA-256 (hex) is stored.
CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    person_id     TEXT    NOT NULL,
    csrf_token    TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    last_seen_us  INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    draft         TEXT                         -- JSON of a form in progress
);
CREATE INDEX sessions_person ON sessions (person_id);
CREATE INDEX sessions_expiry ON sessions (expires_at_us);

-- Bearer tokens for the API. Only the SHA-256 (hex) of the token is stored.
CREATE TABLE api_tokens (
    token_hash    TEXT    PRIMARY KEY,
    person_id     TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER,
    revoked_at_us INTEGER
);

-- The web's lists: what a person raised or received, what reached an agency's named officers,
-- and a partnership's escalations by stage.
CREATE INDEX escalations_raised_by ON escalations (raised_by);
CREATE INDEX escalations_receiving_person ON escalations (receiving_person_id);
CREATE INDEX escalations_raising_agency ON escalations (raising_agency_id);
CREATE INDEX escalations_receiving_agency ON escalations (receiving_agency_id);
CREATE INDEX escalations_partnership_stage ON escalations (partnership_id, current_stage);
