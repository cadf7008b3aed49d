//! What an escalation's timescales count from (`[counting]`): the counting rule, and which
//! date is Day One (issue 14, item 7). Dorset §4: the professional and their line manager
//! decide whether to raise the matter, and "The date of this decision is Day One", which may
//! be before the day the escalation is entered in Parley.

use serde::Deserialize;
use toml::Spanned;

use super::{Diagnostic, Stage, Timescale};
use crate::calendar::{CountingRule, WorkingDays};
use crate::names::DayOneFrom;

/// Which date is Day One.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOne {
    /// The day the escalation is raised in Parley (every procedure but Dorset's).
    Raised,
    /// The date of the decision to raise it, given when raising. It may lie in the past, but
    /// only so far that day `latest_entry_day` (counted from it as from Day One) is not
    /// before the day it is raised: an escalation is entered in Parley by then.
    DecisionDate { latest_entry_day: WorkingDays },
}

impl DayOne {
    /// Whether raising asks for the date of the decision.
    pub fn takes_decision_date(self) -> bool {
        matches!(self, DayOne::DecisionDate { .. })
    }

    /// The file's name for it.
    pub fn from(self) -> DayOneFrom {
        match self {
            DayOne::Raised => DayOneFrom::Raised,
            DayOne::DecisionDate { .. } => DayOneFrom::DecisionDate,
        }
    }
}

/// The `[counting]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCounting {
    pub(super) rule: Spanned<String>,
    day_one: Option<Spanned<String>>,
    latest_entry_day: Option<Spanned<i64>>,
}

/// Checks `day_one` and `latest_entry_day` against the counting rule (`None` when the rule
/// itself was refused) and the stages (`None` when they were). Problems go to `diagnostics`.
pub(super) fn day_one(
    raw: &RawCounting,
    rule: Option<CountingRule>,
    stages: Option<&[Stage]>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<DayOne> {
    let mut error = |span: std::ops::Range<usize>, message: String, help: &str| {
        diagnostics.push(Diagnostic {
            span: Some(span),
            message,
            help: Some(help.to_owned()),
        });
    };
    let from = match &raw.day_one {
        None => DayOneFrom::Raised,
        Some(v) => match v.get_ref().parse::<DayOneFrom>() {
            Ok(from) => from,
            Err(_) => {
                error(
                    v.span(),
                    format!("unknown day_one \"{}\"", v.get_ref()),
                    "day_one is \"raised\" (the default) or \"decision-date\"",
                );
                return None;
            }
        },
    };
    match (from, &raw.latest_entry_day) {
        (DayOneFrom::Raised, None) => Some(DayOne::Raised),
        (DayOneFrom::Raised, Some(n)) => {
            error(
                n.span(),
                "latest_entry_day applies only when day_one = \"decision-date\"".to_owned(),
                "remove latest_entry_day, or add day_one = \"decision-date\"",
            );
            None
        }
        (DayOneFrom::DecisionDate, n) => {
            // The decision date is Day One, counted as day 1: the day-one rule's own terms.
            if rule == Some(CountingRule::After) {
                if let Some(v) = &raw.day_one {
                    error(
                        v.span(),
                        "day_one = \"decision-date\" needs rule = \"day-one\": the decision date is counted as day 1".to_owned(),
                        "set rule = \"day-one\", or leave day_one out",
                    );
                }
                return None;
            }
            let latest_entry_day = match n {
                Some(n) => match WorkingDays::new(*n.get_ref()) {
                    Ok(w) => w,
                    Err(e) => {
                        error(
                            n.span(),
                            format!("latest_entry_day: {e}"),
                            "give the working day, counted from Day One, by which an escalation is entered, e.g. 3",
                        );
                        return None;
                    }
                },
                // Parley default: the first stage's own time, so that no escalation is entered
                // with its first stage already overdue.
                None => first_stage_days(stages?)?,
            };
            rule?;
            Some(DayOne::DecisionDate { latest_entry_day })
        }
    }
}

/// The first stage's timescale in working days (its maximum where it is agreed).
fn first_stage_days(stages: &[Stage]) -> Option<WorkingDays> {
    stages.first().map(|s| match s.timescale {
        Timescale::Fixed { working_days, .. } => working_days,
        Timescale::Agreed { max } => max,
    })
}
