//! The report's tables and charts, made from its [`Figures`]: the one list that the page, the
//! PDF and the CSV downloads are all built from (so a new section cannot be left out of one
//! of them). A table of counts is shown exactly to the business team, and through
//! [`suppress`](crate::suppress) in the published form; the list of what is open and the
//! learning log name escalations, so they are never part of the published form.

use parley_core::StageNumber;

use crate::ReportError;
use crate::chart::{ChartData, Series, bar, stacked_bar};
use crate::csv::{CsvTable, Value};
use crate::figures::{Figures, LearningGroup, OpenAtEnd};
use crate::suppress::{Cell, CountTable, Threshold, suppress};

/// How a stage is named in the report, e.g. "Stage 3" or Sunderland's "Step 3".
pub type StageName<'a> = &'a dyn Fn(StageNumber) -> String;

/// A table of counts with the names of its rows and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountSection {
    /// Stable, for file names and addresses: `raised-by-category`.
    pub id: &'static str,
    pub title: String,
    /// The heading of the column of row names.
    pub heading: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub table: CountTable,
}

impl CountSection {
    fn new(
        id: &'static str,
        title: &str,
        heading: &str,
        rows: Vec<String>,
        cols: Vec<String>,
        counts: &[Vec<u64>],
        row_totals: bool,
    ) -> Result<CountSection, ReportError> {
        Ok(CountSection {
            table: CountTable::new(cols.len(), counts, row_totals, true)?,
            id,
            title: title.to_owned(),
            heading: heading.to_owned(),
            rows,
            cols,
        })
    }

    /// The same table without its totals row, for counts of different things.
    fn without_total(mut self) -> CountSection {
        self.table.col_totals = false;
        self
    }

    /// A list: one column of counts.
    fn list(
        id: &'static str,
        title: &str,
        heading: &str,
        col: &str,
        rows: Vec<(String, u64)>,
    ) -> Result<CountSection, ReportError> {
        let (names, counts): (Vec<String>, Vec<Vec<u64>>) =
            rows.into_iter().map(|(n, c)| (n, vec![c])).unzip();
        CountSection::new(
            id,
            title,
            heading,
            names,
            vec![col.to_owned()],
            &counts,
            false,
        )
    }

    /// The cells as shown, totals included: exact for the business team, or through
    /// suppression at `threshold` for publication.
    pub fn cells(&self, publish: Option<Threshold>) -> Vec<Vec<Cell>> {
        let grid = match publish {
            Some(t) => suppress(&self.table, t).grid,
            None => {
                let g = self.table.grid();
                crate::suppress::Grid {
                    rows: g.rows,
                    cols: g.cols,
                    cells: g.cells.into_iter().map(Cell::Exact).collect(),
                }
            }
        };
        (0..grid.rows)
            .map(|r| (0..grid.cols).map(|c| grid.get(r, c)).collect())
            .collect()
    }

    /// The column headings, then each row with its name, the totals row (if any) last.
    pub fn csv(&self, publish: Option<Threshold>) -> Result<CsvTable, ReportError> {
        let mut headers = vec![self.heading.clone()];
        headers.extend(self.cols.iter().cloned());
        if self.table.row_totals {
            headers.push("Total".to_owned());
        }
        let mut out = CsvTable::new(&headers);
        let names = self.rows.iter().map(String::as_str).chain(["Total"]);
        for (name, cells) in names.zip(self.cells(publish)) {
            let mut row = vec![Value::text(name)];
            row.extend(cells.into_iter().map(Value::Published));
            out.push(row)?;
        }
        Ok(out)
    }
}

fn named<K>(counts: &[(K, u64)], name: impl Fn(&K) -> String) -> Vec<(String, u64)> {
    counts.iter().map(|(k, c)| (name(k), *c)).collect()
}

/// Every table of counts of the report, in its order.
pub fn count_sections(
    f: &Figures,
    stage_name: StageName<'_>,
) -> Result<Vec<CountSection>, ReportError> {
    let stages: Vec<String> = f
        .highest_stage
        .iter()
        .map(|&(s, _)| stage_name(s))
        .collect();
    Ok(vec![
        CountSection::list(
            "raised-by-route",
            "Escalations raised, by route",
            "Route",
            "Escalations",
            named(&f.by_route, |r| r.label().to_owned()),
        )?,
        CountSection::list(
            "raised-by-category",
            "Escalations raised, by category",
            "Category",
            "Escalations",
            named(&f.by_category, |n| n.label.clone()),
        )?,
        CountSection::list(
            "raised-by-raising-agency",
            "Escalations raised, by the agency raising them",
            "Raising agency",
            "Escalations",
            named(&f.by_raising_agency, |n| n.label.clone()),
        )?,
        CountSection::list(
            "raised-by-receiving-agency",
            "Escalations raised, by the agency receiving them",
            "Receiving agency",
            "Escalations",
            named(&f.by_receiving_agency, |n| n.label.clone()),
        )?,
        CountSection::new(
            "agency-pairs",
            "Escalations raised, by raising and receiving agency",
            "Raising agency",
            f.agencies.rows.iter().map(|n| n.label.clone()).collect(),
            f.agencies.cols.iter().map(|n| n.label.clone()).collect(),
            &f.agencies.counts,
            true,
        )?,
        CountSection::list(
            "highest-stage",
            "Escalations raised, by the highest stage reached",
            "Highest stage",
            "Escalations",
            named(&f.highest_stage, |&s| stage_name(s)),
        )?,
        CountSection::new(
            "raised-by-month",
            "Escalations raised each month, by the highest stage reached",
            "Month",
            f.by_month.iter().map(|m| m.month.name()).collect(),
            stages,
            &f.by_month
                .iter()
                .map(|m| m.by_stage.clone())
                .collect::<Vec<_>>(),
            true,
        )?,
        CountSection::new(
            "deadlines",
            "Deadlines met and missed, by stage",
            "Stage",
            f.deadlines.iter().map(|d| stage_name(d.stage)).collect(),
            vec!["Met".to_owned(), "Missed".to_owned()],
            &f.deadlines
                .iter()
                .map(|d| vec![d.met, d.missed])
                .collect::<Vec<_>>(),
            true,
        )?,
        CountSection::list(
            "outcomes",
            "Escalations closed, by outcome",
            "Outcome",
            "Escalations",
            named(&f.outcomes, |o| o.label().to_owned()),
        )?,
        CountSection::new(
            "outcomes-by-receiving-agency",
            "Escalations closed, by receiving agency and outcome",
            "Receiving agency",
            f.outcomes_by_receiving_agency
                .rows
                .iter()
                .map(|n| n.label.clone())
                .collect(),
            f.outcomes_by_receiving_agency
                .cols
                .iter()
                .map(|o| o.label().to_owned())
                .collect(),
            &f.outcomes_by_receiving_agency.counts,
            true,
        )?,
        CountSection::list(
            "open-by-time",
            "Open at the end of the period, by time open",
            "Time open",
            "Escalations",
            named(&f.open_at_end.by_band, |b| b.label().to_owned()),
        )?,
        CountSection::list(
            "open-by-stage",
            "Open at the end of the period, by stage",
            "Stage",
            "Escalations",
            named(&f.open_at_end.by_stage, |&s| stage_name(s)),
        )?,
        CountSection::list(
            "activity",
            "Meetings, referrals and compliments",
            "What",
            "Number",
            vec![
                ("Meetings".to_owned(), f.meetings),
                ("Referrals".to_owned(), f.referrals),
                ("Compliments".to_owned(), f.compliments),
            ],
        )?
        .without_total(),
    ])
}

/// The charts of the report (issue 17: "at least: escalations per month by highest stage
/// reached; categories; outcomes by agency; deadlines met and missed per stage").
pub fn charts(f: &Figures, stage_name: StageName<'_>) -> Vec<ChartData> {
    let period = f.period.label();
    let series = |names: Vec<String>, rows: &[Vec<u64>]| -> Vec<Series> {
        names
            .into_iter()
            .enumerate()
            .map(|(k, name)| Series {
                name,
                values: rows
                    .iter()
                    .map(|r| r.get(k).copied().unwrap_or(0))
                    .collect(),
            })
            .collect()
    };
    let most = |counts: &[(String, u64)]| {
        let top = counts.iter().map(|&(_, c)| c).max().unwrap_or(0);
        let names: Vec<String> = counts
            .iter()
            .filter(|&&(_, c)| c == top)
            .map(|(n, _)| format!("\"{n}\""))
            .collect();
        match names.as_slice() {
            _ if top == 0 => "none were raised.".to_owned(),
            [one] => format!("the most common category was {one}, with {top}."),
            [first @ .., last] => format!(
                "the most common categories were {} and {last}, with {top} each.",
                first.join(", ")
            ),
            [] => "none were raised.".to_owned(),
        }
    };
    let categories = named(&f.by_category, |n| n.label.clone());
    vec![
        ChartData {
            id: "raised-by-month".to_owned(),
            title: "Escalations raised each month, by the highest stage reached".to_owned(),
            description: format!("{period}: {} escalations raised.", f.raised),
            category_heading: "Month".to_owned(),
            value_label: "Escalations".to_owned(),
            categories: f.by_month.iter().map(|m| m.month.name()).collect(),
            series: series(
                f.highest_stage
                    .iter()
                    .map(|&(s, _)| stage_name(s))
                    .collect(),
                &f.by_month
                    .iter()
                    .map(|m| m.by_stage.clone())
                    .collect::<Vec<_>>(),
            ),
        },
        ChartData {
            id: "raised-by-category".to_owned(),
            title: "Escalations raised, by category".to_owned(),
            description: format!("{period}: {}", most(&categories)),
            category_heading: "Category".to_owned(),
            value_label: "Escalations".to_owned(),
            categories: categories.iter().map(|(n, _)| n.clone()).collect(),
            series: vec![Series {
                name: "Escalations".to_owned(),
                values: categories.iter().map(|&(_, c)| c).collect(),
            }],
        },
        ChartData {
            id: "outcomes-by-receiving-agency".to_owned(),
            title: "Escalations closed, by receiving agency and outcome".to_owned(),
            description: format!(
                "{period}: {} escalations closed.",
                f.outcomes.iter().map(|&(_, c)| c).sum::<u64>()
            ),
            category_heading: "Receiving agency".to_owned(),
            value_label: "Escalations".to_owned(),
            categories: f
                .outcomes_by_receiving_agency
                .rows
                .iter()
                .map(|n| n.label.clone())
                .collect(),
            series: series(
                f.outcomes_by_receiving_agency
                    .cols
                    .iter()
                    .map(|o| o.label().to_owned())
                    .collect(),
                &f.outcomes_by_receiving_agency.counts,
            ),
        },
        ChartData {
            id: "deadlines".to_owned(),
            title: "Deadlines met and missed, by stage".to_owned(),
            description: format!(
                "{period}: {} deadlines met and {} missed.",
                f.deadlines.iter().map(|d| d.met).sum::<u64>(),
                f.deadlines.iter().map(|d| d.missed).sum::<u64>()
            ),
            category_heading: "Stage".to_owned(),
            value_label: "Deadlines".to_owned(),
            categories: f.deadlines.iter().map(|d| stage_name(d.stage)).collect(),
            series: vec![
                Series {
                    name: "Met".to_owned(),
                    values: f.deadlines.iter().map(|d| d.met).collect(),
                },
                Series {
                    name: "Missed".to_owned(),
                    values: f.deadlines.iter().map(|d| d.missed).collect(),
                },
            ],
        },
    ]
}

/// A chart of [`charts`] drawn as SVG: the page and the PDF both draw it here, so both show
/// the same picture. Counts of one thing by another whose bars add up to a whole (by month
/// and stage, by agency and outcome) are stacked; the categories are one series; deadlines
/// met and missed sit side by side so the two can be compared stage by stage.
pub fn chart_svg(chart: &ChartData) -> Result<String, ReportError> {
    match chart.id.as_str() {
        "raised-by-month" | "outcomes-by-receiving-agency" => stacked_bar(chart),
        _ => bar(chart),
    }
}

/// What was open at the end, one row each, for the business team only (it names them).
pub fn open_csv(open: &OpenAtEnd, stage_name: StageName<'_>) -> Result<CsvTable, ReportError> {
    let mut out = CsvTable::new(&[
        "Reference",
        "Route",
        "Category",
        "Raising agency",
        "Receiving agency",
        "Raised",
        "Stage",
        "Working days open",
        "Past its deadline",
    ]);
    for l in &open.lines {
        out.push(vec![
            Value::text(&l.reference),
            Value::text(l.route.label()),
            Value::text(&l.category.label),
            Value::text(&l.raising_agency.label),
            Value::text(&l.receiving_agency.label),
            Value::Date(l.raised_on),
            Value::text(&stage_name(l.stage)),
            Value::Count(u64::from(l.working_days_open)),
            Value::text(if l.overdue { "Yes" } else { "No" }),
        ])?;
    }
    Ok(out)
}

/// The learning log, one row per piece of learning, for the business team only.
pub fn learning_csv(
    groups: &[LearningGroup],
    stage_name: StageName<'_>,
) -> Result<CsvTable, ReportError> {
    let mut out = CsvTable::new(&[
        "Category",
        "Raising agency",
        "Receiving agency",
        "Reference",
        "Stage",
        "Recorded",
        "Field",
        "Learning",
    ]);
    for g in groups {
        for p in &g.pairs {
            for l in &p.lines {
                out.push(vec![
                    Value::text(&g.category.label),
                    Value::text(&p.raising_agency.label),
                    Value::text(&p.receiving_agency.label),
                    Value::text(&l.reference),
                    Value::text(&stage_name(l.stage)),
                    Value::Date(l.recorded_on),
                    Value::text(&l.label),
                    Value::text(&l.text),
                ])?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "sections_tests.rs"]
mod tests;
