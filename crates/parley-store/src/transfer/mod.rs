//! Export, import, backup and restore: moving a whole database between files and backends.
//!
//! The export format is JSON Lines: a header, then every chain's events in order (each followed
//! by the outbox rows written with it), then an end line with the counts, so that a file cut
//! short at a line boundary is still recognised as incomplete. Events are copied verbatim,
//! salts and hashes included (as hex), so the imported chains verify exactly as the originals
//! did; the projections are not exported because they are rebuilt from the events
//! (ARCHITECTURE.md: "Projections are derived"); the outbox is, because it is not derived.
//!
//! Delivery state beside the log (migration 8) is mutable like accounts and sessions, but the
//! deliveries are carried (each after its outbox row) and the mail preferences are not. A
//! delivery is the record of who was told what and when, and the outbox rows an export carries
//! are marked resolved: without their deliveries a restored database would neither show who was
//! told nor send what was still pending, and resolving them again would tell everyone twice. A
//! mail preference is a person's own setting beside their account, which is not carried either
//! (a restored database gets new accounts); without it a person gets one e-mail per
//! notification, which tells them no later than the summary they chose.
//!
//! Reading always goes through one [`Snapshot`] (a single read transaction), so an export of a
//! running database is consistent, and is the PostgreSQL backup. A SQLite backup is a copy of
//! the database file made by `VACUUM INTO`, also while Parley runs.

use std::io;
use std::path::Path;

use crate::StoreError;
use crate::chain::Break;

mod format;
pub use format::*;

mod export;
pub use export::*;

mod read;
pub use read::*;

mod import;
pub use import::*;

mod backup;
pub use backup::*;

#[cfg(test)]
mod tests;

/// The name in an export's header.
pub const FORMAT: &str = "parley-export";
/// The version of the export format this build writes; it reads every version from 1. Version
/// 2 added the deliveries (`delivery` lines and their count in the end line).
pub const VERSION: u32 = 2;

/// How many events are read from the database, or inserted, at a time.
const PAGE: i64 = 1000;

/// What a SQLite database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What can go wrong moving data in or out.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a Parley export or backup: {reason}")]
    NotAnExport { path: String, reason: String },
    #[error(
        "{path} is a version {found} export; this Parley reads version {VERSION} (upgrade Parley to import it)"
    )]
    UnsupportedVersion { path: String, found: u32 },
    #[error(
        "{path} was exported from schema version {found}, newer than this Parley's {supported}; upgrade Parley to import it"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{path}, line {line}: {reason}")]
    Malformed {
        path: String,
        line: u64,
        reason: String,
    },
    #[error("{path} is incomplete: {reason} (was the export interrupted or the file cut short?)")]
    Truncated { path: String, reason: String },
    #[error("{path}: the chain of partnership {partnership} does not verify: {broken}")]
    Chain {
        path: String,
        partnership: String,
        broken: Break,
    },
    #[error("{path} changed while it was being imported; nothing was imported")]
    Changed { path: String },
    #[error("the database is not empty; {what} needs an empty database{hint}; nothing was changed")]
    NotEmpty {
        what: &'static str,
        hint: &'static str,
    },
    #[error("{0} already exists; choose a new file name for the backup")]
    Exists(String),
    #[error("{0}")]
    Refused(String),
    #[error(
        "{0}: the database is in use (its write-ahead log is still there); stop Parley before restoring"
    )]
    InUse(String),
    #[error(
        "the outbox has {orphans} row(s) that belong to no exported event; the export is incomplete and was not finished"
    )]
    OrphanOutbox { orphans: i64 },
    #[error(
        "{orphans} delivery row(s) belong to no exported outbox row; the export is incomplete and was not finished"
    )]
    OrphanDeliveries { orphans: i64 },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.display().to_string(),
        source,
    }
}

// ---------------------------------------------------------------------------------------------
