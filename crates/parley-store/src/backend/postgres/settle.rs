//! The settling of a batch whose connection was lost while it was being written from memory:
//! whether it committed is unknown until the lost connection's server process has gone and
//! its first events are looked for.

use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use super::batch::lock_heads;
use crate::StoreError;

/// How long the writer waits for a lost connection's server process to end.
const WAIT_OUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Ends the server process `pid` of a lost connection and waits until it has gone, so that
/// what it was running has committed or rolled back before the writer looks for it. The bytes
/// of a batch can reach the server after the client saw the connection drop: without this,
/// the look could come first, find nothing, and the batch then commit behind it.
pub(super) async fn wait_out(
    conn: &mut PoolConnection<Postgres>,
    pid: i32,
) -> Result<(), StoreError> {
    // A role may end its own processes. Refused (a restricted role), the wait still holds:
    // the server ends the process once it finds its client gone.
    if let Err(e) = sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&mut **conn)
        .await
    {
        let sqlx::Error::Database(refused) = e else {
            return Err(e.into());
        };
        tracing::info!(error = %refused, pid, "could not end the lost connection's process; waiting for it");
    }
    let started = std::time::Instant::now();
    loop {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(pid)
                .fetch_one(&mut **conn)
                .await?;
        if !alive {
            return Ok(());
        }
        if started.elapsed() > WAIT_OUT {
            return Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the server process {pid} of a lost connection is still running; the batch's outcome is unknown"
                ),
            ))));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether a batch whose connection was lost committed, once the lost connection's process
/// has gone ([`wait_out`]): opens a transaction on `conn`, locks the heads, and looks for each
/// partnership's first event of the batch, `(partnership, seq, hash)`. Leaves the transaction
/// open.
pub(super) async fn settle(
    conn: &mut PoolConnection<Postgres>,
    firsts: &[(String, i64, Vec<u8>)],
) -> Result<bool, StoreError> {
    sqlx::raw_sql("BEGIN").execute(&mut **conn).await?;
    let mut partnerships: Vec<&str> = firsts.iter().map(|f| f.0.as_str()).collect();
    partnerships.sort_unstable();
    lock_heads(conn, &partnerships).await?;
    let found: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM events e JOIN unnest($1::text[], $2::int8[], $3::bytea[]) AS u(p, seq, hash) ",
        "ON e.partnership_id = u.p AND e.seq = u.seq AND e.hash = u.hash"
    ))
    .bind(firsts.iter().map(|f| f.0.clone()).collect::<Vec<_>>())
    .bind(firsts.iter().map(|f| f.1).collect::<Vec<_>>())
    .bind(firsts.iter().map(|f| f.2.clone()).collect::<Vec<_>>())
    .fetch_one(&mut **conn)
    .await?;
    // The batch was one transaction: all of its first events are there, or none.
    Ok(usize::try_from(found).is_ok_and(|n| n == firsts.len()))
}
