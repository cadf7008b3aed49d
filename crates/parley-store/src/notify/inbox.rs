//! A person's notifications in Parley (newest first, read or not), and how they want e-mail.
//! The inbox does not wait for mail hours: a delivery is in it as soon as it is resolved.

use std::str::FromStr;

use jiff::Timestamp;

use crate::StoreError;
use crate::notify::{Delivery, MailMode};
use crate::records::Records;

/// `LIMIT` and `OFFSET` of page `page` (from 1) of `per_page` rows.
pub(crate) fn page_bounds(page: u32, per_page: u32) -> (i64, i64) {
    let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
    (i64::from(per_page), offset)
}

impl Records {
    /// A page (from 1) of a person's notifications, newest first, and how many they have.
    pub async fn inbox(
        &self,
        person_id: &str,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<Delivery>, u64), StoreError> {
        let (limit, offset) = page_bounds(page, per_page);
        let (rows, total) = self.store().inbox_page(person_id, limit, offset).await?;
        let rows = rows
            .into_iter()
            .map(Delivery::from_joined)
            .collect::<Result<_, _>>()?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// How many of a person's notifications are unread.
    pub async fn unread_count(&self, person_id: &str) -> Result<u64, StoreError> {
        let n = self.store().unread_deliveries(person_id).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks one of the person's own notifications read. Returns false when it is not theirs,
    /// or was read already.
    pub async fn mark_read(
        &self,
        person_id: &str,
        id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        self.store()
            .mark_delivery_read(person_id, id, at.as_microsecond())
            .await
    }

    /// Marks every unread notification of the person read; how many.
    pub async fn mark_all_read(&self, person_id: &str, at: Timestamp) -> Result<u64, StoreError> {
        self.store()
            .mark_deliveries_read(person_id, at.as_microsecond())
            .await
    }

    /// How the person wants e-mail: one per notification unless they chose a daily summary.
    pub async fn mail_mode(&self, person_id: &str) -> Result<MailMode, StoreError> {
        match self.store().mail_preference(person_id).await? {
            None => Ok(MailMode::Each),
            Some(mode) => MailMode::from_str(&mode).map_err(|e| {
                StoreError::Invalid(format!("mail setting of person {person_id}: {e}"))
            }),
        }
    }

    /// Saves how the person wants e-mail, for the notifications resolved from now on.
    pub async fn set_mail_mode(&self, person_id: &str, mode: MailMode) -> Result<(), StoreError> {
        self.store()
            .set_mail_preference(person_id, mode.as_str())
            .await
    }
}
