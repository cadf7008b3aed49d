//! What the shared SQL needs of a sqlx driver, and of a store built on one.
//!
//! Most of Parley's SQL is the same on SQLite and PostgreSQL (`$N` placeholders, which both
//! drivers accept), so each concern's trait (`event_log.rs`, `directory.rs`, ...) is
//! implemented once, in plain generic code, for every [`SqlStore`]: `SqliteStore` and
//! `PgStore`. The driver is reached only through three small traits of this module, each
//! implemented once for whatever sqlx type meets its bounds ([`Bind`] for the arguments,
//! [`Read`] for a row, [`Run`] for a connection), so that the generic code needs no more
//! than `DB: Driver`. Where the dialects differ, the SQL says so with a marker that
//! [`Dialect`] replaces (see [`DialectSql`]); what a backend does of its own (opening, its
//! fast write path, SQLite's inline reads) is in `sqlite/` and `postgres/`.

use std::sync::OnceLock;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::request::{AppendRequest, Appended, BlockingAppender};
use super::statements::Arg;
use crate::StoreError;
use crate::rows::{EscalationOfficerRow, EscalationRow, FactsRow, SessionLookup};

/// Which SQL a driver speaks where the two differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `sql` with this dialect's text for each marker:
    ///
    /// - `{in_list $N}`: "is one of the JSON list of text bound as `$N`" (SQLite `IN (SELECT
    ///   value FROM json_each($N))`; PostgreSQL `= ANY (ARRAY(...))`, which its planner makes
    ///   an index condition). A list is bound once, so a statement is the same whatever the
    ///   list's length.
    /// - `{bytewise}`: after a text in `ORDER BY`, sort it by its bytes (SQLite does; the
    ///   PostgreSQL database's collation may order punctuation otherwise).
    /// - `{for_update}`: lock the rows read for the transaction (SQLite's `BEGIN IMMEDIATE`
    ///   already holds the only write lock).
    /// - `{skip_locked}`: lock the rows read, skipping those another transaction holds.
    ///
    /// On SQLite every `$N` becomes `?N`, which rusqlite (SQLite's writer and inline reads)
    /// takes as well as sqlx; no statement holds a `$` anywhere else.
    pub(crate) fn render(self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 64);
        let mut rest = sql;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let marker = &rest[start + 1..start + len];
            match (marker.split_once(' '), self) {
                (Some(("in_list", param)), Dialect::Sqlite) => {
                    out.push_str("IN (SELECT value FROM json_each(");
                    out.push_str(param);
                    out.push_str("))");
                }
                (Some(("in_list", param)), Dialect::Postgres) => {
                    out.push_str("= ANY (ARRAY(SELECT jsonb_array_elements_text(");
                    out.push_str(param);
                    out.push_str("::jsonb)))");
                }
                (None, Dialect::Postgres) if marker == "bytewise" => out.push_str(" COLLATE \"C\""),
                (None, Dialect::Postgres) if marker == "for_update" => out.push_str(" FOR UPDATE"),
                (None, Dialect::Postgres) if marker == "skip_locked" => {
                    out.push_str(" FOR UPDATE SKIP LOCKED");
                }
                (None, Dialect::Sqlite)
                    if matches!(marker, "bytewise" | "for_update" | "skip_locked") => {}
                // Not a marker: kept as written.
                _ => out.push_str(&rest[start..=start + len]),
            }
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        match self {
            Dialect::Sqlite => out.replace('$', "?"),
            Dialect::Postgres => out,
        }
    }

    /// How a write transaction begins: on SQLite with the write lock at once, so that a
    /// transaction never fails half-way to upgrade it.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }
}

/// A statement whose text differs between the dialects only where its markers say (see
/// [`Dialect::render`]): written once as a named constant (from parts, where statements share
/// a list of columns or a subquery), rendered once per dialect.
#[derive(Debug)]
pub(crate) struct DialectSql {
    parts: &'static [&'static str],
    sqlite: OnceLock<String>,
    postgres: OnceLock<String>,
}

impl DialectSql {
    pub(crate) const fn new(text: &'static [&'static str]) -> DialectSql {
        DialectSql {
            parts: text,
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }

    /// The text in `dialect`.
    pub(crate) fn get(&'static self, dialect: Dialect) -> &'static str {
        let slot = match dialect {
            Dialect::Sqlite => &self.sqlite,
            Dialect::Postgres => &self.postgres,
        };
        slot.get_or_init(|| dialect.render(&self.parts.concat()))
    }
}

/// A sqlx driver the shared SQL runs on. Both of Parley's meet it through the blanket
/// implementations below; the bounds written here are all the generic code ever needs.
pub(crate) trait Driver:
    Database<
        Arguments: Bind + IntoArguments<Self>,
        Row: Read,
        Connection: Run<Self>,
        QueryResult: Affected,
    >
{
    const DIALECT: Dialect;

    /// `sql` in this driver's dialect.
    fn sql(sql: &'static DialectSql) -> &'static str {
        sql.get(Self::DIALECT)
    }
}

/// Arguments that take Parley's [`Arg`] values.
pub(crate) trait Bind {
    fn arg(&mut self, arg: &Arg<'_>) -> Result<(), BoxDynError>;
}

impl<A> Bind for A
where
    A: sqlx::Arguments,
    for<'q> &'q str: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<&'q str>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> &'q [u8]: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<&'q [u8]>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> i64: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> Option<i64>: Encode<'q, A::Database> + Type<A::Database>,
    for<'q> bool: Encode<'q, A::Database> + Type<A::Database>,
{
    fn arg(&mut self, arg: &Arg<'_>) -> Result<(), BoxDynError> {
        match arg {
            Arg::Text(v) => self.add(*v),
            Arg::OptText(v) => self.add(*v),
            Arg::Owned(v) => self.add(v.as_str()),
            Arg::Int(v) => self.add(*v),
            Arg::OptInt(v) => self.add(*v),
            Arg::Bool(v) => self.add(*v),
            Arg::Blob(v) => self.add(*v),
            Arg::OptBlob(v) => self.add(*v),
        }
    }
}

/// A row's values read by column name. `None` is SQL NULL.
pub(crate) trait Read {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error>;
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

impl<R> Read for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(column)
    }
    fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error> {
        self.try_get(column)
    }
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.try_get(column)
    }
}

/// How many rows a statement changed.
pub(crate) trait Affected {
    fn rows(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// A connection that runs a statement with its arguments.
pub(crate) trait Run<DB: Database>: Send {
    fn all<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<Vec<DB::Row>, sqlx::Error>>;
    fn optional<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>;
    fn execute<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<DB::QueryResult, sqlx::Error>>;
}

impl<C, DB> Run<DB> for C
where
    DB: Database<Connection = C, Arguments: IntoArguments<DB>>,
    C: Send,
    for<'c> &'c mut C: Executor<'c, Database = DB>,
{
    fn all<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<Vec<DB::Row>, sqlx::Error>> {
        self.fetch_all(sqlx::query_with(sql, args))
    }
    fn optional<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>> {
        self.fetch_optional(sqlx::query_with(sql, args))
    }
    fn execute<'e>(
        &'e mut self,
        sql: sqlx::SqlStr,
        args: DB::Arguments,
    ) -> BoxFuture<'e, Result<DB::QueryResult, sqlx::Error>> {
        Executor::execute(self, sqlx::query_with(sql, args))
    }
}

/// `args` as a driver's arguments.
pub(crate) fn bind<DB: Driver>(args: &[Arg<'_>]) -> Result<DB::Arguments, StoreError> {
    let mut out = DB::Arguments::default();
    for arg in args {
        out.arg(arg).map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

/// Every row `sql` returns, on a connection (or in a transaction).
pub(crate) async fn rows<DB: Driver>(
    conn: &mut DB::Connection,
    sql: impl sqlx::SqlSafeStr,
    args: &[Arg<'_>],
) -> Result<Vec<DB::Row>, StoreError> {
    let args = bind::<DB>(args)?;
    Ok(conn.all(sql.into_sql_str(), args).await?)
}

/// The row `sql` returns, if any.
pub(crate) async fn row<DB: Driver>(
    conn: &mut DB::Connection,
    sql: impl sqlx::SqlSafeStr,
    args: &[Arg<'_>],
) -> Result<Option<DB::Row>, StoreError> {
    let args = bind::<DB>(args)?;
    Ok(conn.optional(sql.into_sql_str(), args).await?)
}

/// Runs `sql`; how many rows it changed.
pub(crate) async fn execute<DB: Driver>(
    conn: &mut DB::Connection,
    sql: impl sqlx::SqlSafeStr,
    args: &[Arg<'_>],
) -> Result<u64, StoreError> {
    let args = bind::<DB>(args)?;
    Ok(conn.execute(sql.into_sql_str(), args).await?.rows())
}

/// `INSERT INTO table (columns) VALUES (...), (...)` for `rows` rows, each value a placeholder
/// (`$1` onwards, row by row).
pub(crate) fn insert_rows(table: &str, columns: &str, rows: usize) -> sqlx::AssertSqlSafe<String> {
    let width = columns.split(',').count();
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let placeholders: Vec<String> = (1..=width)
            .map(|k| format!("${}", row * width + k))
            .collect();
        sql.push('(');
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    sqlx::AssertSqlSafe(sql)
}

/// A store on a sqlx pool: what the shared code needs of `SqliteStore` and `PgStore`, and the
/// places where a backend does something of its own.
#[async_trait]
pub(crate) trait SqlStore: Send + Sync + 'static {
    type Db: Driver;

    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    // SQLite's reads on the calling thread (`sqlite/inline.rs`): `None` when the backend has
    // none, or they could not answer here and the pool is to be asked.

    fn inline_session(&self, _token_hash: &str) -> Option<Option<SessionLookup>> {
        None
    }

    fn inline_escalation(&self, _id: &str) -> Option<Option<EscalationRow>> {
        None
    }

    fn inline_escalation_officers(&self, _id: &str) -> Option<Vec<EscalationOfficerRow>> {
        None
    }

    fn inline_stream_version(&self, _partnership_id: &str, _stream: &str) -> Option<i64> {
        None
    }

    /// `Escalations::escalation_facts` the backend's own way: SQLite reads the rows on a
    /// blocking thread over a read-only connection (`sqlite/inline.rs`), not a row at a time
    /// across sqlx's channel. `None`: ask the pool.
    async fn bulk_facts(
        &self,
        _partnership_id: &str,
        _from: &str,
        _to: &str,
    ) -> Option<Result<Vec<FactsRow>, StoreError>> {
        None
    }

    /// Writes an append batch the backend's own fast way (`sqlite/writer.rs`,
    /// `postgres/writer.rs`); gives the batch back for the careful path, a savepoint per
    /// command.
    async fn write_fast(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Result<Vec<Result<Appended, StoreError>>, StoreError>, Vec<AppendRequest>>;

    /// See `EventLog::blocking_appender`.
    fn blocking_appender(&self) -> Option<BlockingAppender> {
        None
    }

    /// A write transaction (see [`Dialect::begin_write`]).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, StoreError> {
        Ok(self
            .pool()
            .begin_with(<Self::Db as Driver>::DIALECT.begin_write())
            .await?)
    }

    /// Every row `sql` returns, on a connection of the pool.
    async fn rows(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<<Self::Db as Database>::Row>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        rows::<Self::Db>(&mut *conn, sql, args).await
    }

    /// The row `sql` returns, if any, on a connection of the pool.
    async fn row(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<<Self::Db as Database>::Row>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        row::<Self::Db>(&mut *conn, sql, args).await
    }

    /// Every row `sql` returns, each read by `read`.
    async fn all<T: Send>(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        read: for<'r> fn(&'r <Self::Db as Database>::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql, args).await?.iter().map(read).collect()
    }

    /// The row `sql` returns, if any, read by `read`.
    async fn one<T: Send>(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
        read: for<'r> fn(&'r <Self::Db as Database>::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.row(sql, args).await?.as_ref().map(read).transpose()
    }

    /// Runs `sql` on a connection of the pool; how many rows it changed.
    async fn execute(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let mut conn = self.pool().acquire().await?;
        execute::<Self::Db>(&mut *conn, sql, args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_each_dialect_s_text_and_anything_else_is_kept() {
        let sql =
            "SELECT a FROM t WHERE b {in_list $2} ORDER BY c{bytewise} LIMIT 1{for_update} -- {x}";
        assert_eq!(
            Dialect::Sqlite.render(sql),
            "SELECT a FROM t WHERE b IN (SELECT value FROM json_each(?2)) ORDER BY c LIMIT 1 -- {x}"
        );
        assert_eq!(
            Dialect::Postgres.render(sql),
            "SELECT a FROM t WHERE b = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb))) ORDER BY c COLLATE \"C\" LIMIT 1 FOR UPDATE -- {x}"
        );
        assert_eq!(
            Dialect::Postgres.render("x{skip_locked}"),
            "x FOR UPDATE SKIP LOCKED"
        );
    }
}
