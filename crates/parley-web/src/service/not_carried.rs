//! What the procedure's document asks of people that Parley does not do (`[[not_carried]]`
//! in the procedure file), grouped by the document's section for the procedure page and the
//! API. The text is the document's and the procedure file's: shown as written, never a child's
//! details.

use parley_core::procedure::NotCarried;
use serde::Serialize;

/// The sentences of one section of the document that Parley does not carry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotCarriedSection {
    /// The document's section or paragraph, e.g. `2.4.12` or `§4 Stage 2`.
    pub reference: String,
    pub entries: Vec<NotCarriedEntry>,
}

/// One sentence of the document that Parley does not carry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotCarriedEntry {
    /// The document's words, quoted exactly.
    pub text: String,
    /// Parley's note: what the people do themselves instead.
    pub why: String,
}

/// The entries in the document's order, consecutive entries of the same section together.
pub fn sections(list: &[NotCarried]) -> Vec<NotCarriedSection> {
    let mut out: Vec<NotCarriedSection> = Vec::new();
    for n in list {
        let entry = NotCarriedEntry {
            text: n.text.clone(),
            why: n.why.clone(),
        };
        match out.last_mut() {
            Some(last) if last.reference == n.reference => last.entries.push(entry),
            _ => out.push(NotCarriedSection {
                reference: n.reference.clone(),
                entries: vec![entry],
            }),
        }
    }
    out
}
