//! Storage: one trait per concern, each implemented once in plain generic code for both
//! backends, and the backends themselves.
//!
//! - [`EventLog`] (`event_log.rs`): appending commands, reading the chains, purging.
//! - [`Projections`] (`projections.rs`): the query tables as a whole (rebuild, verify).
//! - [`Directory`] (`directory.rs`): the partnership's set-up as the query tables hold it.
//! - [`Escalations`] (`escalations.rs`): the escalations as the query tables hold them.
//! - [`Accounts`] (`accounts.rs`): accounts, sessions, API tokens.
//! - [`Transfer`] (`transfer.rs`): consistent reads and loads of the whole database.
//! - [`Notices`] (`notices.rs`): the outbox, deliveries, the mail queue and the inbox.
//!
//! [`Store`] is all of them, what callers hold (`Box<dyn Store>`). Each concern's SQL is a
//! named constant beside the code that runs it, the same text on both backends except where a
//! marker says the dialects differ (`driver.rs`); rows are read by column name (`cells.rs`).
//! What is a backend's own (opening, durability checks, its fast write path, SQLite's inline
//! reads, PostgreSQL's grants) is in `sqlite/` and `postgres/`; `statements.rs` describes
//! every write an append makes, for both writers and the careful path (`careful.rs`).

use crate::StoreError;

mod accounts;
mod careful;
mod cells;
mod directory;
mod driver;
mod escalations;
mod event_log;
pub mod notices;
mod postgres;
pub mod probe;
mod projections;
mod request;
mod sqlite;
pub(crate) mod statements;
mod transfer;

pub use accounts::Accounts;
pub use directory::Directory;
pub use escalations::{EscalationFilter, Escalations};
pub use event_log::EventLog;
pub use notices::Notices;
pub use postgres::PgStore;
pub use projections::Projections;
pub use request::{AppendRequest, Appended, BlockingAppender, NewEvent, NewOutbox};
pub use sqlite::SqliteStore;
pub use transfer::{Loader, Snapshot, Transfer};

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Storage: every concern. Both implementations pass the same story tests (`tests/store/`).
pub trait Store:
    EventLog
    + Projections
    + Directory
    + Escalations
    + Accounts
    + Transfer
    + Notices
    + Send
    + Sync
    + 'static
{
}

impl Store for SqliteStore {}
impl Store for PgStore {}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://...`.
pub async fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Box::new(SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PgStore::open(url).await?))
    } else {
        let scheme = url.split(':').next().unwrap_or(url);
        Err(StoreError::UnsupportedUrl(scheme.to_owned()))
    }
}
