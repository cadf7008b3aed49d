-- Parley store, schema version 3, PostgreSQL: each partnership's configuration version.
-- Keep in step with migrations/sqlite/0003_config_version.sql (a test compares them).
--
-- A projection like the rest of the row: the projector moves it on by one with every event that
-- changes the partnership, its procedures, closure days, agencies, people or named officers
-- (`Op::ConfigurationChanged`), and a rebuild replays it. Readers key their caches of those by
-- it, so one single-row query tells them whether what they hold is current.
ALTER TABLE partnerships ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;
