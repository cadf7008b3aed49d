//! The SQL of [`Notices`](super::Notices), each statement a named constant (with the dialect's
//! markers where SQLite and PostgreSQL differ: see `driver.rs`), and the reading of its rows
//! by column name.

use super::JoinedDelivery;
use crate::StoreError;
use crate::backend::cells::Cells;
use crate::backend::driver::{self, DialectSql, Driver, Read, insert_rows};
use crate::backend::statements::Arg;
use crate::rows::{DeliveryRow, OutboxRow};

/// The columns of a delivery, as [`delivery_row`] reads them.
pub(crate) const DELIVERY_COLUMNS: &str = "id, outbox_id, partnership_id, escalation_id, person_id, address, created_at_us, read_at_us, mail, attempts, last_error, next_attempt_us, lease_until_us, leased_by, sent_at_us";

/// The columns of an outbox row, as [`outbox_row`] reads them.
pub(crate) const OUTBOX_COLUMNS: &str = "id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, created_at_us, sent_at_us, attempts, last_error";

/// A delivery with its outbox row's columns and its escalation's outcome
/// ([`JoinedDelivery`]); the statements add `WHERE` and the order.
const JOINED: &str = concat!(
    "SELECT d.id, d.outbox_id, d.partnership_id, d.escalation_id, d.person_id, d.address, d.created_at_us, ",
    "d.read_at_us, d.mail, d.attempts, d.last_error, d.next_attempt_us, d.lease_until_us, d.leased_by, d.sent_at_us, ",
    "o.recipient, o.reason, o.stage, o.child_details, o.event_seq, e.outcome ",
    "FROM deliveries d JOIN outbox o ON o.id = d.outbox_id ",
    "LEFT JOIN escalations e ON e.id = d.escalation_id "
);

/// [`Notices::due_escalations`](super::Notices::due_escalations). The `IS NOT NULL` is the
/// partial index's own condition.
pub const DUE_ESCALATIONS: &str = "SELECT id FROM escalations WHERE partnership_id = $1 AND wake_on IS NOT NULL AND wake_on <= $2";

/// The first entry of the partnership's part of `escalations_wake`.
pub(super) const EARLIEST_WAKE: &str = "SELECT MIN(wake_on) AS wake_on FROM escalations WHERE partnership_id = $1 AND wake_on IS NOT NULL";

/// The events of the listed streams (`$2`, a JSON list), each stream in its own order. Read
/// through the `(partnership_id, stream, stream_version)` index, one look-up per stream: the
/// deadline monitor decides a few hundred due escalations at once, and one query per
/// escalation (with sqlx's hand-offs to the connection's thread on SQLite) cost more than
/// deciding them (`scripts/bench-deadlines`).
pub(super) static STREAMS_EVENTS: DialectSql = DialectSql::new(&[
    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 ",
    "AND stream {in_list $2} ORDER BY stream, stream_version",
]);

pub(super) const OUTBOX: &str = concat!(
    "SELECT id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, ",
    "created_at_us, sent_at_us, attempts, last_error FROM outbox WHERE partnership_id = $1 ORDER BY event_seq, id"
);

/// The outbox rows not yet resolved, oldest first (the `outbox_unsent` index).
pub(super) const UNRESOLVED: &str = concat!(
    "SELECT id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, ",
    "created_at_us, sent_at_us, attempts, last_error FROM outbox WHERE sent_at_us IS NULL ",
    "ORDER BY created_at_us, id LIMIT $1"
);

/// Claims an outbox row for resolving: only one transaction ever moves it from NULL.
pub(super) const CLAIM: &str =
    "UPDATE outbox SET sent_at_us = $2 WHERE id = $1 AND sent_at_us IS NULL";

pub(super) const PREFERENCES: &str = "SELECT m.person_id, m.mode FROM mail_preferences m JOIN people p ON p.id = m.person_id WHERE p.partnership_id = $1";
pub(super) const PREFERENCE: &str =
    "SELECT person_id, mode FROM mail_preferences WHERE person_id = $1";
pub(super) const SET_PREFERENCE: &str = "INSERT INTO mail_preferences (person_id, mode) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET mode = excluded.mode";

/// Leases up to `$4` pending deliveries of the partnerships `$5` whose attempt has come (`$1`)
/// and whose lease is absent or expired, to worker `$3` until `$2`. Two PostgreSQL servers
/// leasing at once each skip the rows the other has locked; on SQLite the write lock is the
/// only one and leasing is one UPDATE under it.
pub(super) static LEASE: DialectSql = DialectSql::new(&[
    "UPDATE deliveries SET lease_until_us = $2, leased_by = $3 WHERE id IN (",
    "SELECT id FROM deliveries WHERE mail = 'pending' AND next_attempt_us <= $1 ",
    "AND (lease_until_us IS NULL OR lease_until_us <= $1) AND partnership_id {in_list $5} ",
    "ORDER BY next_attempt_us, id LIMIT $4{skip_locked}) RETURNING id",
]);

pub(super) static LEASED: DialectSql = DialectSql::new(&[
    JOINED,
    "WHERE d.id {in_list $1} ORDER BY d.next_attempt_us, d.id",
]);

/// Marks a leased delivery sent, only for the worker holding the lease (its lease may have
/// expired, as long as nobody leased the row since).
pub(super) const SENT: &str = concat!(
    "UPDATE deliveries SET mail = 'sent', sent_at_us = $3, attempts = attempts + 1, last_error = NULL, ",
    "lease_until_us = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2 AND mail = 'pending'"
);

/// A failed attempt by the worker holding the lease: pending again from `$5`, or failed (its
/// `next_attempt_us` then says when it was given up).
pub(super) const FAILED: &str = concat!(
    "UPDATE deliveries SET mail = CASE WHEN CAST($5 AS BIGINT) IS NULL THEN 'failed' ELSE 'pending' END, ",
    "next_attempt_us = COALESCE(CAST($5 AS BIGINT), $3), attempts = attempts + 1, last_error = $4, ",
    "lease_until_us = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2 AND mail = 'pending'"
);

pub(super) static DIGEST: DialectSql = DialectSql::new(&[
    JOINED,
    "WHERE d.mail = 'digest' AND d.partnership_id {in_list $1} ",
    "ORDER BY d.person_id, d.created_at_us, d.id",
]);

pub(super) static DIGEST_SENT: DialectSql = DialectSql::new(&[
    "UPDATE deliveries SET mail = 'sent', sent_at_us = $2, attempts = attempts + 1 ",
    "WHERE mail = 'digest' AND id {in_list $1}",
]);

pub(super) static PAGE: DialectSql = DialectSql::new(&[
    JOINED,
    "WHERE d.partnership_id = $1 AND d.mail {in_list $2} ",
    "ORDER BY d.created_at_us DESC, d.id DESC LIMIT $3 OFFSET $4",
]);

pub(super) static PAGE_COUNT: DialectSql = DialectSql::new(&[
    "SELECT COUNT(*) AS n FROM deliveries WHERE partnership_id = $1 AND mail {in_list $2}",
]);

pub(super) static ONE: DialectSql = DialectSql::new(&[JOINED, "WHERE d.id = $1"]);

pub(super) static OF_ESCALATION: DialectSql = DialectSql::new(&[
    JOINED,
    "WHERE d.escalation_id = $1 ORDER BY d.created_at_us, d.id",
]);

pub(super) const RETRY_FAILED: &str = concat!(
    "UPDATE deliveries SET mail = 'pending', next_attempt_us = $3, lease_until_us = NULL, leased_by = NULL ",
    "WHERE id = $2 AND partnership_id = $1 AND mail = 'failed'"
);

pub(super) const DROP_UNDELIVERABLE: &str =
    "DELETE FROM deliveries WHERE id = $2 AND partnership_id = $1 AND mail = 'undeliverable'";

pub(super) static INBOX: DialectSql = DialectSql::new(&[
    JOINED,
    "WHERE d.person_id = $1 ORDER BY d.created_at_us DESC, d.id DESC LIMIT $2 OFFSET $3",
]);
pub(super) const INBOX_COUNT: &str = "SELECT COUNT(*) AS n FROM deliveries WHERE person_id = $1";
pub(super) const UNREAD: &str =
    "SELECT COUNT(*) AS n FROM deliveries WHERE person_id = $1 AND read_at_us IS NULL";
pub(super) const MARK_READ: &str =
    "UPDATE deliveries SET read_at_us = $3 WHERE id = $2 AND person_id = $1 AND read_at_us IS NULL";
pub(super) const MARK_ALL_READ: &str =
    "UPDATE deliveries SET read_at_us = $2 WHERE person_id = $1 AND read_at_us IS NULL";

/// The deliveries of the outbox rows written with a chain's events `after < seq <= upto`, by
/// outbox row then id (an export places each after its outbox row).
const DELIVERIES_FOR_EVENTS: &str = concat!(
    "SELECT d.id, d.outbox_id, d.partnership_id, d.escalation_id, d.person_id, d.address, d.created_at_us, ",
    "d.read_at_us, d.mail, d.attempts, d.last_error, d.next_attempt_us, d.lease_until_us, d.leased_by, d.sent_at_us ",
    "FROM deliveries d JOIN outbox o ON o.id = d.outbox_id ",
    "WHERE o.partnership_id = $1 AND o.event_seq > $2 AND o.event_seq <= $3 ORDER BY d.outbox_id, d.id"
);

const DELIVERIES_COUNT: &str = "SELECT COUNT(*) AS n FROM deliveries";

/// Rows a loading statement inserts at once (15 parameters each).
const INSERT_CHUNK: usize = 200;

pub(crate) fn delivery_row(r: &impl Read) -> Result<DeliveryRow, StoreError> {
    let c = Cells::new(r, "deliveries", &["id"]);
    Ok(DeliveryRow {
        id: c.text("id")?,
        outbox_id: c.text("outbox_id")?,
        partnership_id: c.text("partnership_id")?,
        escalation_id: c.opt_text("escalation_id")?,
        person_id: c.opt_text("person_id")?,
        address: c.opt_text("address")?,
        created_at_us: c.int("created_at_us")?,
        read_at_us: c.opt_int("read_at_us")?,
        mail: c.text("mail")?,
        attempts: c.int("attempts")?,
        last_error: c.opt_text("last_error")?,
        next_attempt_us: c.int("next_attempt_us")?,
        lease_until_us: c.opt_int("lease_until_us")?,
        leased_by: c.opt_text("leased_by")?,
        sent_at_us: c.opt_int("sent_at_us")?,
    })
}

/// A row of [`JOINED`].
pub(super) fn joined_row(r: &impl Read) -> Result<JoinedDelivery, StoreError> {
    let c = Cells::new(r, "deliveries", &["id"]);
    Ok(JoinedDelivery {
        row: delivery_row(r)?,
        recipient: c.text("recipient")?,
        reason: c.text("reason")?,
        stage: c.int("stage")?,
        child_details: c.flag("child_details")?,
        event_seq: c.int("event_seq")?,
        outcome: c.opt_text("outcome")?,
    })
}

pub(crate) fn outbox_row(r: &impl Read) -> Result<OutboxRow, StoreError> {
    let c = Cells::new(r, "outbox", &["id"]);
    Ok(OutboxRow {
        id: c.text("id")?,
        partnership_id: c.text("partnership_id")?,
        event_seq: c.int("event_seq")?,
        escalation_id: c.opt_text("escalation_id")?,
        recipient: c.text("recipient")?,
        reason: c.text("reason")?,
        stage: c.int("stage")?,
        child_details: c.flag("child_details")?,
        address: c.opt_text("address")?,
        created_at_us: c.int("created_at_us")?,
        sent_at_us: c.opt_int("sent_at_us")?,
        attempts: c.int("attempts")?,
        last_error: c.opt_text("last_error")?,
    })
}

/// A count in the column `n` of a statement's one row.
pub(crate) fn count(row: Option<&impl Read>, table: &'static str) -> Result<i64, StoreError> {
    match row {
        Some(r) => Cells::new(r, table, &[]).int("n"),
        None => Ok(0),
    }
}

/// See [`DELIVERIES_FOR_EVENTS`].
pub(crate) async fn deliveries_for_events<DB: Driver>(
    conn: &mut DB::Connection,
    partnership_id: &str,
    after_seq: i64,
    upto_seq: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let args = [
        Arg::Text(partnership_id),
        Arg::Int(after_seq),
        Arg::Int(upto_seq),
    ];
    let rows = driver::rows::<DB>(conn, DELIVERIES_FOR_EVENTS, &args).await?;
    rows.iter().map(delivery_row).collect()
}

pub(crate) async fn deliveries_count<DB: Driver>(
    conn: &mut DB::Connection,
) -> Result<i64, StoreError> {
    let row = driver::row::<DB>(conn, DELIVERIES_COUNT, &[]).await?;
    count(row.as_ref(), "deliveries")
}

/// Inserts deliveries exactly as given (resolving, an import), every column.
pub(crate) async fn insert_deliveries<DB: Driver>(
    conn: &mut DB::Connection,
    rows: &[DeliveryRow],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let args: Vec<Arg<'_>> = chunk
            .iter()
            .flat_map(|d| {
                [
                    Arg::Text(&d.id),
                    Arg::Text(&d.outbox_id),
                    Arg::Text(&d.partnership_id),
                    Arg::OptText(d.escalation_id.as_deref()),
                    Arg::OptText(d.person_id.as_deref()),
                    Arg::OptText(d.address.as_deref()),
                    Arg::Int(d.created_at_us),
                    Arg::OptInt(d.read_at_us),
                    Arg::Text(&d.mail),
                    Arg::Int(d.attempts),
                    Arg::OptText(d.last_error.as_deref()),
                    Arg::Int(d.next_attempt_us),
                    Arg::OptInt(d.lease_until_us),
                    Arg::OptText(d.leased_by.as_deref()),
                    Arg::OptInt(d.sent_at_us),
                ]
            })
            .collect();
        let sql = insert_rows("deliveries", DELIVERY_COLUMNS, chunk.len());
        driver::execute::<DB>(conn, sql, &args).await?;
    }
    Ok(())
}
