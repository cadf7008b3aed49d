//! Tamper evidence: walking every partnership's hash chain, and signed checkpoints of the
//! chains' heads that are kept outside the database.
//!
//! A chain on its own shows an event that was changed, removed from the middle or moved. It
//! cannot show its newest events removed, the whole chain recomputed after a change, or an
//! older backup put back: each of those leaves a chain that agrees with itself. A checkpoint
//! closes that gap. It records each chain's head (sequence number and hash) at a moment,
//! signed with the deployment's Ed25519 key, and is kept somewhere the database's
//! administrators cannot reach (e-mailed to a witness, printed on a report). Later, every
//! checkpointed event must still be there with the same hash.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use crate::StoreError;
use crate::backend::Store;
use crate::chain::{Break, Verifier};

mod checkpoint;
mod purges;
mod recent;

pub use checkpoint::*;
pub use purges::Purge;
use purges::{account_for_purges, purge_record};
pub use recent::{RECENT_EVENTS, check_recent};

/// How many events one read of a chain takes.
const PAGE: i64 = 1000;

/// The signing key's file name in the data directory.
pub const KEY_FILE: &str = "audit-signing.key";

/// The `format` of the checkpoints this version writes and reads.
pub const CHECKPOINT_FORMAT: &str = "parley-checkpoint/v1";

/// Domain separation for the signed bytes: a signature made for anything else is never a
/// valid checkpoint signature.
const CHECKPOINT_DOMAIN: &[u8] = b"parley/checkpoint/v1";

/// A SHA-256 event hash.
pub type Hash = [u8; 32];

/// What can go wrong while auditing (as opposed to what the audit finds).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read the signing key {}: {source}", path.display())]
    KeyRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the signing key {}: {source}", path.display())]
    KeyWrite {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a Parley audit signing key (expected 64 hexadecimal digits)", path.display())]
    KeyFormat { path: PathBuf },
    #[error(
        "{} can be read by other users (mode {mode:03o}); a signing key must be private: chmod 600 it",
        path.display()
    )]
    KeyPermissions { path: PathBuf, mode: u32 },
    // The text given is not repeated: someone may have pasted a secret key by mistake.
    #[error("the public key given is not an Ed25519 public key (expected 64 hexadecimal digits)")]
    PublicKey,
    #[error("not a Parley checkpoint: {0}")]
    CheckpointFormat(String),
    #[error("no random numbers available: {0}")]
    Random(String),
    #[error("cannot sign the checkpoint: {0}")]
    Sign(String),
}

// ---------------------------------------------------------------------------------------------
// Walking the chains

/// The last event of a chain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: Hash,
}

impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Head({}, {})", self.seq, hex::encode(self.hash))
    }
}

/// What is wrong with a chain, at the first place it is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The events themselves do not verify.
    Break(Break),
    /// The events verify, but `chain_heads` (where the next event links) disagrees with the
    /// last of them: events were removed after it, or one of the two was changed.
    HeadMismatch {
        /// What `chain_heads` says: (seq, hash).
        recorded: (i64, Vec<u8>),
        /// The last event, `None` when the chain has no events.
        last: Option<Head>,
    },
    /// The chain has events but `chain_heads` has no row for it.
    HeadMissing,
    /// These events' content was emptied, and no purge record accounts for it (none names
    /// the event with its hash, or the event is itself a purge record): content erased behind
    /// Parley's back. In chain order; never empty.
    UnrecordedPurge { seqs: Vec<i64> },
}

impl Problem {
    /// The first event the problem concerns.
    pub fn seq(&self) -> i64 {
        match self {
            Problem::Break(b) => b.seq(),
            Problem::HeadMismatch { recorded, last } => {
                let last_seq = last.map_or(0, |h| h.seq);
                if last_seq < recorded.0 {
                    // The first event that should be there and is not.
                    last_seq + 1
                } else if last_seq > recorded.0 {
                    // The first event beyond the recorded head.
                    recorded.0 + 1
                } else {
                    last_seq
                }
            }
            Problem::HeadMissing => 1,
            Problem::UnrecordedPurge { seqs } => seqs.first().copied().unwrap_or(0),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Break(b) => b.fmt(f),
            Problem::HeadMismatch { recorded, last } => {
                let last_seq = last.map_or(0, |h| h.seq);
                let seq = self.seq();
                if last_seq < recorded.0 {
                    write!(
                        f,
                        "event {seq}: missing; the recorded chain head is event {}, but the last event is {last_seq} \
                         (the newest events were removed)",
                        recorded.0
                    )
                } else if last_seq > recorded.0 {
                    write!(
                        f,
                        "event {seq}: beyond the recorded chain head (event {}); the events after it were not \
                         written by Parley, or the chain head was changed",
                        recorded.0
                    )
                } else {
                    write!(
                        f,
                        "event {seq}: the recorded chain head has a different hash (the event was replaced, or \
                         the chain head was changed)"
                    )
                }
            }
            Problem::HeadMissing => {
                write!(f, "the chain has events but no recorded chain head")
            }
            Problem::UnrecordedPurge { seqs } => {
                let list: Vec<String> = seqs.iter().map(i64::to_string).collect();
                write!(
                    f,
                    "event {}: its content was emptied without a purge record (the content was erased; \
                     emptied without a record: event {})",
                    self.seq(),
                    list.join(", event ")
                )
            }
        }
    }
}

/// One chain's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub partnership_id: String,
    /// Events that verified (all of them when the chain is intact).
    pub events: u64,
    /// Of those, how many have had their content emptied (lawfully or not: see `purges` and
    /// `problem`).
    pub purged: u64,
    /// The purges a purge record accounts for, in chain order.
    pub purges: Vec<Purge>,
    /// The last event that verified; `None` when none did.
    pub head: Option<Head>,
    /// `None` when the chain is intact.
    pub problem: Option<Problem>,
}

/// Every chain's result, ordered by partnership id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub chains: Vec<ChainReport>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.chains.iter().all(|c| c.problem.is_none())
    }

    /// The first broken chain (in partnership order) and what is wrong with it.
    pub fn first_break(&self) -> Option<(&ChainReport, &Problem)> {
        self.chains
            .iter()
            .find_map(|c| c.problem.as_ref().map(|p| (c, p)))
    }

    /// The heads of the chains that have events, for a checkpoint.
    pub fn heads(&self) -> Vec<ChainHead> {
        self.chains
            .iter()
            .filter_map(|c| {
                c.head.map(|head| ChainHead {
                    partnership_id: c.partnership_id.clone(),
                    seq: head.seq,
                    hash: head.hash,
                })
            })
            .collect()
    }
}

/// Walks every chain from its first event, checks each link, and checks that `chain_heads`
/// agrees with the last event. A store error (the database cannot be read) is an `Err`;
/// tampering is in the report.
pub async fn verify(store: &dyn Store) -> Result<Report, StoreError> {
    let recorded: BTreeMap<String, (i64, Vec<u8>)> = store
        .chain_heads()
        .await?
        .into_iter()
        .map(|(id, seq, hash)| (id, (seq, hash)))
        .collect();
    // A chain whose every event was deleted still has its recorded head.
    let mut ids: BTreeSet<String> = store.chain_ids().await?.into_iter().collect();
    ids.extend(recorded.keys().cloned());
    let mut chains = Vec::with_capacity(ids.len());
    for id in ids {
        let report = verify_chain(store, &id, recorded.get(&id)).await?;
        chains.push(report);
    }
    Ok(Report { chains })
}

async fn verify_chain(
    store: &dyn Store,
    partnership_id: &str,
    recorded: Option<&(i64, Vec<u8>)>,
) -> Result<ChainReport, StoreError> {
    let mut verifier = Verifier::default();
    let mut events = 0;
    // From the lowest possible number, so that an event moved below 1 is seen, not skipped.
    let mut after = i64::MIN;
    let mut problem = None;
    // Events whose content is gone, as (seq, kind, hash), and the purge records by the event
    // they name.
    let mut emptied = Vec::new();
    let mut records = BTreeMap::new();
    'pages: loop {
        let links = store.chain(partnership_id, after, PAGE).await?;
        for link in &links {
            if let Err(b) = verifier.check(link) {
                problem = Some(Problem::Break(b));
                break 'pages;
            }
            events += 1;
            if link.payload.is_none() {
                emptied.push((link.seq, link.kind.clone(), link.hash.clone()));
            }
            if let Some((purged_seq, record)) = purge_record(link) {
                records.insert(purged_seq, record);
            }
        }
        match links.last() {
            Some(last) if links.len() as i64 == PAGE => after = last.seq,
            _ => break,
        }
    }
    let (seq, hash) = verifier.head();
    let head = if seq == 0 {
        None
    } else {
        match Hash::try_from(hash) {
            Ok(hash) => Some(Head { seq, hash }),
            // Cannot happen: a verified hash equals a freshly computed SHA-256.
            Err(_) => {
                problem.get_or_insert(Problem::Break(Break::Hash { seq }));
                None
            }
        }
    };
    let (purges, unrecorded) = account_for_purges(&emptied, &records);
    if problem.is_none() && !unrecorded.is_empty() {
        problem = Some(Problem::UnrecordedPurge { seqs: unrecorded });
    }
    if problem.is_none() {
        problem = head_problem(recorded, head);
    }
    Ok(ChainReport {
        partnership_id: partnership_id.to_owned(),
        events,
        purged: verifier.purged,
        purges,
        head,
        problem,
    })
}

/// Whether `chain_heads` (`recorded`) agrees with the last event that verified (`head`).
fn head_problem(recorded: Option<&(i64, Vec<u8>)>, head: Option<Head>) -> Option<Problem> {
    match (recorded, head) {
        (None, None) => None,
        (None, Some(_)) => Some(Problem::HeadMissing),
        (Some((0, _)), None) => None,
        (Some(r), Some(h)) if r.0 == h.seq && r.1[..] == h.hash[..] => None,
        (Some(r), last) => Some(Problem::HeadMismatch {
            recorded: r.clone(),
            last,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::Timestamp;

    use super::*;

    fn heads() -> Vec<ChainHead> {
        vec![
            ChainHead {
                partnership_id: "b".into(),
                seq: 7,
                hash: [7; 32],
            },
            ChainHead {
                partnership_id: "a".into(),
                seq: 3,
                hash: [3; 32],
            },
        ]
    }

    fn at() -> Timestamp {
        "2026-12-21T09:00:00.123456Z".parse().unwrap()
    }

    #[test]
    fn a_checkpoint_round_trips_through_json_and_verifies() {
        let key = AuditKey::generate().unwrap();
        let c = Checkpoint::sign(heads(), at(), &key).unwrap();
        assert_eq!(c.chains[0].partnership_id, "a", "sorted");
        let back = Checkpoint::from_json(&c.to_json()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.check_signature(&key.public_key()), None);
    }

    #[test]
    fn every_signed_field_is_covered() {
        let key = AuditKey::generate().unwrap();
        let c = Checkpoint::sign(heads(), at(), &key).unwrap();
        let edits: [fn(&mut Checkpoint); 6] = [
            |c| c.chains[0].seq += 1,
            |c| c.chains[0].hash[31] ^= 1,
            |c| c.chains[1].partnership_id.push('x'),
            |c| c.chains.swap(0, 1),
            |c| {
                c.chains.pop();
            },
            |c| c.created_at += jiff::SignedDuration::from_nanos(1),
        ];
        for edit in edits {
            let mut changed = c.clone();
            edit(&mut changed);
            assert_eq!(
                changed.check_signature(&key.public_key()),
                Some(Finding::BadSignature)
            );
        }
    }

    #[test]
    fn another_key_is_not_trusted() {
        let key = AuditKey::generate().unwrap();
        let other = AuditKey::generate().unwrap();
        let c = Checkpoint::sign(heads(), at(), &other).unwrap();
        assert!(matches!(
            c.check_signature(&key.public_key()),
            Some(Finding::UntrustedSigner { .. })
        ));
        // Claiming the trusted key does not make another key's signature valid.
        let mut forged = c;
        forged.public_key = key.public_key().to_bytes();
        assert_eq!(
            forged.check_signature(&key.public_key()),
            Some(Finding::BadSignature)
        );
    }

    #[test]
    fn a_key_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = AuditKey::default_path(&dir.path().join("new-dir"));
        let (key, created) = AuditKey::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, created) = AuditKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.public_key(), key.public_key());
        // Never replaced.
        assert!(!AuditKey::generate().unwrap().write_new(&path).unwrap());
        assert_eq!(
            AuditKey::load(&path).unwrap().public_key(),
            key.public_key()
        );
        // The secret is in the file but never in Debug output.
        let text = std::fs::read_to_string(&path).unwrap();
        let secret = text.lines().last().unwrap();
        assert_eq!(secret.len(), 64);
        let debug = format!("{key:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(debug.contains(&key.public_key().to_string()), "{debug}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        AuditKey::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            AuditKey::load(&path),
            Err(AuditError::KeyPermissions { mode: 0o644, .. })
        ));
    }

    #[test]
    fn public_keys_parse_from_hex_only() {
        let key = AuditKey::generate().unwrap();
        let text = key.public_key().to_string();
        assert_eq!(text.parse::<PublicKey>().unwrap(), key.public_key());
        for bad in ["", "zz", &text[..62], &format!("{text}00")] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad}");
        }
    }
}
