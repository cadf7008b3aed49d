//! Store stories, each run against a real SQLite file and a real PostgreSQL database.
//!
//! PostgreSQL: `scripts/pg-start` starts the machine's server and makes the roles; tests read
//! the owner's URL from `PARLEY_TEST_PG_URL` (default: the one `pg-start` prints). Each test
//! gets its own database. Without a server the PostgreSQL half is skipped with a loud message,
//! except under CI (`CI` set), where that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod append_only;
mod bulk;
mod demo;
mod monitor;
mod notices;
mod officers;
mod projections;
mod purge;
mod report_reminders;
mod reports;
mod schema;
mod start;
mod stories;
mod tamper;
mod texts;
mod transfer;
mod versions;
mod web;
mod writers;

use std::sync::Arc;

use jiff::Timestamp;
use parley_store::backend::{PgStore, SqliteStore};
use parley_store::records::Records;
use parley_store::{Backend, Store};

pub const DEFAULT_PG_URL: &str = "postgres://parley_owner:parley_owner@127.0.0.1:5432/postgres";
pub const APP_ROLE: &str = "parley_app";
pub const APP_PASSWORD: &str = "parley_app";

/// One fresh database of one backend.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// The URL the application uses (the app role on PostgreSQL).
    pub url: String,
    /// The owner's URL (PostgreSQL) or the same file (SQLite).
    pub owner_url: String,
    pub path: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn records(&self) -> Records {
        Records::open(&self.url).await.unwrap()
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        Arc::from(parley_store::open(&self.url).await.unwrap())
    }
}

fn pg_admin_url() -> String {
    std::env::var("PARLEY_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{db}")
}

async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.db");
    let url = format!("sqlite://{}", path.display());
    SqliteStore::open(&path.display().to_string())
        .await
        .unwrap();
    TestDb {
        backend: Backend::Sqlite,
        owner_url: url.clone(),
        url,
        path: Some(path),
        _dir: Some(dir),
    }
}

/// A new PostgreSQL database, migrated by the owner, with the app role granted; `None` when
/// no server answers outside CI.
async fn pg_db() -> Option<TestDb> {
    let admin = pg_admin_url();
    let pool = match sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "PostgreSQL is required under CI but {admin} does not answer: {e}. Run scripts/pg-start."
                );
            }
            eprintln!(
                "\n!!!! SKIPPING POSTGRESQL: no server at {admin} ({e}). Run scripts/pg-start to test it. !!!!\n"
            );
            return None;
        }
    };
    let name = format!("parley_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let owner_url = with_database(&admin, &name);
    let owner = PgStore::open(&owner_url).await.unwrap();
    owner.grant_app_role(APP_ROLE).await.unwrap();
    owner.close().await;
    let app = url_with_user(&owner_url, APP_ROLE, APP_PASSWORD);
    Some(TestDb {
        backend: Backend::Postgres,
        url: app,
        owner_url,
        path: None,
        _dir: None,
    })
}

fn url_with_user(url: &str, user: &str, password: &str) -> String {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    format!("postgres://{user}:{password}@{rest}")
}

/// A fresh database of every backend available.
pub async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite_db().await];
    if let Some(pg) = pg_db().await {
        out.push(pg);
    }
    out
}

/// A fixed instant, plus minutes.
pub fn at(minutes: i64) -> Timestamp {
    let base: Timestamp = "2026-12-21T09:00:00Z".parse().unwrap();
    base.checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
}

/// The newest migration's number (each migration directory names its files `NNNN_...`).
pub fn newest_migration() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.split('_').next()?.parse::<i64>().ok()
        })
        .max()
        .unwrap()
}
