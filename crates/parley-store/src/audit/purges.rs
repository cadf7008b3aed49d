//! Purges in a chain: which emptied events a purge record accounts for (`purge.rs` writes
//! them), and which were emptied behind Parley's back.

use std::collections::BTreeMap;

use crate::chain::Link;
use crate::payload::{EVENT_PURGED, Payload};
use crate::purge::purge_stream;

/// A purge that a purge record accounts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purge {
    /// The event whose content was emptied.
    pub seq: i64,
    pub kind: String,
    /// The purge record (an `event-purged` event).
    pub record_seq: i64,
    pub at_us: i64,
    /// The administrator's person id.
    pub by: Option<String>,
    pub authority: String,
    pub reason: Option<String>,
}

/// A purge record as read from the chain, by the event it names.
#[derive(Clone, Debug)]
pub(super) struct PurgeRecord {
    seq: i64,
    at_us: i64,
    actor: Option<String>,
    reason: Option<String>,
    authority: String,
    purged_hash: String,
}

/// Reads a purge record; `None` when the event is not a well-formed one on its own stream
/// (it then accounts for nothing).
pub(super) fn purge_record(link: &Link) -> Option<(i64, PurgeRecord)> {
    if link.kind != EVENT_PURGED {
        return None;
    }
    let payload: Payload = serde_json::from_str(link.payload.as_deref()?).ok()?;
    let Payload::EventPurged {
        purged_seq,
        purged_hash,
        authority,
        ..
    } = payload
    else {
        return None;
    };
    (link.stream == purge_stream(purged_seq)).then(|| {
        (
            purged_seq,
            PurgeRecord {
                seq: link.seq,
                at_us: link.at_us,
                actor: link.actor.clone(),
                reason: link.reason.clone(),
                authority,
                purged_hash,
            },
        )
    })
}

/// Matches the emptied events of a chain with its purge records: the purges accounted for,
/// and the events emptied without a record.
pub(super) fn account_for_purges(
    emptied: &[(i64, String, Vec<u8>)],
    records: &BTreeMap<i64, PurgeRecord>,
) -> (Vec<Purge>, Vec<i64>) {
    let mut purges = Vec::new();
    let mut unrecorded = Vec::new();
    for (seq, kind, hash) in emptied {
        match records.get(seq) {
            Some(r)
                if kind != EVENT_PURGED && r.seq > *seq && r.purged_hash == hex::encode(hash) =>
            {
                purges.push(Purge {
                    seq: *seq,
                    kind: kind.clone(),
                    record_seq: r.seq,
                    at_us: r.at_us,
                    by: r.actor.clone(),
                    authority: r.authority.clone(),
                    reason: r.reason.clone(),
                });
            }
            _ => unrecorded.push(*seq),
        }
    }
    (purges, unrecorded)
}
