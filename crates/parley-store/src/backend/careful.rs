//! The careful way to append: one request at a time, its stream's version and its chain's
//! head read (and on PostgreSQL locked) inside the transaction, then its rows and the new head.
//! Each backend's own fast path gives a batch back to this one when something other than a
//! stale version refused it, and the caller then writes each request in a savepoint of its
//! own, so that one bad command only takes itself out. A purge appends this way too.

use super::driver::{self, DialectSql, Driver, Read};
use super::request::{AppendRequest, Appended};
use super::statements::{self, Arg, Statement};
use crate::StoreError;
use crate::chain;
use crate::rows::Op;

/// A chain's head, locked for the transaction where the backend locks rows.
pub(crate) static READ_HEAD: DialectSql = DialectSql::new(&[
    "SELECT partnership_id, seq, hash FROM chain_heads WHERE partnership_id = $1{for_update}",
]);

/// Gives a partnership's chain its genesis head if it has none.
pub(crate) const ENSURE_HEAD: &str = "INSERT INTO chain_heads (partnership_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (partnership_id) DO NOTHING";

/// Appends one request: the head read and written around it.
pub(crate) async fn append_one<DB: Driver>(
    conn: &mut DB::Connection,
    req: &AppendRequest,
) -> Result<Appended, StoreError> {
    let current = stream_version_for::<DB>(conn, req).await?;
    let mut head = read_head::<DB>(conn, &req.partnership_id).await?;
    let appended = write_request::<DB>(conn, req, current, &mut head).await?;
    let head_args = [
        Arg::Text(&req.partnership_id),
        Arg::Int(head.0),
        Arg::Blob(&head.1),
    ];
    driver::execute::<DB>(conn, statements::WRITE_HEAD.text(), &head_args).await?;
    Ok(appended)
}

/// A stream's version (0 when it has no events).
pub(crate) async fn stream_version<DB: Driver>(
    conn: &mut DB::Connection,
    partnership_id: &str,
    stream: &str,
) -> Result<i64, StoreError> {
    let row = driver::row::<DB>(
        conn,
        statements::STREAM_VERSION,
        &[Arg::Text(partnership_id), Arg::Text(stream)],
    )
    .await?;
    let Some(row) = row else {
        return Ok(0);
    };
    // NULL for a stream without events.
    let version = row.int("version").map_err(|e| StoreError::UnreadableRow {
        table: "events",
        key: format!("{partnership_id} {stream}"),
        message: format!("column stream_version: {e}"),
    })?;
    Ok(version.unwrap_or(0))
}

/// The stream's version, or `Conflict` when it is not the one the request was decided on
/// (nor the partnership stream's, when the request names one). Writes nothing.
async fn stream_version_for<DB: Driver>(
    conn: &mut DB::Connection,
    req: &AppendRequest,
) -> Result<i64, StoreError> {
    let current = stream_version::<DB>(conn, &req.partnership_id, &req.stream).await?;
    let partnership = match req.partnership_version {
        Some(_) => {
            Some(stream_version::<DB>(conn, &req.partnership_id, crate::stream::PARTNERSHIP).await?)
        }
        None => None,
    };
    statements::check_versions(req, current, partnership)
}

/// The partnership chain's head (sequence, hash), made at genesis if it has none, and locked
/// for the transaction where the backend locks rows.
async fn read_head<DB: Driver>(
    conn: &mut DB::Connection,
    partnership_id: &str,
) -> Result<(i64, Vec<u8>), StoreError> {
    let genesis = [Arg::Text(partnership_id), Arg::Blob(&chain::GENESIS)];
    driver::execute::<DB>(conn, ENSURE_HEAD, &genesis).await?;
    let row = driver::row::<DB>(conn, DB::sql(&READ_HEAD), &[Arg::Text(partnership_id)])
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("no chain head for {partnership_id}")))?;
    let cells = super::cells::Cells::new(&row, "chain_heads", &["partnership_id"]);
    Ok((cells.int("seq")?, cells.bytes("hash")?))
}

/// Writes a request's events (chained on `head`, which moves on), projection rows and outbox
/// rows, its stream being at `current`.
async fn write_request<DB: Driver>(
    conn: &mut DB::Connection,
    req: &AppendRequest,
    current: i64,
    head: &mut (i64, Vec<u8>),
) -> Result<Appended, StoreError> {
    let chained = statements::chain_events(req, current, head)?;
    for (i, row) in statements::request_rows(req, &chained).iter().enumerate() {
        if let Err(e) = run::<DB>(conn, row).await {
            return Err(statements::refusal(req, &chained, i, e));
        }
    }
    Ok(statements::appended(&chained, current, head))
}

/// Writes one query-table change (a rebuild's).
pub(crate) async fn apply_op<DB: Driver>(
    conn: &mut DB::Connection,
    op: &Op,
) -> Result<(), StoreError> {
    run::<DB>(conn, &statements::op(op)).await?;
    Ok(())
}

/// Runs a statement with its arguments bound.
async fn run<DB: Driver>(conn: &mut DB::Connection, s: &Statement<'_>) -> Result<u64, StoreError> {
    driver::execute::<DB>(conn, s.sql.text(), &s.args).await
}
