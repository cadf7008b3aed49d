//! The batch written after reading what it depends on: the path for a batch the writer cannot
//! decide from memory, and for one whose decision from memory the server refused.
//!
//! In one transaction on the kept connection: lock the chain heads of the batch's partnerships
//! (`FOR UPDATE`, in partnership order so two instances never deadlock), then read each
//! stream's version (and the partnership stream's, for commands decided on a kept
//! configuration) in a statement of its own, so that it is what the head's last holder left;
//! decide each command; then write the new heads of partnerships that had none (refused should
//! another instance make one meanwhile), every row as a write per kind ([`Plan`]), the heads,
//! and commit. Every value is bound; a statement per kind of row, not per row.

use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use super::batch::{Plan, Write, lock_heads, storable};
use crate::StoreError;
use crate::backend::cells::Cells;
use crate::backend::request::{AppendRequest, Appended};
use crate::backend::statements::{self, Arg};
use crate::chain::GENESIS;
use crate::stream;

/// How the writing ended.
pub(super) enum Written {
    Committed {
        results: Vec<Result<Appended, StoreError>>,
        /// Each partnership's head after the batch.
        heads: Vec<(String, (i64, Vec<u8>))>,
        /// (partnership, stream, version) as of those heads, for the streams the batch read.
        versions: Vec<(String, String, i64)>,
    },
    /// The server refused one of its statements: nothing of it was written (the transaction
    /// is still to be rolled back).
    Refused,
}

/// Where a batch failed.
pub(super) enum Failure {
    /// While locking and reading, which writes nothing.
    Reading(StoreError),
    /// Afterwards: whether the transaction committed is unknown.
    Writing(StoreError),
}

pub(super) async fn write(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
) -> Result<Written, Failure> {
    let mut partnerships: Vec<&str> = batch.iter().map(|r| r.partnership_id.as_str()).collect();
    partnerships.sort_unstable();
    partnerships.dedup();
    let (heads, versions) = read(conn, batch, &partnerships)
        .await
        .map_err(Failure::Reading)?;
    match write_rows(conn, batch, &partnerships, heads, &versions).await {
        Ok(written) => Ok(written),
        Err(StoreError::Database(sqlx::Error::Database(e))) => {
            tracing::debug!(error = %e, "batch refused; writing it a command at a time");
            Ok(Written::Refused)
        }
        Err(e) => Err(Failure::Writing(e)),
    }
}

/// Begins, locks the heads, and reads the versions: request i's stream's at i, its
/// partnership stream's at `batch.len() + i` (0 for a stream without events).
async fn read(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
    partnerships: &[&str],
) -> Result<(Vec<(String, (i64, Vec<u8>))>, Vec<i64>), StoreError> {
    sqlx::raw_sql("BEGIN").execute(&mut **conn).await?;
    let heads = lock_heads(conn, partnerships).await?;
    let n = batch.len();
    let (mut at, mut p, mut st) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in batch.iter().enumerate() {
        at.push(i64::try_from(i).unwrap_or(i64::MAX));
        p.push(r.partnership_id.clone());
        st.push(r.stream.clone());
        if r.partnership_version.is_some() {
            at.push(i64::try_from(n + i).unwrap_or(i64::MAX));
            p.push(r.partnership_id.clone());
            st.push(stream::PARTNERSHIP.to_owned());
        }
    }
    let rows = sqlx::query(concat!(
        "SELECT s.n, s.p, s.st, (SELECT e.stream_version FROM events e WHERE e.partnership_id = s.p AND e.stream = s.st ",
        "ORDER BY e.stream_version DESC LIMIT 1) AS version FROM unnest($1::int8[], $2::text[], $3::text[]) AS s(n, p, st)"
    ))
    .bind(at)
    .bind(p)
    .bind(st)
    .fetch_all(&mut **conn)
    .await?;
    let mut versions = vec![0; 2 * n];
    for row in rows {
        let c = Cells::new(&row, "events", &["p", "st"]);
        let i = c.int("n")?;
        let v = c.opt_int("version")?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| versions.get_mut(i)) {
            *slot = v.unwrap_or(0);
        }
    }
    Ok((heads, versions))
}

/// Decides each command on the versions read, and writes the new heads, the rows, the heads
/// and COMMIT.
async fn write_rows(
    conn: &mut PoolConnection<Postgres>,
    batch: &[AppendRequest],
    partnerships: &[&str],
    mut heads: Vec<(String, (i64, Vec<u8>))>,
    versions: &[i64],
) -> Result<Written, StoreError> {
    // A partnership's first event also makes its chain's head. Should another instance make it
    // meanwhile, the insert is refused and the batch is written again the careful way.
    let mut new_heads = Write::new(&statements::NEW_HEAD);
    for p in partnerships {
        if !heads.iter().any(|(h, _)| h == p) {
            new_heads.push(&[Arg::Text(p), Arg::Int(0), Arg::Blob(&GENESIS)])?;
            heads.push(((*p).to_owned(), (0, GENESIS.to_vec())));
        }
    }
    let mut results = Vec::with_capacity(batch.len());
    let (streams, partnership_streams) = versions.split_at(batch.len());
    // What the batch read, as of the heads it locked; then what it wrote.
    let mut seen: Vec<(String, String, i64)> = Vec::with_capacity(3 * batch.len());
    for ((request, &current), &partnership) in batch.iter().zip(streams).zip(partnership_streams) {
        let p = &request.partnership_id;
        seen.push((p.clone(), request.stream.clone(), current));
        if request.partnership_version.is_some() {
            seen.push((p.clone(), stream::PARTNERSHIP.to_owned(), partnership));
        }
    }
    let mut plan = Plan::default();
    for ((request, &current), &partnership) in batch.iter().zip(streams).zip(partnership_streams) {
        if let Err(e) = statements::check_versions(request, current, Some(partnership)) {
            results.push(Err(e));
            continue;
        }
        let head = heads
            .iter_mut()
            .find(|(p, _)| *p == request.partnership_id)
            .map(|(_, h)| h)
            .ok_or_else(|| {
                StoreError::Invalid(format!("no chain head for {}", request.partnership_id))
            })?;
        // A command whose rows cannot be stored (text holding NUL) fails alone.
        let before = head.clone();
        let events = statements::chain_events(request, current, head)?;
        let rows = statements::request_rows(request, &events);
        if let Err(e) = storable(&rows) {
            *head = before;
            results.push(Err(e));
            continue;
        }
        for row in &rows {
            plan.add(row)?;
        }
        let appended = statements::appended(&events, current, head);
        seen.push((
            request.partnership_id.clone(),
            request.stream.clone(),
            appended.stream_version,
        ));
        results.push(Ok(appended));
    }
    let mut written_heads = Write::new(&statements::WRITE_HEAD);
    for (partnership_id, (seq, hash)) in &heads {
        written_heads.push(&[Arg::Text(partnership_id), Arg::Int(*seq), Arg::Blob(hash)])?;
    }
    if new_heads.len() > 0 {
        new_heads.execute(conn).await?;
    }
    plan.execute(conn).await?;
    written_heads.execute(conn).await?;
    sqlx::raw_sql("COMMIT").execute(&mut **conn).await?;
    Ok(Written::Committed {
        results,
        heads,
        versions: seen,
    })
}
