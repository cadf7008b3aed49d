//! The event log: appending commands (each with the query-table rows and notifications it
//! writes, in one transaction), reading the chains back, and the one sanctioned change to an
//! event, a purge.

use async_trait::async_trait;
use sqlx::Acquire;

use super::Backend;
use super::careful;
use super::cells::Cells;
use super::driver::{self, Dialect, Driver, Read, SqlStore};
use super::request::{AppendRequest, Appended, BlockingAppender};
use super::statements::Arg;
use crate::StoreError;
use crate::chain::Link;

/// The columns of an event, as [`link`] reads them.
pub(crate) const EVENT_COLUMNS: &str = "partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, content_hash, prev_hash, hash";

const SCHEMA_VERSION: &str =
    "SELECT MAX(version) AS version FROM _sqlx_migrations WHERE success = TRUE";

/// One stream's events. By stream_version (the chain order within one stream): SQLite then
/// reads the (partnership_id, stream, stream_version) index instead of walking the
/// partnership's whole chain by seq to filter on the stream.
const STREAM_EVENTS: &str = concat!(
    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 AND stream = $2 ORDER BY stream_version"
);

const CHAIN: &str = concat!(
    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
);

/// The streams of a chain's events after a seq, without their content (what changed since).
const CHAIN_STREAMS: &str =
    "SELECT seq, stream FROM events WHERE partnership_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

const CHAIN_HEADS: &str =
    "SELECT partnership_id, seq, hash FROM chain_heads ORDER BY partnership_id";

const CHAIN_IDS: &str = "SELECT DISTINCT partnership_id FROM events ORDER BY partnership_id";

/// Empties an event's content. SQLite: the trigger of migration 6 lets this through only under
/// a recorded purge.
const PURGE_SQLITE: &str = "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL WHERE partnership_id = $1 AND seq = $2 RETURNING seq";
/// PostgreSQL: the owner's function of migration 6 (the application's role has no UPDATE on
/// events), which meets the same trigger.
const PURGE_POSTGRES: &str = "SELECT seq FROM parley_purge_event_content($1, $2) AS seq";

/// The event log. Both backends pass the same story tests (`tests/store/`).
#[async_trait]
pub trait EventLog: Send + Sync {
    fn backend(&self) -> Backend;

    /// The highest migration applied.
    async fn schema_version(&self) -> Result<i64, StoreError>;

    /// Appends several commands in one durable transaction (group commit). Each command
    /// succeeds or fails on its own; nothing is acknowledged before the commit.
    async fn append_batch(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError>;

    /// The same as `append_batch`, as a blocking call, when the backend writes on a connection
    /// of its own rather than on the async runtime (SQLite): the group-commit writer then runs
    /// on a thread of its own and calls it directly, saving a hand-off per batch.
    fn blocking_appender(&self) -> Option<BlockingAppender>;

    /// Appends a purge record (`request`: one `event-purged` event on the stream
    /// `purge:<purged_seq>`) and, in the same transaction, empties the content of event
    /// `purged_seq` of the chain through the one change the database's guard allows (SQLite's
    /// trigger; on PostgreSQL the owner's `parley_purge_event_content`, the application's role
    /// having no UPDATE on events). All or nothing. See `purge.rs`.
    async fn append_purge(
        &self,
        request: AppendRequest,
        purged_seq: i64,
    ) -> Result<Appended, StoreError>;

    /// The events of some streams of a partnership, in chain order.
    async fn stream_events(
        &self,
        partnership_id: &str,
        streams: &[String],
    ) -> Result<Vec<Link>, StoreError>;

    /// Up to `limit` events of a chain after `after_seq`, in order.
    async fn chain(
        &self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError>;

    /// The (seq, stream) of up to `limit` events of a chain after `after_seq`, in order: what
    /// changed since, without reading the events' content.
    async fn chain_streams(
        &self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError>;

    /// Every chain: (partnership id, head seq, head hash), as recorded in `chain_heads`.
    async fn chain_heads(&self) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError>;

    /// Every partnership that has events, from the events themselves.
    async fn chain_ids(&self) -> Result<Vec<String>, StoreError>;

    /// A stream's current version (0 when it has no events). One index look-up.
    async fn stream_version(&self, partnership_id: &str, stream: &str) -> Result<i64, StoreError>;
}

#[async_trait]
impl<S: SqlStore> EventLog for S {
    fn backend(&self) -> Backend {
        match S::Db::DIALECT {
            Dialect::Sqlite => Backend::Sqlite,
            Dialect::Postgres => Backend::Postgres,
        }
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self.pool().acquire().await?;
        schema_version::<S::Db>(&mut conn).await
    }

    async fn append_batch(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        let batch = match self.write_fast(batch).await {
            Ok(written) => return written,
            Err(batch) => batch,
        };
        // The careful path (the backend's own fast path gave the batch back): a savepoint per
        // command, so that one bad command only takes itself out.
        let mut tx = self.begin_write().await?;
        let mut results = Vec::with_capacity(batch.len());
        for request in batch {
            let mut sp = (&mut tx).begin().await?;
            match careful::append_one::<S::Db>(&mut *sp, &request).await {
                Ok(appended) => {
                    sp.commit().await?;
                    results.push(Ok(appended));
                }
                Err(e) => {
                    sp.rollback().await?;
                    results.push(Err(e));
                }
            }
        }
        tx.commit().await?;
        Ok(results)
    }

    fn blocking_appender(&self) -> Option<BlockingAppender> {
        SqlStore::blocking_appender(self)
    }

    async fn append_purge(
        &self,
        request: AppendRequest,
        purged_seq: i64,
    ) -> Result<Appended, StoreError> {
        // The careful path's own append, then the sanctioned emptying, in one transaction:
        // dropping `tx` on any error rolls both back.
        let mut tx = self.begin_write().await?;
        let appended = careful::append_one::<S::Db>(&mut *tx, &request).await?;
        let purge = match S::Db::DIALECT {
            Dialect::Sqlite => PURGE_SQLITE,
            Dialect::Postgres => PURGE_POSTGRES,
        };
        let args = [Arg::Text(&request.partnership_id), Arg::Int(purged_seq)];
        let rows = driver::rows::<S::Db>(&mut *tx, purge, &args).await?;
        let emptied = rows
            .iter()
            .map(|r| Cells::new(r, "events", &["partnership_id"]).int("seq"))
            .collect::<Result<Vec<i64>, _>>()?;
        if emptied != [purged_seq] {
            return Err(StoreError::NotFound(format!(
                "event {purged_seq} of partnership {}",
                request.partnership_id
            )));
        }
        tx.commit().await?;
        Ok(appended)
    }

    async fn stream_events(
        &self,
        partnership_id: &str,
        streams: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let mut out = Vec::new();
        for stream in streams {
            let args = [Arg::Text(partnership_id), Arg::Text(stream)];
            for r in self.rows(STREAM_EVENTS, &args).await? {
                out.push(link(&r)?);
            }
        }
        out.sort_by_key(|l| l.seq);
        Ok(out)
    }

    async fn chain(
        &self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        chain::<S::Db>(&mut conn, partnership_id, after_seq, limit).await
    }

    async fn chain_streams(
        &self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let args = [
            Arg::Text(partnership_id),
            Arg::Int(after_seq),
            Arg::Int(limit),
        ];
        let rows = self.rows(CHAIN_STREAMS, &args).await?;
        rows.iter()
            .map(|r| {
                let c = Cells::new(r, "events", &["seq"]);
                Ok((c.int("seq")?, c.text("stream")?))
            })
            .collect()
    }

    async fn chain_heads(&self) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError> {
        let rows = self.rows(CHAIN_HEADS, &[]).await?;
        rows.iter()
            .map(|r| {
                let c = Cells::new(r, "chain_heads", &["partnership_id"]);
                Ok((c.text("partnership_id")?, c.int("seq")?, c.bytes("hash")?))
            })
            .collect()
    }

    async fn chain_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        chain_ids::<S::Db>(&mut conn).await
    }

    async fn stream_version(&self, partnership_id: &str, stream: &str) -> Result<i64, StoreError> {
        if let Some(found) = self.inline_stream_version(partnership_id, stream) {
            return Ok(found);
        }
        let mut conn = self.pool().acquire().await?;
        careful::stream_version::<S::Db>(&mut *conn, partnership_id, stream).await
    }
}

/// The highest migration applied, on a connection or in a snapshot's transaction.
pub(crate) async fn schema_version<DB: Driver>(
    conn: &mut DB::Connection,
) -> Result<i64, StoreError> {
    let row = driver::row::<DB>(conn, SCHEMA_VERSION, &[]).await?;
    Ok(match row {
        Some(r) => Cells::new(&r, "_sqlx_migrations", &[])
            .opt_int("version")?
            .unwrap_or(0),
        None => 0,
    })
}

/// Up to `limit` events of a chain after `after_seq`, in order.
pub(crate) async fn chain<DB: Driver>(
    conn: &mut DB::Connection,
    partnership_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Link>, StoreError> {
    let args = [
        Arg::Text(partnership_id),
        Arg::Int(after_seq),
        Arg::Int(limit),
    ];
    let rows = driver::rows::<DB>(conn, CHAIN, &args).await?;
    rows.iter().map(link).collect()
}

/// Every partnership that has events.
pub(crate) async fn chain_ids<DB: Driver>(
    conn: &mut DB::Connection,
) -> Result<Vec<String>, StoreError> {
    let rows = driver::rows::<DB>(conn, CHAIN_IDS, &[]).await?;
    rows.iter()
        .map(|r| Cells::new(r, "events", &["partnership_id"]).text("partnership_id"))
        .collect()
}

/// An event row (its columns [`EVENT_COLUMNS`]).
pub(crate) fn link(r: &impl Read) -> Result<Link, StoreError> {
    let c = Cells::new(r, "events", &["partnership_id", "seq"]);
    Ok(Link {
        partnership_id: c.text("partnership_id")?,
        seq: c.int("seq")?,
        stream: c.text("stream")?,
        stream_version: c.int("stream_version")?,
        at_us: c.int("at_us")?,
        kind: c.text("kind")?,
        actor: c.opt_text("actor")?,
        reason: c.opt_text("reason")?,
        payload: c.opt_text("payload")?,
        salt: c.opt_bytes("salt")?,
        content_hash: c.bytes("content_hash")?,
        prev_hash: c.bytes("prev_hash")?,
        hash: c.bytes("hash")?,
    })
}
