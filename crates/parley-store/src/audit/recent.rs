//! The cheap check `parley serve` and `parley demo` make before they listen: each chain's
//! newest events against its recorded head. `parley audit verify` walks everything.

use std::collections::{BTreeMap, BTreeSet};

use super::{Hash, Head, Problem, account_for_purges, head_problem, purge_record};
use crate::StoreError;
use crate::backend::Store;
use crate::chain::Verifier;
use crate::purge::purge_stream;

/// How many of each chain's newest events [`check_recent`] recomputes at start-up.
pub const RECENT_EVENTS: i64 = 100;

/// The cheap check `parley serve` makes before it starts: each chain's newest `n` events
/// recomputed (content digests, hashes, links), linked up to the chain head recorded in
/// `chain_heads` with nothing beyond it, and every emptied content among them accounted for
/// by a purge record. Returns each broken chain with its problem (empty when all hold). It
/// cannot see what lies further back: `parley audit verify` walks everything.
pub async fn check_recent(store: &dyn Store, n: i64) -> Result<Vec<(String, Problem)>, StoreError> {
    let recorded: BTreeMap<String, (i64, Vec<u8>)> = store
        .chain_heads()
        .await?
        .into_iter()
        .map(|(id, seq, hash)| (id, (seq, hash)))
        .collect();
    // The chains with a recorded head, and every partnership the query tables know (so that a
    // chain whose head row was deleted is still seen). Not `chain_ids`, which reads the whole
    // event log's index: this check runs at every start.
    let mut ids: BTreeSet<String> = store
        .partnerships()
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    ids.extend(recorded.keys().cloned());
    let n = n.max(1);
    let mut broken = Vec::new();
    for id in ids {
        let head_seq = recorded.get(&id).map_or(0, |r| r.0);
        // From the lowest possible number when the window reaches the chain's start, so that
        // the first event is checked against the genesis hash.
        let after = if head_seq > n {
            head_seq - n - 1
        } else {
            i64::MIN
        };
        // One more than the window: an event beyond the recorded head is a problem too.
        let links = store.chain(&id, after, n + 2).await?;
        let mut verifier = match links.first() {
            Some(first) if after != i64::MIN => {
                Verifier::resume(first.seq, first.prev_hash.clone())
            }
            _ => Verifier::default(),
        };
        let mut problem = None;
        let mut emptied = Vec::new();
        let mut records = BTreeMap::new();
        for link in &links {
            if let Err(b) = verifier.check(link) {
                problem = Some(Problem::Break(b));
                break;
            }
            if link.payload.is_none() {
                emptied.push((link.seq, link.kind.clone(), link.hash.clone()));
            }
            if let Some((purged_seq, record)) = purge_record(link) {
                records.insert(purged_seq, record);
            }
        }
        if problem.is_none() {
            // The purge records of the emptied events, wherever they are in the chain.
            for (seq, _, _) in &emptied {
                for link in store.stream_events(&id, &[purge_stream(*seq)]).await? {
                    if let Some((purged_seq, record)) = purge_record(&link) {
                        records.insert(purged_seq, record);
                    }
                }
            }
            let (_, unrecorded) = account_for_purges(&emptied, &records);
            if !unrecorded.is_empty() {
                problem = Some(Problem::UnrecordedPurge { seqs: unrecorded });
            }
        }
        if problem.is_none() {
            let (seq, hash) = verifier.head();
            let head = Hash::try_from(hash)
                .ok()
                .filter(|_| seq > 0)
                .map(|hash| Head { seq, hash });
            problem = head_problem(recorded.get(&id), head);
        }
        if let Some(problem) = problem {
            broken.push((id, problem));
        }
    }
    Ok(broken)
}
