//! The hash chain over each partnership's events.
//!
//! Each event's hash covers the previous event's hash, the event's fixed fields and a salted
//! digest of its content (actor, reason, payload). The content itself is not in the chain, so a
//! lawful purge at the end of the retention period can delete it (and its salt) and the chain
//! still verifies; while the content is there, it is checked against its digest.

use sha2::{Digest, Sha256};

/// The hash a chain's first event links to.
pub const GENESIS: [u8; 32] = [0; 32];

/// Domain separation: a hash made for anything else never collides with ours.
const EVENT_DOMAIN: &[u8] = b"parley/event/v1";
const CONTENT_DOMAIN: &[u8] = b"parley/content/v1";

/// An event's content: what a purge may remove.
#[derive(Clone, Copy, Debug)]
pub struct Content<'a> {
    pub actor: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub payload: &'a str,
}

/// The fields of an event that stay for ever, in the order they are hashed.
#[derive(Clone, Copy, Debug)]
pub struct Fixed<'a> {
    pub partnership_id: &'a str,
    pub seq: i64,
    pub stream: &'a str,
    pub stream_version: i64,
    pub at_us: i64,
    pub kind: &'a str,
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn put_opt(h: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            put(h, b);
        }
    }
}

/// SHA-256 of the salt and the content, each field length-prefixed.
pub fn content_hash(salt: &[u8], content: Content<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put(&mut h, CONTENT_DOMAIN);
    put(&mut h, salt);
    put_opt(&mut h, content.actor.map(str::as_bytes));
    put_opt(&mut h, content.reason.map(str::as_bytes));
    put(&mut h, content.payload.as_bytes());
    h.finalize().into()
}

/// SHA-256 of the previous hash, the fixed fields and the content hash.
pub fn event_hash(prev: &[u8], fixed: Fixed<'_>, content_hash: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    put(&mut h, EVENT_DOMAIN);
    put(&mut h, prev);
    put(&mut h, fixed.partnership_id.as_bytes());
    h.update(fixed.seq.to_be_bytes());
    put(&mut h, fixed.stream.as_bytes());
    h.update(fixed.stream_version.to_be_bytes());
    h.update(fixed.at_us.to_be_bytes());
    put(&mut h, fixed.kind.as_bytes());
    put(&mut h, content_hash);
    h.finalize().into()
}

/// A stored event as the verifier sees it.
#[derive(Clone, Debug)]
pub struct Link {
    pub partnership_id: String,
    pub seq: i64,
    pub stream: String,
    pub stream_version: i64,
    pub at_us: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub payload: Option<String>,
    pub salt: Option<Vec<u8>>,
    pub content_hash: Vec<u8>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Why a chain does not verify, at the first event where it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error(
        "event {seq}: expected sequence number {expected} (an event is missing or out of place)"
    )]
    Sequence { seq: i64, expected: i64 },
    #[error("event {seq}: its content does not match its digest (the content was changed)")]
    Content { seq: i64 },
    #[error("event {seq}: it does not link to the previous event's hash")]
    Link { seq: i64 },
    #[error("event {seq}: its hash does not match its fields (the event was changed)")]
    Hash { seq: i64 },
    #[error(
        "event {seq}: its content was removed without its salt (or the salt without the content)"
    )]
    PartialPurge { seq: i64 },
}

impl Break {
    pub fn seq(&self) -> i64 {
        match self {
            Break::Sequence { seq, .. }
            | Break::Content { seq }
            | Break::Link { seq }
            | Break::Hash { seq }
            | Break::PartialPurge { seq } => *seq,
        }
    }
}

/// Walks a chain in order, one event at a time.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev: Vec<u8>,
    /// Events whose content has been purged (the chain still verifies without it).
    pub purged: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev: GENESIS.to_vec(),
            purged: 0,
        }
    }
}

impl Verifier {
    /// A verifier that takes up a chain at event `seq`, which must link to `prev`: for
    /// checking a chain's newest events without walking it all (the events before are
    /// taken on trust).
    pub fn resume(seq: i64, prev: Vec<u8>) -> Self {
        Verifier {
            expected_seq: seq,
            prev,
            purged: 0,
        }
    }

    /// Checks the next event of the chain.
    pub fn check(&mut self, e: &Link) -> Result<(), Break> {
        let seq = e.seq;
        if seq != self.expected_seq {
            return Err(Break::Sequence {
                seq,
                expected: self.expected_seq,
            });
        }
        match (&e.salt, &e.payload) {
            (Some(salt), Some(payload)) => {
                let content = Content {
                    actor: e.actor.as_deref(),
                    reason: e.reason.as_deref(),
                    payload,
                };
                if content_hash(salt, content)[..] != e.content_hash[..] {
                    return Err(Break::Content { seq });
                }
            }
            (None, None) => self.purged += 1,
            _ => return Err(Break::PartialPurge { seq }),
        }
        if e.prev_hash != self.prev {
            return Err(Break::Link { seq });
        }
        let fixed = Fixed {
            partnership_id: &e.partnership_id,
            seq,
            stream: &e.stream,
            stream_version: e.stream_version,
            at_us: e.at_us,
            kind: &e.kind,
        };
        if event_hash(&e.prev_hash, fixed, &e.content_hash)[..] != e.hash[..] {
            return Err(Break::Hash { seq });
        }
        self.prev.clone_from(&e.hash);
        self.expected_seq += 1;
        Ok(())
    }

    /// The last verified event: (seq, hash).
    pub fn head(&self) -> (i64, &[u8]) {
        (self.expected_seq - 1, &self.prev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(prev: &[u8], seq: i64, payload: &str) -> Link {
        let salt = vec![seq as u8; 16];
        let content = Content {
            actor: Some("a"),
            reason: None,
            payload,
        };
        let ch = content_hash(&salt, content);
        let fixed = Fixed {
            partnership_id: "p",
            seq,
            stream: "s",
            stream_version: seq,
            at_us: 1000 * seq,
            kind: "k",
        };
        Link {
            partnership_id: "p".into(),
            seq,
            stream: "s".into(),
            stream_version: seq,
            at_us: 1000 * seq,
            kind: "k".into(),
            actor: Some("a".into()),
            reason: None,
            payload: Some(payload.into()),
            salt: Some(salt),
            content_hash: ch.to_vec(),
            prev_hash: prev.to_vec(),
            hash: event_hash(prev, fixed, &ch).to_vec(),
        }
    }

    fn chain(n: i64) -> Vec<Link> {
        let mut out: Vec<Link> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or(GENESIS.to_vec(), |l| l.hash.clone());
            out.push(link(&prev, seq, &format!("{{\"n\":{seq}}}")));
        }
        out
    }

    fn verify(links: &[Link]) -> Result<(), Break> {
        let mut v = Verifier::default();
        links.iter().try_for_each(|l| v.check(l))
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(()));
    }

    #[test]
    fn each_kind_of_tampering_is_named_at_its_event() {
        let mut c = chain(5);
        c[2].payload = Some("{\"n\":99}".into());
        assert_eq!(verify(&c), Err(Break::Content { seq: 3 }));

        let mut c = chain(5);
        c.remove(2);
        assert_eq!(
            verify(&c),
            Err(Break::Sequence {
                seq: 4,
                expected: 3
            })
        );

        let mut c = chain(5);
        c.swap(1, 2);
        assert_eq!(
            verify(&c),
            Err(Break::Sequence {
                seq: 3,
                expected: 2
            })
        );

        let mut c = chain(5);
        c[3].at_us += 1;
        assert_eq!(verify(&c), Err(Break::Hash { seq: 4 }));

        let mut c = chain(5);
        c[1].salt = None;
        assert_eq!(verify(&c), Err(Break::PartialPurge { seq: 2 }));
    }

    #[test]
    fn a_purged_event_still_verifies() {
        let mut c = chain(5);
        c[2].payload = None;
        c[2].salt = None;
        c[2].actor = None;
        let mut v = Verifier::default();
        for l in &c {
            v.check(l).unwrap();
        }
        assert_eq!(v.purged, 1);
        assert_eq!(v.head().0, 5);
    }
}
