//! What the sender needs from the records, as a narrow trait: the sending loop is written
//! against it, and `parley_store::Records` implements it (resolving the outbox, leasing
//! deliveries, marking them). The shapes follow the store's notification API (issue 15 plan).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use parley_core::escalation::Reason;
use parley_core::names::Recipient;
use parley_core::{Calendar, StageNumber};

use crate::compose::Notice;

/// A delivery handed to the sender: leased, or waiting for a person's daily summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The delivery's id; the e-mail's Message-ID is `<id@host of the public URL>`.
    pub id: String,
    pub partnership_id: String,
    pub escalation_id: Option<String>,
    pub person_id: Option<String>,
    /// Where the e-mail goes; `None` only for an undeliverable row, never leased.
    pub address: Option<String>,
    /// Whom the notification was for, why, and the stage the escalation was at (the outbox
    /// row's): what [`Queue::describe`] says is built from them.
    pub recipient: Recipient,
    pub reason: Reason,
    pub stage: StageNumber,
    /// Attempts made before this one.
    pub attempts: i64,
    pub created_at_us: i64,
}

/// A partnership's working days and the time zone its procedure counts in: mail hours are
/// kept in them.
#[derive(Clone, Debug)]
pub struct PartnershipCalendar {
    pub partnership_id: String,
    pub calendar: Arc<Calendar>,
    pub time_zone: TimeZone,
}

/// One person's daily summary: the deliveries waiting for it, and their address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestDue {
    pub person_id: String,
    pub address: String,
    pub items: Vec<Queued>,
}

/// The mail queue. Every method is one short store call; none holds a transaction open
/// across the network.
#[async_trait::async_trait]
pub trait Queue: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The partnerships whose mail this sender handles, with their calendars.
    async fn partnerships(&self) -> Result<Vec<PartnershipCalendar>, Self::Error>;

    /// Resolves outbox rows into deliveries (people and addresses); how many rows.
    async fn resolve_outbox(&self, now: Timestamp) -> Result<usize, Self::Error>;

    /// Leases up to `limit` pending deliveries that are due, of the given partnerships only.
    async fn lease(
        &self,
        now: Timestamp,
        worker: &str,
        lease: Duration,
        limit: usize,
        partnerships: &[String],
    ) -> Result<Vec<Queued>, Self::Error>;

    /// What the e-mail for `item` says. Never a child's details: a [`Notice`] has no place
    /// for them.
    async fn describe(&self, item: &Queued) -> Result<Notice, Self::Error>;

    /// The server accepted the message. `false` when `worker` no longer holds the lease
    /// (another worker leased the row since): nothing was marked.
    async fn sent(&self, id: &str, worker: &str, at: Timestamp) -> Result<bool, Self::Error>;

    /// An attempt failed: try again at `retry_at`, or (`None`) give up. `false` when `worker`
    /// does not hold the lease: nothing was recorded.
    async fn failed(
        &self,
        id: &str,
        worker: &str,
        at: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, Self::Error>;

    /// Deliveries waiting for daily summaries, grouped by person.
    async fn digest_due(&self, partnerships: &[String]) -> Result<Vec<DigestDue>, Self::Error>;

    /// The summary holding `ids` was accepted by the server.
    async fn digest_sent(&self, ids: &[String], at: Timestamp) -> Result<(), Self::Error>;
}
