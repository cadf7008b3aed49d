//! The report as JSON (`GET /api/reports`, `parley report --format json`): the exact figures
//! of the period and of the one before it. Names are stable ids (routes, outcomes, categories,
//! agencies by id) with the labels people see beside them. No child's details: the figures
//! have no field for them.

use parley_report::Period;
use parley_report::figures::{Counts, Figures, Matrix, Named};
use parley_report::spread::Spread;
use serde::Serialize;

use super::Report;

/// Which part of a report's two lists (what was open at the end, and the learning log) the
/// JSON holds, in each period: a year's report over a big partnership lists a hundred
/// thousand lines, which a client reads a page at a time. The counts are always the whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// Lines left out from the start of each list.
    pub offset: usize,
    /// The most lines of each list; `None` for all of them.
    pub limit: Option<usize>,
}

impl Lines {
    /// Every line (`parley report --format json`: a file, made once).
    pub const ALL: Lines = Lines {
        offset: 0,
        limit: None,
    };
    /// The API's page when the request names none.
    pub const DEFAULT_LIMIT: usize = 500;
    /// The API's largest page.
    pub const MAX_LIMIT: usize = 5000;

    fn take<T>(self, lines: impl Iterator<Item = T>) -> Vec<T> {
        lines
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect()
    }
}

/// A period report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PeriodReport {
    /// The partnership's name.
    pub partnership: String,
    /// `YYYY-MM-DD`: the day the figures were read; a period still running is counted to it.
    pub as_of: String,
    /// Always `true`: the API gives exact figures, small numbers included. The PDF and CSV
    /// "for publication" suppress them.
    pub exact: bool,
    /// The part of each period's lists (`open_at_end.lines`, `learning`) given here; their
    /// whole lengths are `open_at_end.count` and `learning_count`.
    pub lines: ReportLines,
    pub current: ReportFigures,
    /// The period of the same length just before, for comparison.
    pub previous: ReportFigures,
}

/// The figures of one period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportFigures {
    pub period: ReportPeriod,
    /// `YYYY-MM-DD`: the day counted to (the period's last day, or `as_of` if sooner).
    pub end: String,
    /// Escalations raised in the period.
    pub raised: u64,
    pub by_route: Vec<ReportCount>,
    pub by_category: Vec<ReportCount>,
    pub by_raising_agency: Vec<ReportCount>,
    pub by_receiving_agency: Vec<ReportCount>,
    /// Raising agency (rows) by receiving agency (columns), of those raised.
    pub agencies: ReportMatrix,
    /// Of those raised, by the highest stage reached by the end (`id` the stage number).
    pub highest_stage: Vec<ReportCount>,
    /// Raised in each month, by the highest stage (in the order of `highest_stage`).
    pub by_month: Vec<ReportMonth>,
    /// Deadlines met and missed in the period, per stage.
    pub deadlines: Vec<ReportDeadline>,
    /// Closed in the period, by outcome (`agreed`, `disagreement-recorded`, `by-events`,
    /// `referred-on`, `withdrawn`, `redirected`).
    pub outcomes: Vec<ReportCount>,
    pub outcomes_by_receiving_agency: ReportMatrix,
    pub outcomes_by_raising_agency: ReportMatrix,
    /// Working days from raising to closing, of those closed in the period.
    pub time_to_close: Option<ReportSpread>,
    pub open_at_end: ReportOpen,
    pub meetings: u64,
    pub referrals: u64,
    pub compliments: u64,
    /// How many pieces of learning were recorded in the period (the whole of `learning`).
    pub learning_count: u64,
    /// The learning recorded in the period, by category, then pair of agencies: the part
    /// of it that `lines` names.
    pub learning: Vec<ReportLearning>,
}

/// The part of each list given: from line `offset` (0 the first), at most `limit` lines
/// (`null`: all of them).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportLines {
    pub offset: u64,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportPeriod {
    /// `YYYY-MM-DD`, the first day.
    pub from: String,
    /// `YYYY-MM-DD`, the last day.
    pub to: String,
    /// As people read it: "April 2026", "2026 to 2027", "1 April 2026 to 31 March 2027".
    pub label: String,
    /// `month`, `quarter`, `calendar-year` or `financial-year` when it is one.
    pub preset: Option<String>,
}

/// A count of one thing.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportCount {
    pub id: String,
    pub label: String,
    pub count: u64,
}

/// Something named, by id and label.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportNamed {
    pub id: String,
    pub label: String,
}

/// Counts by two things: `counts[row][col]`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportMatrix {
    pub rows: Vec<ReportNamed>,
    pub cols: Vec<ReportNamed>,
    pub counts: Vec<Vec<u64>>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportMonth {
    /// `YYYY-MM-DD`: the month's first day in the period.
    pub from: String,
    /// `YYYY-MM-DD`: its last day in the period.
    pub to: String,
    pub by_stage: Vec<u64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportDeadline {
    pub stage: u8,
    pub stage_name: String,
    pub met: u64,
    pub missed: u64,
    /// How many working days late the missed ones were.
    pub late: Option<ReportSpread>,
}

/// Median and 90th percentile (nearest rank) of some working days.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportSpread {
    pub count: u64,
    pub median: u32,
    pub p90: u32,
    pub max: u32,
}

/// What was open at the end of the period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportOpen {
    pub count: u64,
    /// Of those, past their stage's deadline.
    pub overdue: u64,
    pub by_stage: Vec<ReportCount>,
    /// How long they had been open, in bands of working days.
    pub by_band: Vec<ReportCount>,
    pub how_long: Option<ReportSpread>,
    /// Longest open first: the part of them that the report's `lines` names (`count` is
    /// the whole).
    pub lines: Vec<ReportOpenLine>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportOpenLine {
    pub reference: String,
    pub route: String,
    pub category: ReportNamed,
    pub raising_agency: ReportNamed,
    pub receiving_agency: ReportNamed,
    /// `YYYY-MM-DD`.
    pub raised_on: String,
    pub stage: u8,
    pub stage_name: String,
    pub working_days_open: u32,
    pub overdue: bool,
}

/// One piece of learning.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportLearning {
    pub category: ReportNamed,
    pub raising_agency: ReportNamed,
    pub receiving_agency: ReportNamed,
    pub reference: String,
    pub stage: u8,
    pub stage_name: String,
    /// `YYYY-MM-DD`: the day its text was last written.
    pub recorded_on: String,
    /// The record field's label, e.g. "Learning identified".
    pub label: String,
    pub text: String,
}

fn named(n: &Named) -> ReportNamed {
    ReportNamed {
        id: n.id.clone(),
        label: n.label.clone(),
    }
}

fn counts<K>(c: &Counts<K>, id: impl Fn(&K) -> (String, String)) -> Vec<ReportCount> {
    c.iter()
        .map(|(k, n)| {
            let (id, label) = id(k);
            ReportCount {
                id,
                label,
                count: *n,
            }
        })
        .collect()
}

fn named_counts(c: &Counts<Named>) -> Vec<ReportCount> {
    counts(c, |n| (n.id.clone(), n.label.clone()))
}

fn matrix<R, C>(
    m: &Matrix<R, C>,
    row: impl Fn(&R) -> ReportNamed,
    col: impl Fn(&C) -> ReportNamed,
) -> ReportMatrix {
    ReportMatrix {
        rows: m.rows.iter().map(row).collect(),
        cols: m.cols.iter().map(col).collect(),
        counts: m.counts.clone(),
    }
}

fn spread(s: Option<&Spread>) -> Option<ReportSpread> {
    s.map(|s| ReportSpread {
        count: s.count as u64,
        median: s.median,
        p90: s.p90,
        max: s.max,
    })
}

pub fn period(p: &Period) -> ReportPeriod {
    ReportPeriod {
        from: p.from().to_string(),
        to: p.to().to_string(),
        label: p.label(),
        preset: p.preset().map(|p| p.as_str().to_owned()),
    }
}

fn figures(report: &Report, f: &Figures, part: Lines) -> ReportFigures {
    let stage = |s: &parley_core::StageNumber| (s.get().to_string(), report.stage_name(*s));
    let outcome = |o: &parley_report::figures::Outcome| ReportNamed {
        id: o.as_str().to_owned(),
        label: o.label().to_owned(),
    };
    ReportFigures {
        period: period(&f.period),
        end: f.end.to_string(),
        raised: f.raised,
        by_route: counts(&f.by_route, |r| {
            (r.as_str().to_owned(), r.label().to_owned())
        }),
        by_category: named_counts(&f.by_category),
        by_raising_agency: named_counts(&f.by_raising_agency),
        by_receiving_agency: named_counts(&f.by_receiving_agency),
        agencies: matrix(&f.agencies, named, named),
        highest_stage: counts(&f.highest_stage, stage),
        by_month: f
            .by_month
            .iter()
            .map(|m| ReportMonth {
                from: m.month.from().to_string(),
                to: m.month.to().to_string(),
                by_stage: m.by_stage.clone(),
            })
            .collect(),
        deadlines: f
            .deadlines
            .iter()
            .map(|d| ReportDeadline {
                stage: d.stage.get(),
                stage_name: report.stage_name(d.stage),
                met: d.met,
                missed: d.missed,
                late: spread(d.late.as_ref()),
            })
            .collect(),
        outcomes: counts(&f.outcomes, |o| {
            (o.as_str().to_owned(), o.label().to_owned())
        }),
        outcomes_by_receiving_agency: matrix(&f.outcomes_by_receiving_agency, named, outcome),
        outcomes_by_raising_agency: matrix(&f.outcomes_by_raising_agency, named, outcome),
        time_to_close: spread(f.time_to_close.as_ref()),
        open_at_end: ReportOpen {
            count: f.open_at_end.lines.len() as u64,
            overdue: f.open_at_end.overdue,
            by_stage: counts(&f.open_at_end.by_stage, stage),
            by_band: counts(&f.open_at_end.by_band, |b| {
                (format!("{b:?}"), b.label().to_owned())
            }),
            how_long: spread(f.open_at_end.how_long.as_ref()),
            lines: part.take(f.open_at_end.lines.iter().map(|l| ReportOpenLine {
                reference: l.reference.clone(),
                route: l.route.as_str().to_owned(),
                category: named(&l.category),
                raising_agency: named(&l.raising_agency),
                receiving_agency: named(&l.receiving_agency),
                raised_on: l.raised_on.to_string(),
                stage: l.stage.get(),
                stage_name: report.stage_name(l.stage),
                working_days_open: l.working_days_open,
                overdue: l.overdue,
            })),
        },
        meetings: f.meetings,
        referrals: f.referrals,
        compliments: f.compliments,
        learning_count: f
            .learning
            .iter()
            .flat_map(|g| g.pairs.iter().map(|p| p.lines.len() as u64))
            .sum(),
        learning: part.take(f.learning.iter().flat_map(|g| {
            g.pairs.iter().flat_map(move |p| {
                p.lines.iter().map(move |l| ReportLearning {
                    category: named(&g.category),
                    raising_agency: named(&p.raising_agency),
                    receiving_agency: named(&p.receiving_agency),
                    reference: l.reference.to_string(),
                    stage: l.stage.get(),
                    stage_name: report.stage_name(l.stage),
                    recorded_on: l.recorded_on.to_string(),
                    label: l.label.to_string(),
                    text: l.text.to_string(),
                })
            })
        })),
    }
}

/// The report as the API and `parley report --format json` give it, with the `part` of its
/// lists.
pub fn of(report: &Report, part: Lines) -> PeriodReport {
    PeriodReport {
        partnership: report.partnership.clone(),
        as_of: report.as_of.to_string(),
        exact: true,
        lines: ReportLines {
            offset: part.offset as u64,
            limit: part.limit.map(|l| l as u64),
        },
        current: figures(report, &report.current, part),
        previous: figures(report, &report.previous, part),
    }
}
