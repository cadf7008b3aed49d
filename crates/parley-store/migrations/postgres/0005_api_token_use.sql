-- Parley store, schema version 5, PostgreSQL: when each API token was last used, and a person's
-- tokens found without a scan. Keep in step with migrations/sqlite/0005_api_token_use.sql
-- (a test compares them).
--
-- `last_used_at_us` is written at most once a minute per token (the web layer compares it with
-- the time of the request first), so the API's hot path does not write on every request.
ALTER TABLE api_tokens ADD COLUMN last_used_at_us BIGINT;
CREATE INDEX api_tokens_person ON api_tokens (person_id);
