//! `parley admin check-acks`: after a crash, is everything that was acknowledged there, whole,
//! and do the chains still verify? Used by the crash test and `scripts/pg-crash-test`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use parley_store::Store;
use parley_store::chain::Verifier;
use parley_store::payload::Payload;
use parley_store::stream;

use super::load::{Ack, record_text};
use crate::command::{Failure, Outcome};

/// How many problems to list before summing up the rest.
const SHOW_PROBLEMS: usize = 20;
/// Events read per query while walking a chain.
const PAGE: i64 = 1000;

#[derive(Debug, Args)]
pub(crate) struct CheckAcksArgs {
    /// Files of `ack` lines written by `write-load --ack`. Other lines are ignored, and so is a
    /// last line without its newline: it was never acknowledged.
    files: Vec<PathBuf>,
    /// Walk only these partnerships' chains (default: every chain in the database).
    #[arg(long, value_name = "ID")]
    partnership: Vec<String>,
}

/// Reads the acknowledged writes of an ack file's text.
fn acks_in(text: &str) -> Vec<Ack> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    complete.lines().filter_map(Ack::parse).collect()
}

#[derive(Debug, Default)]
struct Findings {
    acks: u64,
    chains: u64,
    events: u64,
    escalations: u64,
    problems: Vec<String>,
}

impl Findings {
    fn problem(&mut self, p: String) {
        self.problems.push(p);
    }
}

pub(crate) async fn check_acks(args: CheckAcksArgs, database: &str) -> Outcome {
    let mut acks = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
        acks.extend(acks_in(&text));
    }
    let store = parley_store::open(database).await?;
    let mut found = Findings::default();
    check_acknowledged(&*store, &acks, &mut found).await?;
    let ids = if args.partnership.is_empty() {
        store.chain_ids().await?
    } else {
        args.partnership.clone()
    };
    let heads: HashMap<String, (i64, Vec<u8>)> = store
        .chain_heads()
        .await?
        .into_iter()
        .map(|(id, seq, hash)| (id, (seq, hash)))
        .collect();
    for id in &ids {
        check_chain(&*store, id, heads.get(id), &mut found).await?;
    }
    let integrity = match parley_store::backend::probe::integrity_check(database).await? {
        None => "not applicable".to_owned(),
        Some(lines) if lines == ["ok"] => "ok".to_owned(),
        Some(lines) => {
            for line in &lines {
                found.problem(format!("integrity check: {line}"));
            }
            "FAILED".to_owned()
        }
    };
    let mut out = format!(
        "check-acks acks={} chains={} events={} escalations={} integrity={integrity} problems={}\n",
        found.acks,
        found.chains,
        found.events,
        found.escalations,
        found.problems.len()
    );
    if found.problems.is_empty() {
        return Ok(out);
    }
    for p in found.problems.iter().take(SHOW_PROBLEMS) {
        let _ = writeln!(out, "  {p}");
    }
    if found.problems.len() > SHOW_PROBLEMS {
        let _ = writeln!(
            out,
            "  ... and {} more",
            found.problems.len() - SHOW_PROBLEMS
        );
    }
    Err(Failure(out))
}

/// Every acknowledged write is stored at its version with its text, and an escalation holds at
/// most one write beyond its last acknowledged one (the write in flight when the writer died).
async fn check_acknowledged(
    store: &dyn Store,
    acks: &[Ack],
    found: &mut Findings,
) -> Result<(), Failure> {
    let mut by_stream: BTreeMap<(&str, &str), Vec<&Ack>> = BTreeMap::new();
    for ack in acks {
        by_stream
            .entry((&ack.partnership, &ack.escalation))
            .or_default()
            .push(ack);
    }
    for ((partnership, escalation), acks) in by_stream {
        let links = store
            .stream_events(partnership, &[stream::escalation(escalation)])
            .await?;
        let stored: HashMap<i64, Option<String>> = links
            .iter()
            .map(|l| (l.stream_version, record_text(l)))
            .collect();
        for ack in &acks {
            found.acks += 1;
            match stored.get(&ack.version) {
                Some(Some(text)) if *text == ack.text => {}
                Some(other) => found.problem(format!(
                    "escalation {escalation} version {}: acknowledged {:?}, stored {other:?}",
                    ack.version, ack.text
                )),
                None => found.problem(format!(
                    "escalation {escalation} version {}: acknowledged {:?} but missing (LOST)",
                    ack.version, ack.text
                )),
            }
        }
        let last_acked = acks.iter().map(|a| a.version).max().unwrap_or(0);
        let stored_max = stored.keys().copied().max().unwrap_or(0);
        if stored_max > last_acked + 1 {
            found.problem(format!(
                "escalation {escalation}: {} writes beyond the last acknowledged (version {last_acked}); at most 1 can have been in flight",
                stored_max - last_acked
            ));
        }
    }
    Ok(())
}

/// A chain verifies from its first event to the head `chain_heads` records; every event's
/// payload reads; each stream's versions run 1, 2, 3...; and every escalation's projected
/// version is its stream's (an event never commits without its projection, or the reverse).
async fn check_chain(
    store: &dyn Store,
    partnership: &str,
    head: Option<&(i64, Vec<u8>)>,
    found: &mut Findings,
) -> Result<(), Failure> {
    found.chains += 1;
    let mut verifier = Verifier::default();
    let mut versions: HashMap<String, i64> = HashMap::new();
    let mut after = 0;
    'walk: loop {
        let links = store.chain(partnership, after, PAGE).await?;
        let Some(last) = links.last() else { break };
        after = last.seq;
        for link in &links {
            found.events += 1;
            if let Err(broken) = verifier.check(link) {
                found.problem(format!("chain {partnership} does not verify: {broken}"));
                break 'walk;
            }
            if let Some(json) = &link.payload
                && let Err(e) = serde_json::from_str::<Payload>(json)
            {
                found.problem(format!(
                    "chain {partnership} event {}: payload does not read: {e}",
                    link.seq
                ));
            }
            let version = versions.entry(link.stream.clone()).or_insert(0);
            *version += 1;
            if link.stream_version != *version {
                found.problem(format!(
                    "chain {partnership} event {}: {} version {}, expected {}",
                    link.seq, link.stream, link.stream_version, version
                ));
                *version = link.stream_version;
            }
        }
    }
    let (seq, hash) = verifier.head();
    match head {
        Some((head_seq, head_hash)) if *head_seq == seq && head_hash[..] == hash[..] => {}
        Some((head_seq, _)) => found.problem(format!(
            "chain {partnership}: the recorded head is event {head_seq}, the chain verifies to event {seq}"
        )),
        None if seq == 0 => {}
        None => found.problem(format!("chain {partnership}: no recorded head")),
    }
    let rows = store.escalations(partnership).await?;
    found.escalations += rows.len() as u64;
    for row in &rows {
        let stream = stream::escalation(&row.id);
        let stored = versions.remove(&stream).unwrap_or(0);
        if row.version != stored {
            found.problem(format!(
                "escalation {}: projected version {}, but its stream holds {stored} events",
                row.id, row.version
            ));
        }
    }
    for stream in versions
        .keys()
        .filter(|s| matches!(s.parse(), Ok(stream::Stream::Escalation(_))))
    {
        found.problem(format!(
            "{stream}: events without a projected escalation row"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_ack_lines_count() {
        let text = "ack p e 2 a-w0-1\nnoise\nack p e 3 a-w0-2\nack p e 4 a-w0";
        let acks = acks_in(text);
        assert_eq!(acks.len(), 2);
        assert_eq!(acks[1].version, 3);
        assert_eq!(acks[1].text, "a-w0-2");
        assert!(acks_in("ack p e 2 t").is_empty());
        assert!(Ack::parse("ack p e x t").is_none());
        assert!(Ack::parse("ack p e 2 t extra").is_none());
    }
}
