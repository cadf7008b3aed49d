//! What administrators see of the notices: a partnership's deliveries with their state,
//! attempts, last error, recipient and address, a failed or undeliverable one retried, and who
//! was told what and when about one escalation.

use jiff::Timestamp;

use crate::StoreError;
use crate::notify::inbox::page_bounds;
use crate::notify::resolve::Directory;
use crate::notify::{Delivery, DeliveryFilter, MailState};
use crate::records::Records;
use crate::rows::OutboxRow;

impl Records {
    /// A page (from 1) of the partnership's deliveries that pass `filter`, newest first, and
    /// how many pass it in all.
    pub async fn deliveries(
        &self,
        partnership_id: &str,
        filter: DeliveryFilter,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<Delivery>, u64), StoreError> {
        let (limit, offset) = page_bounds(page, per_page);
        let states: Vec<String> = filter
            .states()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let (rows, total) = self
            .store()
            .delivery_page(partnership_id, &states, limit, offset)
            .await?;
        let rows = rows
            .into_iter()
            .map(Delivery::from_joined)
            .collect::<Result<_, _>>()?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// One delivery, whichever partnership it belongs to (the caller checks).
    pub async fn delivery(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        self.store()
            .joined_delivery(id)
            .await?
            .map(Delivery::from_joined)
            .transpose()
    }

    /// Tries a delivery of the partnership again. A failed one is pending again from `now`. An
    /// undeliverable one is resolved again (someone may hold the part now): replaced by the
    /// deliveries it now reaches, or left as it is when it still reaches nobody. Returns
    /// whether anything will be sent: false for a delivery of another partnership, or in
    /// another state.
    pub async fn retry_delivery(
        &self,
        partnership_id: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now_us = now.as_microsecond();
        let Some(found) = self.store().joined_delivery(id).await? else {
            return Ok(false);
        };
        if found.row.partnership_id != partnership_id {
            return Ok(false);
        }
        match found.row.mail.as_str() {
            s if s == MailState::Failed.as_str() => {
                self.store()
                    .retry_failed_delivery(partnership_id, id, now_us)
                    .await
            }
            s if s == MailState::Undeliverable.as_str() => {
                let outbox = OutboxRow {
                    id: found.row.outbox_id.clone(),
                    partnership_id: found.row.partnership_id.clone(),
                    event_seq: found.event_seq,
                    escalation_id: found.row.escalation_id.clone(),
                    recipient: found.recipient.clone(),
                    reason: found.reason.clone(),
                    stage: found.stage,
                    child_details: found.child_details,
                    // The procedure's address, if any, has its own delivery already.
                    address: None,
                    created_at_us: found.row.created_at_us,
                    sent_at_us: None,
                    attempts: 0,
                    last_error: None,
                };
                let mut directory = Directory::default();
                let again = self.deliveries_for(&mut directory, &outbox, now_us).await?;
                if again
                    .iter()
                    .all(|d| d.mail == MailState::Undeliverable.as_str())
                {
                    return Ok(false);
                }
                self.store()
                    .replace_undeliverable(partnership_id, id, &again)
                    .await
            }
            _ => Ok(false),
        }
    }

    /// Who was told what about an escalation, and when: its deliveries, oldest first.
    pub async fn escalation_deliveries(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.store()
            .escalation_deliveries(escalation_id)
            .await?
            .into_iter()
            .map(Delivery::from_joined)
            .collect()
    }
}
