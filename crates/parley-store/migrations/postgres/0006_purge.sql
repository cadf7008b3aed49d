-- Parley store, schema version 6, PostgreSQL: a purge is the one sanctioned change to an event.
-- Keep in step with migrations/sqlite/0006_purge.sql.
--
-- The chain hashes a salted digest of each event's content (chain.rs), so the content (actor,
-- reason, payload, salt) can be removed at the end of a retention period and the chain still
-- verifies. Removing it must itself be recorded: an `event-purged` event on the stream
-- `purge:<seq>`, naming the purged event's sequence number and hash, its authority and reason
-- (`parley audit purge`). The trigger now lets through exactly one change, emptying all four
-- content columns of an event, and only when its purge event is already in the chain; every
-- other UPDATE, DELETE and TRUNCATE is refused as before, whoever runs it.
CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.partnership_id IS NOT DISTINCT FROM OLD.partnership_id
           AND NEW.seq IS NOT DISTINCT FROM OLD.seq
           AND NEW.stream IS NOT DISTINCT FROM OLD.stream
           AND NEW.stream_version IS NOT DISTINCT FROM OLD.stream_version
           AND NEW.at_us IS NOT DISTINCT FROM OLD.at_us
           AND NEW.kind IS NOT DISTINCT FROM OLD.kind
           AND NEW.content_hash IS NOT DISTINCT FROM OLD.content_hash
           AND NEW.prev_hash IS NOT DISTINCT FROM OLD.prev_hash
           AND NEW.hash IS NOT DISTINCT FROM OLD.hash
           AND NEW.actor IS NULL
           AND NEW.reason IS NULL
           AND NEW.payload IS NULL
           AND NEW.salt IS NULL
           -- A purge record stays: it is what accounts for the purge.
           AND OLD.kind <> 'event-purged'
           AND EXISTS (
               SELECT 1 FROM events AS p
               WHERE p.partnership_id = OLD.partnership_id
                 AND p.stream = 'purge:' || OLD.seq::text
                 AND p.kind = 'event-purged'
                 AND p.seq > OLD.seq
                 AND (p.payload::jsonb ->> 'purged_hash') = encode(OLD.hash, 'hex')
           )
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are append-only: % refused (only a recorded purge may empty an event''s content)', TG_OP;
END;
$$;

-- The application's role has no UPDATE on events (only SELECT and INSERT): it empties an
-- event's content through this function, which runs as the owner and still meets the trigger
-- above. Returns the sequence number of the event emptied (no row when there is none).
CREATE FUNCTION parley_purge_event_content(p_partnership TEXT, p_seq BIGINT) RETURNS SETOF BIGINT
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    UPDATE public.events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL
    WHERE partnership_id = p_partnership AND seq = p_seq
    RETURNING seq;
$$;
REVOKE ALL ON FUNCTION parley_purge_event_content(TEXT, BIGINT) FROM PUBLIC;

-- A database upgraded in place: every role already given the application's privileges
-- (`PgStore::grant_app_role`, recognised by its UPDATE on the outbox) may purge too.
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
        EXECUTE format('GRANT EXECUTE ON FUNCTION parley_purge_event_content(TEXT, BIGINT) TO %I', app);
    END LOOP;
END
$$;
