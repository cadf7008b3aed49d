//! PostgreSQL, for deployments that outgrow one machine: several `parley serve` instances, one
//! database. The concerns' shared SQL runs on it through sqlx's pool; what is PostgreSQL's own
//! is here: opening (refusing settings that could lose an acknowledged write, migrating only
//! when a migration is missing), the application role's grants, and the batch writer
//! (`writer.rs`, with `batch.rs`, `known.rs`, `locked.rs` and `settle.rs`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::driver::{Dialect, Driver, SqlStore};
use super::request::{AppendRequest, Appended};
use crate::StoreError;

mod batch;
mod known;
mod locked;
mod settle;
mod writer;

impl Driver for sqlx::Postgres {
    const DIALECT: Dialect = Dialect::Postgres;
}

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The grants of the application's role (run by the owner; `{role}` is a checked name).
const GRANTS: [&str; 6] = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "REVOKE ALL ON events FROM {role}",
    "GRANT SELECT, INSERT ON events TO {role}",
    "GRANT SELECT ON _sqlx_migrations TO {role}",
    // The one change to events it may make: emptying content under a recorded purge.
    "GRANT EXECUTE ON FUNCTION parley_purge_event_content(TEXT, BIGINT) TO {role}",
    concat!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON chain_heads, partnerships, procedures, agencies, people, ",
        "named_officers, escalations, escalation_children, escalation_cases, escalation_stages, escalation_officers, ",
        "escalation_appointments, escalation_facts, compliments, ",
        "outbox, accounts, sessions, api_tokens, deliveries, mail_preferences TO {role}"
    ),
];

/// For deployments that outgrow one machine: several `parley serve` instances, one database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Writes the append batches (see `writer.rs`).
    writer: Arc<writer::PgWriter>,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        // Refuse settings that could lose an acknowledged write.
        let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&pool).await?;
        if fsync != "on" {
            return Err(StoreError::Durability(format!(
                "PostgreSQL fsync is {fsync}; Parley needs fsync = on so that no acknowledged write can be lost"
            )));
        }
        let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&pool)
            .await?;
        if commit == "off" {
            return Err(StoreError::Durability(
                "PostgreSQL synchronous_commit is off; Parley needs it on so that no acknowledged write can be lost".to_owned(),
            ));
        }
        // The application's role may not create tables: migrate only when a migration is
        // missing (run `parley migrate` as the owner role in deployments that separate the two).
        // Every version is looked for, not only the newest: a database can hold a later
        // migration without an earlier one.
        let applied: Vec<i64> = match sqlx::query_scalar::<_, Option<String>>(
            "SELECT to_regclass('_sqlx_migrations')::text",
        )
        .fetch_one(&pool)
        .await?
        {
            Some(_) => {
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(&pool)
                    .await?
            }
            None => Vec::new(),
        };
        if PG_MIGRATOR.iter().any(|m| !applied.contains(&m.version)) {
            PG_MIGRATOR.run(&pool).await?;
        }
        Ok(PgStore {
            writer: Arc::new(writer::PgWriter::new(pool.clone())),
            pool,
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Gives an application role what it needs and no more: SELECT and INSERT on the event
    /// log, full use of the query tables, the web's security state (accounts, sessions, API
    /// tokens) and the delivery state (deliveries, mail preferences). Run as the owner of the
    /// schema. A role is a name in the statement, not a value that can be bound: it is
    /// checked to be lowercase letters, digits and `_` first.
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StoreError> {
        let valid = !role.is_empty()
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!(
                "role name \"{role}\" (use lowercase letters, digits and _)"
            )));
        }
        for grant in GRANTS {
            sqlx::query(sqlx::AssertSqlSafe(grant.replace("{role}", role)))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SqlStore for PgStore {
    type Db = sqlx::Postgres;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Over the writer's kept connection (`writer.rs`); the batch is given back when the
    /// server refused one of its statements, to be written a command at a time.
    async fn write_fast(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Result<Vec<Result<Appended, StoreError>>, StoreError>, Vec<AppendRequest>> {
        match self.writer.append_batch(&batch).await {
            Ok(Some(written)) => Ok(Ok(written)),
            Ok(None) => Err(batch),
            Err(e) => Ok(Err(e)),
        }
    }
}
