//! The procedure's own reports (`[[report]]`; issue 17, item 1: "each procedure's own report.
//! Dorset's monthly list of escalations at stage 3 and above is one"): what the file declares,
//! each offered for the period it is due for (the last whole month, quarter or year), made
//! from the same report facts as the period report.
//!
//! A report of `escalations` lists those that reached its `from_stage` in the period
//! (`parley_report::reached`), without a child's details (the facts have no field for them).
//! A report of `figures` is the period report of its period; its CSV is the key figures.

use std::sync::Arc;

use jiff::civil::Date;
use parley_core::procedure::{Procedure, ReportContent, ReportSpec};
use parley_report::Period;
use parley_report::csv::{CsvTable, Value};
use parley_report::period::due_period;
use parley_report::reached::{ReachedLine, reached, reached_csv, standing};
use parley_store::records::Records;
use parley_store::rows::PartnershipRow;
use serde::Serialize;

use super::json::{PeriodReport, ReportNamed, ReportPeriod, period};
use super::{Report, report_error, stage_name};
use crate::error::AppError;

/// Where the procedure's reports are: the page, and the API.
pub const PAGE: &str = "/reports/procedure";
pub const API: &str = "/api/reports/procedure";

/// A report the procedure calls for, with the period it is due for now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureReportInfo {
    /// The id the procedure file gives it.
    pub id: String,
    pub title: String,
    /// `escalations` (a list of those that reached `from_stage`) or `figures`.
    pub content: String,
    /// For a list: the stage from which escalations are listed.
    pub from_stage: Option<u8>,
    /// `month`, `quarter`, `calendar-year` or `financial-year`.
    pub every: String,
    /// How often, in words: "Monthly".
    pub every_label: String,
    /// Whom it is for, in the document's words.
    #[serde(rename = "for")]
    pub audience: String,
    /// Where the document asks for it.
    pub reference: Option<String>,
    /// The last whole period, which it is due for now.
    pub due_period: ReportPeriod,
    /// `YYYY-MM-DD`: the day it fell due, the day after that period ended.
    pub due_on: String,
    /// The page of the report for that period.
    pub href: String,
    /// The report for that period as JSON, and as CSV.
    pub api: String,
    pub csv: String,
}

/// The procedure's reports, each with the period due on `today`.
pub fn offered(procedure: &Procedure, today: Date) -> Vec<ProcedureReportInfo> {
    procedure
        .reports
        .iter()
        .filter_map(|spec| {
            let p = due_period(spec.every, today).ok()?;
            Some(info(spec, &p))
        })
        .collect()
}

fn query(p: &Period) -> String {
    format!("from={}&to={}", p.from(), p.to())
}

fn info(spec: &ReportSpec, p: &Period) -> ProcedureReportInfo {
    ProcedureReportInfo {
        id: spec.id.clone(),
        title: spec.title.clone(),
        content: spec.content.as_str().to_owned(),
        from_stage: match spec.content {
            ReportContent::Escalations { from_stage } => Some(from_stage.get()),
            ReportContent::Figures => None,
        },
        every: spec.every.as_str().to_owned(),
        every_label: spec.every.label().to_owned(),
        audience: spec.audience.clone(),
        reference: spec.reference.clone(),
        due_period: period(p),
        due_on: p
            .to()
            .tomorrow()
            .map_or_else(|_| p.to().to_string(), |d| d.to_string()),
        href: format!("{PAGE}/{}?{}", spec.id, query(p)),
        api: format!("{API}/{}?{}", spec.id, query(p)),
        csv: format!("{API}/{}/csv?{}", spec.id, query(p)),
    }
}

/// The procedure's report `id`; a 404 for one it does not declare.
pub fn spec<'a>(procedure: &'a Procedure, id: &str) -> Result<&'a ReportSpec, AppError> {
    procedure.report(id).ok_or(AppError::NotFound)
}

/// The period asked for: the one due on `today` when neither day is given, else the range
/// (the message names the field, as for the period report).
pub fn period_for(
    spec: &ReportSpec,
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<Period, (&'static str, String)> {
    let given = |s: Option<&str>| s.is_some_and(|s| !s.trim().is_empty());
    if !given(from) && !given(to) {
        return due_period(spec.every, today).map_err(|e| ("from", e.to_string()));
    }
    super::period_of(from, to, None, None, today)
}

/// What a procedure's report holds.
#[derive(Clone, Debug)]
pub enum Body {
    /// The escalations that reached the stage.
    Escalations(Vec<ReachedLine>),
    /// The period report.
    Figures(Box<Report>),
}

/// A procedure's report of one period.
#[derive(Clone, Debug)]
pub struct OwnReport {
    pub spec: ReportSpec,
    pub partnership: String,
    pub procedure: Arc<Procedure>,
    pub period: Period,
    /// The day it was read.
    pub as_of: Date,
    pub body: Body,
}

impl OwnReport {
    pub fn stage_name(&self, n: parley_core::StageNumber) -> String {
        stage_name(&self.procedure, n)
    }

    /// The file name of its CSV: `stage-3-and-above-2026-11-01-to-2026-11-30.csv`.
    pub fn file_name(&self, ext: &str) -> String {
        format!(
            "{}-{}-to-{}.{ext}",
            self.spec.id,
            self.period.from(),
            self.period.to()
        )
    }
}

/// The report `spec` of `period` for the partnership, as the records stand on `as_of`.
pub async fn make(
    records: &Records,
    partnership: &PartnershipRow,
    spec: &ReportSpec,
    period: Period,
    as_of: Date,
) -> Result<OwnReport, AppError> {
    let (body, procedure) = match spec.content {
        ReportContent::Escalations { from_stage } => {
            let inputs = records
                .report_inputs(&partnership.id, period)
                .await
                .map_err(|e| AppError::Internal(format!("report facts: {e}")))?;
            let lines = reached(&inputs.facts.escalations, from_stage, period, as_of);
            (Body::Escalations(lines), inputs.procedure)
        }
        ReportContent::Figures => {
            let report = super::make(records, partnership, period, as_of).await?;
            let procedure = report.procedure.clone();
            (Body::Figures(Box::new(report)), procedure)
        }
    };
    Ok(OwnReport {
        spec: spec.clone(),
        partnership: partnership.name.clone(),
        procedure,
        period,
        as_of,
        body,
    })
}

/// The report as CSV: the list, one row per escalation; or the key figures of the period and
/// of the one before.
pub fn csv(report: &OwnReport) -> Result<String, AppError> {
    let stage_name = |n| report.stage_name(n);
    let table = match &report.body {
        Body::Escalations(lines) => reached_csv(lines, &stage_name).map_err(report_error)?,
        Body::Figures(r) => {
            let mut t = CsvTable::new(&[
                "Figure".to_owned(),
                r.current.period.label(),
                r.previous.period.label(),
            ]);
            for row in super::page::summary_rows(r) {
                t.push(vec![
                    Value::text(&row.label),
                    Value::text(&row.current),
                    Value::text(&row.previous),
                ])
                .map_err(report_error)?;
            }
            t
        }
    };
    Ok(table.write())
}

/// A procedure's report as the API gives it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureReport {
    pub report: ProcedureReportInfo,
    /// The period this one covers (the one due unless another was asked for).
    pub period: ReportPeriod,
    /// `YYYY-MM-DD`: the day it was read; a period still running is counted to it.
    pub as_of: String,
    /// For a report of `escalations`: those that reached `from_stage` in the period, in the
    /// order they first did. No child's details.
    pub escalations: Option<Vec<ReachedEscalation>>,
    /// For a report of `figures`: the period's report.
    pub figures: Option<PeriodReport>,
}

/// An escalation that reached the report's stage in the period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReachedEscalation {
    pub reference: String,
    /// `individual`, `thematic` or `strategic`.
    pub route: String,
    pub category: ReportNamed,
    pub raising_agency: ReportNamed,
    pub receiving_agency: ReportNamed,
    /// `YYYY-MM-DD`.
    pub raised_on: String,
    /// The stages from `from_stage` on that it began in the period, in order.
    pub reached: Vec<ReachedStage>,
    /// The highest stage begun by the end of the period.
    pub highest_stage: ReachedStage,
    /// "Open", or how it closed by the end ("Closed: Agreed").
    pub standing: String,
    /// `YYYY-MM-DD`, if it closed by the end of the period.
    pub closed_on: Option<String>,
}

/// A stage, and the day it began.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReachedStage {
    pub stage: u8,
    pub name: String,
    /// `YYYY-MM-DD`: the day it began (for the highest stage, the last time it began).
    pub on: String,
}

fn named(n: &parley_report::figures::Named) -> ReportNamed {
    ReportNamed {
        id: n.id.clone(),
        label: n.label.clone(),
    }
}

/// The report as JSON; a report of figures with the `part` of its lists.
pub fn json(report: &OwnReport, part: super::json::Lines) -> ProcedureReport {
    let stage = |n: parley_core::StageNumber, on: Date| ReachedStage {
        stage: n.get(),
        name: report.stage_name(n),
        on: on.to_string(),
    };
    let (escalations, figures) = match &report.body {
        Body::Escalations(lines) => (
            Some(
                lines
                    .iter()
                    .map(|l| ReachedEscalation {
                        reference: l.reference.clone(),
                        route: l.route.as_str().to_owned(),
                        category: named(&l.category),
                        raising_agency: named(&l.raising_agency),
                        receiving_agency: named(&l.receiving_agency),
                        raised_on: l.raised_on.to_string(),
                        reached: l.reached.iter().map(|(n, on)| stage(*n, *on)).collect(),
                        highest_stage: stage(
                            l.highest,
                            l.reached
                                .iter()
                                .rev()
                                .find(|(n, _)| *n == l.highest)
                                .map_or(l.first_reached_on(), |(_, on)| *on),
                        ),
                        standing: standing(l),
                        closed_on: l.closed.map(|c| c.on.to_string()),
                    })
                    .collect(),
            ),
            None,
        ),
        Body::Figures(r) => (None, Some(super::json::of(r, part))),
    };
    let due = due_period(report.spec.every, report.as_of).unwrap_or(report.period);
    ProcedureReport {
        report: info(&report.spec, &due),
        period: period(&report.period),
        as_of: report.as_of.to_string(),
        escalations,
        figures,
    }
}
