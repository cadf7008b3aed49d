//! Notices (issue 15): the deadline monitor's passes, the resolution of each queued
//! notification (an outbox row) to the people and addresses it reaches, the mail queue those
//! deliveries wait in, each person's inbox, and the administrators' view of it all. The values
//! here are typed; the stored strings stay inside the store.
//!
//! - `notify/deadlines.rs`: [`Records::deadline_pass`](crate::records::Records::deadline_pass).
//! - `notify/resolve.rs`: who a notification reaches.
//! - `notify/queue.rs`: leasing and marking mail, daily summaries.
//! - `notify/inbox.rs`: a person's notifications and their mail setting.
//! - `notify/admin.rs`: the administrators' listing and retry, and one escalation's record.

use std::str::FromStr;

use parley_core::escalation::Reason;
use parley_core::names::Recipient;
use parley_core::procedure::StageNumber;

use crate::StoreError;
use crate::backend::notices::JoinedDelivery;

mod admin;
mod deadlines;
mod inbox;
mod queue;
mod resolve;

/// Where a delivery's e-mail stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting to be sent (at `next_attempt_us`, by whoever leases it).
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: a permanent refusal, or too many attempts.
    Failed,
    /// Nobody to send it to: the recipient resolved to nobody (the inbox has no entry either).
    Undeliverable,
    /// Waiting for the person's daily summary.
    Digest,
}

impl MailState {
    pub const ALL: [MailState; 5] = [
        MailState::Pending,
        MailState::Sent,
        MailState::Failed,
        MailState::Undeliverable,
        MailState::Digest,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Undeliverable => "undeliverable",
            MailState::Digest => "digest",
        }
    }
}

impl FromStr for MailState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MailState::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mail state \"{s}\""))
    }
}

/// How a person wants e-mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MailMode {
    /// One e-mail per notification (the default).
    #[default]
    Each,
    /// One summary a day.
    Daily,
}

impl MailMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailMode::Each => "each",
            MailMode::Daily => "daily",
        }
    }
}

impl FromStr for MailMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "each" => Ok(MailMode::Each),
            "daily" => Ok(MailMode::Daily),
            other => Err(format!("unknown mail mode \"{other}\"")),
        }
    }
}

/// Which deliveries an administrators' listing shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeliveryFilter {
    #[default]
    All,
    /// Not sent yet: waiting to be sent, or for a daily summary.
    Pending,
    Sent,
    /// Failed or undeliverable: what an administrator may retry.
    Failed,
}

impl DeliveryFilter {
    /// The mail states it lets through.
    pub(crate) fn states(self) -> &'static [MailState] {
        match self {
            DeliveryFilter::All => &MailState::ALL,
            DeliveryFilter::Pending => &[MailState::Pending, MailState::Digest],
            DeliveryFilter::Sent => &[MailState::Sent],
            DeliveryFilter::Failed => &[MailState::Failed, MailState::Undeliverable],
        }
    }
}

/// One person or address a notification reached (or, undeliverable, reached nobody), with what
/// the notification was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The e-mail's Message-ID is `<id@host of the public URL>`.
    pub id: String,
    pub outbox_id: String,
    pub partnership_id: String,
    pub escalation_id: Option<String>,
    /// `None` for a procedure's own address, or an undeliverable recipient.
    pub person_id: Option<String>,
    pub address: Option<String>,
    /// Who the procedure said to tell.
    pub recipient: Recipient,
    pub reason: Reason,
    /// The stage the escalation was at.
    pub stage: StageNumber,
    /// Whether the procedure allows the child's details with it (never in an e-mail).
    pub child_details: bool,
    /// The event that called for it.
    pub event_seq: i64,
    /// When the notification was made (its event).
    pub created_at_us: i64,
    pub read_at_us: Option<i64>,
    pub mail: MailState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_us: i64,
    pub sent_at_us: Option<i64>,
}

/// What one deadline pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Escalations whose wake date had come (read through the index).
    pub escalations: usize,
    /// `deadline-passed` events recorded.
    pub recorded: usize,
    /// Other events the monitor recorded: the reminders before a deadline.
    pub reminders: usize,
    /// Reports the procedures call for that fell due and were recorded (`report-due`, one
    /// per report and period), each a reminder to the business team.
    pub reports_due: usize,
    /// Commands that met another writer's change (another server's pass, a person acting)
    /// and were decided again on it.
    pub conflicts: usize,
    /// (escalation id, why) for each escalation whose due events could not be recorded.
    pub failed: Vec<(String, String)>,
}

impl Delivery {
    /// The typed delivery of a stored row, or `Unreadable` naming the outbox row's event.
    pub(crate) fn from_joined(j: JoinedDelivery) -> Result<Delivery, StoreError> {
        let unreadable = |what: String| StoreError::Unreadable {
            partnership: j.row.partnership_id.clone(),
            seq: j.event_seq,
            message: format!(
                "delivery {} (outbox row {}): {what}",
                j.row.id, j.row.outbox_id
            ),
        };
        let recipient =
            Recipient::from_str(&j.recipient).map_err(|e| unreadable(format!("recipient: {e}")))?;
        let reason = parse_reason(&j.reason, j.outcome.as_deref())
            .ok_or_else(|| unreadable(format!("reason \"{}\" does not parse", j.reason)))?;
        let stage =
            StageNumber::new(j.stage).ok_or_else(|| unreadable(format!("stage {}", j.stage)))?;
        let mail = MailState::from_str(&j.row.mail).map_err(unreadable)?;
        Ok(Delivery {
            id: j.row.id,
            outbox_id: j.row.outbox_id,
            partnership_id: j.row.partnership_id,
            escalation_id: j.row.escalation_id,
            person_id: j.row.person_id,
            address: j.row.address,
            recipient,
            reason,
            stage,
            child_details: j.child_details,
            event_seq: j.event_seq,
            created_at_us: j.row.created_at_us,
            read_at_us: j.row.read_at_us,
            mail,
            attempts: j.row.attempts,
            last_error: j.row.last_error,
            next_attempt_us: j.row.next_attempt_us,
            sent_at_us: j.row.sent_at_us,
        })
    }
}

/// The reason an outbox row was written with, back into the core's type (`Reason::parse`,
/// which reads exactly what `records.rs::notification_reason` writes). The escalation's
/// `outcome` is no longer needed: a `closed:` reason names how it closed.
fn parse_reason(text: &str, _outcome: Option<&str>) -> Option<Reason> {
    Reason::parse(text)
}
