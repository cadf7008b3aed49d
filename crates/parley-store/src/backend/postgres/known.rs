//! What the writer's own commits left in each partnership's chain, so that a batch whose
//! partnerships and streams it knows is decided in memory (see `postgres/mod.rs`).

use std::collections::HashMap;

/// Valid while each head is still the one named here: every append moves its partnership's
/// head, so while the head is the one this writer left, no stream of that partnership moved.
#[derive(Debug, Default)]
pub(super) struct Known(pub(super) HashMap<String, KnownChain>);

#[derive(Debug)]
pub(super) struct KnownChain {
    pub(super) head: (i64, Vec<u8>),
    /// Stream versions as of `head` (the partnership stream's among them).
    pub(super) streams: HashMap<String, i64>,
}

/// How many stream versions the writer keeps per partnership before starting afresh.
const KNOWN_STREAMS: usize = 4096;

impl Known {
    /// Records a committed batch: each partnership's new head, and the stream versions it
    /// read or wrote (`versions`, as of that head).
    pub(super) fn committed(
        &mut self,
        heads: &[(String, (i64, Vec<u8>))],
        versions: impl IntoIterator<Item = (String, String, i64)>,
    ) {
        for (partnership_id, head) in heads {
            let chain = self
                .0
                .entry(partnership_id.clone())
                .or_insert_with(|| KnownChain {
                    head: head.clone(),
                    streams: HashMap::new(),
                });
            chain.head.clone_from(head);
        }
        for (partnership_id, stream, version) in versions {
            if let Some(chain) = self.0.get_mut(&partnership_id) {
                if chain.streams.len() >= KNOWN_STREAMS && !chain.streams.contains_key(&stream) {
                    chain.streams.clear();
                }
                chain.streams.insert(stream, version);
            }
        }
    }

    pub(super) fn forget(&mut self) {
        self.0.clear();
    }
}
