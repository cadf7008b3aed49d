//! PostgreSQL's write path for a batch: two round trips, however many commands it holds.
//!
//! sqlx sends one statement at a time and waits for each answer, so a batch written statement
//! by statement costs a round trip per row (about 0.1 ms each on loopback, measured with
//! `scripts/bench-store`: most of a batch's time). Here the batch is two simple-protocol
//! messages, each holding several statements:
//!
//! 1. `BEGIN`, give each partnership in the batch a chain head if it has none, lock the heads
//!    (`FOR UPDATE`, in partnership order so two instances never deadlock), and read each
//!    stream's version, after the lock so that it is the version the head's last holder left.
//! 2. Every event, projection row and outbox row, the new heads, and `COMMIT`.
//!
//! The simple protocol takes no bind parameters, so values are written into the text as
//! literals by [`literal`]: text always as an escape-string constant (`E'...'`, backslash and
//! quote doubled), whose meaning does not depend on `standard_conforming_strings`; bytes as
//! hex `bytea`; numbers as digits. A property test round-trips arbitrary text and bytes through
//! a real server (`tests/store/pg_literals.rs`). Text holding a NUL character, which PostgreSQL
//! cannot store, is refused before anything is sent.
//!
//! When the second message fails, PostgreSQL skips the rest of it (the `COMMIT` included) and
//! the transaction is rolled back; the caller then writes the batch carefully, a savepoint per
//! command, so that one bad command only takes itself out. The connection is only returned to
//! the pool outside a transaction: if this future is dropped part-way (a timeout), or the
//! connection fails, it is closed instead.

use std::fmt::Write as _;

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Row};

use super::statements::{self, Arg, Statement};
use crate::chain::GENESIS;
use crate::{AppendRequest, Appended, StoreError};

/// How the second message ended.
enum Written {
    Committed(Vec<Result<Appended, StoreError>>),
    /// The server refused one of its statements: nothing of it was written.
    Refused,
}

/// Writes `batch` in one transaction. `Ok(None)` when the server refused a statement and
/// nothing was written: the caller takes the careful path.
pub(crate) async fn append_batch(
    pool: &PgPool,
    batch: &[AppendRequest],
) -> Result<Option<Vec<Result<Appended, StoreError>>>, StoreError> {
    let mut guard = Guard::new(pool.acquire().await?);
    match write(&mut guard.conn, batch).await {
        Ok(Written::Committed(results)) => {
            guard.release();
            Ok(Some(results))
        }
        Ok(Written::Refused) => {
            end_transaction(guard).await?;
            Ok(None)
        }
        // Refused while locking and reading (a lock timeout, say): the batch fails.
        Err(e @ StoreError::Database(sqlx::Error::Database(_))) => {
            end_transaction(guard).await?;
            Err(e)
        }
        // Anything else (a lost connection, text that cannot be stored): the guard closes the
        // connection, which ends any transaction on it.
        Err(e) => Err(e),
    }
}

/// Ends an aborted (or already ended) transaction, and returns the connection to the pool.
async fn end_transaction(mut guard: Guard) -> Result<(), StoreError> {
    sqlx::raw_sql("ROLLBACK").execute(&mut *guard.conn).await?;
    guard.release();
    Ok(())
}

async fn write(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
) -> Result<Written, StoreError> {
    let mut partnerships: Vec<&str> = batch.iter().map(|r| r.partnership_id.as_str()).collect();
    partnerships.sort_unstable();
    partnerships.dedup();

    // The first message: begin, heads, versions.
    let mut sql =
        String::from("BEGIN;\nINSERT INTO chain_heads (partnership_id, seq, hash) VALUES ");
    for (i, p) in partnerships.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "({}, 0, {})", text(p)?, bytes(&GENESIS));
    }
    sql.push_str(" ON CONFLICT (partnership_id) DO NOTHING;\nSELECT partnership_id, seq, hash FROM chain_heads WHERE partnership_id IN (");
    for (i, p) in partnerships.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&text(p)?);
    }
    sql.push_str(") ORDER BY partnership_id FOR UPDATE;\nSELECT s.n, (SELECT e.stream_version FROM events e WHERE e.partnership_id = s.p AND e.stream = s.st ORDER BY e.stream_version DESC LIMIT 1) FROM (VALUES ");
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
    }
    sql.push_str(") AS s(n, p, st)");

    let mut heads: Vec<(String, (i64, Vec<u8>))> = Vec::with_capacity(partnerships.len());
    let mut versions = vec![0i64; batch.len()];
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **conn)
        .await?;
    for row in rows {
        // Heads have three columns, versions two.
        if row.len() == 3 {
            heads.push((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?)));
        } else {
            let n: i32 = row.try_get(0)?;
            let v: Option<i64> = row.try_get(1)?;
            if let Some(slot) = usize::try_from(n).ok().and_then(|n| versions.get_mut(n)) {
                *slot = v.unwrap_or(0);
            }
        }
    }

    // The second message: every row, the heads, COMMIT.
    let mut sql = String::new();
    let mut results = Vec::with_capacity(batch.len());
    for (request, current) in batch.iter().zip(versions) {
        if current != request.expected_version {
            results.push(Err(StoreError::Conflict {
                stream: request.stream.clone(),
                expected: request.expected_version,
                actual: current,
            }));
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
                sql: statements::WRITE_HEAD,
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
    for (e, c) in request.events.iter().zip(&chained) {
        render(&mut part, &statements::insert_event(request, e, c))?;
    }
    for op in &request.ops {
        render(&mut part, &statements::op(op))?;
    }
    for n in &request.outbox {
        let id = uuid::Uuid::new_v4().to_string();
        render(
            &mut part,
            &statements::insert_outbox(request, n, &chained, id),
        )?;
    }
    sql.push_str(&part);
    Ok(Appended {
        seq: head.0,
        stream_version: chained.last().map_or(current, |c| c.stream_version),
    })
}

/// Appends a statement, its `$N` placeholders replaced by its arguments as literals, and `;`.
fn render(out: &mut String, s: &Statement<'_>) -> Result<(), StoreError> {
    let mut rest = s.sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(rest.len() - at - 1, |n| n);
        let n: usize = rest[at + 1..at + 1 + digits].parse().map_err(|_| {
            StoreError::Invalid(format!("a placeholder without a number in {}", s.sql))
        })?;
        let arg = n
            .checked_sub(1)
            .and_then(|i| s.args.get(i))
            .ok_or_else(|| StoreError::Invalid(format!("no argument ${n} for {}", s.sql)))?;
        out.push_str(&literal(arg)?);
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    out.push_str(";\n");
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
struct Guard {
    conn: PoolConnection<Postgres>,
    armed: bool,
}

impl Guard {
    fn new(conn: PoolConnection<Postgres>) -> Guard {
        Guard { conn, armed: true }
    }

    /// Returns the connection to the pool: no transaction is open on it.
    fn release(mut self) {
        self.armed = false;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            self.conn.close_on_drop();
        }
    }
}
