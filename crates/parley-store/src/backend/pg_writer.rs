//! PostgreSQL's write path for a batch: one round trip when the writer already knows what the
//! batch depends on (one statement, or one message of several), two otherwise, however many
//! commands it holds.
//!
//! Longer than 800 lines: the one-trip message, the one-statement batch, the two-message path
//! and the settling of a lost batch share one connection guard and one memory of chain heads;
//! the structure issue (16) replaces the literal-built messages with bound arrays, and the file
//! is divided then.
//!
//! sqlx sends one statement at a time and waits for each answer, so a batch written statement
//! by statement costs a round trip per row (about 0.1 ms each on loopback, measured with
//! `scripts/bench-store`: most of a batch's time). Here a batch the writer cannot decide from
//! memory is two simple-protocol messages, each holding several statements:
//!
//! 1. `BEGIN`, lock the chain heads of the batch's partnerships (`FOR UPDATE`, in partnership
//!    order so two instances never deadlock), read each stream's version (and the partnership
//!    stream's, for commands decided on a kept configuration) after the lock, so that it is
//!    what the head's last holder left, and list which writes this connection has prepared.
//! 2. `PREPARE` for any write the connection lacks (once per connection), an `EXECUTE` per
//!    event, projection row and outbox row, the new heads, and `COMMIT`. A partnership's first
//!    event also inserts its head: should another instance make it meanwhile, the insert is
//!    refused and the batch goes the careful way.
//!
//! The simple protocol takes no bind parameters, so the arguments of each `EXECUTE` are
//! written into the text as literals by [`literal`]: text always as an escape-string constant
//! (`E'...'`, backslash and quote doubled), whose meaning does not depend on
//! `standard_conforming_strings`; bytes as hex `bytea`; numbers as digits. The property test
//! `tests/store/literals.rs` round-trips arbitrary text through a real server. Text holding a
//! NUL character, which PostgreSQL cannot store, fails its own command before anything is sent.
//!
//! When the second message fails, PostgreSQL skips the rest of it (the `COMMIT` included) and
//! the transaction is aborted; the caller then writes the batch carefully, a savepoint per
//! command, so that one bad command only takes itself out. The writer keeps one connection
//! between batches (sparing the pool's check of each connection it hands out), and only ever
//! outside a transaction: if a batch's future is dropped part-way (a timeout), or the
//! connection fails, the connection is closed instead. A kept connection found dead by the
//! first message, which writes nothing, is replaced and the batch tried once more.
//!
//! **One message.** Every append moves its partnership's chain head, so while the head is the
//! one this writer left, no stream of that partnership has moved since either: the writer
//! keeps, per partnership, the head it last committed and the stream versions it knows as of
//! that head ([`Known`]). A batch whose partnerships and streams are all known is decided in
//! memory and sent as a single message: `BEGIN`, then per partnership (in partnership order)
//! a statement that moves the head only from the one remembered (`UPDATE ... WHERE seq = ...
//! AND hash = ...`), dividing by the number of rows it moved so that a head moved by anyone
//! else (another instance, a restore) fails with `division_by_zero` and nothing is written;
//! then the rows and `COMMIT`. The update also takes the head's row lock first, as the
//! two-message path's `FOR UPDATE` does. A refused message is rolled back, the memory
//! forgotten, and the batch written the two-message way. A new stream (version 0) needs no
//! memory: were it not new after all, its first event's version would break the events'
//! unique key.
//!
//! **One statement.** When such a batch is of one partnership and writes only what escalation
//! commands usually write (events, escalation, stage and report-facts rows, notifications, each
//! escalation and stage once), it goes as a single statement instead ([`BoundBatch`]): the same head
//! move as a `WITH` query, and one `INSERT ... SELECT ... FROM unnest(...)` per table with the
//! rows bound as arrays. sqlx prepares it once per connection and it commits on its own, so
//! the server neither parses literals nor plans anything per batch (PostgreSQL's CPU per
//! append fell from 189 to 112 microseconds, measured with `write-load`). A batch that enters
//! a stage or names an officer (the record of officers, `escalation_officers`, is read from
//! the rows written before it in the same transaction, which the parts of one statement would
//! not see) goes as the message instead.
//!
//! A single message or statement writes from its start, so a connection lost under it leaves
//! the outcome unknown. The writer then settles it on a new connection: it ends the lost
//! connection's server process and waits until it has gone (the batch's bytes may reach the
//! server after the client saw the connection drop), takes the heads' row locks, then looks for
//! the batch's first event of each partnership by its hash. Found, the batch committed and is
//! acknowledged; absent, nothing of it was written, and it is written the two-message way.
//!
//! Longer than 800 lines: its three paths (one statement, one message, two messages) and the
//! settling of a lost connection share the connection state they read and write; issue 16 moves
//! it under `backend/postgres/`, a file per path.

use std::collections::HashMap;
use std::fmt::Write as _;

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Row};

use super::statements::{self, Arg, Statement};
use crate::chain::GENESIS;
use crate::stream;
use crate::{AppendRequest, Appended, StoreError};

/// How the second message ended.
enum Written {
    Committed {
        results: Vec<Result<Appended, StoreError>>,
        /// Each partnership's head after the batch.
        heads: Vec<(String, (i64, Vec<u8>))>,
        /// (partnership, stream, version) as of those heads, for the streams the batch read.
        versions: Vec<(String, String, i64)>,
    },
    /// The server refused one of its statements: nothing of it was written.
    Refused,
}

/// A batch decided from what the writer knows, to be sent in one round trip (see the
/// module's notes): what it will have written once committed.
struct OneTrip {
    results: Vec<Result<Appended, StoreError>>,
    heads: Vec<(String, (i64, Vec<u8>))>,
    versions: Vec<(String, String, i64)>,
    /// Per partnership: the chain position and hash of the batch's first event in it.
    firsts: Vec<(String, i64, Vec<u8>)>,
}

/// How a [`OneTrip`] batch is sent.
enum Send {
    /// One statement with its rows bound as arrays, committing on its own.
    Statement(BoundBatch),
    /// One message of literals with its own `BEGIN` and `COMMIT` (the connection needs every
    /// write prepared).
    Message(String),
}

/// The batch in one round trip, if every command in it can be decided from what the writer
/// knows and is accepted (anything else, a conflict included, is left to the two-message path,
/// which reads what it reports).
fn one_trip(batch: &[AppendRequest], known: &Known) -> Option<(Send, OneTrip)> {
    let mut heads: Vec<(String, (i64, Vec<u8>))> = Vec::new();
    let mut firsts: Vec<(String, i64, Vec<u8>)> = Vec::new();
    let mut versions: Vec<(String, String, i64)> = Vec::new();
    let version_of = |versions: &[(String, String, i64)], p: &str, stream: &str| {
        versions
            .iter()
            .rev()
            .find(|(vp, vs, _)| vp == p && vs == stream)
            .map(|v| v.2)
            .or_else(|| known.0.get(p)?.streams.get(stream).copied())
    };
    let mut chained = Vec::with_capacity(batch.len());
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        let p = request.partnership_id.as_str();
        let chain = known.0.get(p)?;
        let current = match version_of(&versions, p, &request.stream) {
            Some(v) => v,
            // A new stream: should it exist after all, its first event breaks the unique key.
            None if request.expected_version == 0 => 0,
            None => return None,
        };
        let partnership = match request.partnership_version {
            Some(_) => Some(version_of(&versions, p, stream::PARTNERSHIP)?),
            None => None,
        };
        statements::check_versions(request, current, partnership).ok()?;
        if request.events.is_empty() {
            return None;
        }
        let at = match heads.iter().position(|(h, _)| h == p) {
            Some(at) => at,
            None => {
                heads.push((p.to_owned(), chain.head.clone()));
                heads.len() - 1
            }
        };
        let head = &mut heads[at].1;
        let events = statements::chain_events(request, current, head).ok()?;
        if !firsts.iter().any(|(f, _, _)| f == p) {
            let first = events.first()?;
            firsts.push((p.to_owned(), first.seq, first.hash.to_vec()));
        }
        let appended = statements::appended(&events, current, head);
        versions.push((
            p.to_owned(),
            request.stream.clone(),
            appended.stream_version,
        ));
        results.push(Ok(appended));
        chained.push((request, events));
    }
    heads.sort_by(|a, b| a.0.cmp(&b.0));
    let rows = || {
        chained
            .iter()
            .flat_map(|(request, events)| statements::request_rows(request, events))
    };
    // One partnership whose rows all fit: the whole batch is one statement.
    let statement = match heads.as_slice() {
        [(partnership_id, new)] => Tables::of(rows()).and_then(|tables| {
            tables.statement(partnership_id, &known.0.get(partnership_id)?.head, new)
        }),
        _ => None,
    };
    let send = match statement {
        Some(statement) => Send::Statement(statement),
        None => {
            let mut sql = String::from("BEGIN;\n");
            for (partnership_id, (seq, hash)) in &heads {
                let (old_seq, old_hash) = &known.0.get(partnership_id)?.head;
                let _ = writeln!(
                    sql,
                    "WITH moved AS (UPDATE chain_heads SET seq = {seq}, hash = {} WHERE partnership_id = {} AND seq = {old_seq} AND hash = {} RETURNING 1) SELECT 1 / count(*) FROM moved;",
                    bytes(hash),
                    text(partnership_id).ok()?,
                    bytes(old_hash),
                );
            }
            for row in rows() {
                render(&mut sql, &row).ok()?;
            }
            sql.push_str("COMMIT");
            Send::Message(sql)
        }
    };
    Some((
        send,
        OneTrip {
            results,
            heads,
            versions,
            firsts,
        },
    ))
}

/// One column of a table's rows, to be bound as an array.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Blob(Vec<Option<Vec<u8>>>),
}

impl Column {
    fn empty(arg: &Arg<'_>) -> Column {
        match arg {
            Arg::Text(_) | Arg::OptText(_) | Arg::Owned(_) => Column::Text(Vec::new()),
            Arg::Int(_) | Arg::OptInt(_) => Column::Int(Vec::new()),
            Arg::Bool(_) => Column::Bool(Vec::new()),
            Arg::Blob(_) => Column::Blob(Vec::new()),
        }
    }

    /// `None` when `arg` is not of this column's kind.
    fn push(&mut self, arg: &Arg<'_>) -> Option<()> {
        match (self, arg) {
            (Column::Text(v), Arg::Text(t)) => v.push(Some((*t).to_owned())),
            (Column::Text(v), Arg::OptText(t)) => v.push(t.map(str::to_owned)),
            (Column::Text(v), Arg::Owned(t)) => v.push(Some(t.clone())),
            (Column::Int(v), Arg::Int(i)) => v.push(Some(*i)),
            (Column::Int(v), Arg::OptInt(i)) => v.push(*i),
            (Column::Bool(v), Arg::Bool(b)) => v.push(Some(*b)),
            (Column::Blob(v), Arg::Blob(b)) => v.push(Some(b.to_vec())),
            _ => return None,
        }
        Some(())
    }

    /// Whether row `i` of this column holds `arg`.
    fn same(&self, i: usize, arg: &Arg<'_>) -> bool {
        match (self, arg) {
            (Column::Text(v), Arg::Text(t)) => v[i].as_deref() == Some(*t),
            (Column::Text(v), Arg::OptText(t)) => v[i].as_deref() == *t,
            (Column::Text(v), Arg::Owned(t)) => v[i].as_deref() == Some(t.as_str()),
            (Column::Int(v), Arg::Int(n)) => v[i] == Some(*n),
            (Column::Int(v), Arg::OptInt(n)) => v[i] == *n,
            (Column::Bool(v), Arg::Bool(b)) => v[i] == Some(*b),
            (Column::Blob(v), Arg::Blob(b)) => v[i].as_deref() == Some(*b),
            _ => false,
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Blob(v) => v.len(),
        }
    }

    fn array_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "int8[]",
            Column::Bool(_) => "bool[]",
            Column::Blob(_) => "bytea[]",
        }
    }
}

/// The rows of a batch by table, for [`BoundBatch`]: the tables an escalation command writes
/// (events, escalation and stage rows, notifications), each row's key at most once.
struct Tables(Vec<(&'static statements::Sql, Vec<Column>)>);

impl Tables {
    /// How many leading arguments are a row's key, for the statements taken.
    fn key_len(sql: &statements::Sql) -> Option<usize> {
        match sql.name {
            // Every event and notification of a batch is a new row.
            n if n == statements::EVENT.name || n == statements::OUTBOX.name => Some(0),
            n if n == statements::ESCALATION.name || n == statements::FACTS.name => Some(1),
            n if n == statements::STAGE.name => Some(2),
            _ => None,
        }
    }

    /// The rows as columns; `None` when the batch cannot be one statement (another kind of
    /// write, or a second row for the same key, which one `INSERT ... ON CONFLICT` cannot take).
    fn of<'a>(rows: impl Iterator<Item = Statement<'a>>) -> Option<Tables> {
        let mut tables = Tables(Vec::new());
        for row in rows {
            let key_len = Self::key_len(row.sql)?;
            let at = match tables.0.iter().position(|t| t.0.name == row.sql.name) {
                Some(at) => at,
                None => {
                    let columns = row.args.iter().map(Column::empty).collect();
                    tables.0.push((row.sql, columns));
                    tables.0.len() - 1
                }
            };
            let columns = &mut tables.0[at].1;
            if columns.len() != row.args.len() {
                return None;
            }
            let taken = columns.first().map_or(0, Column::len);
            let key = &row.args[..key_len.min(row.args.len())];
            let repeated = (0..taken)
                .any(|i| !key.is_empty() && columns.iter().zip(key).all(|(c, arg)| c.same(i, arg)));
            if repeated {
                return None;
            }
            for (column, arg) in columns.iter_mut().zip(&row.args) {
                column.push(arg)?;
            }
        }
        Some(tables)
    }

    /// The statement: move the head from `old` to `new` (dividing by the rows moved, as the
    /// message does), and each table's rows from arrays (`unnest`), as data-modifying `WITH`
    /// queries of one statement, which commits on its own.
    fn statement(
        self,
        partnership_id: &str,
        old: &(i64, Vec<u8>),
        new: &(i64, Vec<u8>),
    ) -> Option<BoundBatch> {
        let mut sql = String::from(
            "WITH moved AS (UPDATE chain_heads SET seq = $1, hash = $2 WHERE partnership_id = $3 AND seq = $4 AND hash = $5 RETURNING 1)",
        );
        let mut n = 5;
        let mut columns = Vec::new();
        for (t, (sql_of, table)) in self.0.into_iter().enumerate() {
            // "INSERT INTO x (...) VALUES ($1, ..., NULL) ON CONFLICT ...": the rows come from
            // the arrays instead, each `$k` naming the k-th of them.
            let (insert, rest) = sql_of.text.split_once("VALUES (")?;
            let (values, tail) = rest.split_once(')')?;
            let select: Vec<String> = values
                .split(", ")
                .map(|item| match item.strip_prefix('$') {
                    Some(k) => format!("u.c{k}"),
                    None => item.to_owned(),
                })
                .collect();
            let arrays: Vec<String> = table
                .iter()
                .enumerate()
                .map(|(i, c)| format!("${}::{}", n + 1 + i, c.array_type()))
                .collect();
            let names: Vec<String> = (1..=table.len()).map(|k| format!("c{k}")).collect();
            let _ = write!(
                sql,
                ", w{t} AS ({insert}SELECT {} FROM unnest({}) AS u({}){tail})",
                select.join(", "),
                arrays.join(", "),
                names.join(", ")
            );
            n += table.len();
            columns.extend(table);
        }
        sql.push_str(" SELECT 1 / count(*) FROM moved");
        Some(BoundBatch {
            sql,
            head: (
                new.0,
                new.1.clone(),
                partnership_id.to_owned(),
                old.0,
                old.1.clone(),
            ),
            columns,
        })
    }
}

/// A batch of one partnership as a single statement, its rows bound as arrays: parsed and
/// planned once per connection (sqlx prepares it), where a message of literals is parsed
/// afresh each time.
struct BoundBatch {
    sql: String,
    /// New seq, new hash, partnership, old seq, old hash.
    head: (i64, Vec<u8>, String, i64, Vec<u8>),
    columns: Vec<Column>,
}

impl BoundBatch {
    async fn execute(
        self,
        conn: &mut PoolConnection<Postgres>,
    ) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
        let (seq, hash, partnership_id, old_seq, old_hash) = self.head;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.sql))
            .bind(seq)
            .bind(hash)
            .bind(partnership_id)
            .bind(old_seq)
            .bind(old_hash);
        for column in self.columns {
            query = match column {
                Column::Text(v) => query.bind(v),
                Column::Int(v) => query.bind(v),
                Column::Bool(v) => query.bind(v),
                Column::Blob(v) => query.bind(v),
            };
        }
        query.execute(&mut **conn).await
    }
}

/// Whether a one-message batch whose connection was lost committed, once the lost
/// connection's process has gone ([`wait_out`]): opens a transaction on `conn`, locks the
/// heads, and looks for
/// each partnership's first event of the batch. Leaves the transaction open.
async fn settle(
    conn: &mut PoolConnection<Postgres>,
    firsts: &[(String, i64, Vec<u8>)],
) -> Result<bool, StoreError> {
    let mut sql = String::from("BEGIN;\nSELECT seq FROM chain_heads WHERE partnership_id IN (");
    for (i, (p, _, _)) in firsts.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&text(p)?);
    }
    sql.push_str(") ORDER BY partnership_id FOR UPDATE;\nSELECT count(*) FROM events WHERE (partnership_id, seq, hash) IN (");
    for (i, (p, seq, hash)) in firsts.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "({}, {seq}, {})", text(p)?, bytes(hash));
    }
    sql.push(')');
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **conn)
        .await?;
    let found: i64 = match rows.last() {
        Some(row) => row.try_get(0)?,
        None => 0,
    };
    // The batch was one transaction: all of its first events are there, or none.
    Ok(usize::try_from(found).is_ok_and(|n| n == firsts.len()))
}

/// PostgreSQL's batch writer: keeps one connection between batches, so that a batch does not
/// wait for the pool's check of a connection it hands out (a round trip of its own).
#[derive(Debug)]
pub(crate) struct PgWriter {
    pool: PgPool,
    kept: tokio::sync::Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// Outside any transaction while kept here.
    guard: Option<Guard>,
    known: Known,
}

/// What this writer's own commits left in each partnership's chain: valid while the head is
/// still the one named here (see the module's notes).
#[derive(Debug, Default)]
struct Known(HashMap<String, KnownChain>);

#[derive(Debug)]
struct KnownChain {
    head: (i64, Vec<u8>),
    /// Stream versions as of `head` (the partnership stream's among them).
    streams: HashMap<String, i64>,
}

/// How many stream versions the writer keeps per partnership before starting afresh.
const KNOWN_STREAMS: usize = 4096;

impl Known {
    /// Records a committed batch: each partnership's new head, and the stream versions it
    /// read or wrote (`versions`, as of that head).
    fn committed(
        &mut self,
        heads: &[(String, (i64, Vec<u8>))],
        versions: impl IntoIterator<Item = (String, String, i64)>,
    ) {
        for (partnership_id, head) in heads {
            let chain = self
                .0
                .entry(partnership_id.clone())
                .or_insert_with(|| KnownChain {
                    head: head.clone(),
                    streams: HashMap::new(),
                });
            chain.head.clone_from(head);
        }
        for (partnership_id, stream, version) in versions {
            if let Some(chain) = self.0.get_mut(&partnership_id) {
                if chain.streams.len() >= KNOWN_STREAMS && !chain.streams.contains_key(&stream) {
                    chain.streams.clear();
                }
                chain.streams.insert(stream, version);
            }
        }
    }

    fn forget(&mut self) {
        self.0.clear();
    }
}

impl PgWriter {
    pub(crate) fn new(pool: PgPool) -> PgWriter {
        PgWriter {
            pool,
            kept: tokio::sync::Mutex::new(Kept::default()),
        }
    }

    /// Gives the kept connection back to the pool (before the pool closes).
    pub(crate) async fn close(&self) {
        drop(self.kept.lock().await.guard.take());
    }

    /// Writes `batch` in one transaction. `Ok(None)` when the server refused a statement and
    /// nothing was written: the caller takes the careful path.
    pub(crate) async fn append_batch(
        &self,
        batch: &[AppendRequest],
    ) -> Result<Option<Vec<Result<Appended, StoreError>>>, StoreError> {
        let mut kept = self.kept.lock().await;
        let Kept { guard: slot, known } = &mut *kept;
        let mut guard = match slot.take() {
            Some(mut guard) => {
                guard.armed = true;
                guard
            }
            None => Guard::open(&self.pool).await?,
        };
        let sent = match one_trip(batch, known) {
            Some((send, one)) => match send {
                Send::Statement(bound) => {
                    let sent = bound.execute(&mut guard.conn).await.map(drop);
                    Some((one, sent, false))
                }
                Send::Message(sql) if guard.prepared => {
                    let sent = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut *guard.conn)
                        .await
                        .map(drop);
                    Some((one, sent, true))
                }
                Send::Message(_) => None,
            },
            None => None,
        };
        if let Some((one, sent, in_transaction)) = sent {
            match sent {
                Ok(()) => {
                    known.committed(&one.heads, one.versions);
                    guard.armed = false;
                    *slot = Some(guard);
                    return Ok(Some(one.results));
                }
                Err(sqlx::Error::Database(e)) => {
                    tracing::debug!(error = %e, "one-message batch refused; reading first");
                    known.forget();
                    if in_transaction {
                        guard = end_transaction(guard).await?;
                        guard.armed = true; // a transaction opens again below
                    }
                }
                Err(e) => {
                    known.forget();
                    let lost = guard.pid;
                    drop(guard);
                    tracing::info!(error = %e, "the writer's connection was lost under a batch; settling it");
                    guard = Guard::open(&self.pool).await?;
                    wait_out(&mut guard.conn, lost).await?;
                    if settle(&mut guard.conn, &one.firsts).await? {
                        sqlx::raw_sql("COMMIT").execute(&mut *guard.conn).await?;
                        guard.armed = false;
                        *slot = Some(guard);
                        return Ok(Some(one.results));
                    }
                    guard = end_transaction(guard).await?;
                    guard.armed = true;
                }
            }
        }
        let outcome = match write(&mut guard.conn, batch).await {
            // The kept connection was lost (a server restart) before anything was sent that
            // writes: try once more on a connection the pool has just checked.
            Err(Failure::Reading(e))
                if !matches!(e, StoreError::Database(sqlx::Error::Database(_))) =>
            {
                tracing::info!(error = %e, "the writer's connection was lost; reconnecting");
                drop(guard);
                guard = Guard::open(&self.pool).await?;
                write(&mut guard.conn, batch).await
            }
            other => other,
        };
        match outcome {
            Ok(Written::Committed {
                results,
                heads,
                versions,
            }) => {
                known.committed(&heads, versions);
                guard.armed = false;
                guard.prepared = true;
                *slot = Some(guard);
                Ok(Some(results))
            }
            Ok(Written::Refused) => {
                known.forget();
                *slot = Some(end_transaction(guard).await?);
                Ok(None)
            }
            // Refused while locking and reading (a lock timeout, say): the batch fails.
            Err(Failure::Reading(e @ StoreError::Database(sqlx::Error::Database(_)))) => {
                known.forget();
                *slot = Some(end_transaction(guard).await?);
                Err(e)
            }
            // Anything else (a lost connection, text that cannot be stored): the guard closes
            // the connection, which ends any transaction on it.
            Err(Failure::Reading(e) | Failure::Writing(e)) => {
                known.forget();
                Err(e)
            }
        }
    }
}

/// Where a batch failed.
enum Failure {
    /// In the first message, which writes nothing.
    Reading(StoreError),
    /// Afterwards: whether the transaction committed is unknown.
    Writing(StoreError),
}

/// Ends an aborted (or already ended) transaction; the connection can be kept.
async fn end_transaction(mut guard: Guard) -> Result<Guard, StoreError> {
    sqlx::raw_sql("ROLLBACK").execute(&mut *guard.conn).await?;
    guard.armed = false;
    Ok(guard)
}

/// What the first message found.
struct Found {
    /// Each partnership's chain head, for those that have one.
    heads: Vec<(String, (i64, Vec<u8>))>,
    /// Request i's stream version at i; its partnership stream's at `batch.len() + i`.
    versions: Vec<i64>,
    /// The writes this connection has prepared.
    prepared: Vec<String>,
}

async fn write(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
) -> Result<Written, Failure> {
    let mut partnerships: Vec<&str> = batch.iter().map(|r| r.partnership_id.as_str()).collect();
    partnerships.sort_unstable();
    partnerships.dedup();
    let found = read(conn, batch, &partnerships)
        .await
        .map_err(Failure::Reading)?;
    write_rows(conn, batch, &partnerships, found)
        .await
        .map_err(Failure::Writing)
}

/// The first message: begin, lock the heads, read the versions, and see which of the writes
/// this connection has prepared.
async fn read(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
    partnerships: &[&str],
) -> Result<Found, StoreError> {
    let mut sql = String::from(
        "BEGIN;\nSELECT partnership_id, seq, hash FROM chain_heads WHERE partnership_id IN (",
    );
    for (i, p) in partnerships.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&text(p)?);
    }
    sql.push_str(") ORDER BY partnership_id FOR UPDATE;\nSELECT s.n, (SELECT e.stream_version FROM events e WHERE e.partnership_id = s.p AND e.stream = s.st ORDER BY e.stream_version DESC LIMIT 1) FROM (VALUES ");
    // Row i is request i's stream; row n + i its partnership stream, when it names a version.
    let n = batch.len();
    for (i, r) in batch.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(
            sql,
            "({i}, {}, {})",
            text(&r.partnership_id)?,
            text(&r.stream)?
        );
        if r.partnership_version.is_some() {
            let _ = write!(
                sql,
                ", ({}, {}, {})",
                n + i,
                text(&r.partnership_id)?,
                text(stream::PARTNERSHIP)?
            );
        }
    }
    sql.push_str(") AS s(n, p, st);\nSELECT name FROM pg_prepared_statements WHERE starts_with(name, 'parley_')");

    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **conn)
        .await?;
    let mut found = Found {
        heads: Vec::with_capacity(partnerships.len()),
        versions: vec![0; 2 * batch.len()],
        prepared: Vec::new(),
    };
    for row in rows {
        // Heads have three columns, versions two, prepared names one.
        match row.len() {
            3 => found
                .heads
                .push((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))),
            2 => {
                let n: i32 = row.try_get(0)?;
                let v: Option<i64> = row.try_get(1)?;
                if let Some(slot) = usize::try_from(n)
                    .ok()
                    .and_then(|n| found.versions.get_mut(n))
                {
                    *slot = v.unwrap_or(0);
                }
            }
            _ => found.prepared.push(row.try_get(0)?),
        }
    }
    Ok(found)
}

/// The second message: prepare what this connection lacks, every row, the heads, COMMIT.
async fn write_rows(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
    partnerships: &[&str],
    found: Found,
) -> Result<Written, StoreError> {
    let Found {
        mut heads,
        versions,
        prepared,
    } = found;
    let mut sql = String::new();
    for w in statements::WRITES {
        if !prepared.iter().any(|p| p == w.name) {
            let _ = writeln!(sql, "PREPARE {} AS {};", w.name, w.text);
        }
    }
    // A partnership's first event also makes its chain's head. Should another instance make it
    // meanwhile, the insert is refused and the batch is written again the careful way.
    for p in partnerships {
        if !heads.iter().any(|(h, _)| h == p) {
            let _ = writeln!(
                sql,
                "INSERT INTO chain_heads (partnership_id, seq, hash) VALUES ({}, 0, {});",
                text(p)?,
                bytes(&GENESIS)
            );
            heads.push(((*p).to_owned(), (0, GENESIS.to_vec())));
        }
    }
    let mut results = Vec::with_capacity(batch.len());
    let (streams, partnership_streams) = versions.split_at(batch.len());
    // What the batch read, as of the heads it locked; then what it wrote.
    let mut seen: Vec<(String, String, i64)> = Vec::with_capacity(3 * batch.len());
    for ((request, &current), &partnership) in batch.iter().zip(streams).zip(partnership_streams) {
        let p = &request.partnership_id;
        seen.push((p.clone(), request.stream.clone(), current));
        if request.partnership_version.is_some() {
            seen.push((p.clone(), stream::PARTNERSHIP.to_owned(), partnership));
        }
    }
    for ((request, &current), &partnership) in batch.iter().zip(streams).zip(partnership_streams) {
        if let Err(e) = statements::check_versions(request, current, Some(partnership)) {
            results.push(Err(e));
            continue;
        }
        let head = heads
            .iter_mut()
            .find(|(p, _)| *p == request.partnership_id)
            .map(|(_, h)| h)
            .ok_or_else(|| {
                StoreError::Invalid(format!("no chain head for {}", request.partnership_id))
            })?;
        // A command whose rows cannot be written as literals (text holding NUL) fails alone.
        let before = head.clone();
        match render_request(&mut sql, request, current, head) {
            Ok(appended) => {
                seen.push((
                    request.partnership_id.clone(),
                    request.stream.clone(),
                    appended.stream_version,
                ));
                results.push(Ok(appended));
            }
            Err(e) => {
                *head = before;
                results.push(Err(e));
            }
        }
    }
    for (partnership_id, (seq, hash)) in &heads {
        render(
            &mut sql,
            &Statement {
                sql: &statements::WRITE_HEAD,
                args: vec![Arg::Text(partnership_id), Arg::Int(*seq), Arg::Blob(hash)],
            },
        )?;
    }
    sql.push_str("COMMIT");
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut **conn)
        .await
    {
        Ok(_) => Ok(Written::Committed {
            results,
            heads,
            versions: seen,
        }),
        Err(sqlx::Error::Database(e)) => {
            tracing::debug!(error = %e, "batch refused; writing it a command at a time");
            Ok(Written::Refused)
        }
        Err(e) => Err(e.into()),
    }
}

/// Appends a request's rows (its events chained on `head`, which moves on) to `sql`, or
/// nothing when one of them cannot be written.
fn render_request(
    sql: &mut String,
    request: &AppendRequest,
    current: i64,
    head: &mut (i64, Vec<u8>),
) -> Result<Appended, StoreError> {
    let mut part = String::new();
    let chained = statements::chain_events(request, current, head)?;
    for row in statements::request_rows(request, &chained) {
        render(&mut part, &row)?;
    }
    sql.push_str(&part);
    Ok(statements::appended(&chained, current, head))
}

/// Appends the execution of a prepared write with its arguments as literals, and `;`.
fn render(out: &mut String, s: &Statement<'_>) -> Result<(), StoreError> {
    out.push_str("EXECUTE ");
    out.push_str(s.sql.name);
    out.push('(');
    for (i, arg) in s.args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&literal(arg)?);
    }
    out.push_str(");\n");
    Ok(())
}

/// One argument as a PostgreSQL literal.
pub(crate) fn literal(arg: &Arg<'_>) -> Result<String, StoreError> {
    Ok(match arg {
        Arg::Text(v) | Arg::OptText(Some(v)) => text(v)?,
        Arg::Owned(v) => text(v)?,
        Arg::OptText(None) | Arg::OptInt(None) => "NULL".to_owned(),
        Arg::Int(v) | Arg::OptInt(Some(v)) => v.to_string(),
        Arg::Bool(v) => if *v { "TRUE" } else { "FALSE" }.to_owned(),
        Arg::Blob(v) => bytes(v),
    })
}

/// Text as an escape-string constant: `E'...'` with each backslash and quote doubled. Every
/// other character stands for itself, whatever the server's `standard_conforming_strings`.
fn text(v: &str) -> Result<String, StoreError> {
    if v.contains('\0') {
        return Err(StoreError::Invalid(
            "text holding a NUL character cannot be stored".to_owned(),
        ));
    }
    let mut out = String::with_capacity(v.len() + 4);
    out.push_str("E'");
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// Bytes as a hex `bytea` constant.
fn bytes(v: &[u8]) -> String {
    let mut out = String::with_capacity(v.len() * 2 + 16);
    out.push_str("E'\\\\x");
    for b in v {
        let _ = write!(out, "{b:02x}");
    }
    out.push_str("'::bytea");
    out
}

/// Holds the connection while a transaction may be open on it: dropped while still armed, it
/// closes the connection rather than returning it to the pool mid-transaction.
#[derive(Debug)]
struct Guard {
    conn: PoolConnection<Postgres>,
    armed: bool,
    /// Every write is prepared on the connection (it has committed a two-message batch).
    prepared: bool,
    /// The server process behind the connection, to wait out should the connection be lost.
    pid: i32,
}

impl Guard {
    /// Takes a connection from the pool and asks which server process serves it (one round
    /// trip, once per kept connection).
    async fn open(pool: &PgPool) -> Result<Guard, StoreError> {
        let mut conn = pool.acquire().await?;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Guard {
            conn,
            armed: true,
            prepared: false,
            pid,
        })
    }
}

/// How long the writer waits for a lost connection's server process to end.
const WAIT_OUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Ends the server process `pid` of a lost connection and waits until it has gone, so that
/// what it was running has committed or rolled back before the writer looks for it. The bytes
/// of a batch can reach the server after the client saw the connection drop: without this,
/// the look could come first, find nothing, and the batch then commit behind it.
async fn wait_out(conn: &mut PoolConnection<Postgres>, pid: i32) -> Result<(), StoreError> {
    // A role may end its own processes. Refused (a restricted role), the wait still holds:
    // the server ends the process once it finds its client gone.
    if let Err(e) = sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&mut **conn)
        .await
    {
        let sqlx::Error::Database(refused) = e else {
            return Err(e.into());
        };
        tracing::info!(error = %refused, pid, "could not end the lost connection's process; waiting for it");
    }
    let started = std::time::Instant::now();
    loop {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(pid)
                .fetch_one(&mut **conn)
                .await?;
        if !alive {
            return Ok(());
        }
        if started.elapsed() > WAIT_OUT {
            return Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the server process {pid} of a lost connection is still running; the batch's outcome is unknown"
                ),
            ))));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            self.conn.close_on_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Op;

    /// The record of officers is read from rows the same batch wrote before (an escalation's
    /// stage, a named officer): the one-statement path, whose parts all see the database as it
    /// was before the statement, must never take those writes.
    #[test]
    fn writes_that_read_earlier_rows_are_never_one_statement() {
        let entered = Op::StageEntered {
            escalation_id: "e".to_owned(),
            partnership_id: "p".to_owned(),
            stage: 3,
            raising_agency_id: "a1".to_owned(),
            receiving_agency_id: "a2".to_owned(),
            at_us: 1,
        };
        let named = Op::OfficerNamed {
            partnership_id: "p".to_owned(),
            agency_id: "a1".to_owned(),
            stage: 2,
            person_id: "o".to_owned(),
            at_us: 1,
        };
        // A stage row alone is what the one statement takes.
        let stage = Op::Stage(crate::rows::StageRow {
            escalation_id: "e".to_owned(),
            stage: 3,
            started_at_us: 1,
            started_on: "2026-12-21".to_owned(),
            due: "2026-12-22".to_owned(),
            agreed_days: None,
            ended_at_us: None,
            record: Vec::new(),
            meetings: 0,
        });
        assert!(Tables::of(std::iter::once(statements::op(&stage))).is_some());
        for ops in [
            vec![entered.clone()],
            vec![named.clone()],
            vec![stage.clone(), entered],
            vec![stage, named],
        ] {
            assert!(
                Tables::of(ops.iter().map(statements::op)).is_none(),
                "{ops:?}"
            );
        }
    }
}
