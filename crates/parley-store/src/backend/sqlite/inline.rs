//! Reads that every signed-in page makes (its session, the escalation it shows and that
//! escalation's record of officers, which decides who sees it), run on the calling thread over
//! read-only SQLite connections.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement and row
//! across channels: for a single-row lookup by primary key (a few microseconds in SQLite) the
//! thread hand-offs cost several times the query, and under load they were the largest part of
//! a page's cost (`scripts/bench-web`). These lookups walk one B-tree path, and in WAL mode a
//! reader never waits for the writer, so they run where the request is: a brief blocking call,
//! well under the time a task may hold a tokio worker.
//!
//! The report facts (`escalation_facts`) are read over the same connections for the opposite
//! reason: a year's report steps through a hundred thousand rows, and a hop across sqlx's
//! channel for each was most of the read. That read runs on a blocking thread.
//!
//! Read-only connections cannot change anything (SQLite refuses writes on them), so the
//! append-only and durability rules are untouched. When a connection cannot be had or SQLite is
//! busy (a checkpoint, a recovery), the caller asks the sqlx pool instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::StoreError;
use crate::backend::accounts::{self, SESSION_WITH_PARTNERSHIP};
use crate::backend::driver::{Dialect, Read};
use crate::backend::escalations;
use crate::backend::statements;
use crate::rows::{EscalationOfficerRow, EscalationRow, FactsRow, SessionLookup};

/// Idle connections kept (one per thread reading at once is plenty).
const KEEP: usize = 8;

/// Is `path` an in-memory database, which connections outside the pool cannot see?
pub(crate) fn is_in_memory(path: &str) -> bool {
    path.is_empty() || path.contains(":memory:") || path.contains("mode=memory")
}

#[derive(Debug)]
pub(crate) struct InlineReader {
    path: String,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
}

impl InlineReader {
    /// A reader of the database file at `path` (not an in-memory database: see
    /// [`is_in_memory`]).
    pub(crate) fn new(path: &str) -> InlineReader {
        InlineReader {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Closes the idle connections; from now on every read goes to the pool (which is
    /// closed with it).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    /// Runs `f` on an idle connection (opening one if none is). `None` when SQLite could not
    /// answer here: the caller asks the pool instead.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.open().ok()?,
        };
        match f(&conn) {
            Ok(value) => {
                if let Ok(mut idle) = self.idle.lock()
                    && idle.len() < KEEP
                    && !self.closed.load(Ordering::SeqCst)
                {
                    idle.push(conn);
                }
                Some(value)
            }
            Err(e) => {
                tracing::debug!(error = %e, "inline read fell back to the pool");
                None
            }
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never wait on the calling thread: busy means "ask the pool".
        conn.busy_timeout(Duration::ZERO)?;
        Ok(conn)
    }

    /// `Accounts::session_with_partnership`.
    pub(crate) fn session_with_partnership(
        &self,
        token_hash: &str,
    ) -> Option<Option<SessionLookup>> {
        self.read(SESSION_WITH_PARTNERSHIP, token_hash, |r| {
            accounts::session_lookup(r)
        })
    }

    /// `EventLog::stream_version` (a command's check that the configuration it decided on
    /// stands).
    pub(crate) fn stream_version(&self, partnership_id: &str, stream: &str) -> Option<i64> {
        let sql = statements::sqlite_text(statements::STREAM_VERSION);
        self.with(|c| {
            c.prepare_cached(&sql)?
                .query_row([partnership_id, stream], |r| {
                    Ok(Lite(r).int("version").map(|v| v.unwrap_or(0)))
                })
        })?
        .ok()
    }

    /// `Escalations::escalation`.
    pub(crate) fn escalation(&self, id: &str) -> Option<Option<EscalationRow>> {
        self.read(escalations::ESCALATION.get(Dialect::Sqlite), id, |r| {
            escalations::escalation_row(r)
        })
    }

    /// `Escalations::escalation_officers`: a few rows by the primary key's prefix.
    pub(crate) fn escalation_officers(&self, id: &str) -> Option<Vec<EscalationOfficerRow>> {
        let rows = self.with(|c| {
            c.prepare_cached(escalations::OFFICERS.get(Dialect::Sqlite))?
                .query_map([id], |r| Ok(escalations::officer_row(&Lite(r))))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().collect::<Result<_, _>>().ok()
    }

    /// `Escalations::escalation_facts`: the report's rows, a year's report a hundred thousand
    /// or more, stepped through here (the caller runs this on a blocking thread, never a
    /// tokio worker). A row that cannot be read is the error, naming it; `None` when SQLite
    /// could not answer here (the pool is asked).
    pub(crate) fn escalation_facts(
        &self,
        partnership_id: &str,
        from: &str,
        to: &str,
    ) -> Option<Result<Vec<FactsRow>, StoreError>> {
        let rows = self.with(|c| {
            c.prepare_cached(&statements::sqlite_text(escalations::FACTS))?
                .query_map([partnership_id, from, to], |r| {
                    Ok(escalations::facts_row(&Lite(r)))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Some(rows.into_iter().collect())
    }

    /// The row `sql` finds for `key`, read by `read`. `None` (ask the pool) when SQLite could
    /// not answer here or the row could not be read: the pool's read then says where.
    fn read<T>(
        &self,
        sql: &str,
        key: &str,
        read: impl Fn(&Lite<'_, '_>) -> Result<T, StoreError>,
    ) -> Option<Option<T>> {
        let found = self.with(|c| {
            c.prepare_cached(&statements::sqlite_text(sql))?
                .query_row([key], |r| Ok(read(&Lite(r))))
                .optional()
        })?;
        found.transpose().ok()
    }
}

/// A rusqlite row, read by column name like sqlx's (see `cells.rs`).
pub(crate) struct Lite<'a, 'r>(pub(crate) &'a rusqlite::Row<'r>);

impl Read for Lite<'_, '_> {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.0.get(column).map_err(decode)
    }
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.0.get(column).map_err(decode)
    }
    fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error> {
        self.0.get(column).map_err(decode)
    }
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.0.get(column).map_err(decode)
    }
}

fn decode(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}
