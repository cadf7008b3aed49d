//! Purging an event's content: the one sanctioned change to the event log.
//!
//! The chain hashes a salted digest of each event's content (`chain.rs`), so the content can
//! be removed at the end of its retention period and the chain still verifies. A removal must
//! account for itself: it is an `event-purged` event on the stream `purge:<seq>` (so an event
//! is purged once at most), naming the purged event's sequence number, hash and kind, the
//! authority (the legal basis, the DPO's reference) and the reason, written by an
//! administrator of the partnership. The purge record and the emptying commit together
//! ([`EventLog::append_purge`](crate::EventLog::append_purge)); the database refuses the emptying without the record (migration
//! 6), and `audit verify` fails on any emptied content that no purge record accounts for.
//!
//! Only content the query tables no longer depend on can go: replaying the partnership's
//! events without it must give exactly the same rows. The content of a `raised` event, for
//! instance, is what its escalation is replayed from, so it stays while the escalation does.

use jiff::Timestamp;

use crate::StoreError;
use crate::backend::{AppendRequest, Appended, NewEvent};
use crate::consistency;
use crate::payload::{EVENT_PURGED, Payload};
use crate::records::Records;

/// The access role that may purge (the same name as `parley_web::access::ADMINISTRATOR`).
pub const ADMINISTRATOR_ROLE: &str = "administrator";

/// The stream a purge of event `seq` goes on.
pub fn purge_stream(seq: i64) -> String {
    crate::stream::Stream::Purge(seq).to_string()
}

/// What to purge, on whose authority and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeRequest {
    pub partnership_id: String,
    /// The chain position of the event whose content goes.
    pub seq: i64,
    /// The legal basis or the reference of the decision.
    pub authority: String,
    pub reason: String,
}

/// Purges an event's content on behalf of `administrator` (a person id), who must be an
/// active administrator of the partnership. Returns where the purge record landed.
pub async fn purge_event(
    records: &Records,
    at: Timestamp,
    administrator: &str,
    request: &PurgeRequest,
) -> Result<Appended, StoreError> {
    let store = records.store().as_ref();
    let pid = request.partnership_id.as_str();
    let seq = request.seq;
    let authority = request.authority.trim();
    let reason = request.reason.trim();
    if authority.is_empty() {
        return Err(StoreError::Invalid(
            "a purge needs its authority (the legal basis, or the reference of the decision)"
                .to_owned(),
        ));
    }
    if reason.is_empty() {
        return Err(StoreError::Invalid("a purge needs its reason".to_owned()));
    }
    let person = store.person(administrator).await?;
    let is_administrator = person.as_ref().is_some_and(|p| {
        p.partnership_id == pid && p.active && p.roles.iter().any(|r| r == ADMINISTRATOR_ROLE)
    });
    if !is_administrator {
        return Err(StoreError::Invalid(format!(
            "only an administrator of partnership {pid} may purge its events"
        )));
    }
    let link = store
        .chain(pid, seq.saturating_sub(1), 1)
        .await?
        .into_iter()
        .find(|l| l.seq == seq)
        .ok_or_else(|| StoreError::NotFound(format!("event {seq} of partnership {pid}")))?;
    if link.kind == EVENT_PURGED {
        return Err(StoreError::Invalid(format!(
            "event {seq} is a purge record; purge records are never purged"
        )));
    }
    if link.payload.is_none() {
        return Err(StoreError::Invalid(format!(
            "event {seq} has no content left to purge"
        )));
    }
    // The query tables must not depend on what goes.
    let holidays = records.holidays().clone();
    let chain = || Some(vec![pid.to_owned()]);
    let with = consistency::expected(store, holidays.clone(), chain(), None).await?;
    let without = consistency::expected(store, holidays, chain(), Some((pid, seq))).await;
    match without {
        Ok(without) if without == with => {}
        Ok(_) => {
            return Err(StoreError::Invalid(format!(
                "event {seq} ({}) cannot be purged: the query tables are built from its content",
                link.kind
            )));
        }
        Err(e) => {
            return Err(StoreError::Invalid(format!(
                "event {seq} ({}) cannot be purged: the events after it cannot be replayed without it ({e})",
                link.kind
            )));
        }
    }
    let payload = Payload::EventPurged {
        purged_seq: seq,
        purged_hash: hex::encode(&link.hash),
        purged_kind: link.kind.clone(),
        authority: authority.to_owned(),
    };
    let append = AppendRequest {
        partnership_id: pid.to_owned(),
        stream: purge_stream(seq),
        // A second purge of the same event is a conflict on this stream.
        expected_version: 0,
        partnership_version: None,
        events: vec![NewEvent {
            at_us: at.as_microsecond(),
            kind: payload.kind().to_owned(),
            actor: Some(administrator.to_owned()),
            reason: Some(reason.to_owned()),
            payload: serde_json::to_string(&payload)
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        }],
        ops: Vec::new(),
        outbox: Vec::new(),
    };
    store.append_purge(append, seq).await
}
