//! What the deadline monitor and the notices (issue 15) read and write beside the event log:
//! the escalations due, the deliveries each notification is resolved to, the mail queue, the
//! inbox and the mail settings. [`Notices`] is implemented for each backend over the functions
//! `notices/sql.rs` stamps out for its driver.

use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::StoreError;
use crate::rows::{DeliveryRow, OutboxRow};

mod sql;
mod streams;

pub use sql::DUE_ESCALATIONS;
pub(crate) use sql::{pg, sqlite};

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

/// The notices' storage, beside the event log: every [`Store`](super::Store) has it. A change to
/// a row that is not there does nothing.
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

    /// The events of the partnership's escalations `escalation_ids` (their `escalation:` streams),
    /// ordered by stream and, within each, by version: what the deadline monitor decides a
    /// group of due escalations on, in one query.
    async fn escalations_events(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<crate::chain::Link>, StoreError>;

    /// The partnership's earliest wake date (`YYYY-MM-DD`): when the deadline monitor next has
    /// something to record for it; `None` when nothing is waiting. One index look-up.
    async fn earliest_wake(&self, partnership_id: &str) -> Result<Option<String>, StoreError>;

    /// Up to `limit` outbox rows not yet resolved into deliveries, oldest first.
    async fn unresolved_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError>;

    /// In one write transaction, claims each outbox row (its `sent_at_us` set to `now_us` only
    /// where it is still NULL) and, for each claimed, inserts its deliveries. Returns for each
    /// row whether this call claimed it: a row another server resolved first is left alone.
    async fn resolve_outbox_rows(
        &self,
        now_us: i64,
        rows: &[(String, Vec<DeliveryRow>)],
    ) -> Result<Vec<bool>, StoreError>;

    /// The mail settings of the partnership's people who chose one: (person, mode).
    async fn mail_preferences(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// A person's mail setting, if they chose one.
    async fn mail_preference(&self, person_id: &str) -> Result<Option<String>, StoreError>;

    /// Saves a person's mail setting.
    async fn set_mail_preference(&self, person_id: &str, mode: &str) -> Result<(), StoreError>;

    /// Leases up to `limit` pending deliveries of the partnerships whose attempt is due at
    /// `now_us` and whose lease is absent or expired, to `worker` until `until_us`.
    async fn lease_deliveries(
        &self,
        now_us: i64,
        worker: &str,
        until_us: i64,
        limit: i64,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError>;

    /// Marks a delivery sent if `worker` holds its lease; whether it did.
    async fn mark_delivery_sent(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
    ) -> Result<bool, StoreError>;

    /// Records a failed attempt if `worker` holds the lease: pending again from `retry_at_us`,
    /// or failed without one. Whether it did.
    async fn mark_delivery_failed(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
        error: &str,
        retry_at_us: Option<i64>,
    ) -> Result<bool, StoreError>;

    /// The deliveries waiting for a daily summary, by person.
    async fn digest_deliveries(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError>;

    /// Marks deliveries waiting for a summary sent; how many.
    async fn mark_digest_sent(&self, ids: &[String], at_us: i64) -> Result<u64, StoreError>;

    /// One page of the partnership's deliveries in the given mail states, newest first, and how
    /// many there are in all.
    async fn delivery_page(
        &self,
        partnership_id: &str,
        states: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError>;

    /// One delivery.
    async fn joined_delivery(&self, id: &str) -> Result<Option<JoinedDelivery>, StoreError>;

    /// An escalation's deliveries, oldest first.
    async fn escalation_deliveries(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<JoinedDelivery>, StoreError>;

    /// A failed delivery of the partnership pending again from `now_us`; whether there was one.
    async fn retry_failed_delivery(
        &self,
        partnership_id: &str,
        id: &str,
        now_us: i64,
    ) -> Result<bool, StoreError>;

    /// Replaces an undeliverable delivery of the partnership by `deliveries`, in one
    /// transaction; whether there was one.
    async fn replace_undeliverable(
        &self,
        partnership_id: &str,
        id: &str,
        deliveries: &[DeliveryRow],
    ) -> Result<bool, StoreError>;

    /// One page of a person's deliveries, newest first, and how many they have in all.
    async fn inbox_page(
        &self,
        person_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError>;

    /// How many of a person's deliveries are unread.
    async fn unread_deliveries(&self, person_id: &str) -> Result<i64, StoreError>;

    /// Marks one of a person's own deliveries read; whether it was unread.
    async fn mark_delivery_read(
        &self,
        person_id: &str,
        id: &str,
        at_us: i64,
    ) -> Result<bool, StoreError>;

    /// Marks every unread delivery of a person read; how many.
    async fn mark_deliveries_read(&self, person_id: &str, at_us: i64) -> Result<u64, StoreError>;
}

#[async_trait]
impl Notices for SqliteStore {
    async fn due_escalations(
        &self,
        partnership_id: &str,
        today: &str,
    ) -> Result<Vec<String>, StoreError> {
        sqlite::due_escalations(&self.pool, partnership_id, today).await
    }

    async fn escalations_events(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<crate::chain::Link>, StoreError> {
        streams::sqlite(&self.pool, partnership_id, escalation_ids).await
    }

    async fn earliest_wake(&self, partnership_id: &str) -> Result<Option<String>, StoreError> {
        sqlite::earliest_wake(&self.pool, partnership_id).await
    }

    async fn unresolved_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        sqlite::unresolved_outbox(&self.pool, limit).await
    }

    async fn resolve_outbox_rows(
        &self,
        now_us: i64,
        rows: &[(String, Vec<DeliveryRow>)],
    ) -> Result<Vec<bool>, StoreError> {
        sqlite::resolve_outbox_rows(&self.pool, now_us, rows).await
    }

    async fn mail_preferences(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        sqlite::mail_preferences(&self.pool, partnership_id).await
    }

    async fn mail_preference(&self, person_id: &str) -> Result<Option<String>, StoreError> {
        sqlite::mail_preference(&self.pool, person_id).await
    }

    async fn set_mail_preference(&self, person_id: &str, mode: &str) -> Result<(), StoreError> {
        sqlite::set_mail_preference(&self.pool, person_id, mode).await
    }

    async fn lease_deliveries(
        &self,
        now_us: i64,
        worker: &str,
        until_us: i64,
        limit: i64,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        sqlite::lease(&self.pool, now_us, worker, until_us, limit, partnerships).await
    }

    async fn mark_delivery_sent(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        sqlite::mark_sent(&self.pool, id, worker, at_us).await
    }

    async fn mark_delivery_failed(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
        error: &str,
        retry_at_us: Option<i64>,
    ) -> Result<bool, StoreError> {
        sqlite::mark_failed(&self.pool, id, worker, at_us, error, retry_at_us).await
    }

    async fn digest_deliveries(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        sqlite::digest(&self.pool, partnerships).await
    }

    async fn mark_digest_sent(&self, ids: &[String], at_us: i64) -> Result<u64, StoreError> {
        sqlite::digest_sent(&self.pool, ids, at_us).await
    }

    async fn delivery_page(
        &self,
        partnership_id: &str,
        states: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        sqlite::page(&self.pool, partnership_id, states, limit, offset).await
    }

    async fn joined_delivery(&self, id: &str) -> Result<Option<JoinedDelivery>, StoreError> {
        sqlite::one(&self.pool, id).await
    }

    async fn escalation_deliveries(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        sqlite::of_escalation(&self.pool, escalation_id).await
    }

    async fn retry_failed_delivery(
        &self,
        partnership_id: &str,
        id: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        sqlite::retry_failed(&self.pool, partnership_id, id, now_us).await
    }

    async fn replace_undeliverable(
        &self,
        partnership_id: &str,
        id: &str,
        deliveries: &[DeliveryRow],
    ) -> Result<bool, StoreError> {
        sqlite::replace_undeliverable(&self.pool, partnership_id, id, deliveries).await
    }

    async fn inbox_page(
        &self,
        person_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        sqlite::inbox(&self.pool, person_id, limit, offset).await
    }

    async fn unread_deliveries(&self, person_id: &str) -> Result<i64, StoreError> {
        sqlite::unread(&self.pool, person_id).await
    }

    async fn mark_delivery_read(
        &self,
        person_id: &str,
        id: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        sqlite::mark_read(&self.pool, person_id, id, at_us).await
    }

    async fn mark_deliveries_read(&self, person_id: &str, at_us: i64) -> Result<u64, StoreError> {
        sqlite::mark_all_read(&self.pool, person_id, at_us).await
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

    async fn escalations_events(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<crate::chain::Link>, StoreError> {
        streams::pg(&self.pool, partnership_id, escalation_ids).await
    }

    async fn earliest_wake(&self, partnership_id: &str) -> Result<Option<String>, StoreError> {
        pg::earliest_wake(&self.pool, partnership_id).await
    }

    async fn unresolved_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        pg::unresolved_outbox(&self.pool, limit).await
    }

    async fn resolve_outbox_rows(
        &self,
        now_us: i64,
        rows: &[(String, Vec<DeliveryRow>)],
    ) -> Result<Vec<bool>, StoreError> {
        pg::resolve_outbox_rows(&self.pool, now_us, rows).await
    }

    async fn mail_preferences(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        pg::mail_preferences(&self.pool, partnership_id).await
    }

    async fn mail_preference(&self, person_id: &str) -> Result<Option<String>, StoreError> {
        pg::mail_preference(&self.pool, person_id).await
    }

    async fn set_mail_preference(&self, person_id: &str, mode: &str) -> Result<(), StoreError> {
        pg::set_mail_preference(&self.pool, person_id, mode).await
    }

    async fn lease_deliveries(
        &self,
        now_us: i64,
        worker: &str,
        until_us: i64,
        limit: i64,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        pg::lease(&self.pool, now_us, worker, until_us, limit, partnerships).await
    }

    async fn mark_delivery_sent(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        pg::mark_sent(&self.pool, id, worker, at_us).await
    }

    async fn mark_delivery_failed(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
        error: &str,
        retry_at_us: Option<i64>,
    ) -> Result<bool, StoreError> {
        pg::mark_failed(&self.pool, id, worker, at_us, error, retry_at_us).await
    }

    async fn digest_deliveries(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        pg::digest(&self.pool, partnerships).await
    }

    async fn mark_digest_sent(&self, ids: &[String], at_us: i64) -> Result<u64, StoreError> {
        pg::digest_sent(&self.pool, ids, at_us).await
    }

    async fn delivery_page(
        &self,
        partnership_id: &str,
        states: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        pg::page(&self.pool, partnership_id, states, limit, offset).await
    }

    async fn joined_delivery(&self, id: &str) -> Result<Option<JoinedDelivery>, StoreError> {
        pg::one(&self.pool, id).await
    }

    async fn escalation_deliveries(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        pg::of_escalation(&self.pool, escalation_id).await
    }

    async fn retry_failed_delivery(
        &self,
        partnership_id: &str,
        id: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        pg::retry_failed(&self.pool, partnership_id, id, now_us).await
    }

    async fn replace_undeliverable(
        &self,
        partnership_id: &str,
        id: &str,
        deliveries: &[DeliveryRow],
    ) -> Result<bool, StoreError> {
        pg::replace_undeliverable(&self.pool, partnership_id, id, deliveries).await
    }

    async fn inbox_page(
        &self,
        person_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        pg::inbox(&self.pool, person_id, limit, offset).await
    }

    async fn unread_deliveries(&self, person_id: &str) -> Result<i64, StoreError> {
        pg::unread(&self.pool, person_id).await
    }

    async fn mark_delivery_read(
        &self,
        person_id: &str,
        id: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        pg::mark_read(&self.pool, person_id, id, at_us).await
    }

    async fn mark_deliveries_read(&self, person_id: &str, at_us: i64) -> Result<u64, StoreError> {
        pg::mark_all_read(&self.pool, person_id, at_us).await
    }
}
