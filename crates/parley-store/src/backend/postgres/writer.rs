//! PostgreSQL's write path for a batch of appends: one transaction on a connection the writer
//! keeps, every value bound as a parameter, a statement per kind of row rather than per row;
//! a single statement when the batch allows.
//!
//! sqlx sends one statement at a time and waits for each answer, so a batch written row by
//! row costs a round trip per row (about 0.1 ms each on loopback, measured with
//! `scripts/bench-store`: most of a batch's time). Here the rows of each kind of write are
//! bound as arrays and written by one `INSERT ... SELECT ... FROM unnest($1::type[], ...)`
//! (or the `UPDATE`/`DELETE` over the same), made from the write's description in
//! `statements.rs` ([`batch`]). No value is ever part of the SQL text, and sqlx prepares each
//! statement once per connection, so the server neither parses values nor plans per batch.
//!
//! **Three ways, cheapest first.** Every append moves its partnership's chain head, so while
//! the head is the one this writer left, no stream of that partnership has moved since
//! either: the writer keeps, per partnership, the head it last committed and the stream
//! versions it knows as of that head ([`known`]). A batch whose partnerships and streams are
//! all known is decided in memory:
//!
//! 1. Of one partnership, with one write per table and none reading a table another writes
//!    (what commands usually write: events, escalation and stage rows, notifications, the
//!    record of officers of a stage entered, appointments): a single statement
//!    ([`batch::Plan::statement`]). It moves the head only from the one remembered
//!    (`UPDATE chain_heads ... WHERE seq = ... AND hash = ... RETURNING 1`, as a `WITH`
//!    query), and each write's rows are there only if that moved a row; it commits on its own
//!    and answers how many heads it moved. None (another instance or a restore moved the
//!    head): nothing was written, the memory is forgotten and the batch goes the third way.
//!    The parts of one statement all see the database as it was before it, hence the rule: an
//!    officer named while the batch also writes escalation rows, say, goes the second way.
//! 2. Otherwise: `BEGIN`, one statement moving every head only from the one remembered
//!    (returning those moved: fewer than the batch's partnerships and the transaction is
//!    rolled back and the batch goes the third way), the rows as a statement per kind, and
//!    `COMMIT`. A new stream (version 0) needs no memory: were it not new after all, its
//!    first event's version would break the events' unique key and the server refuses the
//!    batch, which then goes the third way too.
//! 3. Read first ([`locked`]): `BEGIN`, lock the heads in partnership order, read the
//!    versions, decide each command, write the rows and heads, `COMMIT`. Refused by the
//!    server, the transaction is rolled back and the caller writes the batch carefully, a
//!    savepoint per command, so that one bad command only takes itself out.
//!
//! A command holding text PostgreSQL cannot store (a NUL character) fails alone, before
//! anything is sent.
//!
//! The writer keeps one connection between batches (sparing the pool's check of each
//! connection it hands out), and only ever outside a transaction: if a batch's future is
//! dropped part-way (a timeout), or the connection fails, the connection is closed instead. A
//! kept connection found dead while the third way reads, which writes nothing, is replaced
//! and the batch tried once more.
//!
//! **A lost connection.** A batch decided in memory writes from its start, so a connection
//! lost under it leaves the outcome unknown. The writer then settles it on a new connection
//! ([`settle`]): it ends the lost connection's server process and waits until it has gone
//! (the batch's bytes may reach the server after the client saw the connection drop), takes
//! the heads' row locks, then looks for the batch's first event of each partnership by its
//! hash. Found, the batch committed and is acknowledged; absent, nothing of it was written,
//! and it is written the third way.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgPool, Postgres};

use super::batch::{self, Plan, storable};
use super::known::Known;
use super::locked::{self, Failure, Written};
use super::settle;
use crate::StoreError;
use crate::backend::cells::Cells;
use crate::backend::request::{AppendRequest, Appended};
use crate::backend::statements;
use crate::stream;

/// A batch decided from what the writer knows (see the module's notes): what it will have
/// written once committed.
struct FromMemory {
    results: Vec<Result<Appended, StoreError>>,
    /// Each partnership's head after the batch.
    heads: Vec<(String, (i64, Vec<u8>))>,
    versions: Vec<(String, String, i64)>,
    /// Per partnership: the chain position and hash of the batch's first event in it.
    firsts: Vec<(String, i64, Vec<u8>)>,
}

/// How a [`FromMemory`] batch is sent.
enum Send {
    /// One statement, committing on its own, answering how many heads it moved.
    Statement(Query<'static, Postgres, PgArguments>),
    /// A transaction: the heads moved `(partnership, old, new)`, then the rows.
    Transaction(Vec<batch::Move>, Plan),
}

/// The batch decided in memory, if every command in it can be decided from what the writer
/// knows and is accepted (anything else, a conflict included, is left to the third way,
/// which reads what it reports).
fn from_memory(batch: &[AppendRequest], known: &Known) -> Option<(Send, FromMemory)> {
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
    let mut plan = Plan::default();
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
        let rows = statements::request_rows(request, &events);
        storable(&rows).ok()?;
        for row in &rows {
            plan.add(row).ok()?;
        }
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
    }
    heads.sort_by(|a, b| a.0.cmp(&b.0));
    let send = match heads.as_slice() {
        [(partnership_id, new)] if plan.single() => Send::Statement(plan.statement(
            partnership_id,
            &known.0.get(partnership_id)?.head,
            new,
        )?),
        _ => {
            let mut moves = Vec::with_capacity(heads.len());
            for (partnership_id, new) in &heads {
                let old = known.0.get(partnership_id)?.head.clone();
                moves.push((partnership_id.clone(), old, new.clone()));
            }
            Send::Transaction(moves, plan)
        }
    };
    Some((
        send,
        FromMemory {
            results,
            heads,
            versions,
            firsts,
        },
    ))
}

/// Sends a batch decided in memory: `Ok(true)` once committed, `Ok(false)` when a head had
/// moved and nothing was written (a transaction may be left to roll back).
async fn send(conn: &mut PoolConnection<Postgres>, send: Send) -> Result<bool, StoreError> {
    match send {
        Send::Statement(query) => {
            let row = query.fetch_one(&mut **conn).await?;
            let moved = Cells::new(&row, "chain_heads", &[]).int("moved")?;
            Ok(moved == 1)
        }
        Send::Transaction(moves, plan) => {
            sqlx::raw_sql("BEGIN").execute(&mut **conn).await?;
            if batch::move_heads(conn, &moves).await? != moves.len() {
                return Ok(false);
            }
            plan.execute(conn).await?;
            sqlx::raw_sql("COMMIT").execute(&mut **conn).await?;
            Ok(true)
        }
    }
}

/// Ends an aborted (or already ended) transaction; the connection can be kept.
async fn end_transaction(mut guard: Guard) -> Result<Guard, StoreError> {
    sqlx::raw_sql("ROLLBACK").execute(&mut *guard.conn).await?;
    guard.armed = false;
    Ok(guard)
}

/// Holds the connection while a transaction may be open on it: dropped while still armed, it
/// closes the connection rather than returning it to the pool mid-transaction.
#[derive(Debug)]
struct Guard {
    conn: PoolConnection<Postgres>,
    armed: bool,
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
            pid,
        })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            self.conn.close_on_drop();
        }
    }
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
        if let Some((how, decided)) = from_memory(batch, known) {
            match send(&mut guard.conn, how).await {
                Ok(true) => {
                    known.committed(&decided.heads, decided.versions);
                    guard.armed = false;
                    *slot = Some(guard);
                    return Ok(Some(decided.results));
                }
                // A head moved by someone else, or the server refused a statement: nothing
                // was written.
                Ok(false) | Err(StoreError::Database(sqlx::Error::Database(_))) => {
                    tracing::debug!("batch decided in memory not written; reading first");
                    known.forget();
                    guard = end_transaction(guard).await?;
                    guard.armed = true; // a transaction opens again below
                }
                Err(e) => {
                    known.forget();
                    let lost = guard.pid;
                    drop(guard);
                    tracing::info!(error = %e, "the writer's connection was lost under a batch; settling it");
                    guard = Guard::open(&self.pool).await?;
                    settle::wait_out(&mut guard.conn, lost).await?;
                    if settle::settle(&mut guard.conn, &decided.firsts).await? {
                        sqlx::raw_sql("COMMIT").execute(&mut *guard.conn).await?;
                        guard.armed = false;
                        *slot = Some(guard);
                        return Ok(Some(decided.results));
                    }
                    guard = end_transaction(guard).await?;
                    guard.armed = true;
                }
            }
        }
        let outcome = match locked::write(&mut guard.conn, batch).await {
            // The kept connection was lost (a server restart) before anything was sent that
            // writes: try once more on a connection the pool has just checked.
            Err(Failure::Reading(e))
                if !matches!(e, StoreError::Database(sqlx::Error::Database(_))) =>
            {
                tracing::info!(error = %e, "the writer's connection was lost; reconnecting");
                drop(guard);
                guard = Guard::open(&self.pool).await?;
                locked::write(&mut guard.conn, batch).await
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
            // Anything else (a lost connection): the guard closes the connection, which ends
            // any transaction on it.
            Err(Failure::Reading(e) | Failure::Writing(e)) => {
                known.forget();
                Err(e)
            }
        }
    }
}
