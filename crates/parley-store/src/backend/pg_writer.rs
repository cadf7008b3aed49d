//! PostgreSQL's write path for a batch: two round trips, however many commands it holds.
//!
//! sqlx sends one statement at a time and waits for each answer, so a batch written statement
//! by statement costs a round trip per row (about 0.1 ms each on loopback, measured with
//! `scripts/bench-store`: most of a batch's time). Here the batch is two simple-protocol
//! messages, each holding several statements:
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

use std::fmt::Write as _;

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Row};

use super::statements::{self, Arg, Statement};
use crate::chain::GENESIS;
use crate::records::PARTNERSHIP_STREAM;
use crate::{AppendRequest, Appended, StoreError};

/// How the second message ended.
enum Written {
    Committed(Vec<Result<Appended, StoreError>>),
    /// The server refused one of its statements: nothing of it was written.
    Refused,
}

/// PostgreSQL's batch writer: keeps one connection between batches, so that a batch does not
/// wait for the pool's check of a connection it hands out (a round trip of its own).
#[derive(Debug)]
pub(crate) struct PgWriter {
    pool: PgPool,
    /// Outside any transaction while kept here.
    kept: tokio::sync::Mutex<Option<Guard>>,
}

impl PgWriter {
    pub(crate) fn new(pool: PgPool) -> PgWriter {
        PgWriter {
            pool,
            kept: tokio::sync::Mutex::new(None),
        }
    }

    /// Gives the kept connection back to the pool (before the pool closes).
    pub(crate) async fn close(&self) {
        drop(self.kept.lock().await.take());
    }

    /// Writes `batch` in one transaction. `Ok(None)` when the server refused a statement and
    /// nothing was written: the caller takes the careful path.
    pub(crate) async fn append_batch(
        &self,
        batch: &[AppendRequest],
    ) -> Result<Option<Vec<Result<Appended, StoreError>>>, StoreError> {
        let mut kept = self.kept.lock().await;
        let mut guard = match kept.take() {
            Some(mut guard) => {
                guard.armed = true;
                guard
            }
            None => Guard::new(self.pool.acquire().await?),
        };
        let outcome = match write(&mut guard.conn, batch).await {
            // The kept connection was lost (a server restart) before anything was sent that
            // writes: try once more on a connection the pool has just checked.
            Err(Failure::Reading(e))
                if !matches!(e, StoreError::Database(sqlx::Error::Database(_))) =>
            {
                tracing::info!(error = %e, "the writer's connection was lost; reconnecting");
                drop(guard);
                guard = Guard::new(self.pool.acquire().await?);
                write(&mut guard.conn, batch).await
            }
            other => other,
        };
        match outcome {
            Ok(Written::Committed(results)) => {
                guard.armed = false;
                *kept = Some(guard);
                Ok(Some(results))
            }
            Ok(Written::Refused) => {
                *kept = Some(end_transaction(guard).await?);
                Ok(None)
            }
            // Refused while locking and reading (a lock timeout, say): the batch fails.
            Err(Failure::Reading(e @ StoreError::Database(sqlx::Error::Database(_)))) => {
                *kept = Some(end_transaction(guard).await?);
                Err(e)
            }
            // Anything else (a lost connection, text that cannot be stored): the guard closes
            // the connection, which ends any transaction on it.
            Err(Failure::Reading(e) | Failure::Writing(e)) => Err(e),
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
                text(PARTNERSHIP_STREAM)?
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
            Ok(appended) => results.push(Ok(appended)),
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
        Ok(_) => Ok(Written::Committed(results)),
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
}

impl Guard {
    fn new(conn: PoolConnection<Postgres>) -> Guard {
        Guard { conn, armed: true }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            self.conn.close_on_drop();
        }
    }
}
