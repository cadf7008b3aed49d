//! The period reports' facts (issue 17, item 1; `escalation_facts`, migration 9), on both
//! backends: the figures made from what the store returns for a period agree with an
//! independent calculation over the events (`parley_demo::expected`, replaying them with the
//! core), for several periods of the demo data; a rebuild writes the same rows; an edited row
//! is named by the consistency check; an unreadable one is an error naming it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, date};
use parley_demo::expected::{Expected, expected};
use parley_report::figures::{Figures, figures};
use parley_report::{Period, Preset};
use parley_store::StoreError;
use parley_store::consistency::{self, ProjectionReport};
use parley_store::records::Records;

use super::backends;
use super::demo::seed;
use super::tamper::Owner;

/// The demo's "now" (2026-11-20) as a London date.
const AS_OF: Date = date(2026, 11, 20);

fn periods() -> Vec<Period> {
    let mut out = Vec::new();
    for preset in [
        Preset::Month,
        Preset::Quarter,
        Preset::CalendarYear,
        Preset::FinancialYear,
    ] {
        let p = preset.containing(AS_OF).unwrap();
        out.push(p.previous().unwrap());
        out.push(p);
    }
    out.push(Period::range(date(2026, 3, 17), date(2026, 9, 2)).unwrap());
    out
}

/// The figures in the independent calculation's terms.
fn as_expected(f: &Figures) -> Expected {
    let nonzero = |n: &u64| *n > 0;
    Expected {
        raised: f.raised,
        by_category: f
            .by_category
            .iter()
            .map(|(c, n)| (c.id.clone(), *n))
            .collect(),
        highest_stage: f
            .highest_stage
            .iter()
            .filter(|(_, n)| nonzero(n))
            .map(|(s, n)| (s.get(), *n))
            .collect(),
        outcomes: f
            .outcomes
            .iter()
            .filter(|(_, n)| nonzero(n))
            .map(|(o, n)| (o.as_str().to_owned(), *n))
            .collect(),
        open_at_end: f
            .open_at_end
            .lines
            .iter()
            .map(|l| l.reference.clone())
            .collect::<BTreeSet<_>>(),
        meetings: f.meetings,
        referrals: f.referrals,
        learning: f
            .learning
            .iter()
            .flat_map(|g| &g.pairs)
            .map(|p| p.lines.len() as u64)
            .sum(),
        compliments: f.compliments,
    }
}

async fn report(records: &Records, partnership: &str, period: Period) -> Figures {
    let inputs = records.report_inputs(partnership, period).await.unwrap();
    figures(
        &inputs.facts.escalations,
        &inputs.facts.compliments,
        period,
        AS_OF,
        &inputs.calendar,
    )
    .unwrap()
}

#[tokio::test]
async fn the_figures_of_the_demo_agree_with_the_events_for_every_period() {
    for db in backends().await {
        let records = db.records().await;
        let summary = seed(&records, 80, 17).await;
        let store = records.store().clone();
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &summary.partnerships {
            for period in periods() {
                let got = as_expected(&report(&records, &p.id, period).await);
                let end = period.to().min(AS_OF);
                let want = expected(store.as_ref(), &p.id, period.from(), end)
                    .await
                    .unwrap();
                assert_eq!(
                    got, want,
                    "{:?} {} {}: the report (left) against the events (right)",
                    db.backend, p.short_name, period
                );
                *totals.entry("raised").or_default() += want.raised;
                *totals.entry("closed").or_default() += want.outcomes.values().sum::<u64>();
                *totals.entry("open").or_default() += want.open_at_end.len() as u64;
                *totals.entry("learning").or_default() += want.learning;
                *totals.entry("meetings").or_default() += want.meetings;
                *totals.entry("referrals").or_default() += want.referrals;
            }
        }
        // The comparison means something only where the demo has something to count.
        for (what, n) in &totals {
            assert!(
                *n > 0,
                "{:?}: nothing {what} in any period: {totals:?}",
                db.backend
            );
        }

        // A rebuild writes the same rows, and the check finds them consistent.
        let before = store
            .escalation_facts(&summary.partnerships[0].id, "2000-01-01", "2100-01-01")
            .await
            .unwrap();
        assert!(!before.is_empty());
        records.rebuild_projections().await.unwrap();
        let mut after = store
            .escalation_facts(&summary.partnerships[0].id, "2000-01-01", "2100-01-01")
            .await
            .unwrap();
        let mut before = before;
        before.sort_by(|a, b| a.escalation_id.cmp(&b.escalation_id));
        after.sort_by(|a, b| a.escalation_id.cmp(&b.escalation_id));
        assert_eq!(before, after, "{:?}", db.backend);
        assert_eq!(
            consistency::check(store.as_ref(), records.holidays().clone())
                .await
                .unwrap(),
            ProjectionReport::Consistent,
            "{:?}",
            db.backend
        );
    }
}

#[tokio::test]
async fn an_edited_facts_row_is_named_and_an_unreadable_one_is_an_error() {
    for db in backends().await {
        let records = db.records().await;
        let summary = seed(&records, 10, 3).await;
        let store = records.store().clone();
        let p = &summary.partnerships[0].id;
        let rows = store
            .escalation_facts(p, "2000-01-01", "2100-01-01")
            .await
            .unwrap();
        let row = rows.first().expect("a facts row");
        let owner = Owner::connect(&db).await;

        // An edit behind Parley's back: the check names the table and the row.
        let changed = owner
            .exec(&format!(
                "UPDATE escalation_facts SET facts = REPLACE(facts, '\"stages\"', '\"stages\" ') WHERE escalation_id = '{}'",
                row.escalation_id
            ))
            .await;
        assert_eq!(changed, 1);
        let report = consistency::check(store.as_ref(), records.holidays().clone())
            .await
            .unwrap();
        let text = format!("{report:?}");
        assert!(
            text.contains("escalation_facts") && text.contains(&row.escalation_id),
            "{:?}: {text}",
            db.backend
        );

        // A value that does not parse is an error naming the row, never a default.
        owner
            .exec(&format!(
                "UPDATE escalation_facts SET facts = REPLACE(facts, '\"raised_on\":\"', '\"raised_on\":\"x') WHERE escalation_id = '{}'",
                row.escalation_id
            ))
            .await;
        let period = Period::range(date(2000, 1, 1), date(2100, 1, 1)).unwrap();
        match records.report_inputs(p, period).await {
            Err(StoreError::UnreadableRow { table, key, .. }) => {
                assert_eq!(
                    (table, key.as_str()),
                    ("escalation_facts", row.escalation_id.as_str())
                );
            }
            other => panic!("{:?}: {other:?}", db.backend),
        }
    }
}

/// The report memory (`report_memory.rs`) gives exactly what a fresh read gives: after
/// changes made through it, through another `Records` on the same database (another server),
/// an agency added, and for periods outside what it holds.
#[tokio::test]
async fn the_report_memory_reads_what_a_fresh_read_does() {
    use parley_core::escalation::Event;
    use parley_store::records::Actor;
    use parley_store::stream::Stream;

    for db in backends().await {
        let records = db.records().await;
        let summary = seed(&records, 60, 23).await;
        let afresh = db.records().await.without_report_memory();
        let other = db.records().await;
        let p = summary.partnerships[0].id.as_str();
        let year = Preset::CalendarYear.containing(AS_OF).unwrap();
        async fn read(r: &Records, p: &str, period: Period) -> parley_store::facts::ReportFacts {
            r.report_inputs(p, period).await.unwrap().facts
        }
        async fn same(a: &Records, b: &Records, p: &str, period: Period, what: &str) {
            let (x, y) = (read(a, p, period).await, read(b, p, period).await);
            assert_eq!(
                x, y,
                "{what}: {period}, memory (left) against a fresh read (right)"
            );
        }
        same(&records, &afresh, p, year, "first").await;
        let before = read(&records, p, year).await;

        // Two open escalations withdrawn: one through the memory's own `Records`, one
        // through another.
        let store = records.store().clone();
        let open: Vec<String> = store
            .escalation_facts(p, "1900-01-01", "2999-12-31")
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.last_on.is_none())
            .map(|r| r.escalation_id)
            .take(2)
            .collect();
        assert_eq!(
            open.len(),
            2,
            "{:?}: the demo has open escalations",
            db.backend
        );
        let at: jiff::Timestamp = "2026-11-20T23:30:00Z".parse().unwrap();
        for (who, id) in [&records, &other].into_iter().zip(&open) {
            let version = store
                .stream_version(p, &Stream::Escalation(id.clone()).to_string())
                .await
                .unwrap();
            who.act(at, &Actor::SYSTEM, id, version, &Event::Withdrawn, None)
                .await
                .unwrap();
        }
        same(&records, &afresh, p, year, "after two withdrawals").await;
        let after = read(&records, p, year).await;
        assert_ne!(before, after, "the withdrawals changed the facts");

        // A period before what it holds, then the year again.
        let earlier = year.previous().unwrap();
        same(&records, &afresh, p, earlier, "an earlier period").await;
        same(&records, &afresh, p, year, "the year again").await;

        // An agency added (the names the facts are read with).
        other
            .add_agency(at, &Actor::SYSTEM, p, "Added Agency", "health")
            .await
            .unwrap();
        same(&records, &afresh, p, year, "after an agency was added").await;
    }
}

/// A server reads its report memory ahead, as it starts (`Records::warm_report_memory`): the
/// last three calendar years from 1 January two years back, every row a fresh read of them
/// gives; the reports of periods within them then come from memory (a row spoilt behind
/// Parley's back afterwards is not read again) and agree with a fresh read.
#[tokio::test]
async fn a_server_reads_its_report_memory_ahead_and_reports_from_it() {
    use parley_store::records::{REPORT_MEMORY_YEARS, Warmed};

    for db in backends().await {
        let records = db.records().await;
        let summary = seed(&records, 40, 29).await;
        let afresh = db.records().await.without_report_memory();
        let p = summary.partnerships[0].id.as_str();
        let at: jiff::Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();

        assert_eq!(afresh.warm_report_memory(p, at, 3).await.unwrap(), None);
        assert_eq!(records.warm_report_memory(p, at, 0).await.unwrap(), None);
        let warmed = records
            .warm_report_memory(p, at, REPORT_MEMORY_YEARS)
            .await
            .unwrap();
        let store = records.store().clone();
        let held = store
            .escalation_facts(p, "2024-01-01", "2027-12-31")
            .await
            .unwrap();
        assert_eq!(
            warmed,
            Some(Warmed {
                from: date(2024, 1, 1),
                escalations: held.len()
            }),
            "{:?}",
            db.backend
        );
        assert!(!held.is_empty(), "{:?}: the demo has facts", db.backend);

        // Spoilt behind Parley's back (no event): a fresh read meets it, the memory does not.
        let spoilt = &held[0].escalation_id;
        let owner = Owner::connect(&db).await;
        owner
            .exec(&format!(
                "UPDATE escalation_facts SET facts = REPLACE(facts, '\"raised_on\":\"', '\"raised_on\":\"x') WHERE escalation_id = '{spoilt}'"
            ))
            .await;
        let year = Preset::CalendarYear.containing(AS_OF).unwrap();
        assert!(
            afresh.report_inputs(p, year).await.is_err(),
            "{:?}: a fresh read meets the spoilt row",
            db.backend
        );
        let from_memory = records.report_inputs(p, year).await.unwrap().facts;
        assert!(
            from_memory.escalations.iter().any(|e| held[0]
                .facts
                .contains(&format!("\"reference\":\"{}\"", e.reference))),
            "{:?}: the report came from memory, the spoilt escalation as it was read",
            db.backend
        );
        // Put right, every period within the years held agrees with a fresh read.
        owner
            .exec(&format!(
                "UPDATE escalation_facts SET facts = REPLACE(facts, '\"raised_on\":\"x', '\"raised_on\":\"') WHERE escalation_id = '{spoilt}'"
            ))
            .await;
        for period in periods() {
            if period.from() < date(2024, 1, 1) {
                continue;
            }
            assert_eq!(
                records.report_inputs(p, period).await.unwrap().facts,
                afresh.report_inputs(p, period).await.unwrap().facts,
                "{:?}: {period}",
                db.backend
            );
        }
    }
}
