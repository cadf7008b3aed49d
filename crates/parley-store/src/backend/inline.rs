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
//! Read-only connections cannot change anything (SQLite refuses writes on them), so the
//! append-only and durability rules are untouched. When a connection cannot be had or SQLite is
//! busy (a checkpoint, a recovery), the caller asks the sqlx pool instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::rows::{EscalationOfficerRow, EscalationRow, SessionLookup, SessionRow};

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

    /// `Store::session_with_partnership`.
    pub(crate) fn session_with_partnership(
        &self,
        token_hash: &str,
    ) -> Option<Option<SessionLookup>> {
        self.with(|c| {
            c.prepare_cached(session_with_partnership_sql!("?1"))?
                .query_row([token_hash], |r| {
                    Ok(SessionLookup {
                        session: SessionRow {
                            token_hash: r.get(0)?,
                            person_id: r.get(1)?,
                            csrf_token: r.get(2)?,
                            created_at_us: r.get(3)?,
                            last_seen_us: r.get(4)?,
                            expires_at_us: r.get(5)?,
                            draft: r.get(6)?,
                        },
                        partnership_id: r.get(7)?,
                        config_version: r.get(8)?,
                        chain_seq: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                    })
                })
                .optional()
        })
    }

    /// `Store::stream_version` (a command's check that the configuration it decided on stands).
    pub(crate) fn stream_version(&self, partnership_id: &str, stream: &str) -> Option<i64> {
        self.with(|c| {
            c.prepare_cached(&super::statements::sqlite_text(
                super::statements::STREAM_VERSION,
            ))?
            .query_row([partnership_id, stream], |r| {
                Ok(r.get::<_, Option<i64>>(0)?.unwrap_or(0))
            })
        })
    }

    /// `Store::escalation`.
    pub(crate) fn escalation(&self, id: &str) -> Option<Option<EscalationRow>> {
        self.with(|c| {
            c.prepare_cached(concat!(
                "SELECT ",
                escalation_columns!(),
                " FROM escalations WHERE id = ?1"
            ))?
            .query_row([id], |r| {
                Ok(EscalationRow {
                    id: r.get(0)?,
                    partnership_id: r.get(1)?,
                    reference: r.get(2)?,
                    procedure_version: r.get(3)?,
                    version: r.get(4)?,
                    route: r.get(5)?,
                    subject: r.get(6)?,
                    child_status: r.get(7)?,
                    category: r.get(8)?,
                    status: r.get(9)?,
                    outcome: r.get(10)?,
                    current_stage: r.get(11)?,
                    stage_due: r.get(12)?,
                    overall_due: r.get(13)?,
                    raised_at_us: r.get(14)?,
                    raised_on: r.get(15)?,
                    closed_at_us: r.get(16)?,
                    resolved_by_events: r.get(17)?,
                    raised_by: r.get(18)?,
                    raising_agency_id: r.get(19)?,
                    receiving_agency_id: r.get(20)?,
                    receiving_person_id: r.get(21)?,
                    summary: r.get(22)?,
                    updated_at_us: r.get(23)?,
                    wake_on: r.get(24)?,
                })
            })
            .optional()
        })
    }

    /// `Store::escalation_officers`: a few rows by the primary key's prefix.
    pub(crate) fn escalation_officers(&self, id: &str) -> Option<Vec<EscalationOfficerRow>> {
        self.with(|c| {
            c.prepare_cached(concat!(
                "SELECT ",
                escalation_officer_columns!(),
                " FROM escalation_officers WHERE escalation_id = ?1 ORDER BY stage, agency_id, person_id"
            ))?
            .query_map([id], |r| {
                Ok(EscalationOfficerRow {
                    escalation_id: r.get(0)?,
                    partnership_id: r.get(1)?,
                    stage: r.get(2)?,
                    agency_id: r.get(3)?,
                    person_id: r.get(4)?,
                    since_us: r.get(5)?,
                })
            })?
            .collect()
        })
    }
}
