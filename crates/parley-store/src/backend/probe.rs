//! Probes of the durable write path, for the load and crash tools (`parley admin raw-ceiling`,
//! `parley admin check-acks`): the raw commit ceiling that group commit is measured against, and
//! SQLite's own integrity check after a crash.

use std::time::{Duration, Instant};

use sqlx::{Acquire, Row};

use crate::StoreError;
use crate::backend::{Backend, PgStore, SqliteStore};

/// What each transaction of the raw ceiling writes: `rows` rows of a text `note`. The raw
/// ceiling proper is one row of about a small event's size (`RawShape::new(1, 0)`); more rows,
/// or longer ones, show what a commit costs as it writes more (a batch of appends writes
/// several pages: the events, their indexes, the projection rows).
#[derive(Clone, Debug)]
pub struct RawShape {
    pub rows: u32,
    pub note: String,
}

impl RawShape {
    /// `rows` rows (at least one), each with a text of `bytes` bytes (0: the standard text).
    pub fn new(rows: u32, bytes: usize) -> RawShape {
        RawShape {
            rows: rows.max(1),
            note: if bytes == 0 {
                NOTE.to_owned()
            } else {
                NOTE.chars().cycle().take(bytes).collect()
            },
        }
    }
}

/// What `raw_ceiling` measured.
#[derive(Clone, Debug)]
pub struct RawCeiling {
    pub backend: Backend,
    /// Committed transactions.
    pub commits: u64,
    pub elapsed: Duration,
    /// The durability settings in force, as the database reports them.
    pub settings: String,
}

impl RawCeiling {
    pub fn per_second(&self) -> f64 {
        self.commits as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// A database URL as `open` reads it: the SQLite path, or `None` for PostgreSQL.
fn sqlite_path(url: &str) -> Result<Option<&str>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Some(path))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(None)
    } else {
        let scheme = url.split(':').next().unwrap_or(url);
        Err(StoreError::UnsupportedUrl(scheme.to_owned()))
    }
}

/// A short text written with each raw insert, about the size of a small event's payload.
const NOTE: &str = "raw ceiling: one single-row INSERT transaction at a time, committed durably before the next begins; the figure group commit is measured against";

/// Commits one transaction of `shape` (the raw ceiling proper: a single-row INSERT) at a time
/// into a scratch table (`raw_ceiling`, created if missing) for `run_for`, on a database opened
/// exactly as the store opens it: SQLite in WAL with `synchronous=FULL` and `BEGIN IMMEDIATE`;
/// PostgreSQL with `fsync` and `synchronous_commit` on. Point it at a scratch database or file: the role needs CREATE.
pub async fn raw_ceiling(
    url: &str,
    shape: RawShape,
    run_for: Duration,
) -> Result<RawCeiling, StoreError> {
    match sqlite_path(url)? {
        Some(path) => {
            let store = SqliteStore::open(path).await?;
            let pool = store.pool();
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS raw_ceiling (id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, note TEXT NOT NULL)",
            )
            .execute(pool)
            .await?;
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await?;
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await?;
            grow_wal(pool).await?;
            // On the driver and connection settings the store's writer uses.
            let (commits, elapsed) = store
                .raw_insert_loop(shape.rows, shape.note, run_for)
                .await?;
            Ok(RawCeiling {
                backend: Backend::Sqlite,
                commits,
                elapsed,
                settings: format!("journal_mode={journal} synchronous={synchronous}"),
            })
        }
        None => {
            let store = PgStore::open(url).await?;
            let pool = store.pool();
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS raw_ceiling (id BIGSERIAL PRIMARY KEY, at_us BIGINT NOT NULL, note TEXT NOT NULL)",
            )
            .execute(pool)
            .await?;
            let mut settings = Vec::new();
            for name in [
                "fsync",
                "synchronous_commit",
                "wal_sync_method",
                "commit_delay",
            ] {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SHOW {name}")))
                    .fetch_one(pool)
                    .await?;
                settings.push(format!("{name}={}", row.try_get::<String, _>(0)?));
            }
            // On one connection, as the store's writer keeps one: BEGIN, INSERT, COMMIT.
            let mut conn = pool.acquire().await?;
            let started = Instant::now();
            let mut commits = 0u64;
            while started.elapsed() < run_for {
                let mut tx = conn.begin().await?;
                for _ in 0..shape.rows {
                    sqlx::query("INSERT INTO raw_ceiling (at_us, note) VALUES ($1, $2)")
                        .bind(jiff::Timestamp::now().as_microsecond())
                        .bind(&shape.note)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                commits += 1;
            }
            let elapsed = started.elapsed();
            Ok(RawCeiling {
                backend: Backend::Postgres,
                commits,
                elapsed,
                settings: settings.join(" "),
            })
        }
    }
}

/// How many pages the scratch padding writes: more than the WAL holds before its automatic
/// checkpoint (1,000 pages) lets the next transaction start the log again from its beginning.
const WAL_WORKING_PAGES: u32 = 1_200;

/// Brings the WAL file to the size it keeps in a store that has been running, so the raw
/// ceiling is a commit's steady cost. A new WAL grows with each commit until its first
/// checkpoint, and growing a file costs every fsync a metadata write too: on a disk that
/// commits a few hundred times a second that halves the figure, which would flatter every
/// ratio measured against it. Pads the scratch table by a page a row, removes the padding, and
/// checkpoints, so that the loop's commits overwrite the log from its start.
async fn grow_wal(pool: &sqlx::SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO raw_ceiling (at_us, note) SELECT -1, hex(zeroblob(1800)) FROM n",
    )
    .bind(WAL_WORKING_PAGES)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM raw_ceiling WHERE at_us = -1")
        .execute(pool)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(pool)
        .await?;
    Ok(())
}

/// SQLite's `PRAGMA integrity_check`: `Some(["ok"])` when the file is sound, otherwise the
/// problems it lists. `None` for PostgreSQL, which has no such check for an application role.
pub async fn integrity_check(url: &str) -> Result<Option<Vec<String>>, StoreError> {
    let Some(path) = sqlite_path(url)? else {
        return Ok(None);
    };
    let store = SqliteStore::open(path).await?;
    let lines: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(store.pool())
        .await?;
    store.close().await;
    Ok(Some(lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The padding leaves the WAL file at its working size and nothing in the scratch table,
    /// and the next commit starts the log again from its beginning instead of growing it.
    #[tokio::test]
    async fn the_raw_ceiling_starts_on_a_wal_at_its_working_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raw.db");
        let url = format!("sqlite://{}", path.display());
        let wal = dir.path().join("raw.db-wal");
        let measured = raw_ceiling(&url, RawShape::new(1, 0), Duration::from_millis(50))
            .await
            .unwrap();
        assert!(measured.commits > 0);

        let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
        let pool = store.pool();
        let page: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(pool)
            .await
            .unwrap();
        grow_wal(pool).await.unwrap();
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(
            grown >= u64::from(WAL_WORKING_PAGES) * page as u64,
            "WAL of {grown} bytes"
        );
        let padding: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM raw_ceiling WHERE at_us = -1")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(padding, 0);
        sqlx::query("INSERT INTO raw_ceiling (at_us, note) VALUES (1, 'after')")
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), grown);
    }
}
