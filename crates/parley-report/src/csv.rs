//! CSV for report tables (issue 17, item 5): a header row of the column names people see,
//! dates in ISO 8601 (`2026-04-01`), RFC 4180 quoting, lines ending CRLF, and text neutralised
//! against spreadsheet formula injection.
//!
//! Formula injection: a spreadsheet opening a CSV file treats a cell that starts with `=`,
//! `+`, `-` or `@` as a formula, and a formula can fetch from the network or run commands. A
//! reference, category or agency name is text a person typed, so it must never arrive as one.
//! OWASP's advice, as we apply it: put a single quote in front of any text cell starting with
//! one of those characters or with a tab or carriage return (which some spreadsheets skip
//! before looking for a formula), so the spreadsheet shows it as text; and wrap every text
//! cell in double quotes, doubling any double quote inside, so that a separator or quote in
//! the text cannot end the cell early and start a new one that escapes the prefix. Numbers
//! and dates are written by us, not typed by people, so they go out as they are.
//!
//! Written here rather than with the `csv` crate: writing is only the quoting above, which
//! needs less code than the crate's setup would, and no new dependency.

use jiff::civil::Date;

use crate::ReportError;
use crate::suppress::Cell;

/// One cell of a CSV table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Text a person may have typed: quoted, and neutralised if it could be read as a formula.
    Text(String),
    Count(u64),
    /// A signed whole number (a difference between periods, say).
    Number(i64),
    /// Written `YYYY-MM-DD`.
    Date(Date),
    /// A cell of a published table: a count, or the words that stand for a hidden one.
    Published(Cell),
    /// Nothing (an escalation still open has no closing date).
    Empty,
}

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

/// A table to write as CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvTable {
    headers: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl CsvTable {
    /// A table with these column names (as people see them on the page).
    pub fn new<S: AsRef<str>>(headers: &[S]) -> CsvTable {
        CsvTable {
            headers: headers.iter().map(|h| h.as_ref().to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row, which must have one value per column.
    pub fn push(&mut self, row: Vec<Value>) -> Result<(), ReportError> {
        if row.len() != self.headers.len() {
            return Err(ReportError::RaggedTable {
                row: self.rows.len(),
                expected: self.headers.len(),
                found: row.len(),
            });
        }
        self.rows.push(row);
        Ok(())
    }

    /// The column names, as people see them.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The rows, one value per column (for showing the same table elsewhere: the PDF).
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// The CSV text.
    pub fn write(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| text_field(h)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let fields: Vec<String> = row.iter().map(field).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

fn field(value: &Value) -> String {
    match value {
        Value::Text(s) => text_field(s),
        Value::Count(n) => n.to_string(),
        Value::Number(n) => n.to_string(),
        // jiff writes a civil date as ISO 8601's extended form.
        Value::Date(d) => d.to_string(),
        Value::Published(Cell::Exact(n)) => n.to_string(),
        Value::Published(cell) => text_field(&cell.text()),
        Value::Empty => String::new(),
    }
}

/// Characters that make a spreadsheet read the rest of a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell: neutralised, then quoted.
fn text_field(s: &str) -> String {
    let neutral = if s.starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_table_with_its_header_dates_and_published_cells() {
        let mut t = CsvTable::new(&["Reference", "Raised", "Closed", "Meetings", "Change"]);
        t.push(vec![
            Value::text("DOR-2026-0001"),
            Value::Date(date(2026, 4, 1)),
            Value::Empty,
            Value::Published(Cell::FewerThan(5)),
            Value::Number(-3),
        ])
        .unwrap();
        t.push(vec![
            Value::text("Says \"no\", twice\nthen stops"),
            Value::Date(date(2026, 12, 31)),
            Value::Date(date(2027, 1, 4)),
            Value::Published(Cell::Exact(12)),
            Value::Count(0),
        ])
        .unwrap();
        assert_eq!(
            t.write(),
            "\"Reference\",\"Raised\",\"Closed\",\"Meetings\",\"Change\"\r\n\
             \"DOR-2026-0001\",2026-04-01,,\"fewer than 5\",-3\r\n\
             \"Says \"\"no\"\", twice\nthen stops\",2026-12-31,2027-01-04,12,0\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        let cases = [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+1", "\"'+1\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("a=1", "\"a=1\""),
            ("", "\"\""),
            ("Police", "\"Police\""),
        ];
        for (text, written) in cases {
            assert_eq!(field(&Value::text(text)), written, "{text:?}");
        }
        // Headers are text like any other.
        assert_eq!(CsvTable::new(&["=cmd"]).write(), "\"'=cmd\"\r\n");
    }

    #[test]
    fn a_ragged_row_is_refused() {
        let mut t = CsvTable::new(&["A", "B"]);
        assert_eq!(
            t.push(vec![Value::Count(1)]).unwrap_err(),
            ReportError::RaggedTable {
                row: 0,
                expected: 2,
                found: 1
            }
        );
    }

    /// Reads CSV back by RFC 4180, independently of the writer.
    fn read(csv: &str) -> Vec<Vec<String>> {
        let mut rows = vec![];
        let mut row = vec![];
        let mut cell = String::new();
        let mut chars = csv.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => cell.push(c),
            }
        }
        rows
    }

    proptest! {
        /// Any text survives the round trip, with a quote in front exactly when it could
        /// start a formula, and no cell read back starts a formula.
        #[test]
        fn text_round_trips(cells in proptest::collection::vec(".*", 1..5)) {
            let mut t = CsvTable::new(&cells);
            t.push(cells.iter().map(|c| Value::text(c)).collect()).unwrap();
            let back = read(&t.write());
            prop_assert_eq!(back.len(), 2);
            for row in back {
                prop_assert_eq!(row.len(), cells.len());
                for (got, sent) in row.iter().zip(&cells) {
                    prop_assert!(!got.starts_with(FORMULA_STARTS));
                    match got.strip_prefix('\'') {
                        Some(rest) if sent.starts_with(FORMULA_STARTS) => prop_assert_eq!(rest, sent),
                        _ => prop_assert_eq!(got, sent),
                    }
                }
            }
        }
    }
}
