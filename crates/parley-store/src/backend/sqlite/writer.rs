//! SQLite's writer: the append batches of the group-commit `Writer` are written over one
//! read-write rusqlite connection, on a blocking thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement across
//! channels; a batch is a few statements per command, and under load those hand-offs (thread
//! wake-ups) cost more than SQLite itself (`scripts/bench-store`, profiled with perf). Here a
//! whole batch is one hand-off: the calling task waits while a blocking thread runs the
//! transaction and its `COMMIT`, which returns only once SQLite has synced the WAL.
//!
//! The connection is opened with the same settings as the pool's (WAL, `synchronous=FULL`,
//! foreign keys on, a busy timeout), and they are checked, not assumed. It writes only what the
//! pool would: the append-only triggers apply to it as to any connection. Other writes (accounts,
//! sessions) still go through the pool; SQLite's lock orders the two (`BEGIN IMMEDIATE` on both).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::inline::Lite;
use crate::StoreError;
use crate::backend::careful::{ENSURE_HEAD, READ_HEAD};
use crate::backend::cells::Cells;
use crate::backend::driver::Dialect;
use crate::backend::request::{AppendRequest, Appended};
use crate::backend::statements::{self, Arg, Statement};

#[derive(Debug)]
pub(crate) struct SqliteWriter {
    path: String,
    /// `None` until the first batch, and again after a failure (the next batch reconnects).
    conn: Mutex<Option<Connection>>,
    closed: AtomicBool,
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(v) | Arg::OptText(Some(v)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes()))
            }
            Arg::Owned(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::OptText(None) | Arg::OptInt(None) | Arg::OptBlob(None) => {
                ToSqlOutput::Owned(Value::Null)
            }
            Arg::Int(v) | Arg::OptInt(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            // As sqlx stores a bool in SQLite: 0 or 1.
            Arg::Bool(v) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Arg::Blob(v) | Arg::OptBlob(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

/// A request's outcome inside a batch, and whether the batch can go on.
enum Step {
    Done(Result<Appended, StoreError>),
    /// Something other than a stale version: the fast path gives up.
    Abandon,
}

impl SqliteWriter {
    pub(crate) fn new(path: &str) -> SqliteWriter {
        SqliteWriter {
            path: path.to_owned(),
            conn: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    /// Closes the connection; every later batch fails as a closed pool's would.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut conn) = self.conn.lock() {
            *conn = None;
        }
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        let journal: String =
            conn.query_row("PRAGMA journal_mode", [], |r| r.get("journal_mode"))?;
        let synchronous: i64 =
            conn.query_row("PRAGMA synchronous", [], |r| r.get("synchronous"))?;
        if !journal.eq_ignore_ascii_case("wal") || synchronous < 2 {
            return Err(StoreError::Durability(format!(
                "the SQLite writer found journal_mode={journal} synchronous={synchronous}; Parley needs WAL and FULL"
            )));
        }
        Ok(conn)
    }

    /// The raw ceiling on this connection's driver and settings: one transaction (`BEGIN
    /// IMMEDIATE`, `rows` single-row INSERTs of `note`, `COMMIT`) after another into `raw_ceiling`
    /// for `run_for`. Returns how many committed and the time taken. Blocks.
    pub(crate) fn raw_insert_loop(
        &self,
        rows: u32,
        note: &str,
        run_for: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let mut conn = self.open()?;
        let started = std::time::Instant::now();
        let mut commits = 0u64;
        while started.elapsed() < run_for {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for _ in 0..rows {
                tx.prepare_cached("INSERT INTO raw_ceiling (at_us, note) VALUES (?1, ?2)")?
                    .execute(rusqlite::params![
                        jiff::Timestamp::now().as_microsecond(),
                        note
                    ])?;
            }
            tx.commit()?;
            commits += 1;
        }
        Ok((commits, started.elapsed()))
    }

    /// Writes a batch of requests in one transaction (see `EventLog::append_batch`). Blocks until
    /// the commit is durable: call it from a blocking thread.
    pub(crate) fn append_batch(
        &self,
        batch: &[AppendRequest],
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?;
        if self.closed.load(Ordering::SeqCst) {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        let conn = match guard.as_mut() {
            Some(conn) => conn,
            None => guard.insert(self.open()?),
        };
        let outcome = write_batch(conn, batch);
        if outcome.is_err() {
            // Whatever went wrong (a full disk, a lost file), start the next batch afresh.
            *guard = None;
        }
        outcome
    }
}

/// The fast path: one transaction, no savepoints, each chain head read and written once. A
/// stale version is found before anything of its request is written, so it only takes that
/// request out; any other error abandons the transaction (nothing of it was committed) for the
/// careful path, one savepoint per request.
fn write_batch(
    conn: &mut Connection,
    batch: &[AppendRequest],
) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut heads: Vec<(&str, (i64, Vec<u8>))> = Vec::new();
        let mut results = Vec::with_capacity(batch.len());
        let mut abandoned = false;
        for request in batch {
            match fast_step(&tx, request, &mut heads) {
                Step::Done(result) => results.push(result),
                Step::Abandon => {
                    abandoned = true;
                    break;
                }
            }
        }
        if !abandoned
            && heads
                .iter()
                .all(|(partnership_id, head)| write_head(&tx, partnership_id, head).is_ok())
        {
            tx.commit()?;
            return Ok(results);
        }
        tx.rollback()?;
    }
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        let mut sp = tx.savepoint()?;
        match append_one(&sp, request) {
            Ok(appended) => {
                sp.commit()?;
                results.push(Ok(appended));
            }
            Err(e) => {
                sp.rollback()?;
                results.push(Err(e));
            }
        }
    }
    tx.commit()?;
    Ok(results)
}

fn fast_step<'b>(
    conn: &Connection,
    request: &'b AppendRequest,
    heads: &mut Vec<(&'b str, (i64, Vec<u8>))>,
) -> Step {
    let current = match stream_version_for(conn, request) {
        Ok(v) => v,
        Err(e @ StoreError::Conflict { .. }) => return Step::Done(Err(e)),
        Err(_) => return Step::Abandon,
    };
    let at = match heads.iter().position(|(p, _)| *p == request.partnership_id) {
        Some(at) => at,
        None => match read_head(conn, &request.partnership_id) {
            Ok(head) => {
                heads.push((&request.partnership_id, head));
                heads.len() - 1
            }
            Err(_) => return Step::Abandon,
        },
    };
    match write_request(conn, request, current, &mut heads[at].1) {
        Ok(appended) => Step::Done(Ok(appended)),
        Err(_) => Step::Abandon,
    }
}

/// One request inside a savepoint of its own, the head read and written around it.
fn append_one(conn: &Connection, request: &AppendRequest) -> Result<Appended, StoreError> {
    let current = stream_version_for(conn, request)?;
    let mut head = read_head(conn, &request.partnership_id)?;
    let appended = write_request(conn, request, current, &mut head)?;
    write_head(conn, &request.partnership_id, &head)?;
    Ok(appended)
}

fn execute(conn: &Connection, s: &Statement<'_>) -> rusqlite::Result<usize> {
    conn.prepare_cached(&statements::sqlite_text(s.sql.text()))?
        .execute(rusqlite::params_from_iter(s.args.iter()))
}

fn stream_version_for(conn: &Connection, req: &AppendRequest) -> Result<i64, StoreError> {
    let read = |stream: &str| -> Result<i64, StoreError> {
        conn.prepare_cached(&statements::sqlite_text(statements::STREAM_VERSION))?
            .query_row([req.partnership_id.as_str(), stream], |r| {
                let lite = Lite(r);
                Ok(Cells::new(&lite, "events", &[]).opt_int("version"))
            })?
            .map(|v| v.unwrap_or(0))
    };
    let current = read(&req.stream)?;
    let partnership = match req.partnership_version {
        Some(_) => Some(read(crate::stream::PARTNERSHIP)?),
        None => None,
    };
    statements::check_versions(req, current, partnership)
}

/// The chain's head, made at genesis if it has none (the write lock is already held).
fn read_head(conn: &Connection, partnership_id: &str) -> Result<(i64, Vec<u8>), StoreError> {
    let read = || -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let head = conn
            .prepare_cached(READ_HEAD.get(Dialect::Sqlite))?
            .query_row([partnership_id], |r| {
                let lite = Lite(r);
                let c = Cells::new(&lite, "chain_heads", &["partnership_id"]);
                Ok(c.int("seq").and_then(|seq| Ok((seq, c.bytes("hash")?))))
            })
            .optional()?;
        head.transpose()
    };
    if let Some(head) = read()? {
        return Ok(head);
    }
    conn.prepare_cached(&statements::sqlite_text(ENSURE_HEAD))?
        .execute(rusqlite::params![
            partnership_id,
            crate::chain::GENESIS.as_slice()
        ])?;
    read()?.ok_or_else(|| StoreError::Invalid(format!("no chain head for {partnership_id}")))
}

fn write_head(
    conn: &Connection,
    partnership_id: &str,
    head: &(i64, Vec<u8>),
) -> Result<(), StoreError> {
    conn.prepare_cached(&statements::sqlite_text(statements::WRITE_HEAD.text()))?
        .execute(rusqlite::params![partnership_id, head.0, head.1])?;
    Ok(())
}

/// Writes a request's events (chained on `head`, which moves on), projection rows and outbox
/// rows, its stream being at `current`.
fn write_request(
    conn: &Connection,
    req: &AppendRequest,
    current: i64,
    head: &mut (i64, Vec<u8>),
) -> Result<Appended, StoreError> {
    let chained = statements::chain_events(req, current, head)?;
    for (i, row) in statements::request_rows(req, &chained).iter().enumerate() {
        let in_place = i
            .checked_sub(chained.len())
            .and_then(|op| req.ops.get(op))
            .and_then(statements::escalation_in_place);
        if let Some(update) = in_place
            && execute(conn, &update)? == 1
        {
            continue;
        }
        if let Err(e) = execute(conn, row) {
            return Err(statements::refusal(req, &chained, i, e.into()));
        }
    }
    Ok(statements::appended(&chained, current, head))
}
