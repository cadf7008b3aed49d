//! The learning log of a period (issue 17: "every stage's 'learning identified', without child
//! details, grouped by category and agency"): the learning written in the period, grouped by
//! the escalation's category, then by its pair of agencies. Only the text, the field's label,
//! the reference, the stage and the date are kept; the facts have nothing else to give.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::civil::Date;
use parley_core::StageNumber;

use super::{EscalationFacts, Named};

/// One piece of learning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearningLine {
    pub reference: Arc<str>,
    pub stage: StageNumber,
    pub recorded_on: Date,
    /// The record field's label, e.g. "Learning identified".
    pub label: Arc<str>,
    pub text: Arc<str>,
}

/// The learning of one pair of agencies within a category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearningPair {
    pub raising_agency: Named,
    pub receiving_agency: Named,
    /// Oldest first.
    pub lines: Vec<LearningLine>,
}

/// The learning of one category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearningGroup {
    pub category: Named,
    pub pairs: Vec<LearningPair>,
}

pub(super) fn groups(
    escalations: &[&EscalationFacts],
    from: Date,
    end: Date,
) -> Vec<LearningGroup> {
    // Gathered first by where the names are in memory (the facts share one `Named` each, so
    // a hundred thousand lines hash three pointers each instead of comparing names), then
    // merged by the names themselves.
    type Key<'a> = (&'a Named, &'a Named, &'a Named);
    let mut by_place: HashMap<[*const Named; 3], (Key<'_>, Vec<LearningLine>)> = HashMap::new();
    for &e in escalations {
        for s in &e.stages {
            for l in &s.learning {
                if l.recorded_on < from || l.recorded_on > end || l.text.trim().is_empty() {
                    continue;
                }
                let names = (&*e.category, &*e.raising_agency, &*e.receiving_agency);
                by_place
                    .entry([names.0, names.1, names.2].map(std::ptr::from_ref))
                    .or_insert_with(|| (names, Vec::new()))
                    .1
                    .push(LearningLine {
                        reference: Arc::clone(&e.reference),
                        stage: s.stage,
                        recorded_on: l.recorded_on,
                        label: Arc::clone(&l.label),
                        text: Arc::clone(&l.text),
                    });
            }
        }
    }
    let mut by: BTreeMap<&Named, BTreeMap<(&Named, &Named), Vec<LearningLine>>> = BTreeMap::new();
    for ((category, raising, receiving), lines) in by_place.into_values() {
        by.entry(category)
            .or_default()
            .entry((raising, receiving))
            .or_default()
            .extend(lines);
    }
    by.into_iter()
        .map(|(category, pairs)| LearningGroup {
            category: category.clone(),
            pairs: pairs
                .into_iter()
                .map(|((raising_agency, receiving_agency), mut lines)| {
                    lines.sort_by(|a, b| {
                        (a.recorded_on, &a.reference, a.stage).cmp(&(
                            b.recorded_on,
                            &b.reference,
                            b.stage,
                        ))
                    });
                    LearningPair {
                        raising_agency: raising_agency.clone(),
                        receiving_agency: receiving_agency.clone(),
                        lines,
                    }
                })
                .collect(),
        })
        .collect()
}
