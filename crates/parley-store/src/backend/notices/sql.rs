//! The SQL of [`Notices`](super::Notices), written once with `$N` placeholders and stamped out
//! for each driver by `notice_sql!` (as `generic_writes!` does for the appends). Where the
//! dialects differ the backend passes a fragment: how a write transaction begins, the row lock
//! of the mail queue (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite `BEGIN IMMEDIATE`
//! already holds the only write lock), and how a column is tested against a JSON list of text.

use sqlx::Row;

use super::JoinedDelivery;
use crate::StoreError;
use crate::rows::{DeliveryRow, OutboxRow};

macro_rules! delivery_columns {
    ($d:literal) => {
        concat!(
            $d,
            "id, ",
            $d,
            "outbox_id, ",
            $d,
            "partnership_id, ",
            $d,
            "escalation_id, ",
            $d,
            "person_id, ",
            $d,
            "address, ",
            $d,
            "created_at_us, ",
            $d,
            "read_at_us, ",
            $d,
            "mail, ",
            $d,
            "attempts, ",
            $d,
            "last_error, ",
            $d,
            "next_attempt_us, ",
            $d,
            "lease_until_us, ",
            $d,
            "leased_by, ",
            $d,
            "sent_at_us"
        )
    };
}

/// A delivery with its outbox row's columns and its escalation's outcome
/// ([`JoinedDelivery`]); the caller adds `WHERE` and the order.
macro_rules! joined {
    () => {
        concat!(
            "SELECT ",
            delivery_columns!("d."),
            ", o.recipient, o.reason, o.stage, o.child_details, o.event_seq, e.outcome ",
            "FROM deliveries d JOIN outbox o ON o.id = d.outbox_id ",
            "LEFT JOIN escalations e ON e.id = d.escalation_id "
        )
    };
}

/// [`Notices::due_escalations`](super::Notices::due_escalations). The `IS NOT NULL` is the
/// partial index's own condition.
pub const DUE_ESCALATIONS: &str = "SELECT id FROM escalations WHERE partnership_id = $1 AND wake_on IS NOT NULL AND wake_on <= $2";

/// The outbox rows not yet resolved, oldest first (the `outbox_unsent` index).
const UNRESOLVED: &str = concat!(
    "SELECT id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, ",
    "created_at_us, sent_at_us, attempts, last_error FROM outbox WHERE sent_at_us IS NULL ",
    "ORDER BY created_at_us, id LIMIT $1"
);

/// Claims an outbox row for resolving: only one transaction ever moves it from NULL.
const CLAIM: &str = "UPDATE outbox SET sent_at_us = $2 WHERE id = $1 AND sent_at_us IS NULL";

const PREFERENCES: &str = "SELECT m.person_id, m.mode FROM mail_preferences m JOIN people p ON p.id = m.person_id WHERE p.partnership_id = $1";
const PREFERENCE: &str = "SELECT mode FROM mail_preferences WHERE person_id = $1";
const SET_PREFERENCE: &str = "INSERT INTO mail_preferences (person_id, mode) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET mode = excluded.mode";

/// Marks a leased delivery sent, only for the worker holding the lease (its lease may have
/// expired, as long as nobody leased the row since).
const SENT: &str = concat!(
    "UPDATE deliveries SET mail = 'sent', sent_at_us = $3, attempts = attempts + 1, last_error = NULL, ",
    "lease_until_us = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2 AND mail = 'pending'"
);

/// A failed attempt by the worker holding the lease: pending again from `$5`, or failed (its
/// `next_attempt_us` then says when it was given up).
const FAILED: &str = concat!(
    "UPDATE deliveries SET mail = CASE WHEN CAST($5 AS BIGINT) IS NULL THEN 'failed' ELSE 'pending' END, ",
    "next_attempt_us = COALESCE(CAST($5 AS BIGINT), $3), attempts = attempts + 1, last_error = $4, ",
    "lease_until_us = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2 AND mail = 'pending'"
);

const RETRY_FAILED: &str = concat!(
    "UPDATE deliveries SET mail = 'pending', next_attempt_us = $3, lease_until_us = NULL, leased_by = NULL ",
    "WHERE id = $2 AND partnership_id = $1 AND mail = 'failed'"
);

const DROP_UNDELIVERABLE: &str =
    "DELETE FROM deliveries WHERE id = $2 AND partnership_id = $1 AND mail = 'undeliverable'";

const MARK_READ: &str =
    "UPDATE deliveries SET read_at_us = $3 WHERE id = $2 AND person_id = $1 AND read_at_us IS NULL";
const MARK_ALL_READ: &str =
    "UPDATE deliveries SET read_at_us = $2 WHERE person_id = $1 AND read_at_us IS NULL";
const UNREAD: &str = "SELECT COUNT(*) FROM deliveries WHERE person_id = $1 AND read_at_us IS NULL";
const INBOX: &str = concat!(
    joined!(),
    "WHERE d.person_id = $1 ORDER BY d.created_at_us DESC, d.id DESC LIMIT $2 OFFSET $3"
);
const INBOX_COUNT: &str = "SELECT COUNT(*) FROM deliveries WHERE person_id = $1";
const ONE: &str = concat!(joined!(), "WHERE d.id = $1");
const OF_ESCALATION: &str = concat!(
    joined!(),
    "WHERE d.escalation_id = $1 ORDER BY d.created_at_us, d.id"
);

/// The deliveries of the outbox rows written with a chain's events `after < seq <= upto`, by
/// outbox row then id (an export places each after its outbox row).
const DELIVERIES_FOR_EVENTS: &str = concat!(
    "SELECT ",
    delivery_columns!("d."),
    " FROM deliveries d JOIN outbox o ON o.id = d.outbox_id ",
    "WHERE o.partnership_id = $1 AND o.event_seq > $2 AND o.event_seq <= $3 ORDER BY d.outbox_id, d.id"
);

/// Rows a loading statement inserts at once (15 parameters each).
const INSERT_CHUNK: usize = 200;

macro_rules! notice_sql {
    ($($db:ty => $mod:ident, begin: $begin:literal, skip_locked: $skip:literal,
       list: ($pre:literal, $post:literal));*) => {$(
        pub(crate) mod $mod {
            use super::*;

            type Conn = <$db as sqlx::Database>::Connection;
            type DbRow = <$db as sqlx::Database>::Row;
            type Pool = sqlx::Pool<$db>;

            pub(crate) fn delivery_row(r: &DbRow) -> Result<DeliveryRow, StoreError> {
                Ok(DeliveryRow {
                    id: r.try_get(0)?,
                    outbox_id: r.try_get(1)?,
                    partnership_id: r.try_get(2)?,
                    escalation_id: r.try_get(3)?,
                    person_id: r.try_get(4)?,
                    address: r.try_get(5)?,
                    created_at_us: r.try_get(6)?,
                    read_at_us: r.try_get(7)?,
                    mail: r.try_get(8)?,
                    attempts: r.try_get(9)?,
                    last_error: r.try_get(10)?,
                    next_attempt_us: r.try_get(11)?,
                    lease_until_us: r.try_get(12)?,
                    leased_by: r.try_get(13)?,
                    sent_at_us: r.try_get(14)?,
                })
            }

            fn joined_row(r: &DbRow) -> Result<JoinedDelivery, StoreError> {
                Ok(JoinedDelivery {
                    row: delivery_row(r)?,
                    recipient: r.try_get(15)?,
                    reason: r.try_get(16)?,
                    stage: r.try_get(17)?,
                    child_details: r.try_get(18)?,
                    event_seq: r.try_get(19)?,
                    outcome: r.try_get(20)?,
                })
            }

            fn outbox_row(r: &DbRow) -> Result<OutboxRow, StoreError> {
                Ok(OutboxRow {
                    id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    event_seq: r.try_get(2)?,
                    escalation_id: r.try_get(3)?,
                    recipient: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    stage: r.try_get(6)?,
                    child_details: r.try_get(7)?,
                    address: r.try_get(8)?,
                    created_at_us: r.try_get(9)?,
                    sent_at_us: r.try_get(10)?,
                    attempts: r.try_get(11)?,
                    last_error: r.try_get(12)?,
                })
            }

            fn list(items: &[String]) -> String {
                crate::backend::json_list(items)
            }

            pub(crate) async fn due_escalations(
                pool: &Pool,
                partnership_id: &str,
                today: &str,
            ) -> Result<Vec<String>, StoreError> {
                Ok(sqlx::query_scalar(DUE_ESCALATIONS)
                    .bind(partnership_id)
                    .bind(today)
                    .fetch_all(pool)
                    .await?)
            }

            pub(crate) async fn unresolved_outbox(pool: &Pool, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
                let rows = sqlx::query(UNRESOLVED).bind(limit).fetch_all(pool).await?;
                rows.iter().map(outbox_row).collect()
            }

            pub(crate) async fn resolve_outbox_rows(
                pool: &Pool,
                now_us: i64,
                rows: &[(String, Vec<DeliveryRow>)],
            ) -> Result<Vec<bool>, StoreError> {
                let mut tx = pool.begin_with($begin).await?;
                let mut claimed = Vec::with_capacity(rows.len());
                for (outbox_id, deliveries) in rows {
                    let done = sqlx::query(CLAIM)
                        .bind(outbox_id)
                        .bind(now_us)
                        .execute(&mut *tx)
                        .await?;
                    let mine = done.rows_affected() == 1;
                    if mine {
                        insert_deliveries(&mut tx, deliveries).await?;
                    }
                    claimed.push(mine);
                }
                tx.commit().await?;
                Ok(claimed)
            }

            pub(crate) async fn mail_preferences(
                pool: &Pool,
                partnership_id: &str,
            ) -> Result<Vec<(String, String)>, StoreError> {
                let rows = sqlx::query(PREFERENCES).bind(partnership_id).fetch_all(pool).await?;
                rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
            }

            pub(crate) async fn mail_preference(pool: &Pool, person_id: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar(PREFERENCE).bind(person_id).fetch_optional(pool).await?)
            }

            pub(crate) async fn set_mail_preference(pool: &Pool, person_id: &str, mode: &str) -> Result<(), StoreError> {
                sqlx::query(SET_PREFERENCE).bind(person_id).bind(mode).execute(pool).await?;
                Ok(())
            }

            /// Leases up to `limit` pending deliveries whose attempt has come and whose lease is
            /// absent or expired, of the given partnerships, in one write transaction.
            pub(crate) async fn lease(
                pool: &Pool,
                now_us: i64,
                worker: &str,
                until_us: i64,
                limit: i64,
                partnerships: &[String],
            ) -> Result<Vec<JoinedDelivery>, StoreError> {
                let mut tx = pool.begin_with($begin).await?;
                let ids: Vec<String> = sqlx::query_scalar(concat!(
                    "UPDATE deliveries SET lease_until_us = $2, leased_by = $3 WHERE id IN (",
                    "SELECT id FROM deliveries WHERE mail = 'pending' AND next_attempt_us <= $1 ",
                    "AND (lease_until_us IS NULL OR lease_until_us <= $1) AND partnership_id ", $pre, "$5", $post,
                    " ORDER BY next_attempt_us, id LIMIT $4", $skip, ") RETURNING id"
                ))
                .bind(now_us)
                .bind(until_us)
                .bind(worker)
                .bind(limit)
                .bind(list(partnerships))
                .fetch_all(&mut *tx)
                .await?;
                let rows = sqlx::query(concat!(
                    joined!(), "WHERE d.id ", $pre, "$1", $post, " ORDER BY d.next_attempt_us, d.id"
                ))
                .bind(list(&ids))
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                rows.iter().map(joined_row).collect()
            }

            pub(crate) async fn mark_sent(pool: &Pool, id: &str, worker: &str, at_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(SENT).bind(id).bind(worker).bind(at_us).execute(pool).await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn mark_failed(
                pool: &Pool,
                id: &str,
                worker: &str,
                at_us: i64,
                error: &str,
                retry_at_us: Option<i64>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(FAILED)
                    .bind(id)
                    .bind(worker)
                    .bind(at_us)
                    .bind(error)
                    .bind(retry_at_us)
                    .execute(pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn digest(pool: &Pool, partnerships: &[String]) -> Result<Vec<JoinedDelivery>, StoreError> {
                let rows = sqlx::query(concat!(
                    joined!(), "WHERE d.mail = 'digest' AND d.partnership_id ", $pre, "$1", $post,
                    " ORDER BY d.person_id, d.created_at_us, d.id"
                ))
                .bind(list(partnerships))
                .fetch_all(pool)
                .await?;
                rows.iter().map(joined_row).collect()
            }

            pub(crate) async fn digest_sent(pool: &Pool, ids: &[String], at_us: i64) -> Result<u64, StoreError> {
                let done = sqlx::query(concat!(
                    "UPDATE deliveries SET mail = 'sent', sent_at_us = $2, attempts = attempts + 1 ",
                    "WHERE mail = 'digest' AND id ", $pre, "$1", $post
                ))
                .bind(list(ids))
                .bind(at_us)
                .execute(pool)
                .await?;
                Ok(done.rows_affected())
            }

            pub(crate) async fn page(
                pool: &Pool,
                partnership_id: &str,
                states: &[String],
                limit: i64,
                offset: i64,
            ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
                let rows = sqlx::query(concat!(
                    joined!(), "WHERE d.partnership_id = $1 AND d.mail ", $pre, "$2", $post,
                    " ORDER BY d.created_at_us DESC, d.id DESC LIMIT $3 OFFSET $4"
                ))
                .bind(partnership_id)
                .bind(list(states))
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                let total: i64 = sqlx::query_scalar(concat!(
                    "SELECT COUNT(*) FROM deliveries WHERE partnership_id = $1 AND mail ", $pre, "$2", $post
                ))
                .bind(partnership_id)
                .bind(list(states))
                .fetch_one(pool)
                .await?;
                Ok((rows.iter().map(joined_row).collect::<Result<_, _>>()?, total))
            }

            pub(crate) async fn one(pool: &Pool, id: &str) -> Result<Option<JoinedDelivery>, StoreError> {
                let row = sqlx::query(ONE).bind(id).fetch_optional(pool).await?;
                row.as_ref().map(joined_row).transpose()
            }

            pub(crate) async fn of_escalation(pool: &Pool, escalation_id: &str) -> Result<Vec<JoinedDelivery>, StoreError> {
                let rows = sqlx::query(OF_ESCALATION).bind(escalation_id).fetch_all(pool).await?;
                rows.iter().map(joined_row).collect()
            }

            pub(crate) async fn retry_failed(pool: &Pool, partnership_id: &str, id: &str, now_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(RETRY_FAILED).bind(partnership_id).bind(id).bind(now_us).execute(pool).await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn replace_undeliverable(
                pool: &Pool,
                partnership_id: &str,
                id: &str,
                deliveries: &[DeliveryRow],
            ) -> Result<bool, StoreError> {
                let mut tx = pool.begin_with($begin).await?;
                let done = sqlx::query(DROP_UNDELIVERABLE).bind(partnership_id).bind(id).execute(&mut *tx).await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_deliveries(&mut tx, deliveries).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub(crate) async fn inbox(
                pool: &Pool,
                person_id: &str,
                limit: i64,
                offset: i64,
            ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
                let rows = sqlx::query(INBOX).bind(person_id).bind(limit).bind(offset).fetch_all(pool).await?;
                let total: i64 = sqlx::query_scalar(INBOX_COUNT).bind(person_id).fetch_one(pool).await?;
                Ok((rows.iter().map(joined_row).collect::<Result<_, _>>()?, total))
            }

            pub(crate) async fn unread(pool: &Pool, person_id: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(UNREAD).bind(person_id).fetch_one(pool).await?)
            }

            pub(crate) async fn mark_read(pool: &Pool, person_id: &str, id: &str, at_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(MARK_READ).bind(person_id).bind(id).bind(at_us).execute(pool).await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn mark_all_read(pool: &Pool, person_id: &str, at_us: i64) -> Result<u64, StoreError> {
                let done = sqlx::query(MARK_ALL_READ).bind(person_id).bind(at_us).execute(pool).await?;
                Ok(done.rows_affected())
            }

            /// See [`DELIVERIES_FOR_EVENTS`].
            pub(crate) async fn deliveries_for_events(
                conn: &mut Conn,
                partnership_id: &str,
                after_seq: i64,
                upto_seq: i64,
            ) -> Result<Vec<DeliveryRow>, StoreError> {
                let rows = sqlx::query(DELIVERIES_FOR_EVENTS)
                    .bind(partnership_id)
                    .bind(after_seq)
                    .bind(upto_seq)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.iter().map(delivery_row).collect()
            }

            pub(crate) async fn deliveries_count(conn: &mut Conn) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
                    .fetch_one(&mut *conn)
                    .await?)
            }

            /// Inserts deliveries exactly as given (resolving, an import), every column.
            pub(crate) async fn insert_deliveries(
                conn: &mut Conn,
                rows: &[DeliveryRow],
            ) -> Result<(), StoreError> {
                for chunk in rows.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO deliveries (",
                        delivery_columns!(""),
                        ") "
                    ));
                    q.push_values(chunk, |mut b, d| {
                        b.push_bind(&d.id)
                            .push_bind(&d.outbox_id)
                            .push_bind(&d.partnership_id)
                            .push_bind(&d.escalation_id)
                            .push_bind(&d.person_id)
                            .push_bind(&d.address)
                            .push_bind(d.created_at_us)
                            .push_bind(d.read_at_us)
                            .push_bind(&d.mail)
                            .push_bind(d.attempts)
                            .push_bind(&d.last_error)
                            .push_bind(d.next_attempt_us)
                            .push_bind(d.lease_until_us)
                            .push_bind(&d.leased_by)
                            .push_bind(d.sent_at_us);
                    });
                    q.build().execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    )*};
}

notice_sql!(
    sqlx::Sqlite => sqlite,
        // The write lock at once, as every write takes it.
        begin: "BEGIN IMMEDIATE",
        // The write lock is the only one; leasing is one UPDATE under it.
        skip_locked: "",
        list: ("IN (SELECT value FROM json_each(", "))");
    sqlx::Postgres => pg,
        begin: "BEGIN",
        // Two servers leasing at once each skip the rows the other has locked.
        skip_locked: " FOR UPDATE SKIP LOCKED",
        list: ("= ANY (ARRAY(SELECT jsonb_array_elements_text(", "::jsonb)))")
);
