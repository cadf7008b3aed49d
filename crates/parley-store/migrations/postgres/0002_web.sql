-- Parley store, schema version 2, PostgreSQL: what the web application needs.
-- Keep the tables, columns and indexes in step with migrations/sqlite/0002_web.sql (a test
-- compares them).
--
-- Accounts, sessions and API tokens are mutable security state: not events, not projections.
-- Nothing replays them and rebuilding the projections leaves them alone.

CREATE TABLE accounts (
    person_id       TEXT   PRIMARY KEY,
    partnership_id  TEXT   NOT NULL,
    email           TEXT   NOT NULL UNIQUE,
    password_hash   TEXT   NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_until_us BIGINT,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT   PRIMARY KEY,
    person_id     TEXT   NOT NULL,
    csrf_token    TEXT   NOT NULL,
    created_at_us BIGINT NOT NULL,
    last_seen_us  BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    draft         TEXT
);
CREATE INDEX sessions_person ON sessions (person_id);
CREATE INDEX sessions_expiry ON sessions (expires_at_us);

CREATE TABLE api_tokens (
    token_hash    TEXT   PRIMARY KEY,
    person_id     TEXT   NOT NULL,
    label         TEXT   NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT,
    revoked_at_us BIGINT
);

CREATE INDEX escalations_raised_by ON escalations (raised_by);
CREATE INDEX escalations_receiving_person ON escalations (receiving_person_id);
CREATE INDEX escalations_raising_agency ON escalations (raising_agency_id);
CREATE INDEX escalations_receiving_agency ON escalations (receiving_agency_id);
CREATE INDEX escalations_partnership_stage ON escalations (partnership_id, current_stage);

-- A database upgraded in place: every role already given the application's privileges
-- (`PgStore::grant_app_role`, which can change the outbox's delivery columns) may use the new
-- tables too, so the running application keeps working without a second grant.
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
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON accounts, sessions, api_tokens TO %I', app);
    END LOOP;
END
$$;
