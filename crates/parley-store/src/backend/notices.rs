//! The SQL of notices (issue 15): what the deadline monitor reads, the deliveries each
//! notification is resolved to, and the moving of them in exports. Written once with `$N`
//! placeholders and stamped out for both drivers by `notice_sql!`, as `generic_writes!` does
//! for the appends; [`Notices`] is implemented for each backend over those functions.

use async_trait::async_trait;
use sqlx::Row;

use super::{PgStore, SqliteStore};
use crate::StoreError;
use crate::rows::DeliveryRow;

/// A delivery with what its outbox row says (recipient kind, reason, stage, whether the child's
/// details are allowed, the event) and the escalation's outcome (what a `closed:` reason
/// closed with): what `notify::Delivery` is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinedDelivery {
    pub row: DeliveryRow,
    pub recipient: String,
    pub reason: String,
    pub stage: i64,
    pub child_details: bool,
    pub event_seq: i64,
    pub outcome: Option<String>,
}

/// What the deadline monitor and the notices read and write, beside the event log.
#[async_trait]
pub trait Notices: Send + Sync {
    /// The partnership's escalations whose wake date (`escalations.wake_on`) is `today` or
    /// earlier: those the deadline monitor may have something to record for. Read through the
    /// `escalations_wake` index, so the cost is what is due, not what is open.
    async fn due_escalations(
        &self,
        partnership_id: &str,
        today: &str,
    ) -> Result<Vec<String>, StoreError>;
}

/// [`Notices::due_escalations`]. The `IS NOT NULL` matches the partial index's condition.
pub const DUE_ESCALATIONS: &str = "SELECT id FROM escalations WHERE partnership_id = $1 AND wake_on IS NOT NULL AND wake_on <= $2";

macro_rules! delivery_columns {
    () => {
        "id, outbox_id, partnership_id, escalation_id, person_id, address, created_at_us, read_at_us, \
         mail, attempts, last_error, next_attempt_us, lease_until_us, leased_by, sent_at_us"
    };
}

/// Rows a loading statement inserts at once (15 parameters each).
const LOAD_CHUNK: usize = 200;

/// The deliveries of the outbox rows written with a chain's events `after < seq <= upto`, by
/// outbox row then id (an export places each after its outbox row).
const DELIVERIES_FOR_EVENTS: &str = concat!(
    "SELECT d.id, d.outbox_id, d.partnership_id, d.escalation_id, d.person_id, d.address, d.created_at_us, ",
    "d.read_at_us, d.mail, d.attempts, d.last_error, d.next_attempt_us, d.lease_until_us, d.leased_by, d.sent_at_us ",
    "FROM deliveries d JOIN outbox o ON o.id = d.outbox_id ",
    "WHERE o.partnership_id = $1 AND o.event_seq > $2 AND o.event_seq <= $3 ORDER BY d.outbox_id, d.id"
);

macro_rules! notice_sql {
    ($($db:ty => $mod:ident),*) => {$(
        pub(crate) mod $mod {
            use super::*;

            type Conn = <$db as sqlx::Database>::Connection;
            type DbRow = <$db as sqlx::Database>::Row;
            type Pool = sqlx::Pool<$db>;

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

            /// Inserts deliveries exactly as given (an import), every column.
            pub(crate) async fn insert_deliveries(
                conn: &mut Conn,
                rows: &[DeliveryRow],
            ) -> Result<(), StoreError> {
                for chunk in rows.chunks(LOAD_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO deliveries (",
                        delivery_columns!(),
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

notice_sql!(sqlx::Sqlite => sqlite, sqlx::Postgres => pg);

#[async_trait]
impl Notices for SqliteStore {
    async fn due_escalations(
        &self,
        partnership_id: &str,
        today: &str,
    ) -> Result<Vec<String>, StoreError> {
        sqlite::due_escalations(&self.pool, partnership_id, today).await
    }
}

#[async_trait]
impl Notices for PgStore {
    async fn due_escalations(
        &self,
        partnership_id: &str,
        today: &str,
    ) -> Result<Vec<String>, StoreError> {
        pg::due_escalations(&self.pool, partnership_id, today).await
    }
}
