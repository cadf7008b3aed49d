//! The partnership view as CSV (issue 17, item 5: "CSV for every table on the reports and the
//! partnership list, with the filters applied, and a header row of the column names people
//! see"): every escalation that passes the filters, not a page of them, newest first, written
//! by the reports' CSV writer (`parley_report::csv`: ISO 8601 dates, text a spreadsheet would
//! take for a formula neutralised). Only `EscalationLine` fields: never a child's details nor
//! the case as put.

use jiff::civil::Date;
use parley_report::csv::{CsvTable, Value};

use super::{Prepared, StatusFilter};
use crate::app::AppState;
use crate::error::AppError;
use crate::service::EscalationLine;

/// Rows read from the store at a time.
const CHUNK: i64 = 500;

/// The column names, as the page's table names them (its "Agencies" column split in two, and
/// its raising date and overdue tag given columns of their own).
pub const COLUMNS: [&str; 10] = [
    "Reference",
    "Raised",
    "Summary",
    "Category",
    "Raising agency",
    "Receiving agency",
    "Stage",
    "Status",
    "Due",
    "Overdue",
];

/// The status as the page shows it: "Open", "Resolved (agreed)".
fn status_text(l: &EscalationLine) -> String {
    let label = match StatusFilter::parse(&l.status) {
        Some(s) => s.label(),
        None => l.status.as_str(),
    };
    match &l.outcome {
        Some(o) if l.status != "open" => format!("{label} ({})", o.replace('-', " ")),
        _ => label.to_owned(),
    }
}

fn date(field: &str, l: &EscalationLine, s: &str) -> Result<Value, AppError> {
    s.parse::<Date>().map(Value::Date).map_err(|e| {
        AppError::Internal(format!(
            "escalation {}: its {field} {s:?}: {e}",
            l.reference
        ))
    })
}

/// One row per escalation line.
pub fn table(lines: &[EscalationLine]) -> Result<CsvTable, AppError> {
    let mut out = CsvTable::new(&COLUMNS);
    for l in lines {
        let open = l.status == "open";
        out.push(vec![
            Value::text(&l.reference),
            date("raising day", l, &l.raised_on)?,
            Value::text(&l.summary),
            Value::text(&l.category),
            Value::text(&l.raising_agency),
            Value::text(&l.receiving_agency),
            Value::text(&l.stage_name),
            Value::text(&status_text(l)),
            if open {
                date("due date", l, &l.stage_deadline.due)?
            } else {
                Value::Empty
            },
            Value::text(if l.overdue { "Yes" } else { "No" }),
        ])
        .map_err(|e| AppError::Internal(format!("partnership CSV: {e}")))?;
    }
    Ok(out)
}

/// Every escalation the business team is told of that passes the filters (the page number
/// and size are not filters), as CSV; the file's name says the day it was made.
pub async fn csv(state: &AppState, p: Prepared) -> Result<(String, String), AppError> {
    let Prepared { ctx, filters, .. } = p;
    let name = format!("partnership-escalations-{}.csv", ctx.today);
    let Some(from) = ctx.business_from else {
        return Ok((name, table(&[])?.write()));
    };
    let pid = ctx.partnership.id.clone();
    let agencies = state.store.agencies(&pid).await?;
    let filter = filters.store_filter(from, ctx.today);
    let mut lines = Vec::new();
    loop {
        let offset = lines.len() as i64;
        let (rows, total) = state
            .store
            .escalation_page(&pid, &filter, CHUNK, offset)
            .await?;
        for e in &rows {
            lines.push(EscalationLine::new(&ctx, e, &agencies)?);
        }
        if rows.is_empty() || lines.len() as i64 >= total {
            break;
        }
    }
    Ok((name, table(&lines)?.write()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::table;
    use crate::service::{Deadline, DeadlineState, EscalationLine};

    fn line(reference: &str, summary: &str, status: &str) -> EscalationLine {
        EscalationLine {
            id: "id".to_owned(),
            reference: reference.to_owned(),
            summary: summary.to_owned(),
            category: "@Category".to_owned(),
            route: "individual".to_owned(),
            status: status.to_owned(),
            outcome: (status != "open").then(|| "disagreement-recorded".to_owned()),
            stage: 3,
            stage_title: "Senior managers".to_owned(),
            stage_name: "Stage 3: Senior managers".to_owned(),
            raising_agency: "+Agency".to_owned(),
            receiving_agency: "Agency \"B\", north".to_owned(),
            raised_on: "2026-11-02".to_owned(),
            stage_deadline: Deadline {
                due: "2026-11-09".to_owned(),
                working_days_left: Some(-3),
                state: DeadlineState::Overdue,
                text: "Overdue".to_owned(),
            },
            overall_deadline: None,
            overdue: status == "open",
        }
    }

    #[test]
    fn each_line_with_iso_dates_and_no_formula() {
        let csv = table(&[
            line("DSCP-2026-0001", "=HYPERLINK(\"http://x\")", "open"),
            line("DSCP-2026-0002", "-2+3", "resolved"),
        ])
        .unwrap()
        .write();
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            rows[0],
            "\"Reference\",\"Raised\",\"Summary\",\"Category\",\"Raising agency\",\"Receiving agency\",\"Stage\",\"Status\",\"Due\",\"Overdue\""
        );
        assert_eq!(
            rows[1],
            "\"DSCP-2026-0001\",2026-11-02,\"'=HYPERLINK(\"\"http://x\"\")\",\"'@Category\",\"'+Agency\",\"Agency \"\"B\"\", north\",\"Stage 3: Senior managers\",\"Open\",2026-11-09,\"Yes\""
        );
        assert_eq!(
            rows[2],
            "\"DSCP-2026-0002\",2026-11-02,\"'-2+3\",\"'@Category\",\"'+Agency\",\"Agency \"\"B\"\", north\",\"Stage 3: Senior managers\",\"Resolved (disagreement recorded)\",,\"No\""
        );
        assert_eq!(rows[3], "");
    }
}
