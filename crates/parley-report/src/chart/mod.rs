//! SVG charts drawn on the server by our own small module (issue 17, item 2): a bar chart, a
//! stacked bar chart and a line chart, each with the table of its data to show beside it.
//!
//! Every chart:
//! - is one `<svg>` with `role="img"` and `aria-labelledby` naming its `<title>` and `<desc>`,
//!   so a screen reader announces it as one image with a name and a description, and the data
//!   table beside it carries the numbers;
//! - reads in greyscale: each series has a fill pattern (solid, diagonal lines, dots ...) as
//!   well as a colour from the GOV.UK palette, a line series has its own dash and marker
//!   shape, and every series is named in a legend or at the end of its line;
//! - outlines bars in black, so a light colour still stands out from the white page (WCAG
//!   2.2, 1.4.11: 3:1 for graphical objects);
//! - escapes every text it is given, and is the same bytes for the same data (no random ids:
//!   the ids come from the chart's own id).

mod bar;
mod draw;
mod line;

pub use bar::{bar, stacked_bar};
pub use draw::escape;
pub use line::line;

use crate::ReportError;

/// One named row of values, one value per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub values: Vec<u64>,
}

/// What a chart shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartData {
    /// Unique on the page; ids inside the SVG start with it (letters, digits and hyphens are
    /// kept, anything else becomes a hyphen).
    pub id: String,
    pub title: String,
    /// What the chart shows and what stands out, in a sentence or two.
    pub description: String,
    /// What the categories are, as the data table's first heading: "Month", "Category".
    pub category_heading: String,
    /// What the values count, along the value axis: "Escalations".
    pub value_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

impl ChartData {
    fn check(&self) -> Result<(), ReportError> {
        let expected = self.categories.len();
        match self
            .series
            .iter()
            .enumerate()
            .find(|(_, s)| s.values.len() != expected)
        {
            Some((row, s)) => Err(ReportError::RaggedTable {
                row,
                expected,
                found: s.values.len(),
            }),
            None => Ok(()),
        }
    }

    /// The id as used inside the SVG.
    fn key(&self) -> String {
        let kept: String = self
            .id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("chart-{kept}")
    }

    /// The total of each category over the series.
    fn totals(&self) -> Vec<u64> {
        (0..self.categories.len())
            .map(|i| self.series.iter().map(|s| s.values[i]).sum())
            .collect()
    }
}

/// A table to show beside a chart: the same numbers, for reading rather than looking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTable {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The chart's data as a table: one row per category, one column per series, and a total
/// column when there is more than one series.
pub fn data_table(data: &ChartData) -> DataTable {
    let with_total = data.series.len() > 1;
    let mut headers = vec![data.category_heading.clone()];
    headers.extend(data.series.iter().map(|s| s.name.clone()));
    if with_total {
        headers.push("Total".to_owned());
    }
    let totals = data.totals();
    let rows = data
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut row = vec![c.clone()];
            row.extend(
                data.series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0).to_string()),
            );
            if with_total {
                row.push(totals.get(i).copied().unwrap_or(0).to_string());
            }
            row
        })
        .collect();
    DataTable {
        caption: data.title.clone(),
        headers,
        rows,
    }
}

#[cfg(test)]
mod tests;
