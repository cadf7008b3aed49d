//! Demonstration and volume data: a demo partnership per built-in procedure, with agencies,
//! people in every access role, named officers, and escalations in every status, each driven
//! through the real state machine by [`Records`], with plausible dates.
//!
//! Everything about a run follows from the seed: which partnership each escalation belongs to,
//! how it ends, its texts and its dates (`now` is an argument: this module never reads the
//! clock). Only ids, salts and the order of concurrent appends differ from run to run.
//!
//! What an escalation may do is read from its procedure, never written here: categories,
//! routes and their entry stages, stage record fields, agreed or fixed timescales,
//! professionals' meetings, allowed outcomes, see-through (Buckinghamshire 2.4.11), referrals
//! and redirections. Each planned action is first checked against the core's state machine;
//! the deadlines that pass before an escalation's next action are recorded in its plan, at a
//! quarter past midnight, as a running Parley's monitor would have; those that pass after its
//! last one are recorded by the deadline monitor itself (`Records::deadline_pass`), night by
//! night, once everything else is written.
//!
//! Every child's name and identifier carries a unique marker ([`marker`]), so that tests can
//! sweep every view a partnership can see for a child's details.
//!
//! The files: `organisations` (places, names, titles), `setup` (agencies, people, officers),
//! `texts` (what people write), `plan` (endings and the working-day timeline), `planner` (each
//! escalation's steps), `seed` (applying them), `bulk` (volume for benchmarks) and `notices` (what the demo does for the
//! deadline monitor).

use std::collections::BTreeMap;

use parley_core::calendar::CalendarError;
use parley_core::roles;

use parley_store::StoreError;
use parley_store::projector::ProjectError;

pub mod expected;
mod notices;

/// The access roles the product knows, in the order sign-ins are listed.
pub use parley_core::roles::ROLES;

mod organisations;
use organisations::*;

mod setup;
pub use setup::join_all;
use setup::*;

mod texts;
use texts::*;

mod plan;
use plan::*;

mod planner;
use planner::*;

mod seed;
pub use seed::seed;

mod bulk;
pub use bulk::{BulkOptions, BulkProgress, BulkSummary, seed_bulk};

#[cfg(test)]
mod tests;

/// The demo's person for each partnership role a procedure appoints (issue 14, item 4):
/// (role, name, job title, in the documents' words).
const APPOINTEES: [(&str, &str, &str); 6] = [
    // Solihull stage 4: "a Chair of sufficient seniority, who is independent of the case".
    (
        roles::INDEPENDENT_CHAIR,
        "Margaret Okafor",
        "Independent Chair, stage 4 resolution meetings",
    ),
    // Croydon stage 5: "Safeguarding Partners Executive".
    (
        roles::SAFEGUARDING_PARTNERS_EXECUTIVE,
        "Patricia Adeyemi",
        "Member of the Safeguarding Partners Executive",
    ),
    // Sunderland: "the Independent Scrutineer will facilitate the resolution".
    (
        roles::INDEPENDENT_SCRUTINEER,
        "Alan Whitfield",
        "Independent Scrutineer",
    ),
    // Solihull stage 4: "the relevant Delegated Safeguarding Partner(s)".
    (
        roles::DELEGATED_SAFEGUARDING_PARTNER,
        "David Hennessy",
        "Delegated Safeguarding Partner",
    ),
    // Solihull §7: "the child's Independent Reviewing Officer".
    (
        roles::INDEPENDENT_REVIEWING_OFFICER,
        "Grace Mbeki",
        "Independent Reviewing Officer",
    ),
    // Buckinghamshire 2.4.16: "the Child Protection Reviewing Service Manager".
    (
        roles::CP_REVIEWING_SERVICE_MANAGER,
        "Helen Marsh",
        "Child Protection Reviewing Service Manager",
    ),
];

/// What every child marker starts with.
pub const MARKER_PREFIX: &str = "MARKER-";

/// The marker carried by the name and identifier of the `n`-th child of a demo partnership.
pub fn marker(procedure_id: &str, n: usize) -> String {
    format!(
        "{MARKER_PREFIX}{}-{n:05}",
        procedure_id.to_ascii_uppercase()
    )
}

/// How many actions are appended concurrently (the writer commits up to 64 in one
/// transaction).
const WINDOW: usize = 64;

/// What a seed run made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub partnerships: Vec<DemoPartnership>,
    pub agencies: usize,
    pub people: usize,
    pub named_officers: usize,
    pub compliments: usize,
    pub escalations: usize,
    /// Escalation events written (raises, actions and recorded deadlines).
    pub events: usize,
    /// Escalations by status: `open`, `resolved`, `referred-on`, `withdrawn`, `redirected`.
    pub by_status: BTreeMap<String, usize>,
    /// Escalations by where they stand in more detail, e.g. `open, overdue`,
    /// `resolved, disagreement-recorded`, `referred-on, ofsted`.
    pub by_outcome: BTreeMap<String, usize>,
    /// One person per partnership and access role, to sign in as.
    pub sign_ins: Vec<SignIn>,
}

/// A demo partnership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPartnership {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub procedure_id: String,
    pub escalations: usize,
}

/// A demo person to sign in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub partnership_id: String,
    pub partnership: String,
    pub person_id: String,
    pub name: String,
    pub email: String,
    /// One of [`ROLES`].
    pub role: String,
}

// ---------------------------------------------------------------------------------------------
// Determinism

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and good enough to vary demo data.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// An index chosen with the given weights.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

fn calendar_error(e: CalendarError) -> StoreError {
    StoreError::Project(ProjectError::Calendar(e))
}

fn date_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Project(ProjectError::Date(e.to_string()))
}
