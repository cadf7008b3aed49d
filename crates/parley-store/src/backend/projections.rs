//! The query tables as a whole: filled again from the events (`parley admin
//! rebuild-projections`), and read row by row for `audit verify`'s comparison with the events
//! (`consistency.rs`).

use async_trait::async_trait;

use super::careful;
use super::driver::{self, Read, SqlStore};
use crate::StoreError;
use crate::rows::Op;
use crate::tables::{Kind, ProjectionTable, TABLES, Value};

/// The query tables as a whole.
#[async_trait]
pub trait Projections: Send + Sync {
    /// Empties every projection and fills them from `ops`, in one transaction.
    async fn replace_projections(&self, ops: Vec<Op>) -> Result<(), StoreError>;

    /// Every row of a query table, its columns as `table` lists them (for `audit verify`'s
    /// comparison with the events; see `consistency.rs`). A value of the wrong type for its
    /// column reads as `Value::Unreadable`, which the comparison names as a difference.
    async fn projection_rows(
        &self,
        table: &'static ProjectionTable,
    ) -> Result<Vec<Vec<Value>>, StoreError>;
}

#[async_trait]
impl<S: SqlStore> Projections for S {
    async fn replace_projections(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for table in TABLES {
            // A table name from `tables.rs`'s constants, never from input.
            let sql = sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.name));
            driver::execute::<S::Db>(&mut *tx, sql, &[]).await?;
        }
        for op in &ops {
            careful::apply_op::<S::Db>(&mut *tx, op).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn projection_rows(
        &self,
        table: &'static ProjectionTable,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let sql = sqlx::AssertSqlSafe(table.select_sql());
        let rows = driver::rows::<S::Db>(&mut *conn, sql, &[]).await?;
        Ok(rows.iter().map(|r| values(r, table)).collect())
    }
}

/// A row's values, column by column as `table` lists them.
fn values(r: &impl Read, table: &ProjectionTable) -> Vec<Value> {
    table
        .columns
        .iter()
        .map(|(name, kind)| {
            let read = match kind {
                Kind::Text => r.text(name).map(|v| v.map(Value::Text)),
                Kind::Int => r.int(name).map(|v| v.map(Value::Int)),
                Kind::Bool => r.flag(name).map(|v| v.map(Value::Bool)),
            };
            match read {
                Ok(v) => v.unwrap_or(Value::Null),
                Err(_) => Value::Unreadable,
            }
        })
        .collect()
}
