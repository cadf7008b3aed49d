//! The report as the Reports page shows it (and `parley report --format html` writes it): the
//! exact figures as tables, the four charts as inline SVG each with its data table, the
//! previous period beside the current one, what was open at the end and the learning log, and
//! the links to download each table as CSV and the whole as PDF, exact or for publication.

use jiff::civil::Date;
use parley_report::chart::data_table;
use parley_report::figures::Figures;
use parley_report::sections::{chart_svg, charts, count_sections};
use parley_report::{Period, Preset};
use serde::Serialize;

use super::{LEARNING_TABLE, OPEN_TABLE, Report, report_error};
use crate::error::AppError;

#[derive(Clone, Debug, Serialize)]
pub struct ReportView {
    pub partnership: String,
    pub period: String,
    pub previous: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    /// The threshold of the published form ("fewer than 5").
    pub threshold: u32,
    /// The key figures, this period and the one before.
    pub summary: Vec<SummaryRow>,
    pub sections: Vec<SectionView>,
    pub charts: Vec<ChartView>,
    pub open: Vec<OpenView>,
    pub learning: Vec<LearningView>,
    pub open_csv: String,
    pub learning_csv: String,
    pub pdf: String,
    pub pdf_published: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow {
    pub label: String,
    pub current: String,
    pub previous: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionView {
    pub id: String,
    pub title: String,
    pub heading: String,
    pub cols: Vec<String>,
    /// Whether the last column is the row's total.
    pub total_col: bool,
    pub rows: Vec<RowView>,
    pub csv: String,
    pub csv_published: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowView {
    pub name: String,
    pub cells: Vec<String>,
    pub total: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartView {
    pub id: String,
    pub title: String,
    /// The chart's SVG (`role="img"`, with its title and description), drawn by
    /// `parley-report` from numbers and escaped labels: markup of our own.
    pub svg: String,
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenView {
    pub reference: String,
    pub category: String,
    pub agencies: String,
    pub raised_on: String,
    pub stage: String,
    pub working_days_open: u32,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct LearningView {
    pub category: String,
    pub agencies: String,
    pub reference: String,
    pub stage: String,
    pub recorded_on: String,
    pub label: String,
    pub text: String,
}

/// The query of a download of this period: `from`, `to` and the rest.
fn query(p: &Period, rest: &str) -> String {
    format!("from={}&to={}{rest}", p.from(), p.to())
}

fn spread_text(s: Option<&parley_report::spread::Spread>) -> String {
    s.map_or_else(
        || "None closed".to_owned(),
        |s| format!("{} (90th percentile {})", s.median, s.p90),
    )
}

fn summary(f: &Figures) -> Vec<(String, String)> {
    let closed: u64 = f.outcomes.iter().map(|(_, n)| n).sum();
    vec![
        ("Escalations raised".to_owned(), f.raised.to_string()),
        ("Escalations closed".to_owned(), closed.to_string()),
        (
            "Median working days to close".to_owned(),
            spread_text(f.time_to_close.as_ref()),
        ),
        (
            "Open at the end of the period".to_owned(),
            f.open_at_end.lines.len().to_string(),
        ),
        (
            "Of those, past their deadline".to_owned(),
            f.open_at_end.overdue.to_string(),
        ),
        (
            "Deadlines met".to_owned(),
            f.deadlines.iter().map(|d| d.met).sum::<u64>().to_string(),
        ),
        (
            "Deadlines missed".to_owned(),
            f.deadlines
                .iter()
                .map(|d| d.missed)
                .sum::<u64>()
                .to_string(),
        ),
        ("Meetings".to_owned(), f.meetings.to_string()),
        ("Referrals".to_owned(), f.referrals.to_string()),
        ("Compliments".to_owned(), f.compliments.to_string()),
        (
            "Learning recorded".to_owned(),
            f.learning
                .iter()
                .flat_map(|g| &g.pairs)
                .map(|p| p.lines.len())
                .sum::<usize>()
                .to_string(),
        ),
    ]
}

/// The key figures of the period beside those of the period before.
pub(crate) fn summary_rows(report: &Report) -> Vec<SummaryRow> {
    summary(&report.current)
        .into_iter()
        .zip(summary(&report.previous))
        .map(|((label, current), (_, previous))| SummaryRow {
            label,
            current,
            previous,
        })
        .collect()
}

/// The page's view of a report; `api` is where the downloads are (`/api/reports`).
pub fn view(report: &Report, api: &str) -> Result<ReportView, AppError> {
    let f = &report.current;
    let stage_name = |n| report.stage_name(n);
    let p = &f.period;
    let sections = count_sections(f, &stage_name)
        .map_err(report_error)?
        .into_iter()
        .map(|s| {
            let names: Vec<String> = s.rows.iter().cloned().chain(["Total".to_owned()]).collect();
            let rows = names
                .into_iter()
                .zip(s.cells(None))
                .enumerate()
                .map(|(i, (name, cells))| RowView {
                    total: i == s.rows.len(),
                    name,
                    cells: cells.into_iter().map(|c| c.text()).collect(),
                })
                .collect();
            let mut cols = s.cols.clone();
            if s.table.row_totals {
                cols.push("Total".to_owned());
            }
            SectionView {
                csv: format!("{api}/csv?{}", query(p, &format!("&table={}", s.id))),
                csv_published: format!(
                    "{api}/csv?{}",
                    query(p, &format!("&table={}&publish=true", s.id))
                ),
                id: s.id.to_owned(),
                title: s.title,
                heading: s.heading,
                total_col: s.table.row_totals,
                cols,
                rows,
            }
        })
        .collect();
    let mut chart_views = Vec::new();
    for c in charts(f, &stage_name) {
        let table = data_table(&c);
        chart_views.push(ChartView {
            svg: chart_svg(&c).map_err(report_error)?,
            id: c.id.clone(),
            title: c.title.clone(),
            caption: table.caption,
            headers: table.headers,
            rows: table.rows,
        });
    }
    Ok(ReportView {
        partnership: report.partnership.clone(),
        period: p.label(),
        previous: report.previous.period.label(),
        from: p.from().to_string(),
        to: p.to().to_string(),
        as_of: report.as_of.to_string(),
        threshold: report.threshold.get(),
        summary: summary_rows(report),
        sections,
        charts: chart_views,
        open: f
            .open_at_end
            .lines
            .iter()
            .map(|l| OpenView {
                reference: l.reference.clone(),
                category: l.category.label.clone(),
                agencies: format!("{} to {}", l.raising_agency.label, l.receiving_agency.label),
                raised_on: l.raised_on.to_string(),
                stage: report.stage_name(l.stage),
                working_days_open: l.working_days_open,
                overdue: l.overdue,
            })
            .collect(),
        learning: f
            .learning
            .iter()
            .flat_map(|g| {
                g.pairs.iter().flat_map(move |pair| {
                    pair.lines.iter().map(move |l| LearningView {
                        category: g.category.label.clone(),
                        agencies: format!(
                            "{} to {}",
                            pair.raising_agency.label, pair.receiving_agency.label
                        ),
                        reference: l.reference.to_string(),
                        stage: report.stage_name(l.stage),
                        recorded_on: l.recorded_on.to_string(),
                        label: l.label.to_string(),
                        text: l.text.to_string(),
                    })
                })
            })
            .collect(),
        open_csv: format!("{api}/csv?{}", query(p, &format!("&table={OPEN_TABLE}"))),
        learning_csv: format!(
            "{api}/csv?{}",
            query(p, &format!("&table={LEARNING_TABLE}"))
        ),
        pdf: format!("{api}/pdf?{}", query(p, "")),
        pdf_published: format!("{api}/pdf?{}", query(p, "&publish=true")),
    })
}

/// A one-click period: this one and the one before, of each preset.
#[derive(Clone, Debug, Serialize)]
pub struct PresetLink {
    pub label: String,
    pub href: String,
}

/// The preset links of the form, around `today`.
pub fn presets(page: &str, today: Date) -> Vec<PresetLink> {
    let mut out = Vec::new();
    for &preset in Preset::ALL {
        let (this, last) = match preset {
            Preset::Month => ("This month", "Last month"),
            Preset::Quarter => ("This quarter", "Last quarter"),
            Preset::CalendarYear => ("This calendar year", "Last calendar year"),
            Preset::FinancialYear => ("This financial year", "Last financial year"),
        };
        let Ok(current) = preset.containing(today) else {
            continue;
        };
        out.push(PresetLink {
            label: this.to_owned(),
            href: format!("{page}?{}", query(&current, "")),
        });
        if let Ok(before) = current.previous() {
            out.push(PresetLink {
                label: last.to_owned(),
                href: format!("{page}?{}", query(&before, "")),
            });
        }
    }
    out
}
