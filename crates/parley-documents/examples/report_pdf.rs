//! How long the report PDF takes: figures of a year, then the PDF of both forms, first (with
//! the engine's start: fonts and templates) and warm.
//!
//! `cargo run -p parley-documents --example report_pdf [--release] -- [ESCALATIONS] [RUNS] [OUT.pdf]`

use std::time::{Duration, Instant};

use jiff::Span;
use jiff::civil::{Date, date};
use parley_core::names::RouteKind;
use parley_core::{BankHolidays, Calendar, ProcedureId, Region, StageNumber};
use parley_documents::{Publication, ReportInput, report};
use parley_report::Preset;
use parley_report::figures::{
    Closed, EscalationFacts, LearningFact, Named, Outcome, StageFacts, figures,
};
use parley_report::suppress::Threshold;

fn plus(d: Date, days: i64) -> Date {
    d.checked_add(Span::new().days(days)).unwrap_or(d)
}

fn facts(n: usize) -> Vec<EscalationFacts> {
    let agencies: Vec<Named> = [
        "Police",
        "Health",
        "Children's social care",
        "Education",
        "Probation",
        "Housing",
    ]
    .iter()
    .map(|a| Named::new(&a.to_lowercase(), a))
    .collect();
    let categories: Vec<Named> = [
        "Threshold",
        "Information sharing",
        "Plans",
        "Roles",
        "Communication",
        "Other",
    ]
    .iter()
    .map(|c| Named::new(&c.to_lowercase(), c))
    .collect();
    let outcomes = [
        Outcome::Agreed,
        Outcome::DisagreementRecorded,
        Outcome::Withdrawn,
    ];
    (0..n)
        .map(|i| {
            let raised = plus(date(2025, 4, 1), (i * 7 % 360) as i64);
            let reached = i % 4 + 1;
            let mut start = raised;
            let mut stages = Vec::new();
            for s in 1..=reached {
                let ended = (s < reached).then(|| plus(start, 3 + (i % 5) as i64));
                stages.push(StageFacts {
                    stage: StageNumber::new(s as i64).unwrap_or(StageNumber::FIRST),
                    started_on: start,
                    due: plus(start, 7),
                    ended_on: ended,
                    learning: vec![LearningFact {
                        recorded_on: start,
                        label: "Learning identified".into(),
                        text: format!("Learning {i}.{s}").into(),
                    }],
                });
                start = ended.unwrap_or(start);
            }
            let closed = (i % 3 != 0).then(|| {
                let on = plus(start, 2);
                if let Some(last) = stages.last_mut() {
                    last.ended_on = Some(on);
                }
                Closed {
                    on,
                    outcome: outcomes[i % 3],
                    redirected: None,
                }
            });
            EscalationFacts {
                reference: format!("E-{i}").into(),
                partnership: "p".into(),
                procedure: ProcedureId::parse("croydon").unwrap_or_else(|e| panic!("{e}")),
                route: RouteKind::Individual,
                category: categories[i % categories.len()].clone().into(),
                raising_agency: agencies[i % agencies.len()].clone().into(),
                receiving_agency: agencies[(i / 6 + 1 + i) % agencies.len()].clone().into(),
                raised_on: raised,
                stages,
                closed,
                meetings: Vec::new(),
                referrals: Vec::new(),
            }
        })
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5).max(2);
    let calendar = Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let period = Preset::FinancialYear
        .containing(date(2025, 4, 1))
        .unwrap_or_else(|e| panic!("{e}"));
    let facts = facts(n);
    let t = Instant::now();
    let f = figures(&facts, &[], period, date(2026, 4, 30), &calendar)
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "figures of {n} escalations over {}: {}",
        period.label(),
        ms(t.elapsed())
    );
    let stage = |s: StageNumber| format!("Stage {s}");
    for publication in [
        Publication::Exact,
        Publication::Published(Threshold::DEFAULT),
    ] {
        let mut times = Vec::new();
        let mut bytes = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let doc = report(&ReportInput {
                partnership: "Example Safeguarding Children Partnership",
                figures: &f,
                stage_name: &stage,
                publication,
            })
            .unwrap_or_else(|e| panic!("{e}"));
            bytes = doc.pdf().unwrap_or_else(|e| panic!("{e}"));
            times.push(t.elapsed());
        }
        let first = times[0];
        let mut warm = times[1..].to_vec();
        warm.sort();
        println!(
            "{}: {} bytes; first {} (engine start included), then median {} of {} runs",
            publication.marking(),
            bytes.len(),
            ms(first),
            ms(warm[warm.len() / 2]),
            warm.len()
        );
        if let (Some(out), Publication::Exact) = (args.get(3), publication) {
            std::fs::write(out, &bytes).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
