//! What the deadline monitor and the notices (issue 15) read and write beside the event log:
//! the escalations due, the outbox, the deliveries each notification is resolved to, the mail
//! queue, the inbox and the mail settings. The SQL is in `notices/sql.rs`.

use async_trait::async_trait;

use super::cells::Cells;
use super::driver::{self, Driver, SqlStore};
use super::event_log::link;
use super::statements::Arg;
use crate::StoreError;
use crate::chain::Link;
use crate::rows::{DeliveryRow, OutboxRow};
use crate::tables::json_list;

mod sql;

pub use sql::DUE_ESCALATIONS;
use sql::*;
pub(crate) use sql::{
    OUTBOX_COLUMNS, count, deliveries_count, deliveries_for_events, insert_deliveries, outbox_row,
};

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

/// The notices' storage, beside the event log. A change to a row that is not there does nothing.
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
    ) -> Result<Vec<Link>, StoreError>;

    /// The partnership's earliest wake date (`YYYY-MM-DD`): when the deadline monitor next has
    /// something to record for it; `None` when nothing is waiting. One index look-up.
    async fn earliest_wake(&self, partnership_id: &str) -> Result<Option<String>, StoreError>;

    /// The partnership's outbox rows, by event.
    async fn outbox(&self, partnership_id: &str) -> Result<Vec<OutboxRow>, StoreError>;

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
impl<S: SqlStore> Notices for S {
    async fn due_escalations(
        &self,
        partnership_id: &str,
        today: &str,
    ) -> Result<Vec<String>, StoreError> {
        let args = [Arg::Text(partnership_id), Arg::Text(today)];
        let rows = self.rows(DUE_ESCALATIONS, &args).await?;
        rows.iter()
            .map(|r| Cells::new(r, "escalations", &["id"]).text("id"))
            .collect()
    }

    async fn escalations_events(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let streams: Vec<String> = escalation_ids
            .iter()
            .map(|id| crate::stream::escalation(id))
            .collect();
        let args = [Arg::Text(partnership_id), Arg::Owned(json_list(&streams))];
        self.all(S::Db::sql(&STREAMS_EVENTS), &args, link).await
    }

    async fn earliest_wake(&self, partnership_id: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .row(EARLIEST_WAKE, &[Arg::Text(partnership_id)])
            .await?;
        match row {
            Some(r) => Cells::new(&r, "escalations", &[]).opt_text("wake_on"),
            None => Ok(None),
        }
    }

    async fn outbox(&self, partnership_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        self.all(OUTBOX, &[Arg::Text(partnership_id)], outbox_row)
            .await
    }

    async fn unresolved_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        self.all(UNRESOLVED, &[Arg::Int(limit)], outbox_row).await
    }

    async fn resolve_outbox_rows(
        &self,
        now_us: i64,
        rows: &[(String, Vec<DeliveryRow>)],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for (outbox_id, deliveries) in rows {
            let args = [Arg::Text(outbox_id), Arg::Int(now_us)];
            let mine = driver::execute::<S::Db>(&mut *tx, CLAIM, &args).await? == 1;
            if mine {
                insert_deliveries::<S::Db>(&mut *tx, deliveries).await?;
            }
            claimed.push(mine);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn mail_preferences(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.rows(PREFERENCES, &[Arg::Text(partnership_id)]).await?;
        rows.iter()
            .map(|r| {
                let c = Cells::new(r, "mail_preferences", &["person_id"]);
                Ok((c.text("person_id")?, c.text("mode")?))
            })
            .collect()
    }

    async fn mail_preference(&self, person_id: &str) -> Result<Option<String>, StoreError> {
        let row = self.row(PREFERENCE, &[Arg::Text(person_id)]).await?;
        row.as_ref()
            .map(|r| Cells::new(r, "mail_preferences", &["person_id"]).text("mode"))
            .transpose()
    }

    async fn set_mail_preference(&self, person_id: &str, mode: &str) -> Result<(), StoreError> {
        let args = [Arg::Text(person_id), Arg::Text(mode)];
        self.execute(SET_PREFERENCE, &args).await?;
        Ok(())
    }

    async fn lease_deliveries(
        &self,
        now_us: i64,
        worker: &str,
        until_us: i64,
        limit: i64,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        // One write transaction: the lease, then the rows leased.
        let mut tx = self.begin_write().await?;
        let args = [
            Arg::Int(now_us),
            Arg::Int(until_us),
            Arg::Text(worker),
            Arg::Int(limit),
            Arg::Owned(json_list(partnerships)),
        ];
        let leased = driver::rows::<S::Db>(&mut *tx, S::Db::sql(&LEASE), &args).await?;
        let ids = leased
            .iter()
            .map(|r| Cells::new(r, "deliveries", &["id"]).text("id"))
            .collect::<Result<Vec<_>, _>>()?;
        let args = [Arg::Owned(json_list(&ids))];
        let rows = driver::rows::<S::Db>(&mut *tx, S::Db::sql(&LEASED), &args).await?;
        tx.commit().await?;
        rows.iter().map(joined_row).collect()
    }

    async fn mark_delivery_sent(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        let args = [Arg::Text(id), Arg::Text(worker), Arg::Int(at_us)];
        Ok(self.execute(SENT, &args).await? == 1)
    }

    async fn mark_delivery_failed(
        &self,
        id: &str,
        worker: &str,
        at_us: i64,
        error: &str,
        retry_at_us: Option<i64>,
    ) -> Result<bool, StoreError> {
        let args = [
            Arg::Text(id),
            Arg::Text(worker),
            Arg::Int(at_us),
            Arg::Text(error),
            Arg::OptInt(retry_at_us),
        ];
        Ok(self.execute(FAILED, &args).await? == 1)
    }

    async fn digest_deliveries(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        let args = [Arg::Owned(json_list(partnerships))];
        self.all(S::Db::sql(&DIGEST), &args, joined_row).await
    }

    async fn mark_digest_sent(&self, ids: &[String], at_us: i64) -> Result<u64, StoreError> {
        let args = [Arg::Owned(json_list(ids)), Arg::Int(at_us)];
        self.execute(S::Db::sql(&DIGEST_SENT), &args).await
    }

    async fn delivery_page(
        &self,
        partnership_id: &str,
        states: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        let states = json_list(states);
        let args = [
            Arg::Text(partnership_id),
            Arg::Text(&states),
            Arg::Int(limit),
            Arg::Int(offset),
        ];
        let rows = self.rows(S::Db::sql(&PAGE), &args).await?;
        let total = self.row(S::Db::sql(&PAGE_COUNT), &args[..2]).await?;
        let total = count(total.as_ref(), "deliveries")?;
        Ok((
            rows.iter().map(joined_row).collect::<Result<_, _>>()?,
            total,
        ))
    }

    async fn joined_delivery(&self, id: &str) -> Result<Option<JoinedDelivery>, StoreError> {
        self.one(S::Db::sql(&ONE), &[Arg::Text(id)], joined_row)
            .await
    }

    async fn escalation_deliveries(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<JoinedDelivery>, StoreError> {
        let sql = S::Db::sql(&OF_ESCALATION);
        self.all(sql, &[Arg::Text(escalation_id)], joined_row).await
    }

    async fn retry_failed_delivery(
        &self,
        partnership_id: &str,
        id: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let args = [Arg::Text(partnership_id), Arg::Text(id), Arg::Int(now_us)];
        Ok(self.execute(RETRY_FAILED, &args).await? == 1)
    }

    async fn replace_undeliverable(
        &self,
        partnership_id: &str,
        id: &str,
        deliveries: &[DeliveryRow],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let args = [Arg::Text(partnership_id), Arg::Text(id)];
        if driver::execute::<S::Db>(&mut *tx, DROP_UNDELIVERABLE, &args).await? != 1 {
            return Ok(false);
        }
        insert_deliveries::<S::Db>(&mut *tx, deliveries).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn inbox_page(
        &self,
        person_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JoinedDelivery>, i64), StoreError> {
        let args = [Arg::Text(person_id), Arg::Int(limit), Arg::Int(offset)];
        let rows = self.rows(S::Db::sql(&INBOX), &args).await?;
        let total = self.row(INBOX_COUNT, &args[..1]).await?;
        let total = count(total.as_ref(), "deliveries")?;
        Ok((
            rows.iter().map(joined_row).collect::<Result<_, _>>()?,
            total,
        ))
    }

    async fn unread_deliveries(&self, person_id: &str) -> Result<i64, StoreError> {
        let row = self.row(UNREAD, &[Arg::Text(person_id)]).await?;
        count(row.as_ref(), "deliveries")
    }

    async fn mark_delivery_read(
        &self,
        person_id: &str,
        id: &str,
        at_us: i64,
    ) -> Result<bool, StoreError> {
        let args = [Arg::Text(person_id), Arg::Text(id), Arg::Int(at_us)];
        Ok(self.execute(MARK_READ, &args).await? == 1)
    }

    async fn mark_deliveries_read(&self, person_id: &str, at_us: i64) -> Result<u64, StoreError> {
        let args = [Arg::Text(person_id), Arg::Int(at_us)];
        self.execute(MARK_ALL_READ, &args).await
    }
}
