//! What the tests of the procedure reader's areas share.

#![allow(clippy::unwrap_used)]

use super::{line_col, parse};
use crate::seeds;

/// A built-in procedure without its `[[table]]` tables (from the first to the next `# ---`
/// line; none to take out is fine), with `extra` at its end: the problems as (line within
/// `extra`, message).
pub(crate) fn problems_without(seed: &str, table: &str, extra: &str) -> Vec<(usize, String)> {
    let source = seeds::source(seed).unwrap();
    let base = match source.find(&format!("\n[[{table}]]")) {
        Some(at) => {
            let end = at + 1 + source[at + 1..].find("\n# ---").unwrap();
            format!("{}{}", &source[..at], &source[end..])
        }
        None => source.to_owned(),
    };
    let source = format!("{base}\n{extra}");
    let first = line_col(&source, base.len() + 1).0;
    match parse(&source) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| {
                let line = d.span.as_ref().map_or(0, |s| line_col(&source, s.start).0);
                (line + 1 - first, d.message.clone())
            })
            .collect(),
    }
}
