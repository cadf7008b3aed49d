//! The figures of a report period (issue 17, item 1), from one fact sheet per escalation.
//!
//! Everything is counted as the records stood at the end of the period, or on `as_of` (the
//! day the facts were read, which the caller gives: nothing here reads the clock) if that is
//! sooner: call it the period's *end*. Which period a thing falls in:
//!
//! - **raised** (by route, category, agencies, the agencies' matrix, the highest stage, the
//!   months): raised from the period's first day to its end. The highest stage is the highest
//!   one begun by the end.
//! - **deadlines**: a stage's deadline is *met* on the day the stage ended, if that was on or
//!   before its due date, and *missed* on its due date otherwise (the deadline is the end of
//!   that working day), once that day is over; it counts in the period it was met or missed in.
//!   Lateness is in working days after the due date, up to the day the stage ended or the
//!   period's end.
//! - **outcomes** and **time to close**: closed in the period. Time to close is in working days
//!   after the day it was raised, up to and including the day it closed (0 when closed on the
//!   day it was raised).
//! - **open at the end**: raised by the end and not closed by then; how long is in **working
//!   days** after the day it was raised up to the end (the procedures' own unit).
//! - **meetings, referrals, compliments, learning**: on their own dates.
//!
//! The facts carry no child's details: there is no field for them.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use jiff::civil::Date;
use parley_core::escalation::Status;
use parley_core::names::{ClosedAs, RedirectionKind, Resolution, RouteKind};
use parley_core::{Calendar, ProcedureId, StageNumber};

use crate::ReportError;
use crate::period::Period;
use crate::spread::Spread;

mod learning;
mod open;

pub use learning::{LearningGroup, LearningLine, LearningPair};
pub use open::{OpenAtEnd, OpenBand, OpenLine};

/// Something a report groups by: its stable id, and the name it shows. Ordered by the name
/// (then the id), as a report lists them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Named {
    pub id: String,
    pub label: String,
}

impl Ord for Named {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.label, &self.id).cmp(&(&other.label, &other.id))
    }
}

impl PartialOrd for Named {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Named {
    pub fn new(id: &str, label: &str) -> Named {
        Named {
            id: id.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// How an escalation closed, as a report counts it: the three resolutions of the core's
/// [`Resolution`] and the other three ways out of [`Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Agreed,
    DisagreementRecorded,
    ByEvents,
    ReferredOn,
    Withdrawn,
    Redirected,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[
        Outcome::Agreed,
        Outcome::DisagreementRecorded,
        Outcome::ByEvents,
        Outcome::ReferredOn,
        Outcome::Withdrawn,
        Outcome::Redirected,
    ];

    pub fn resolved(resolution: Resolution) -> Outcome {
        match resolution {
            Resolution::Agreed => Outcome::Agreed,
            Resolution::DisagreementRecorded => Outcome::DisagreementRecorded,
            Resolution::ByEvents => Outcome::ByEvents,
        }
    }

    /// The outcome of a closed escalation; `None` while it is open.
    pub fn of(status: &Status) -> Option<Outcome> {
        match status {
            Status::Open => None,
            Status::Resolved(r) => Some(Outcome::resolved(*r)),
            Status::ReferredOn(_) => Some(Outcome::ReferredOn),
            Status::Withdrawn => Some(Outcome::Withdrawn),
            Status::Redirected(_) => Some(Outcome::Redirected),
        }
    }

    pub fn closed_as(self) -> ClosedAs {
        match self {
            Outcome::Agreed | Outcome::DisagreementRecorded | Outcome::ByEvents => {
                ClosedAs::Resolved
            }
            Outcome::ReferredOn => ClosedAs::ReferredOn,
            Outcome::Withdrawn => ClosedAs::Withdrawn,
            Outcome::Redirected => ClosedAs::Redirected,
        }
    }

    /// The name used in files, the API and CSV: the core's names.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Agreed => Resolution::Agreed.as_str(),
            Outcome::DisagreementRecorded => Resolution::DisagreementRecorded.as_str(),
            Outcome::ByEvents => Resolution::ByEvents.as_str(),
            other => other.closed_as().as_str(),
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Agreed => Resolution::Agreed.label(),
            Outcome::DisagreementRecorded => Resolution::DisagreementRecorded.label(),
            Outcome::ByEvents => Resolution::ByEvents.label(),
            Outcome::ReferredOn => "Referred on",
            Outcome::Withdrawn => "Withdrawn",
            Outcome::Redirected => "Redirected to another procedure",
        }
    }
}

/// How and when an escalation closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed {
    pub on: Date,
    pub outcome: Outcome,
    /// For a redirection, where to (`None` otherwise).
    pub redirected: Option<RedirectionKind>,
}

/// The learning identified at a stage (the procedure's `learning = true` record field; issue
/// 14, item 8). Its text was checked for a child's identifiers when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearningFact {
    /// The day its latest text was written.
    pub recorded_on: Date,
    /// The record field's label, e.g. "Learning identified".
    pub label: Arc<str>,
    /// Shared with the learning log's lines, not copied into them.
    pub text: Arc<str>,
}

/// One stage as it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageFacts {
    pub stage: StageNumber,
    pub started_on: Date,
    /// The governing due date (the earlier of the stage's and the overall deadline).
    pub due: Date,
    /// The day it ended (escalated, or the escalation closed); `None` while it runs.
    pub ended_on: Option<Date>,
    pub learning: Vec<LearningFact>,
}

/// What a report needs to know of one escalation, and nothing about the child.
///
/// The partnership, the category and the agencies are shared (`Arc`): a year's report reads
/// a hundred thousand of these, and they name a few dozen things between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationFacts {
    pub reference: Arc<str>,
    /// The partnership's id: every escalation of one report is of one partnership.
    pub partnership: Arc<str>,
    pub procedure: ProcedureId,
    pub route: RouteKind,
    pub category: Arc<Named>,
    pub raising_agency: Arc<Named>,
    pub receiving_agency: Arc<Named>,
    pub raised_on: Date,
    /// Its stages in the order they began; the first began the day it was raised.
    pub stages: Vec<StageFacts>,
    pub closed: Option<Closed>,
    /// The days its meetings were held (or arranged for, until held).
    pub meetings: Vec<Date>,
    /// The days it was referred on (Sunderland: Independent Scrutineer, an inspectorate).
    pub referrals: Vec<Date>,
}

impl EscalationFacts {
    /// The highest stage begun by `end`.
    fn stage_on(&self, end: Date) -> Option<StageNumber> {
        self.stages
            .iter()
            .filter(|s| s.started_on <= end)
            .map(|s| s.stage)
            .max()
    }

    fn open_on(&self, end: Date) -> bool {
        self.raised_on <= end && self.closed.is_none_or(|c| c.on > end)
    }
}

/// Counts by something, in the order the report shows them.
pub type Counts<K> = Vec<(K, u64)>;

/// Counts by two things: `counts[row][col]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix<R, C> {
    pub rows: Vec<R>,
    pub cols: Vec<C>,
    pub counts: Vec<Vec<u64>>,
}

impl<R: Ord + Clone, C: Ord + Clone> Matrix<R, C> {
    /// From the count of each pair, rows and columns in their order.
    fn of(cells: &BTreeMap<(R, C), u64>) -> Matrix<R, C> {
        let mut rows: Vec<R> = cells.keys().map(|(r, _)| r.clone()).collect();
        rows.dedup();
        let mut cols: Vec<C> = cells.keys().map(|(_, c)| c.clone()).collect();
        cols.sort();
        cols.dedup();
        let counts = rows
            .iter()
            .map(|r| {
                cols.iter()
                    .map(|c| cells.get(&(r.clone(), c.clone())).copied().unwrap_or(0))
                    .collect()
            })
            .collect();
        Matrix { rows, cols, counts }
    }
}

impl<R, C> Matrix<R, C> {
    /// The same counts with each row and column name made by `row` and `col` (names borrowed
    /// from the facts copied out once each, at the end).
    fn map<R2, C2>(self, row: impl Fn(R) -> R2, col: impl Fn(C) -> C2) -> Matrix<R2, C2> {
        Matrix {
            rows: self.rows.into_iter().map(row).collect(),
            cols: self.cols.into_iter().map(col).collect(),
            counts: self.counts,
        }
    }
}

/// Deadlines of one stage met and missed in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineRow {
    pub stage: StageNumber,
    pub met: u64,
    pub missed: u64,
    /// How many working days late the missed ones were.
    pub late: Option<Spread>,
}

/// The escalations raised in one month of the period, by the highest stage they reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthRow {
    /// The month, cut to the period.
    pub month: Period,
    /// One count per stage of [`Figures::highest_stage`], in its order.
    pub by_stage: Vec<u64>,
}

/// The figures of one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub period: Period,
    /// The day the period is counted to: its last day, or `as_of` if sooner.
    pub end: Date,
    pub raised: u64,
    /// Every route, zeros included.
    pub by_route: Counts<RouteKind>,
    /// Those raised in the period, by their label.
    pub by_category: Counts<Named>,
    pub by_raising_agency: Counts<Named>,
    pub by_receiving_agency: Counts<Named>,
    /// Raising agency (rows) by receiving agency (columns).
    pub agencies: Matrix<Named, Named>,
    /// The highest stage reached by the end, from stage 1 to the highest any reached.
    pub highest_stage: Counts<StageNumber>,
    /// Raised in each month of the period, by the highest stage reached.
    pub by_month: Vec<MonthRow>,
    /// Every stage with a deadline met or missed in the period.
    pub deadlines: Vec<DeadlineRow>,
    /// Every outcome, zeros included.
    pub outcomes: Counts<Outcome>,
    /// Closed in the period: receiving agency (rows) by outcome (columns).
    pub outcomes_by_receiving_agency: Matrix<Named, Outcome>,
    /// Closed in the period: raising agency (rows) by outcome (columns).
    pub outcomes_by_raising_agency: Matrix<Named, Outcome>,
    /// Working days from raising to closing, of those closed in the period.
    pub time_to_close: Option<Spread>,
    pub open_at_end: OpenAtEnd,
    pub meetings: u64,
    pub referrals: u64,
    pub compliments: u64,
    pub learning: Vec<LearningGroup>,
}

/// The figures of `period` from `escalations` (all of one partnership) and the days
/// compliments were given, counted on `calendar` as the records stood on `as_of`.
///
/// The facts are owned or shared (`Arc`: the store's report memory holds them between
/// reports).
pub fn figures<E: Borrow<EscalationFacts>>(
    escalations: &[E],
    compliments: &[Date],
    period: Period,
    as_of: Date,
    calendar: &Calendar,
) -> Result<Figures, ReportError> {
    let escalations: Vec<&EscalationFacts> = escalations.iter().map(Borrow::borrow).collect();
    if let Some(first) = escalations.first()
        && let Some(other) = escalations
            .iter()
            .find(|e| e.partnership != first.partnership)
    {
        return Err(ReportError::MixedPartnerships {
            first: first.partnership.to_string(),
            other: other.partnership.to_string(),
        });
    }
    let end = period.to().min(as_of);
    let within = |d: Date| period.from() <= d && d <= end;
    let working_days = |e: &EscalationFacts, a: Date, b: Date| -> Result<u32, ReportError> {
        calendar
            .working_days_between(a, b)
            .map(|n| u32::try_from(n.max(0)).unwrap_or(u32::MAX))
            .map_err(|source| ReportError::Calendar {
                reference: e.reference.to_string(),
                source,
            })
    };

    // One pass over the facts, each read once: a hundred thousand of them, read field by
    // field from wherever they are on the heap, cost a cache miss each time they are
    // visited. What the counts need of those raised and closed is copied out into rows
    // that lie side by side; what is open at the end and what has learning in the period
    // are picked out for their own sections.
    let mut raised: Vec<RaisedRow<'_>> = Vec::new();
    let mut deadlines: BTreeMap<StageNumber, (u64, u64, Vec<u32>)> = BTreeMap::new();
    let mut closed: Vec<ClosedRow<'_>> = Vec::new();
    let mut to_close = Vec::new();
    let mut open: Vec<&EscalationFacts> = Vec::new();
    let mut with_learning: Vec<&EscalationFacts> = Vec::new();
    let (mut meetings, mut referrals) = (0_u64, 0_u64);
    for &e in &escalations {
        if within(e.raised_on) {
            let stage = e.stage_on(end).ok_or_else(|| ReportError::NoStages {
                reference: e.reference.to_string(),
            })?;
            raised.push(RaisedRow {
                route: e.route,
                category: &e.category,
                raising: &e.raising_agency,
                receiving: &e.receiving_agency,
                stage,
                raised_on: e.raised_on,
            });
        }
        for s in &e.stages {
            let met_on = s.ended_on.filter(|&ended| ended <= s.due);
            if let Some(ended) = met_on {
                if within(ended) {
                    deadlines.entry(s.stage).or_default().0 += 1;
                }
            } else if s.due < as_of && within(s.due) {
                // Missed once its due day is over, which must be before `as_of`.
                let upto = s.ended_on.map_or(end, |d| d.min(end));
                let late = working_days(e, s.due, upto)?;
                let row = deadlines.entry(s.stage).or_default();
                row.1 += 1;
                row.2.push(late);
            }
        }
        if let Some(c) = e.closed.filter(|c| within(c.on)) {
            closed.push(ClosedRow {
                outcome: c.outcome,
                raising: &e.raising_agency,
                receiving: &e.receiving_agency,
            });
            to_close.push(working_days(e, e.raised_on, c.on)?);
        }
        if e.open_on(end) {
            open.push(e);
        }
        if e.stages
            .iter()
            .flat_map(|s| &s.learning)
            .any(|l| period.from() <= l.recorded_on && l.recorded_on <= end)
        {
            with_learning.push(e);
        }
        meetings += e.meetings.iter().filter(|&&d| within(d)).count() as u64;
        referrals += e.referrals.iter().filter(|&&d| within(d)).count() as u64;
    }

    let top = raised.iter().map(|r| r.stage.get()).max().unwrap_or(0);
    let stages: Vec<StageNumber> = (1..=i64::from(top)).filter_map(StageNumber::new).collect();
    // Stages run from 1, so a stage's column is its number less one.
    let mut by_stage = vec![0_u64; stages.len()];
    for r in &raised {
        if let Some(n) = by_stage.get_mut(usize::from(r.stage.get()) - 1) {
            *n += 1;
        }
    }
    let highest_stage = stages.iter().copied().zip(by_stage).collect();
    // Each raised into its month (the months are in order, so found by bisection) and the
    // column of its highest stage.
    let months: Vec<Period> = period
        .months()
        .into_iter()
        .filter(|m| m.from() <= end)
        .collect();
    let mut grid = vec![vec![0_u64; stages.len()]; months.len()];
    for r in &raised {
        let i = months.partition_point(|m| m.to() < r.raised_on);
        if let Some(row) = months
            .get(i)
            .filter(|m| m.contains(r.raised_on))
            .and(grid.get_mut(i))
            && let Some(cell) = row.get_mut(usize::from(r.stage.get()) - 1)
        {
            *cell += 1;
        }
    }
    let by_month = months
        .into_iter()
        .zip(grid)
        .map(|(month, by_stage)| MonthRow { month, by_stage })
        .collect();
    let deadlines = deadlines
        .into_iter()
        .map(|(stage, (met, missed, late))| DeadlineRow {
            stage,
            met,
            missed,
            late: Spread::of(&late),
        })
        .collect();

    Ok(Figures {
        period,
        end,
        raised: raised.len() as u64,
        by_route: RouteKind::ALL
            .iter()
            .map(|&route| {
                (
                    route,
                    raised.iter().filter(|r| r.route == route).count() as u64,
                )
            })
            .collect(),
        by_category: named_counts(raised.iter().map(|r| r.category)),
        by_raising_agency: named_counts(raised.iter().map(|r| r.raising)),
        by_receiving_agency: named_counts(raised.iter().map(|r| r.receiving)),
        agencies: Matrix::of(&tally(
            raised.iter().map(|r| (r.raising, r.receiving)),
            |(a, b)| (std::ptr::from_ref(a), std::ptr::from_ref(b)),
        ))
        .map(Named::clone, Named::clone),
        highest_stage,
        by_month,
        deadlines,
        outcomes: Outcome::ALL
            .iter()
            .map(|&o| (o, closed.iter().filter(|c| c.outcome == o).count() as u64))
            .collect(),
        outcomes_by_receiving_agency: Matrix::of(&tally(
            closed.iter().map(|c| (c.receiving, c.outcome)),
            |(a, o)| (std::ptr::from_ref(a), o),
        ))
        .map(Named::clone, |o| o),
        outcomes_by_raising_agency: Matrix::of(&tally(
            closed.iter().map(|c| (c.raising, c.outcome)),
            |(a, o)| (std::ptr::from_ref(a), o),
        ))
        .map(Named::clone, |o| o),
        time_to_close: Spread::of(&to_close),
        open_at_end: open::at_end(&open, end, as_of, working_days)?,
        meetings,
        referrals,
        compliments: compliments.iter().filter(|&&d| within(d)).count() as u64,
        learning: learning::groups(&with_learning, period.from(), end),
    })
}

/// What the counts of those raised in the period read of one.
struct RaisedRow<'a> {
    route: RouteKind,
    category: &'a Named,
    raising: &'a Named,
    receiving: &'a Named,
    /// The highest stage begun by the period's end.
    stage: StageNumber,
    raised_on: Date,
}

/// What the counts of those closed in the period read of one.
struct ClosedRow<'a> {
    outcome: Outcome,
    raising: &'a Named,
    receiving: &'a Named,
}

/// Counts of each value, in the values' order.
fn counts<K: Ord>(values: impl IntoIterator<Item = K>) -> Counts<K> {
    let mut by: BTreeMap<K, u64> = BTreeMap::new();
    for v in values {
        *by.entry(v).or_default() += 1;
    }
    by.into_iter().collect()
}

/// Counts of borrowed names, each name copied once into the result (not once a row).
fn named_counts<'a>(values: impl IntoIterator<Item = &'a Named>) -> Counts<Named> {
    tally(values, std::ptr::from_ref)
        .into_iter()
        .map(|(k, n)| (k.clone(), n))
        .collect()
}

/// The count of each value, in the values' order. Counted first by `at`, where the value is in
/// memory: the facts share one [`Named`] for each name (`Arc`), so a hundred thousand rows
/// hash a pointer each instead of comparing names; then merged by value, so two copies of one
/// name still count as one.
fn tally<K: Ord + Copy, A: Hash + Eq>(
    values: impl IntoIterator<Item = K>,
    at: impl Fn(K) -> A,
) -> BTreeMap<K, u64> {
    let mut by_place: HashMap<A, (K, u64)> = HashMap::new();
    for v in values {
        by_place.entry(at(v)).or_insert((v, 0)).1 += 1;
    }
    let mut by_value = BTreeMap::new();
    for (v, n) in by_place.into_values() {
        *by_value.entry(v).or_default() += n;
    }
    by_value
}

#[cfg(test)]
#[path = "figures_tests.rs"]
pub(crate) mod tests;
