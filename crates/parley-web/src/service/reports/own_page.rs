//! A procedure's own report as its page shows it (`/reports/procedure/{report}`; `parley
//! report --procedure-report ID --format html`): whom it is for and how often, its period
//! with the ones before and after, then the list of escalations or the key figures, and the
//! downloads.

use parley_core::procedure::ReportContent;
use parley_report::Preset;
use parley_report::period::due_period;
use serde::Serialize;

use super::own::{API, Body, OwnReport, PAGE};
use super::page::{SummaryRow, summary_rows};
use crate::error::AppError;

#[derive(Clone, Debug, Serialize)]
pub struct OwnReportView {
    pub id: String,
    pub title: String,
    pub partnership: String,
    pub audience: String,
    pub every_label: String,
    pub reference: Option<String>,
    /// `escalations` or `figures`.
    pub content: String,
    /// For a list: the stage it lists from, as named ("Stage Three ...").
    pub from_stage: Option<String>,
    pub period: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    /// Whether this is the period the report is due for now.
    pub is_due: bool,
    pub lines: Vec<LineView>,
    pub summary: Vec<SummaryRow>,
    pub previous_period: String,
    /// The full period report of the period (figures), and its PDFs.
    pub report_href: Option<String>,
    pub pdf: Option<String>,
    pub pdf_published: Option<String>,
    pub csv: String,
    pub json: String,
    /// From the period due, the one before it.
    pub earlier: Option<PeriodLink>,
    /// From any other period, the one due.
    pub due: Option<PeriodLink>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LineView {
    pub reference: String,
    pub route: String,
    pub category: String,
    pub agencies: String,
    pub raised_on: String,
    pub reached: Vec<StageOn>,
    pub highest: String,
    pub standing: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StageOn {
    pub name: String,
    pub on: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PeriodLink {
    pub label: String,
    pub href: String,
}

fn query(p: &parley_report::Period) -> String {
    format!("from={}&to={}", p.from(), p.to())
}

/// The page's view of `report`.
pub fn view(report: &OwnReport) -> Result<OwnReportView, AppError> {
    let spec = &report.spec;
    let p = report.period;
    let href = |q: &parley_report::Period| format!("{PAGE}/{}?{}", spec.id, query(q));
    let link = |q: parley_report::Period| PeriodLink {
        label: q.label(),
        href: href(&q),
    };
    // Beside the period due, the one before it; from any other, the one due. Other periods
    // are the form's: a chain of links would run back for ever.
    let due = due_period(spec.every, report.as_of).ok();
    let earlier = Preset::from(spec.every)
        .containing(p.from())
        .and_then(|c| c.previous())
        .ok()
        .filter(|_| due == Some(p))
        .map(link);
    let (lines, summary, previous_period, figures) = match &report.body {
        Body::Escalations(lines) => (
            lines
                .iter()
                .map(|l| LineView {
                    reference: l.reference.clone(),
                    route: l.route.label().to_owned(),
                    category: l.category.label.clone(),
                    agencies: format!("{} to {}", l.raising_agency.label, l.receiving_agency.label),
                    raised_on: l.raised_on.to_string(),
                    reached: l
                        .reached
                        .iter()
                        .map(|(n, on)| StageOn {
                            name: report.stage_name(*n),
                            on: on.to_string(),
                        })
                        .collect(),
                    highest: report.stage_name(l.highest),
                    standing: parley_report::reached::standing(l),
                })
                .collect(),
            Vec::new(),
            String::new(),
            false,
        ),
        Body::Figures(r) => (Vec::new(), summary_rows(r), r.previous.period.label(), true),
    };
    let q = query(&p);
    Ok(OwnReportView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        partnership: report.partnership.clone(),
        audience: spec.audience.clone(),
        every_label: spec.every.label().to_owned(),
        reference: spec.reference.clone(),
        content: spec.content.as_str().to_owned(),
        from_stage: match spec.content {
            ReportContent::Escalations { from_stage } => Some(report.stage_name(from_stage)),
            ReportContent::Figures => None,
        },
        period: p.label(),
        from: p.from().to_string(),
        to: p.to().to_string(),
        as_of: report.as_of.to_string(),
        is_due: due == Some(p),
        lines,
        summary,
        previous_period,
        report_href: figures.then(|| format!("/reports?{q}")),
        pdf: figures.then(|| format!("/api/reports/pdf?{q}")),
        pdf_published: figures.then(|| format!("/api/reports/pdf?{q}&publish=true")),
        csv: format!("{API}/{}/csv?{q}", spec.id),
        json: format!("{API}/{}?{q}", spec.id),
        earlier,
        due: due.filter(|d| *d != p).map(link),
    })
}
