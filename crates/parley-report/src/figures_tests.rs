#![allow(clippy::unwrap_used)]

use jiff::civil::date;
use parley_core::{BankHolidays, Region};
use proptest::prelude::*;

use super::*;
use crate::period::Preset;

pub(crate) fn calendar() -> Calendar {
    Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap()
}

fn n(s: u8) -> StageNumber {
    StageNumber::new(i64::from(s)).unwrap()
}

fn stage(s: u8, started: Date, due: Date, ended: Option<Date>) -> StageFacts {
    StageFacts {
        stage: n(s),
        started_on: started,
        due,
        ended_on: ended,
        learning: Vec::new(),
    }
}

fn learning(on: Date, text: &str) -> LearningFact {
    LearningFact {
        recorded_on: on,
        label: "Learning identified".into(),
        text: text.into(),
    }
}

fn closed(on: Date, outcome: Outcome) -> Option<Closed> {
    Some(Closed {
        on,
        outcome,
        redirected: None,
    })
}

fn police() -> Named {
    Named::new("a-police", "Police")
}
fn health() -> Named {
    Named::new("a-health", "Health")
}
fn csc() -> Named {
    Named::new("a-csc", "Children's social care")
}
fn school() -> Named {
    Named::new("a-school", "Education")
}
fn threshold() -> Named {
    Named::new("referral-threshold", "Threshold")
}
fn sharing() -> Named {
    Named::new("information-or-services", "Information sharing")
}

fn facts(
    reference: &str,
    route: RouteKind,
    category: Named,
    from: Named,
    to: Named,
    raised: Date,
) -> EscalationFacts {
    EscalationFacts {
        reference: reference.into(),
        partnership: "p-dorset".into(),
        procedure: ProcedureId::parse("dorset").unwrap(),
        route,
        category: category.into(),
        raising_agency: from.into(),
        receiving_agency: to.into(),
        raised_on: raised,
        stages: Vec::new(),
        closed: None,
        meetings: Vec::new(),
        referrals: Vec::new(),
    }
}

/// Five escalations around March 2026 (no bank holidays in March; 2 March is a Monday).
pub(crate) fn march() -> Vec<EscalationFacts> {
    use RouteKind::*;
    let d = |m, day| date(2026, m, day);
    let mut e1 = facts("E1", Individual, threshold(), police(), csc(), d(3, 2));
    e1.stages = vec![
        stage(1, d(3, 2), d(3, 3), Some(d(3, 3))),
        stage(2, d(3, 3), d(3, 5), Some(d(3, 9))),
        stage(3, d(3, 9), d(3, 11), Some(d(3, 10))),
    ];
    e1.stages[1].learning = vec![learning(d(3, 9), "Share the plan sooner")];
    e1.closed = closed(d(3, 10), Outcome::Agreed);
    e1.meetings = vec![d(3, 4)];

    let mut e2 = facts("E2", Thematic, sharing(), health(), csc(), d(3, 4));
    e2.stages = vec![stage(3, d(3, 4), d(3, 13), None)];

    let mut e3 = facts("E3", Individual, threshold(), police(), school(), d(2, 27));
    e3.stages = vec![stage(1, d(2, 27), d(3, 2), Some(d(3, 2)))];
    e3.closed = closed(d(3, 2), Outcome::Withdrawn);

    let mut e4 = facts("E4", Individual, threshold(), police(), csc(), d(3, 30));
    e4.stages = vec![stage(1, d(3, 30), d(3, 31), None)];

    let mut e6 = facts("E6", Individual, sharing(), csc(), police(), d(3, 16));
    e6.stages = vec![
        stage(1, d(3, 16), d(3, 17), Some(d(3, 17))),
        stage(2, d(3, 17), d(3, 19), Some(d(3, 19))),
    ];
    e6.stages[0].learning = vec![learning(d(4, 1), "Written after the period")];
    e6.stages[1].learning = vec![
        learning(d(3, 20), "Ask for the strategy minutes"),
        learning(d(3, 20), "  "),
    ];
    e6.referrals = vec![d(3, 19)];
    e6.closed = closed(d(3, 25), Outcome::ReferredOn);
    vec![e1, e2, e3, e4, e6]
}

pub(crate) fn march_period() -> Period {
    Preset::Month.containing(date(2026, 3, 1)).unwrap()
}

pub(crate) fn compliments() -> Vec<Date> {
    vec![date(2026, 3, 1), date(2026, 3, 15), date(2026, 4, 2)]
}

#[test]
fn the_figures_of_a_month() {
    let f = figures(
        &march(),
        &compliments(),
        march_period(),
        date(2026, 4, 15),
        &calendar(),
    )
    .unwrap();
    assert_eq!(f.end, date(2026, 3, 31));
    assert_eq!(f.raised, 4);
    assert_eq!(
        f.by_route,
        [
            (RouteKind::Individual, 3),
            (RouteKind::Thematic, 1),
            (RouteKind::Strategic, 0)
        ]
    );
    assert_eq!(f.by_category, [(sharing(), 2), (threshold(), 2)]);
    assert_eq!(
        f.by_raising_agency,
        [(csc(), 1), (health(), 1), (police(), 2)]
    );
    assert_eq!(f.by_receiving_agency, [(csc(), 3), (police(), 1)]);
    assert_eq!(f.agencies.rows, [csc(), health(), police()]);
    assert_eq!(f.agencies.cols, [csc(), police()]);
    assert_eq!(f.agencies.counts, [vec![0, 1], vec![1, 0], vec![2, 0]]);
    assert_eq!(f.highest_stage, [(n(1), 1), (n(2), 1), (n(3), 2)]);
    assert_eq!(f.by_month.len(), 1);
    assert_eq!(f.by_month[0].month, march_period());
    assert_eq!(f.by_month[0].by_stage, [1, 1, 2]);

    let deadlines: Vec<_> = f
        .deadlines
        .iter()
        .map(|d| {
            (
                d.stage.get(),
                d.met,
                d.missed,
                d.late.map(|s| (s.median, s.max)),
            )
        })
        .collect();
    // Stage 1: E3 met on 2 March, E1 and E6 met; E4 due 31 March, still running: missed by
    // the end of the month, 0 working days late at its end. Stage 2: E1 ended 9 March, 2
    // working days after 5 March. Stage 3: E1 met; E2 due 13 March, 12 working days late by
    // 31 March.
    assert_eq!(
        deadlines,
        [
            (1, 3, 1, Some((0, 0))),
            (2, 1, 1, Some((2, 2))),
            (3, 1, 1, Some((12, 12)))
        ]
    );

    let outcomes: Vec<_> = f.outcomes.iter().map(|&(o, c)| (o.as_str(), c)).collect();
    assert_eq!(
        outcomes,
        [
            ("agreed", 1),
            ("disagreement-recorded", 0),
            ("by-events", 0),
            ("referred-on", 1),
            ("withdrawn", 1),
            ("redirected", 0)
        ]
    );
    assert_eq!(
        f.outcomes_by_receiving_agency.rows,
        [csc(), school(), police()]
    );
    assert_eq!(
        f.outcomes_by_receiving_agency.cols,
        [Outcome::Agreed, Outcome::ReferredOn, Outcome::Withdrawn]
    );
    // Time to close: E3 1, E1 6, E6 7 working days; nearest rank: median 6, 90th 7.
    let t = f.time_to_close.unwrap();
    assert_eq!((t.count, t.median, t.p90, t.max), (3, 6, 7, 7));

    let open: Vec<_> = f
        .open_at_end
        .lines
        .iter()
        .map(|l| {
            (
                l.reference.as_str(),
                l.stage.get(),
                l.working_days_open,
                l.overdue,
            )
        })
        .collect();
    assert_eq!(open, [("E2", 3, 19, true), ("E4", 1, 1, true)]);
    assert_eq!(f.open_at_end.overdue, 2);
    assert_eq!(f.open_at_end.by_stage, [(n(1), 1), (n(3), 1)]);
    let bands: Vec<u64> = f.open_at_end.by_band.iter().map(|&(_, c)| c).collect();
    assert_eq!(bands, [1, 0, 1, 0, 0]);

    assert_eq!((f.meetings, f.referrals, f.compliments), (1, 1, 2));

    let log: Vec<_> = f
        .learning
        .iter()
        .flat_map(|g| {
            g.pairs.iter().flat_map(move |p| {
                p.lines.iter().map(move |l| {
                    (
                        g.category.label.as_str(),
                        p.raising_agency.label.as_str(),
                        p.receiving_agency.label.as_str(),
                        &*l.reference,
                        l.stage.get(),
                        &*l.text,
                    )
                })
            })
        })
        .collect();
    assert_eq!(
        log,
        [
            (
                "Information sharing",
                "Children's social care",
                "Police",
                "E6",
                2,
                "Ask for the strategy minutes"
            ),
            (
                "Threshold",
                "Police",
                "Children's social care",
                "E1",
                2,
                "Share the plan sooner"
            ),
        ]
    );
}

#[test]
fn a_running_period_counts_only_to_the_day_the_facts_were_read() {
    // Read on 31 March itself: E4's stage 1, due that day, is not missed yet.
    let f = figures(
        &march(),
        &compliments(),
        march_period(),
        date(2026, 3, 31),
        &calendar(),
    )
    .unwrap();
    let stage_1 = &f.deadlines[0];
    assert_eq!((stage_1.met, stage_1.missed), (3, 0));
    let e4 = f
        .open_at_end
        .lines
        .iter()
        .find(|l| l.reference == "E4")
        .unwrap();
    assert!(!e4.overdue);
    // Read on 20 March: the month is counted to 20 March.
    let f = figures(
        &march(),
        &compliments(),
        march_period(),
        date(2026, 3, 20),
        &calendar(),
    )
    .unwrap();
    assert_eq!(f.end, date(2026, 3, 20));
    assert_eq!(f.raised, 3);
    assert_eq!(f.compliments, 2);
    let open: Vec<_> = f
        .open_at_end
        .lines
        .iter()
        .map(|l| l.reference.as_str())
        .collect();
    assert_eq!(open, ["E2", "E6"]);
}

#[test]
fn one_report_is_of_one_partnership() {
    let mut all = march();
    all[2].partnership = "p-croydon".into();
    let e = figures(&all, &[], march_period(), date(2026, 4, 15), &calendar()).unwrap_err();
    assert_eq!(
        e,
        ReportError::MixedPartnerships {
            first: "p-dorset".to_owned(),
            other: "p-croydon".to_owned()
        }
    );
}

#[test]
fn facts_without_a_stage_or_outside_the_calendar_are_errors_that_name_the_escalation() {
    let mut all = march();
    all[0].stages.clear();
    let e = figures(&all, &[], march_period(), date(2026, 4, 15), &calendar()).unwrap_err();
    assert_eq!(
        e,
        ReportError::NoStages {
            reference: "E1".to_owned()
        }
    );

    let mut old = march();
    old[1].raised_on = date(1900, 1, 1);
    old[1].stages[0].started_on = date(1900, 1, 1);
    let period = Period::range(date(1900, 1, 1), date(2026, 3, 31)).unwrap();
    let e = figures(&old, &[], period, date(2026, 4, 15), &calendar()).unwrap_err();
    assert!(
        matches!(e, ReportError::Calendar { ref reference, .. } if reference == "E2"),
        "{e:?}"
    );
}

#[test]
fn outcomes_come_from_the_core_status() {
    use parley_core::escalation::Status;
    assert_eq!(Outcome::of(&Status::Open), None);
    assert_eq!(
        Outcome::of(&Status::Resolved(Resolution::DisagreementRecorded)),
        Some(Outcome::DisagreementRecorded)
    );
    assert_eq!(Outcome::of(&Status::Withdrawn), Some(Outcome::Withdrawn));
    for &o in Outcome::ALL {
        assert!(!o.label().is_empty());
        assert_eq!(
            o.closed_as() == ClosedAs::Resolved,
            matches!(
                o,
                Outcome::Agreed | Outcome::DisagreementRecorded | Outcome::ByEvents
            )
        );
    }
}

/// Random escalations raised from January to June 2026 (working days only, so that every
/// date the calendar is asked about is inside it).
fn any_facts() -> impl Strategy<Value = Vec<EscalationFacts>> {
    let one = (
        0u32..120,
        0usize..3,
        0usize..4,
        0usize..4,
        proptest::collection::vec((0u32..6, 0u32..6), 1..5),
        proptest::option::of((0usize..6, any::<bool>())),
        proptest::collection::vec(0u32..40, 0..3),
    );
    proptest::collection::vec(one, 0..25).prop_map(|list| {
        let cal = calendar();
        let day = |n: u32| {
            cal.add_working_days(
                date(2025, 12, 31),
                parley_core::WorkingDays::new(i64::from(n) + 1).unwrap(),
            )
            .unwrap()
        };
        let agencies = [police(), health(), csc(), school()];
        list.into_iter()
            .enumerate()
            .map(|(i, (raised, route, from, to, stages, close, meetings))| {
                let mut e = facts(
                    &format!("E{i}"),
                    RouteKind::ALL[route],
                    if i % 2 == 0 { threshold() } else { sharing() },
                    agencies[from].clone(),
                    agencies[to].clone(),
                    day(raised),
                );
                let mut at = raised;
                for (k, &(allowed, took)) in stages.iter().enumerate() {
                    let mut s = stage(
                        k as u8 + 1,
                        day(at),
                        day(at + allowed),
                        Some(day(at + took)),
                    );
                    s.learning = vec![learning(day(at + took), "learning")];
                    e.stages.push(s);
                    at += took;
                }
                match close {
                    Some((o, true)) => e.closed = closed(day(at), Outcome::ALL[o]),
                    _ => {
                        if let Some(last) = e.stages.last_mut() {
                            last.ended_on = None;
                        }
                    }
                }
                e.meetings = meetings.iter().map(|&m| day(raised + m)).collect();
                e
            })
            .collect()
    })
}

fn totals(f: &Figures) -> Vec<u64> {
    let met: u64 = f.deadlines.iter().map(|d| d.met).sum();
    let missed: u64 = f.deadlines.iter().map(|d| d.missed).sum();
    let outcomes: Vec<u64> = f.outcomes.iter().map(|&(_, c)| c).collect();
    let learning: usize = f
        .learning
        .iter()
        .flat_map(|g| &g.pairs)
        .map(|p| p.lines.len())
        .sum();
    let mut out = vec![
        f.raised,
        met,
        missed,
        f.meetings,
        f.compliments,
        learning as u64,
    ];
    out.extend(outcomes);
    out.extend(f.by_route.iter().map(|&(_, c)| c));
    out
}

proptest! {
    /// Every count of the period is the sum of its own breakdowns, and counts of things that
    /// happen on a day add up over two periods that split a longer one.
    #[test]
    fn figures_add_up(all in any_facts(), split in 1u32..150) {
        let cal = calendar();
        let whole = Period::range(date(2026, 1, 1), date(2026, 8, 31)).unwrap();
        let cut = date(2026, 1, 1).checked_add(jiff::Span::new().days(i64::from(split))).unwrap();
        let first = Period::range(whole.from(), cut).unwrap();
        let second = Period::range(cut.tomorrow().unwrap(), whole.to()).unwrap();
        let as_of = date(2026, 12, 1);
        let compliments = [date(2026, 2, 3), date(2026, 6, 30)];
        let f = figures(&all, &compliments, whole, as_of, &cal).unwrap();
        let sum = |v: &[(Named, u64)]| v.iter().map(|&(_, c)| c).sum::<u64>();
        prop_assert_eq!(sum(&f.by_category), f.raised);
        prop_assert_eq!(sum(&f.by_raising_agency), f.raised);
        prop_assert_eq!(sum(&f.by_receiving_agency), f.raised);
        prop_assert_eq!(f.agencies.counts.iter().flatten().sum::<u64>(), f.raised);
        prop_assert_eq!(f.highest_stage.iter().map(|&(_, c)| c).sum::<u64>(), f.raised);
        prop_assert_eq!(f.by_month.iter().flat_map(|m| &m.by_stage).sum::<u64>(), f.raised);
        let closed: u64 = f.outcomes.iter().map(|&(_, c)| c).sum();
        prop_assert_eq!(f.time_to_close.map_or(0, |s| s.count as u64), closed);
        prop_assert_eq!(f.outcomes_by_raising_agency.counts.iter().flatten().sum::<u64>(), closed);
        let open = f.open_at_end.lines.len() as u64;
        prop_assert_eq!(f.open_at_end.by_band.iter().map(|&(_, c)| c).sum::<u64>(), open);
        prop_assert_eq!(f.open_at_end.by_stage.iter().map(|&(_, c)| c).sum::<u64>(), open);
        // Open at the end = raised by then less closed by then.
        let raised_by_end = all.iter().filter(|e| e.raised_on <= whole.to()).count() as u64;
        let closed_by_end = all.iter().filter(|e| e.closed.is_some_and(|c| c.on <= whole.to())).count() as u64;
        prop_assert_eq!(open, raised_by_end - closed_by_end);

        let a = figures(&all, &compliments, first, as_of, &cal).unwrap();
        let b = figures(&all, &compliments, second, as_of, &cal).unwrap();
        let added: Vec<u64> = totals(&a).iter().zip(totals(&b)).map(|(x, y)| x + y).collect();
        prop_assert_eq!(added, totals(&f));
    }
}
