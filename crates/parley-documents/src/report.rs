//! The period report as a document (issue 17, items 1 to 3): its title and period, every
//! table of [`count_sections`] in order, each of the four charts of [`charts`] with the
//! table of its figures, and, in the business team's exact form only, the lists that name
//! escalations (what is open, the learning log), up to [`LIST_ROWS`] rows each.
//!
//! Marking. [`Publication::Published`] is "For publication": every table goes through
//! suppression, so a count from 1 to the threshold less one reads "fewer than 5", and a chart
//! is drawn only when none of its figures is hidden (a bar shows its count as surely as a
//! number does; the table then stands alone, with a note). [`Publication::Exact`] is "Not for
//! publication: exact figures", for the business team, and shows the charts as on the page.

use parley_report::chart::ChartData;
use parley_report::csv::{CsvTable, Value};
use parley_report::figures::Figures;
use parley_report::period::long_date;
use parley_report::sections::{
    CountSection, StageName, chart_svg, charts, count_sections, learning_csv, open_csv,
};
use parley_report::suppress::{Cell, Threshold};

use crate::DocumentError;
use crate::data::Data;
use crate::document::{Document, Template};

/// The most rows of a list (what is open, the learning log) that the PDF prints. A year's
/// list can run to thousands of rows, hundreds of pages and minutes of layout; the CSV
/// download has every row, and the PDF says how many it leaves out.
pub const LIST_ROWS: usize = 200;

/// Which form of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publication {
    /// To leave the partnership: small numbers suppressed at the threshold.
    Published(Threshold),
    /// For the business team: exact figures.
    Exact,
}

impl Publication {
    fn threshold(self) -> Option<Threshold> {
        match self {
            Publication::Published(t) => Some(t),
            Publication::Exact => None,
        }
    }

    /// The words on every page.
    pub fn marking(self) -> &'static str {
        match self {
            Publication::Published(_) => "For publication",
            Publication::Exact => "Not for publication: exact figures",
        }
    }

    fn note(self) -> String {
        match self {
            Publication::Published(t) => format!(
                "Counts from 1 to {} are shown as \"fewer than {}\", and some other counts as \"suppressed\", so that no small number can be read or worked out from the totals. Lists that name escalations are left out.",
                t.get() - 1,
                t.get()
            ),
            Publication::Exact => "This report shows exact figures, small numbers included, and lists escalations by reference. It is for the partnership's business team. The form for publication shows small numbers as \"fewer than\" the partnership's threshold.".to_owned(),
        }
    }
}

/// What the report is about.
pub struct ReportInput<'a> {
    /// The partnership's name.
    pub partnership: &'a str,
    pub figures: &'a Figures,
    /// How its procedure names a stage ("Stage 3", Sunderland's "Step 3").
    pub stage_name: StageName<'a>,
    pub publication: Publication,
}

impl std::fmt::Debug for ReportInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput")
            .field("partnership", &self.partnership)
            .field("period", &self.figures.period)
            .field("publication", &self.publication)
            .finish_non_exhaustive()
    }
}

/// The report's document.
pub fn report(input: &ReportInput<'_>) -> Result<Document, DocumentError> {
    let f = input.figures;
    let publish = input.publication.threshold();
    let period = &f.period;
    let title = format!("Escalations report: {}", period.label());
    let charts = charts(f, input.stage_name);
    let mut sections = Vec::new();
    for s in count_sections(f, input.stage_name)? {
        let chart = charts.iter().find(|c| c.id == s.id);
        sections.push(section(&s, chart, publish)?);
    }
    let mut lists = Vec::new();
    if publish.is_none() {
        lists.push(list(
            "Open at the end of the period",
            "Longest open first. Working days are counted after the day each was raised.",
            &open_csv(&f.open_at_end, input.stage_name)?,
        ));
        lists.push(list(
            "Learning log",
            "The learning identified at each stage in the period, by category and pair of agencies. It holds no child's details.",
            &learning_csv(&f.learning, input.stage_name)?,
        ));
    }
    let about = crate::data::entries(&[
        crate::input::Entry::new("Partnership", input.partnership),
        crate::input::Entry::new("Period", &period.dates()),
        crate::input::Entry::new("Counted as things stood on", &long_date(f.end)),
        crate::input::Entry::new("Form", input.publication.marking()),
    ]);
    Ok(Document::new(
        Template::Report,
        title,
        vec![
            ("marking", Data::str(input.publication.marking())),
            ("marking_note", Data::Str(input.publication.note())),
            ("about", about),
            ("summary", Data::list(summary(f, publish), Data::Str)),
            ("sections", Data::Array(sections)),
            ("lists", Data::Array(lists)),
        ],
    ))
}

/// Sentences above the tables. Time to close is a spread, not a count, but with fewer
/// closed than the threshold it would describe too few escalations to publish.
fn summary(f: &Figures, publish: Option<Threshold>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = &f.time_to_close {
        let enough = publish.is_none_or(|th| t.count >= th.get() as usize);
        if enough {
            out.push(format!(
                "Time to close, of those closed in the period: a median of {} working days, and 90% closed within {} working days.",
                t.median, t.p90
            ));
        }
    }
    out
}

fn section(
    s: &CountSection,
    chart: Option<&ChartData>,
    publish: Option<Threshold>,
) -> Result<Data, DocumentError> {
    let cells = s.cells(publish);
    let hidden = cells.iter().flatten().any(|c| c.is_hidden());
    let mut columns = vec![s.heading.clone()];
    columns.extend(s.cols.iter().cloned());
    if s.table.row_totals {
        columns.push("Total".to_owned());
    }
    let names = s.rows.iter().map(String::as_str).chain(["Total"]);
    let rows: Vec<Data> = names
        .zip(cells)
        .map(|(name, row)| {
            let mut r = vec![Data::str(name)];
            r.extend(row.into_iter().map(|c: Cell| Data::Str(c.text())));
            Data::Array(r)
        })
        .collect();
    let (chart, note) = match chart {
        Some(c) if hidden => (
            Data::None,
            Some(format!(
                "The chart of \"{}\" is left out of this form: it would show counts that the table hides.",
                c.title
            )),
        ),
        Some(c) => (
            Data::dict([
                ("svg", Data::Bytes(chart_svg(c)?.into_bytes())),
                (
                    "alt",
                    Data::Str(format!(
                        "Chart: {}. {} The table after it gives the figures.",
                        c.title, c.description
                    )),
                ),
                ("description", Data::str(&c.description)),
            ]),
            None,
        ),
        None => (Data::None, None),
    };
    Ok(Data::dict([
        ("id", Data::str(s.id)),
        ("title", Data::str(&s.title)),
        ("chart", chart),
        ("note", Data::opt(note, Data::Str)),
        ("columns", Data::list(columns, Data::Str)),
        ("rows", Data::Array(rows)),
        ("total_row", Data::Bool(s.table.col_totals)),
    ]))
}

fn list(title: &str, note: &str, table: &CsvTable) -> Data {
    let rows = table.rows();
    let shown = &rows[..rows.len().min(LIST_ROWS)];
    let note = if shown.len() < rows.len() {
        format!(
            "{note} The first {} of {} rows are shown here; the CSV download has them all.",
            shown.len(),
            rows.len()
        )
    } else {
        note.to_owned()
    };
    let text = |v: &Value| match v {
        Value::Text(s) => s.clone(),
        Value::Count(n) => n.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Date(d) => long_date(*d),
        Value::Published(c) => c.text(),
        Value::Empty => String::new(),
    };
    Data::dict([
        ("title", Data::str(title)),
        ("note", Data::Str(note)),
        ("columns", Data::list(table.headers(), |h| Data::str(h))),
        (
            "rows",
            Data::list(shown, |r| Data::list(r, |v| Data::Str(text(v)))),
        ),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn table(n: usize) -> CsvTable {
        let mut t = CsvTable::new(&["Reference"]);
        for i in 0..n {
            t.push(vec![Value::Text(format!("E-{i}"))]).unwrap();
        }
        t
    }

    fn rows_and_note(d: &Data) -> (usize, String) {
        let Data::Dict(entries) = d else {
            panic!("{d:?}")
        };
        let get = |k: &str| entries.iter().find(|(key, _)| *key == k).unwrap().1.clone();
        match (get("rows"), get("note")) {
            (Data::Array(rows), Data::Str(note)) => (rows.len(), note),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_long_list_is_cut_and_says_so() {
        assert_eq!(
            rows_and_note(&list("Open", "Longest first.", &table(LIST_ROWS))),
            (LIST_ROWS, "Longest first.".to_owned())
        );
        assert_eq!(
            rows_and_note(&list("Open", "Longest first.", &table(LIST_ROWS + 50))),
            (
                LIST_ROWS,
                format!(
                    "Longest first. The first {LIST_ROWS} of {} rows are shown here; the CSV download has them all.",
                    LIST_ROWS + 50
                )
            )
        );
    }
}
