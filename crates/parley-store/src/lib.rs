//! Parley's records: every change is an event, appended to a per-partnership hash chain in the
//! same transaction as the query tables derived from it. SQLite (embedded default) or
//! PostgreSQL, chosen by the database URL.

pub mod audit;
pub mod backend;
pub mod chain;
pub mod consistency;
pub mod facts;
pub mod notify;
pub mod payload;
pub mod projector;
pub mod purge;
pub mod records;
mod report_memory;
pub mod rows;
pub mod stream;
pub mod tables;
pub mod transfer;
pub mod writer;

pub use backend::{
    Accounts, AppendRequest, Appended, Backend, Directory, EscalationFilter, Escalations, EventLog,
    NewEvent, NewOutbox, Notices, Projections, Store, Transfer, open,
};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "someone else changed {stream} meanwhile (it is at version {actual}, the change was based on {expected}); reload and try again"
    )]
    Conflict {
        stream: String,
        expected: i64,
        actual: i64,
    },
    #[error("unsupported database URL scheme \"{0}\"; use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("refusing to start: {0}")]
    Durability(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's writer connection (`backend/sqlite/writer.rs`), which is not sqlx's.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("no random numbers available: {0}")]
    Random(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("not found: {0}")]
    NotFound(String),
    /// Input the store or the records refuse (a malformed procedure, an e-mail address already
    /// taken, a demo seeded twice): nothing is missing, the request itself is wrong.
    #[error("refused: {0}")]
    Invalid(String),
    #[error(transparent)]
    Project(#[from] projector::ProjectError),
    /// A stored query-table value that does not parse, with the table and the row's key.
    #[error("{table} row {key} is unreadable: {message}")]
    UnreadableRow {
        table: &'static str,
        key: String,
        message: String,
    },
    #[error("stored event {seq} of {partnership} is unreadable: {message}")]
    Unreadable {
        partnership: String,
        seq: i64,
        message: String,
    },
}

impl StoreError {
    /// A uniqueness violation: a lost race for a key (a stream version, a reference number).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(d)) => d.is_unique_violation(),
            StoreError::Sqlite(e) => is_sqlite_unique_violation(e),
            _ => false,
        }
    }

    /// The database failed (unreachable, busy, out of space) rather than refusing the request:
    /// the same request may succeed once it is back, after re-reading what it was based on.
    pub fn is_database_failure(&self) -> bool {
        matches!(self, StoreError::Database(_) | StoreError::Sqlite(_))
    }
}

/// A uniqueness (or primary key) violation reported by rusqlite.
pub(crate) fn is_sqlite_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
