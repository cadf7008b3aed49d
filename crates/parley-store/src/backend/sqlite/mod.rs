//! SQLite, the embedded default: one file, WAL, `synchronous=FULL`. The concerns' shared SQL
//! runs on it through sqlx's pool; what is SQLite's own is here: opening (refusing settings
//! that could lose an acknowledged write), the writer connection that takes the append batches
//! (`writer.rs`), the reads every signed-in page makes on the calling thread (`inline.rs`), and
//! online backup.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::driver::{Dialect, Driver, SqlStore};
use super::request::{AppendRequest, Appended, BlockingAppender};
use crate::StoreError;
use crate::rows::{EscalationOfficerRow, EscalationRow, FactsRow, SessionLookup};

pub(crate) mod inline;
pub(crate) mod writer;

impl Driver for sqlx::Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;
}

/// The embedded default: one file, WAL, `synchronous=FULL`.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The hottest single-row reads, on the calling thread (see `inline.rs`).
    inline: Option<Arc<inline::InlineReader>>,
    /// Writes the append batches (see `writer.rs`); `None` for an in-memory database, which
    /// only the pool can see.
    writer: Option<Arc<writer::SqliteWriter>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`. A `?synchronous=` setting below
    /// FULL in the URL is refused, not quietly overridden.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            if key.eq_ignore_ascii_case("synchronous")
                && !matches!(
                    value.to_ascii_lowercase().as_str(),
                    "full" | "extra" | "2" | "3"
                )
            {
                return Err(StoreError::Durability(format!(
                    "SQLite synchronous={value} could lose an acknowledged write after a power cut; Parley needs FULL or EXTRA"
                )));
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        // Refuse settings that could lose an acknowledged write (2 = FULL, 3 = EXTRA).
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&pool)
            .await?;
        if synchronous < 2 {
            return Err(StoreError::Durability(format!(
                "SQLite synchronous is {synchronous}; Parley needs FULL (2) or EXTRA (3) so that no acknowledged write can be lost"
            )));
        }
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Durability(format!(
                "SQLite journal_mode is {journal}; Parley needs WAL"
            )));
        }
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let in_memory = inline::is_in_memory(path);
        Ok(SqliteStore {
            pool,
            inline: (!in_memory).then(|| Arc::new(inline::InlineReader::new(path))),
            writer: (!in_memory).then(|| Arc::new(writer::SqliteWriter::new(path))),
        })
    }

    /// Closes every connection, the pool's, the writer's and the inline reader's.
    pub async fn close(&self) {
        if let Some(inline) = &self.inline {
            inline.close();
        }
        if let Some(writer) = &self.writer {
            writer.close();
        }
        self.pool.close().await;
    }

    /// The pool, for tests and maintenance commands that need raw SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Writes a consistent copy of the whole database to a new file at `path` while Parley
    /// keeps reading and writing (`VACUUM INTO` reads one snapshot). SQLite refuses a `path`
    /// that already holds data.
    pub async fn backup_to(&self, path: &str) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `backend::probe::raw_ceiling` on SQLite: the loop on the writer's driver and settings,
    /// each transaction `rows` rows of the text `note`.
    pub(crate) async fn raw_insert_loop(
        &self,
        rows: u32,
        note: String,
        run_for: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let writer = self.writer.clone().ok_or_else(|| {
            StoreError::Invalid("the raw ceiling needs a database file".to_owned())
        })?;
        tokio::task::spawn_blocking(move || writer.raw_insert_loop(rows, &note, run_for))
            .await
            .map_err(|e| {
                StoreError::Database(sqlx::Error::Io(std::io::Error::other(e.to_string())))
            })?
    }
}

#[async_trait]
impl SqlStore for SqliteStore {
    type Db = sqlx::Sqlite;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn inline_session(&self, token_hash: &str) -> Option<Option<SessionLookup>> {
        self.inline.as_ref()?.session_with_partnership(token_hash)
    }

    fn inline_escalation(&self, id: &str) -> Option<Option<EscalationRow>> {
        self.inline.as_ref()?.escalation(id)
    }

    fn inline_escalation_officers(&self, id: &str) -> Option<Vec<EscalationOfficerRow>> {
        self.inline.as_ref()?.escalation_officers(id)
    }

    fn inline_stream_version(&self, partnership_id: &str, stream: &str) -> Option<i64> {
        self.inline.as_ref()?.stream_version(partnership_id, stream)
    }

    async fn bulk_facts(
        &self,
        partnership_id: &str,
        from: &str,
        to: &str,
    ) -> Option<Result<Vec<FactsRow>, StoreError>> {
        let inline = self.inline.clone()?;
        let (partnership_id, from, to) =
            (partnership_id.to_owned(), from.to_owned(), to.to_owned());
        tokio::task::spawn_blocking(move || inline.escalation_facts(&partnership_id, &from, &to))
            .await
            .ok()
            .flatten()
    }

    /// On the writer connection, from a blocking thread; the batch is given back when there is
    /// no writer (an in-memory database).
    async fn write_fast(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Result<Vec<Result<Appended, StoreError>>, StoreError>, Vec<AppendRequest>> {
        let Some(writer) = self.writer.clone() else {
            return Err(batch);
        };
        Ok(
            match tokio::task::spawn_blocking(move || writer.append_batch(&batch)).await {
                Ok(written) => written,
                Err(e) => Err(StoreError::Database(sqlx::Error::Io(
                    std::io::Error::other(format!("the SQLite writer thread failed: {e}")),
                ))),
            },
        )
    }

    fn blocking_appender(&self) -> Option<BlockingAppender> {
        let writer = self.writer.clone()?;
        Some(Arc::new(move |batch: &[AppendRequest]| {
            writer.append_batch(batch)
        }))
    }
}
