//! Period reports (issue 17, items 1, 2, 3 and 5), for the partnership business team and
//! administrators: the figures of a period and of the one before it, from the store's report
//! facts (`parley_store::facts`, no child's details by construction), as the page, the JSON of
//! the API and the CLI, each table as CSV, and the PDF of `parley-documents`, exact or for
//! publication (small numbers suppressed at the partnership's threshold).
//!
//! Transport-neutral: [`make`] takes the records, the partnership and the period, so the pages,
//! the API and `parley report` all make the same report.

use std::sync::Arc;

use jiff::civil::Date;
use parley_core::StageNumber;
use parley_core::procedure::Procedure;
use parley_documents::{Publication, ReportInput};
use parley_report::figures::{Figures, figures};
use parley_report::sections::{count_sections, learning_csv, open_csv};
use parley_report::suppress::Threshold;
use parley_report::{Period, Preset};
use parley_store::records::Records;
use parley_store::rows::PartnershipRow;

use crate::error::AppError;

pub mod json;
pub mod own;
pub mod own_page;
pub mod page;

/// A period's report: its figures and those of the period before, for comparison.
#[derive(Clone, Debug)]
pub struct Report {
    pub partnership: String,
    pub procedure: Arc<Procedure>,
    pub current: Figures,
    pub previous: Figures,
    /// The day the figures were read ("today" in the procedure's time zone).
    pub as_of: Date,
    /// The threshold below which the published form hides counts (issue 17, item 3: "the
    /// partnership's threshold (default 5)"), as the partnership's administrators set it.
    pub threshold: Threshold,
}

impl Report {
    /// How the procedure names a stage ("Stage 3", Sunderland's "Step 3").
    pub fn stage_name(&self, n: StageNumber) -> String {
        stage_name(&self.procedure, n)
    }
}

pub fn stage_name(procedure: &Procedure, n: StageNumber) -> String {
    procedure
        .stage(n)
        .map_or_else(|| format!("Stage {n}"), |s| s.name())
}

fn report_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("report: {e}"))
}

/// The report of `period` for the partnership, counted as the records stand on `as_of`.
pub async fn make(
    records: &Records,
    partnership: &PartnershipRow,
    period: Period,
    as_of: Date,
) -> Result<Report, AppError> {
    let previous = previous_of(period)?;
    let inputs = records
        .report_inputs(&partnership.id, read_period(period)?)
        .await
        .map_err(|e| AppError::Internal(format!("report facts: {e}")))?;
    let facts = inputs.facts;
    let calendar = Arc::clone(&inputs.calendar);
    // Counting is CPU work (hundreds of milliseconds over a big partnership's year): it runs
    // on a blocking thread, not a tokio worker, and the two periods at once on two threads.
    let (current, previous) = tokio::task::spawn_blocking(move || {
        let of = |p: Period| {
            figures(&facts.escalations, &facts.compliments, p, as_of, &calendar)
                .map_err(report_error)
        };
        std::thread::scope(|scope| {
            let before = scope.spawn(|| of(previous));
            let current = of(period);
            let previous = before
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (current, previous)
        })
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    Ok(Report {
        partnership: partnership.name.clone(),
        current: current?,
        previous: previous?,
        procedure: inputs.procedure,
        as_of,
        threshold: inputs.threshold,
    })
}

/// The period before, compared with.
fn previous_of(period: Period) -> Result<Period, AppError> {
    period
        .previous()
        .map_err(|e| AppError::invalid(e.to_string()))
}

/// What a report of `period` reads: it and the period before, in one read (each set of
/// figures counts only what falls in its own).
pub fn read_period(period: Period) -> Result<Period, AppError> {
    Period::range(previous_of(period)?.from(), period.to()).map_err(report_error)
}

/// The ids of the tables a CSV can be asked for: the tables of counts, then the two lists,
/// which name escalations and so are never published.
pub const OPEN_TABLE: &str = "open-at-end";
pub const LEARNING_TABLE: &str = "learning-log";

/// The ids of every table [`csv`] gives: the tables of counts, then the two lists.
pub fn table_ids(report: &Report) -> Vec<String> {
    let stage_name = |n| report.stage_name(n);
    let mut ids: Vec<String> = count_sections(&report.current, &stage_name)
        .map(|s| s.into_iter().map(|s| s.id.to_owned()).collect())
        .unwrap_or_default();
    ids.push(OPEN_TABLE.to_owned());
    ids.push(LEARNING_TABLE.to_owned());
    ids
}

/// One table of the current period as CSV; `publish` suppresses small numbers (the lists are
/// refused in that form). `None` for a table the report does not have.
pub fn csv(report: &Report, table: &str, publish: bool) -> Result<Option<String>, AppError> {
    let stage_name = |n| report.stage_name(n);
    let f = &report.current;
    let threshold = publish.then_some(report.threshold);
    let out = match table {
        OPEN_TABLE if !publish => open_csv(&f.open_at_end, &stage_name).map_err(report_error)?,
        LEARNING_TABLE if !publish => {
            learning_csv(&f.learning, &stage_name).map_err(report_error)?
        }
        _ => {
            let sections = count_sections(f, &stage_name).map_err(report_error)?;
            match sections.iter().find(|s| s.id == table) {
                Some(s) => s.csv(threshold).map_err(report_error)?,
                None => return Ok(None),
            }
        }
    };
    Ok(Some(out.write()))
}

/// The file name of a download, e.g. `escalations-2026-04-01-to-2027-03-31-raised-by-category.csv`.
pub fn file_name(report: &Report, what: &str, publish: bool, ext: &str) -> String {
    let p = report.current.period;
    let form = if publish { "-for-publication" } else { "" };
    format!("escalations-{}-to-{}-{what}{form}.{ext}", p.from(), p.to())
}

/// The report as PDF: exact for the business team, or for publication.
pub fn pdf(report: &Report, publish: bool) -> Result<Vec<u8>, AppError> {
    let stage_name = |n| report.stage_name(n);
    let document = parley_documents::report(&ReportInput {
        partnership: &report.partnership,
        figures: &report.current,
        stage_name: &stage_name,
        publication: if publish {
            Publication::Published(report.threshold)
        } else {
            Publication::Exact
        },
    })
    .map_err(|e| AppError::Internal(format!("report document: {e}")))?;
    document
        .pdf()
        .map_err(|e| AppError::Internal(format!("report PDF: {e}")))
}

/// The longest period a report covers, in days (ten years and their leap days).
pub const MAX_DAYS: i64 = 3653;

/// A period from what a form or query gave: a preset (with the day it should contain,
/// `today` when none), or a range from `from` to `to`. The message names the field.
pub fn period_of(
    from: Option<&str>,
    to: Option<&str>,
    preset: Option<&str>,
    on: Option<&str>,
    today: Date,
) -> Result<Period, (&'static str, String)> {
    let date = |field: &'static str, s: &str| {
        s.trim().parse::<Date>().map_err(|_| {
            (
                field,
                "Enter a real date as YYYY-MM-DD, for example 2026-04-01".to_owned(),
            )
        })
    };
    if let Some(p) = preset.filter(|p| !p.is_empty()) {
        // `year` is the calendar year, as the CLI's `--preset year` says it.
        let name = if p == "year" { "calendar-year" } else { p };
        let preset = name.parse::<Preset>().map_err(|_| {
            (
                "preset",
                "Choose month, quarter, year (calendar-year) or financial-year".to_owned(),
            )
        })?;
        let on = match on.filter(|s| !s.trim().is_empty()) {
            Some(s) => date("on", s)?,
            None => today,
        };
        return preset.containing(on).map_err(|e| ("on", e.to_string()));
    }
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => date("from", s)?,
        None => return Err(("from", "Enter the first day of the period".to_owned())),
    };
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => date("to", s)?,
        None => return Err(("to", "Enter the last day of the period".to_owned())),
    };
    let range = Period::range(from, to).map_err(|_| {
        (
            "to",
            "The last day must be the same as or after the first day".to_owned(),
        )
    })?;
    // A report by month over centuries would be megabytes of chart: ten years is plenty.
    if range.days() > MAX_DAYS {
        return Err((
            "from",
            "A report covers at most 10 years: choose a later first day".to_owned(),
        ));
    }
    // A range that is a whole month, quarter or year is that period: it is named so, and
    // compared with the one before it of the same kind.
    Ok(Period::named(from, to).unwrap_or(range))
}
