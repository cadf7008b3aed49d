//! The events of many escalations in one query, for the deadline monitor's pass: it decides a
//! few hundred due escalations at once, and one query per escalation (with sqlx's hand-offs
//! to the connection's thread on SQLite) cost more than deciding them
//! (`scripts/bench-deadlines`). Read through the `(partnership_id, stream, stream_version)`
//! index, one look-up per stream.

use crate::StoreError;
use crate::chain::Link;
use crate::stream;

/// The events of the listed streams (a JSON list of text), each stream in its own order.
const SQLITE: &str = concat!(
    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 ",
    "AND stream IN (SELECT value FROM json_each($2)) ORDER BY stream, stream_version"
);
const PG: &str = concat!(
    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 ",
    "AND stream = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb))) ORDER BY stream, stream_version"
);

fn streams(escalation_ids: &[String]) -> String {
    let streams: Vec<String> = escalation_ids
        .iter()
        .map(|id| stream::escalation(id))
        .collect();
    crate::backend::json_list(&streams)
}

pub(super) async fn sqlite(
    pool: &sqlx::SqlitePool,
    partnership_id: &str,
    escalation_ids: &[String],
) -> Result<Vec<Link>, StoreError> {
    let rows = sqlx::query(SQLITE)
        .bind(partnership_id)
        .bind(streams(escalation_ids))
        .fetch_all(pool)
        .await?;
    rows.iter().map(super::super::sqlite_writes::link).collect()
}

pub(super) async fn pg(
    pool: &sqlx::PgPool,
    partnership_id: &str,
    escalation_ids: &[String],
) -> Result<Vec<Link>, StoreError> {
    let rows = sqlx::query(PG)
        .bind(partnership_id)
        .bind(streams(escalation_ids))
        .fetch_all(pool)
        .await?;
    rows.iter().map(super::super::pg_writes::link).collect()
}
