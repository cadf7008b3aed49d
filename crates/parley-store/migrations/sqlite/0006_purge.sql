-- Parley store, schema version 6, SQLite: a purge is the one sanctioned change to an event.
-- Keep in step with migrations/postgres/0006_purge.sql.
--
-- The chain hashes a salted digest of each event's content (chain.rs), so the content (actor,
-- reason, payload, salt) can be removed at the end of a retention period and the chain still
-- verifies. Removing it must itself be recorded: an `event-purged` event on the stream
-- `purge:<seq>`, naming the purged event's sequence number and hash, its authority and reason
-- (`parley audit purge`). This trigger replaces 0001's refusal of every UPDATE: it lets through
-- exactly one change, emptying all four content columns of an event, and only when its purge
-- event is already in the chain. `parley audit verify` fails on any emptied content without one.
DROP TRIGGER events_refuse_update;

CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
WHEN NOT (
        NEW.partnership_id IS OLD.partnership_id
    AND NEW.seq IS OLD.seq
    AND NEW.stream IS OLD.stream
    AND NEW.stream_version IS OLD.stream_version
    AND NEW.at_us IS OLD.at_us
    AND NEW.kind IS OLD.kind
    AND NEW.content_hash IS OLD.content_hash
    AND NEW.prev_hash IS OLD.prev_hash
    AND NEW.hash IS OLD.hash
    AND NEW.actor IS NULL
    AND NEW.reason IS NULL
    AND NEW.payload IS NULL
    AND NEW.salt IS NULL
    -- A purge record stays: it is what accounts for the purge.
    AND OLD.kind <> 'event-purged'
    AND EXISTS (
        SELECT 1 FROM events AS p
        WHERE p.partnership_id = OLD.partnership_id
          AND p.stream = 'purge:' || OLD.seq
          AND p.kind = 'event-purged'
          AND p.seq > OLD.seq
          AND json_extract(p.payload, '$.purged_hash') = lower(hex(OLD.hash))
    )
)
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused (only a recorded purge may empty an event''s content)');
END;
