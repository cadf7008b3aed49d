//! Export, import and backup (`crate::transfer` drives these): a consistent read of the whole
//! database, and loading an export in one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::driver::{self, Dialect, Driver, SqlStore, insert_rows};
use super::event_log::{self, EVENT_COLUMNS};
use super::notices::{self, OUTBOX_COLUMNS};
use super::statements::Arg;
use crate::StoreError;
use crate::chain::Link;
use crate::rows::{DeliveryRow, OutboxRow};

/// Rows a loading statement inserts at once (13 parameters each: well under both drivers'
/// limits on parameters per statement).
const LOAD_CHUNK: usize = 200;

/// Every table a database holds data in: the event log, chain heads, the outbox, the
/// deliveries it was resolved to (which an export carries) and the projections. A database is
/// empty when all of them are.
const DATA_TABLES: [&str; 17] = [
    "events",
    "chain_heads",
    "outbox",
    "deliveries",
    "partnerships",
    "procedures",
    "agencies",
    "people",
    "named_officers",
    "escalations",
    "escalation_children",
    "escalation_cases",
    "escalation_stages",
    "escalation_officers",
    "escalation_appointments",
    "escalation_facts",
    "compliments",
];

const OUTBOX_FOR_EVENTS: &str = concat!(
    "SELECT id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, ",
    "created_at_us, sent_at_us, attempts, last_error FROM outbox ",
    "WHERE partnership_id = $1 AND event_seq > $2 AND event_seq <= $3 ORDER BY event_seq, id"
);

const OUTBOX_COUNT: &str = "SELECT COUNT(*) AS n FROM outbox";

/// The chain heads are where the next append links: the last event of each chain.
const LOADED_HEAD: &str = concat!(
    "INSERT INTO chain_heads (partnership_id, seq, hash) VALUES ($1, $2, $3) ",
    "ON CONFLICT (partnership_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
);

/// Export and import: the whole database, read consistently or loaded at once.
#[async_trait]
pub trait Transfer: Send + Sync {
    /// Whether the database holds nothing: no event, chain head, outbox row or query row.
    /// Accounts, sessions and API tokens are not counted.
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// A consistent read-only view of the whole database, for exports and backups.
    async fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError>;

    /// Starts loading an export: one write transaction, all or nothing.
    async fn loader(&self) -> Result<Box<dyn Loader>, StoreError>;
}

#[async_trait]
impl<S: SqlStore> Transfer for S {
    async fn is_empty(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        tables_empty::<S::Db>(&mut *conn).await
    }

    async fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError> {
        let begin = match S::Db::DIALECT {
            // Deferred: the snapshot is taken at the first read and WAL keeps it while
            // writers go on.
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let tx = self.pool().begin_with(begin).await?;
        Ok(Box::new(SqlSnapshot { tx }))
    }

    async fn loader(&self) -> Result<Box<dyn Loader>, StoreError> {
        Ok(Box::new(SqlLoader {
            tx: self.begin_write().await?,
            heads: BTreeMap::new(),
        }))
    }
}

/// A consistent, read-only view of the whole database: every read sees the database as it was
/// at the first one (SQLite: one read transaction, which WAL keeps stable while writers carry
/// on; PostgreSQL: REPEATABLE READ, READ ONLY). An export read through it is a consistent
/// backup, taken online.
#[async_trait]
pub trait Snapshot: Send {
    /// The highest migration applied.
    async fn schema_version(&mut self) -> Result<i64, StoreError>;
    /// Every partnership that has events.
    async fn chain_ids(&mut self) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` events of a chain after `after_seq`, in order.
    async fn chain(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError>;
    /// The outbox rows written with the chain's events `after_seq < seq <= upto_seq`.
    async fn outbox_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<OutboxRow>, StoreError>;
    /// How many outbox rows there are in all.
    async fn outbox_count(&mut self) -> Result<i64, StoreError>;
    /// The deliveries of the outbox rows written with the chain's events `after_seq < seq <=
    /// upto_seq`, by outbox row, then id.
    async fn deliveries_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError>;
    /// How many deliveries there are in all.
    async fn deliveries_count(&mut self) -> Result<i64, StoreError>;
    /// Ends the read transaction.
    async fn finish(self: Box<Self>) -> Result<(), StoreError>;
}

/// Loads an export into a database in one write transaction. Nothing is written unless
/// `commit` is called: dropping the loader rolls everything back.
#[async_trait]
pub trait Loader: Send {
    /// Whether the database is empty, seen from inside the transaction.
    async fn is_empty(&mut self) -> Result<bool, StoreError>;
    /// Inserts events exactly as given (every column, salt and hash), in chain order, and
    /// moves each chain's head to its last event. On SQLite the append-only trigger accepts
    /// only the next sequence number of a chain, so the order matters.
    async fn insert_links(&mut self, links: &[Link]) -> Result<(), StoreError>;
    /// Inserts outbox rows exactly as given, delivery state included.
    async fn insert_outbox(&mut self, rows: &[OutboxRow]) -> Result<(), StoreError>;
    /// Inserts deliveries exactly as given, their state included.
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A consistent read of the whole database (see [`Snapshot`]).
#[derive(Debug)]
pub(crate) struct SqlSnapshot<DB: Driver> {
    tx: sqlx::Transaction<'static, DB>,
}

#[async_trait]
impl<DB: Driver> Snapshot for SqlSnapshot<DB> {
    async fn schema_version(&mut self) -> Result<i64, StoreError> {
        event_log::schema_version::<DB>(&mut self.tx).await
    }

    async fn chain_ids(&mut self) -> Result<Vec<String>, StoreError> {
        event_log::chain_ids::<DB>(&mut self.tx).await
    }

    async fn chain(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError> {
        event_log::chain::<DB>(&mut self.tx, partnership_id, after_seq, limit).await
    }

    async fn outbox_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let args = [
            Arg::Text(partnership_id),
            Arg::Int(after_seq),
            Arg::Int(upto_seq),
        ];
        let rows = driver::rows::<DB>(&mut *self.tx, OUTBOX_FOR_EVENTS, &args).await?;
        rows.iter().map(notices::outbox_row).collect()
    }

    async fn outbox_count(&mut self) -> Result<i64, StoreError> {
        let row = driver::row::<DB>(&mut *self.tx, OUTBOX_COUNT, &[]).await?;
        notices::count(row.as_ref(), "outbox")
    }

    async fn deliveries_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        notices::deliveries_for_events::<DB>(&mut *self.tx, partnership_id, after_seq, upto_seq)
            .await
    }

    async fn deliveries_count(&mut self) -> Result<i64, StoreError> {
        notices::deliveries_count::<DB>(&mut *self.tx).await
    }

    async fn finish(self: Box<Self>) -> Result<(), StoreError> {
        // Read only: ending it is all that is left to do.
        self.tx.rollback().await?;
        Ok(())
    }
}

/// One load transaction (see [`Loader`]).
#[derive(Debug)]
pub(crate) struct SqlLoader<DB: Driver> {
    tx: sqlx::Transaction<'static, DB>,
    /// The last event loaded of each chain: (seq, hash).
    heads: BTreeMap<String, (i64, Vec<u8>)>,
}

#[async_trait]
impl<DB: Driver> Loader for SqlLoader<DB> {
    async fn is_empty(&mut self) -> Result<bool, StoreError> {
        tables_empty::<DB>(&mut *self.tx).await
    }

    async fn insert_links(&mut self, links: &[Link]) -> Result<(), StoreError> {
        // Many rows a statement: one round trip per chunk instead of per event. The rows of a
        // chunk are inserted in order, so each is its chain's next.
        for chunk in links.chunks(LOAD_CHUNK) {
            let args: Vec<Arg<'_>> = chunk
                .iter()
                .flat_map(|l| {
                    [
                        Arg::Text(&l.partnership_id),
                        Arg::Int(l.seq),
                        Arg::Text(&l.stream),
                        Arg::Int(l.stream_version),
                        Arg::Int(l.at_us),
                        Arg::Text(&l.kind),
                        Arg::OptText(l.actor.as_deref()),
                        Arg::OptText(l.reason.as_deref()),
                        Arg::OptText(l.payload.as_deref()),
                        Arg::OptBlob(l.salt.as_deref()),
                        Arg::Blob(&l.content_hash),
                        Arg::Blob(&l.prev_hash),
                        Arg::Blob(&l.hash),
                    ]
                })
                .collect();
            let sql = insert_rows("events", EVENT_COLUMNS, chunk.len());
            driver::execute::<DB>(&mut *self.tx, sql, &args).await?;
        }
        for l in links {
            self.heads
                .insert(l.partnership_id.clone(), (l.seq, l.hash.clone()));
        }
        Ok(())
    }

    async fn insert_outbox(&mut self, rows: &[OutboxRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(LOAD_CHUNK) {
            let args: Vec<Arg<'_>> = chunk
                .iter()
                .flat_map(|o| {
                    [
                        Arg::Text(&o.id),
                        Arg::Text(&o.partnership_id),
                        Arg::Int(o.event_seq),
                        Arg::OptText(o.escalation_id.as_deref()),
                        Arg::Text(&o.recipient),
                        Arg::Text(&o.reason),
                        Arg::Int(o.stage),
                        Arg::Bool(o.child_details),
                        Arg::OptText(o.address.as_deref()),
                        Arg::Int(o.created_at_us),
                        Arg::OptInt(o.sent_at_us),
                        Arg::Int(o.attempts),
                        Arg::OptText(o.last_error.as_deref()),
                    ]
                })
                .collect();
            let sql = insert_rows("outbox", OUTBOX_COLUMNS, chunk.len());
            driver::execute::<DB>(&mut *self.tx, sql, &args).await?;
        }
        Ok(())
    }

    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), StoreError> {
        notices::insert_deliveries::<DB>(&mut *self.tx, rows).await
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        for (partnership_id, (seq, hash)) in &self.heads {
            let args = [Arg::Text(partnership_id), Arg::Int(*seq), Arg::Blob(hash)];
            driver::execute::<DB>(&mut *self.tx, LOADED_HEAD, &args).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Whether every data table is empty.
async fn tables_empty<DB: Driver>(conn: &mut DB::Connection) -> Result<bool, StoreError> {
    for table in DATA_TABLES {
        // COUNT over at most one row: an integer on both drivers, and no full scan. The table
        // name is one of `DATA_TABLES`, never input.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {table} LIMIT 1) AS t"
        ));
        let row = driver::row::<DB>(conn, sql, &[]).await?;
        if notices::count(row.as_ref(), table)? > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}
