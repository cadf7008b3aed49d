//! The escalations that reached a stage in a period: a procedure's report of `content =
//! "escalations"` (`[[report]]`; Dorset §10: "details of all escalations to Stage Three and
//! above occurring in the previous month"). An escalation is listed once if it began any
//! stage from `from_stage` on during the period (one raised straight at such a stage began it
//! the day it was raised), as things stood at the end of the period, or on `as_of` if sooner.
//!
//! The lines name escalations, so they are for the business team, never the published form;
//! they hold no child's details, as [`EscalationFacts`] has no field for them.

use jiff::civil::Date;
use parley_core::StageNumber;
use parley_core::names::RouteKind;

use crate::ReportError;
use crate::csv::{CsvTable, Value};
use crate::figures::{Closed, EscalationFacts, Named};
use crate::period::Period;
use crate::sections::StageName;

/// One escalation that reached the stage in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachedLine {
    pub reference: String,
    pub route: RouteKind,
    pub category: Named,
    pub raising_agency: Named,
    pub receiving_agency: Named,
    pub raised_on: Date,
    /// The stages from `from_stage` on that it began in the period, each with the day, in
    /// the order they began (at least one).
    pub reached: Vec<(StageNumber, Date)>,
    /// The highest stage begun by the end.
    pub highest: StageNumber,
    /// How and when it closed, if it had by the end.
    pub closed: Option<Closed>,
}

impl ReachedLine {
    /// The day it first reached `from_stage` or a later stage in the period.
    pub fn first_reached_on(&self) -> Date {
        self.reached.first().map_or(self.raised_on, |(_, d)| *d)
    }
}

/// The escalations that began a stage from `from_stage` on in `period`, counted as things
/// stood at its end (or `as_of`, if sooner): in the order they first did, then by reference.
pub fn reached<E: std::borrow::Borrow<EscalationFacts>>(
    facts: &[E],
    from_stage: StageNumber,
    period: Period,
    as_of: Date,
) -> Vec<ReachedLine> {
    let end = period.to().min(as_of);
    let mut out: Vec<ReachedLine> = facts
        .iter()
        .map(std::borrow::Borrow::borrow)
        .filter_map(|f: &EscalationFacts| {
            let reached: Vec<(StageNumber, Date)> = f
                .stages
                .iter()
                .filter(|s| s.stage >= from_stage)
                .filter(|s| period.from() <= s.started_on && s.started_on <= end)
                .map(|s| (s.stage, s.started_on))
                .collect();
            if reached.is_empty() {
                return None;
            }
            let highest = f
                .stages
                .iter()
                .filter(|s| s.started_on <= end)
                .map(|s| s.stage)
                .max()?;
            Some(ReachedLine {
                reference: f.reference.to_string(),
                route: f.route,
                category: Named::clone(&f.category),
                raising_agency: Named::clone(&f.raising_agency),
                receiving_agency: Named::clone(&f.receiving_agency),
                raised_on: f.raised_on,
                reached,
                highest,
                closed: f.closed.filter(|c| c.on <= end),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.first_reached_on(), &a.reference).cmp(&(b.first_reached_on(), &b.reference))
    });
    out
}

/// The lines as CSV, with the column names the page shows: one row per escalation.
pub fn reached_csv(
    lines: &[ReachedLine],
    stage_name: StageName<'_>,
) -> Result<CsvTable, ReportError> {
    let mut out = CsvTable::new(&[
        "Reference",
        "Route",
        "Category",
        "Raising agency",
        "Receiving agency",
        "Raised",
        "Stage reached",
        "Reached on",
        "Highest stage by the end",
        "At the end of the period",
        "Closed on",
    ]);
    for l in lines {
        let (stage, on) = l
            .reached
            .first()
            .copied()
            .unwrap_or((l.highest, l.raised_on));
        out.push(vec![
            Value::text(&l.reference),
            Value::text(l.route.label()),
            Value::text(&l.category.label),
            Value::text(&l.raising_agency.label),
            Value::text(&l.receiving_agency.label),
            Value::Date(l.raised_on),
            Value::text(&stage_name(stage)),
            Value::Date(on),
            Value::text(&stage_name(l.highest)),
            Value::text(&standing(l)),
            l.closed.map_or(Value::Empty, |c| Value::Date(c.on)),
        ])?;
    }
    Ok(out)
}

/// How it stood at the end: "Open", or how it closed ("Agreed", "Referred on").
pub fn standing(line: &ReachedLine) -> String {
    match line.closed {
        None => "Open".to_owned(),
        Some(c) => format!("Closed: {}", c.outcome.label()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;
    use parley_core::names::RouteKind;
    use parley_core::{ProcedureId, StageNumber};

    use super::{reached, reached_csv};
    use crate::figures::{Closed, EscalationFacts, Named, Outcome, StageFacts};
    use crate::period::Period;

    fn stage(n: i64, started_on: jiff::civil::Date) -> StageFacts {
        StageFacts {
            stage: StageNumber::new(n).unwrap(),
            started_on,
            due: started_on,
            ended_on: None,
            learning: Vec::new(),
        }
    }

    fn facts(reference: &str, route: RouteKind, stages: Vec<StageFacts>) -> EscalationFacts {
        EscalationFacts {
            reference: reference.into(),
            partnership: "p".into(),
            procedure: ProcedureId::parse("dorset").unwrap(),
            route,
            category: Named::new("c", "=Category").into(),
            raising_agency: Named::new("a", "Agency A").into(),
            receiving_agency: Named::new("b", "Agency B").into(),
            raised_on: stages[0].started_on,
            stages,
            closed: None,
            meetings: Vec::new(),
            referrals: Vec::new(),
        }
    }

    #[test]
    fn only_stages_from_the_one_named_begun_in_the_period_count() {
        let november = Period::range(date(2026, 11, 1), date(2026, 11, 30)).unwrap();
        let three = StageNumber::new(3).unwrap();
        let mut closed = facts(
            "D-4",
            RouteKind::Individual,
            vec![
                stage(1, date(2026, 10, 20)),
                stage(2, date(2026, 10, 28)),
                stage(3, date(2026, 11, 2)),
                stage(4, date(2026, 11, 9)),
            ],
        );
        closed.closed = Some(Closed {
            on: date(2026, 11, 20),
            outcome: Outcome::Agreed,
            redirected: None,
        });
        let all = [
            // Reached stage 3 in October: not November's.
            facts(
                "D-1",
                RouteKind::Individual,
                vec![stage(1, date(2026, 10, 1)), stage(3, date(2026, 10, 30))],
            ),
            // Stage 2 only in November.
            facts(
                "D-2",
                RouteKind::Individual,
                vec![stage(1, date(2026, 10, 1)), stage(2, date(2026, 11, 3))],
            ),
            // Raised straight at stage 3 on the last day of November.
            facts(
                "D-3",
                RouteKind::Strategic,
                vec![stage(3, date(2026, 11, 30))],
            ),
            closed,
            // Stage 3 in December.
            facts(
                "D-5",
                RouteKind::Individual,
                vec![stage(1, date(2026, 11, 2)), stage(3, date(2026, 12, 1))],
            ),
        ];
        let lines = reached(&all, three, november, date(2027, 1, 5));
        let refs: Vec<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
        assert_eq!(refs, ["D-4", "D-3"]);
        assert_eq!(lines[0].reached.len(), 2);
        assert_eq!(lines[0].highest, StageNumber::new(4).unwrap());
        assert_eq!(lines[0].closed.map(|c| c.on), Some(date(2026, 11, 20)));
        // Read on 25 November, D-4 is open and D-3 not yet at stage 3.
        let early = reached(&all, three, november, date(2026, 11, 15));
        assert_eq!(early.len(), 1);
        assert_eq!(early[0].closed, None);
        // From stage 1: everything that began a stage in November.
        let every = reached(&all, StageNumber::FIRST, november, date(2027, 1, 5));
        let refs: Vec<&str> = every.iter().map(|l| l.reference.as_str()).collect();
        assert_eq!(refs, ["D-4", "D-5", "D-2", "D-3"]);

        let name = |n: StageNumber| format!("Stage {n}");
        let csv = reached_csv(&lines, &name).unwrap().write();
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            rows[0],
            "\"Reference\",\"Route\",\"Category\",\"Raising agency\",\"Receiving agency\",\"Raised\",\"Stage reached\",\"Reached on\",\"Highest stage by the end\",\"At the end of the period\",\"Closed on\""
        );
        // The category typed as a formula is text; dates are ISO 8601.
        assert!(rows[1].starts_with("\"D-4\","), "{csv}");
        assert!(rows[1].contains("\"'=Category\""), "{csv}");
        assert!(
            rows[1].contains(",2026-10-20,\"Stage 3\",2026-11-02,\"Stage 4\",\"Closed: "),
            "{csv}"
        );
        assert!(rows[1].ends_with(",2026-11-20"), "{csv}");
        assert!(rows[2].ends_with(",\"Open\","), "{csv}");
    }
}
