//! The export format: its header, its lines, and what each line holds.

use crate::Backend;
use crate::chain::Link;
use crate::rows::{DeliveryRow, OutboxRow};
use serde::{Deserialize, Serialize};

/// One line of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Line {
    Header(Header),
    Event(EventLine),
    Outbox(OutboxLine),
    /// A delivery of the outbox row on the line before it (or before its other deliveries).
    Delivery(DeliveryLine),
    End(End),
}

/// The first line: what the file is and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The schema version of the database exported.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When the export was taken (RFC 3339, UTC).
    pub created_at: String,
}

/// An event with every column; byte columns as lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventLine {
    pub(crate) partnership_id: String,
    pub(crate) seq: i64,
    pub(crate) stream: String,
    pub(crate) stream_version: i64,
    pub(crate) at_us: i64,
    pub(crate) kind: String,
    pub(crate) actor: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) payload: Option<String>,
    pub(crate) salt: Option<String>,
    pub(crate) content_hash: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

/// An outbox row with every column, delivery state included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutboxLine {
    pub(crate) id: String,
    pub(crate) partnership_id: String,
    pub(crate) event_seq: i64,
    pub(crate) escalation_id: Option<String>,
    pub(crate) recipient: String,
    pub(crate) reason: String,
    pub(crate) stage: i64,
    pub(crate) child_details: bool,
    pub(crate) address: Option<String>,
    pub(crate) created_at_us: i64,
    pub(crate) sent_at_us: Option<i64>,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<String>,
}

/// A delivery with every column, its state included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DeliveryLine {
    pub(crate) id: String,
    pub(crate) outbox_id: String,
    pub(crate) partnership_id: String,
    pub(crate) escalation_id: Option<String>,
    pub(crate) person_id: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) created_at_us: i64,
    pub(crate) read_at_us: Option<i64>,
    pub(crate) mail: String,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) next_attempt_us: i64,
    pub(crate) lease_until_us: Option<i64>,
    pub(crate) leased_by: Option<String>,
    pub(crate) sent_at_us: Option<i64>,
}

/// The last line: what came before it, so that a shortened file is caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct End {
    pub(crate) chains: u64,
    pub(crate) events: u64,
    pub(crate) outbox: u64,
    /// Absent from version 1 files, which had no deliveries.
    #[serde(default)]
    pub(crate) deliveries: u64,
}

impl From<DeliveryRow> for DeliveryLine {
    fn from(d: DeliveryRow) -> Self {
        DeliveryLine {
            id: d.id,
            outbox_id: d.outbox_id,
            partnership_id: d.partnership_id,
            escalation_id: d.escalation_id,
            person_id: d.person_id,
            address: d.address,
            created_at_us: d.created_at_us,
            read_at_us: d.read_at_us,
            mail: d.mail,
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_us: d.next_attempt_us,
            lease_until_us: d.lease_until_us,
            leased_by: d.leased_by,
            sent_at_us: d.sent_at_us,
        }
    }
}

impl From<DeliveryLine> for DeliveryRow {
    fn from(d: DeliveryLine) -> Self {
        DeliveryRow {
            id: d.id,
            outbox_id: d.outbox_id,
            partnership_id: d.partnership_id,
            escalation_id: d.escalation_id,
            person_id: d.person_id,
            address: d.address,
            created_at_us: d.created_at_us,
            read_at_us: d.read_at_us,
            mail: d.mail,
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_us: d.next_attempt_us,
            lease_until_us: d.lease_until_us,
            leased_by: d.leased_by,
            sent_at_us: d.sent_at_us,
        }
    }
}

impl From<&Link> for EventLine {
    fn from(l: &Link) -> Self {
        EventLine {
            partnership_id: l.partnership_id.clone(),
            seq: l.seq,
            stream: l.stream.clone(),
            stream_version: l.stream_version,
            at_us: l.at_us,
            kind: l.kind.clone(),
            actor: l.actor.clone(),
            reason: l.reason.clone(),
            payload: l.payload.clone(),
            salt: l.salt.as_deref().map(hex::encode),
            content_hash: hex::encode(&l.content_hash),
            prev_hash: hex::encode(&l.prev_hash),
            hash: hex::encode(&l.hash),
        }
    }
}

impl EventLine {
    pub(crate) fn into_link(self) -> Result<Link, String> {
        let bytes = |what: &str, text: &str| {
            hex::decode(text).map_err(|e| format!("{what} is not hex: {e}"))
        };
        Ok(Link {
            salt: self.salt.as_deref().map(|s| bytes("salt", s)).transpose()?,
            content_hash: bytes("content_hash", &self.content_hash)?,
            prev_hash: bytes("prev_hash", &self.prev_hash)?,
            hash: bytes("hash", &self.hash)?,
            partnership_id: self.partnership_id,
            seq: self.seq,
            stream: self.stream,
            stream_version: self.stream_version,
            at_us: self.at_us,
            kind: self.kind,
            actor: self.actor,
            reason: self.reason,
            payload: self.payload,
        })
    }
}

impl From<OutboxRow> for OutboxLine {
    fn from(o: OutboxRow) -> Self {
        OutboxLine {
            id: o.id,
            partnership_id: o.partnership_id,
            event_seq: o.event_seq,
            escalation_id: o.escalation_id,
            recipient: o.recipient,
            reason: o.reason,
            stage: o.stage,
            child_details: o.child_details,
            address: o.address,
            created_at_us: o.created_at_us,
            sent_at_us: o.sent_at_us,
            attempts: o.attempts,
            last_error: o.last_error,
        }
    }
}

impl From<OutboxLine> for OutboxRow {
    fn from(o: OutboxLine) -> Self {
        OutboxRow {
            id: o.id,
            partnership_id: o.partnership_id,
            event_seq: o.event_seq,
            escalation_id: o.escalation_id,
            recipient: o.recipient,
            reason: o.reason,
            stage: o.stage,
            child_details: o.child_details,
            address: o.address,
            created_at_us: o.created_at_us,
            sent_at_us: o.sent_at_us,
            attempts: o.attempts,
            last_error: o.last_error,
        }
    }
}

pub(crate) fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

// ---------------------------------------------------------------------------------------------
