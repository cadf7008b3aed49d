//! The mail queue: deliveries waiting to be sent are leased to one worker at a time (several
//! servers share the work; a killed server's rows are leased again once its lease expires),
//! and marked by that worker only. Daily summaries wait apart, by person.

use std::time::Duration;

use jiff::Timestamp;

use crate::StoreError;
use crate::notify::Delivery;
use crate::records::Records;

impl Records {
    /// Leases up to `limit` deliveries whose mail is pending and due at `now` (its next attempt
    /// has come) and whose lease is absent or expired, of the given partnerships only (those in
    /// their mail hours), to `worker` until `now + lease`. PostgreSQL locks the rows it leases
    /// `FOR UPDATE SKIP LOCKED`, so two servers leasing at once get different rows; SQLite
    /// leases under its one write lock.
    pub async fn lease_mail(
        &self,
        now: Timestamp,
        worker: &str,
        lease: Duration,
        limit: usize,
        partnerships: &[String],
    ) -> Result<Vec<Delivery>, StoreError> {
        let now_us = now.as_microsecond();
        let lease_us = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let rows = self
            .store()
            .lease_deliveries(
                now_us,
                worker,
                now_us.saturating_add(lease_us),
                i64::try_from(limit).unwrap_or(i64::MAX),
                partnerships,
            )
            .await?;
        rows.into_iter().map(Delivery::from_joined).collect()
    }

    /// Marks a leased delivery sent (the SMTP server accepted it) and counts the attempt, if
    /// `worker` still holds its lease, expired or not, as long as nobody leased it since: a
    /// worker that lost the row never marks it. Returns whether it was marked.
    pub async fn mail_sent(
        &self,
        id: &str,
        worker: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        self.store()
            .mark_delivery_sent(id, worker, at.as_microsecond())
            .await
    }

    /// Records a failed attempt by the worker holding the lease: the attempt counted, its
    /// error kept, the lease released. With `retry_at` the delivery stays pending until then;
    /// without, it is failed (and `next_attempt_us` says when it was given up). Returns
    /// whether it was recorded (not when the worker lost the lease).
    pub async fn mail_failed(
        &self,
        id: &str,
        worker: &str,
        at: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        self.store()
            .mark_delivery_failed(
                id,
                worker,
                at.as_microsecond(),
                error,
                retry_at.map(Timestamp::as_microsecond),
            )
            .await
    }

    /// The deliveries waiting for a daily summary, of the given partnerships, by person: (person
    /// id, address, their deliveries oldest first).
    pub async fn digest_due(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<(String, String, Vec<Delivery>)>, StoreError> {
        let mut out: Vec<(String, String, Vec<Delivery>)> = Vec::new();
        for row in self.store().digest_deliveries(partnerships).await? {
            let d = Delivery::from_joined(row)?;
            let (Some(person), Some(address)) = (d.person_id.clone(), d.address.clone()) else {
                continue;
            };
            match out.last_mut() {
                Some((p, a, ds)) if *p == person && *a == address => ds.push(d),
                _ => out.push((person, address, vec![d])),
            }
        }
        Ok(out)
    }

    /// Marks deliveries waiting for a summary sent, once the summary holding them was accepted.
    pub async fn digest_sent(&self, ids: &[String], at: Timestamp) -> Result<(), StoreError> {
        self.store()
            .mark_digest_sent(ids, at.as_microsecond())
            .await?;
        Ok(())
    }
}
