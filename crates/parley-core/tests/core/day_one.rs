//! Day One from the date of the decision to raise a challenge (issue 14, item 7; Dorset §4:
//! "The date of this decision is Day One"): the `[counting]` keys `day_one` and
//! `latest_entry_day`, read and checked with a position for every mistake; the deadlines
//! counted from the decision; the decision refused when it is after the day of raising or
//! too far back. Expected dates are worked by hand from DESIGN.md §5 with the window's bank
//! holidays written out (England and Wales: Christmas Day Fri 25 December 2026, Boxing Day
//! substitute Mon 28 December, New Year's Day Fri 1 January 2027).

use jiff::civil::{Date, date};
use jiff::{Timestamp, ToSpan};
use parley_core::calendar::{BankHolidays, Calendar, WorkingDays};
use parley_core::day_one::{DayOneError, days_gone, earliest};
use parley_core::deadline::{calendar_for, timeline};
use parley_core::escalation::{Escalation, Event, Rules, Subject, TransitionError, decide};
use parley_core::names::{ChildStatus, RouteKind};
use parley_core::procedure::{self, DayOne, Procedure};
use parley_core::seeds;
use proptest::prelude::*;

const FIXTURE: &str = include_str!("fixtures/machine.toml");

fn errors(text: &str) -> String {
    match procedure::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.render("x.toml", text),
    }
}

/// The fixture with its `[counting]` table's body replaced.
fn counting(body: &str) -> String {
    FIXTURE.replace(
        "[counting]\nrule = \"after\"\n",
        &format!("[counting]\n{body}\n"),
    )
}

#[test]
fn counting_keys_are_read_with_parleys_default() {
    let p = procedure::parse(FIXTURE).unwrap();
    assert_eq!(p.day_one, DayOne::Raised, "no day_one: the day of raising");
    let p = procedure::parse(&counting(
        "rule = \"day-one\"\nday_one = \"decision-date\"\nlatest_entry_day = 4",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.day_one,
        DayOne::DecisionDate {
            latest_entry_day: WorkingDays::new(4).unwrap()
        }
    );
    // Parley default: the first stage's timescale (the fixture's stage 1: 2 working days).
    let p = procedure::parse(&counting("rule = \"day-one\"\nday_one = \"decision-date\""))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.day_one,
        DayOne::DecisionDate {
            latest_entry_day: WorkingDays::new(2).unwrap()
        }
    );
    let p = procedure::parse(&counting("rule = \"after\"\nday_one = \"raised\"")).unwrap();
    assert_eq!(p.day_one, DayOne::Raised);
    // Dorset §4 and §5.
    let dorset = seeds::get("dorset").unwrap().unwrap();
    assert_eq!(
        dorset.day_one,
        DayOne::DecisionDate {
            latest_entry_day: WorkingDays::new(3).unwrap()
        }
    );
    for id in ["solihull", "croydon", "sunderland", "buckinghamshire"] {
        assert_eq!(
            seeds::get(id).unwrap().unwrap().day_one,
            DayOne::Raised,
            "{id}"
        );
    }
}

#[test]
fn counting_mistakes_are_reported_where_they_are() {
    // (what, the file, where the mistake starts, what the message says)
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "an unknown day_one",
            counting("rule = \"day-one\"\nday_one = \"decision\""),
            "\"decision\"",
            &[
                "unknown day_one \"decision\"",
                "\"raised\" (the default) or \"decision-date\"",
            ],
        ),
        (
            "a decision date counted after",
            counting("rule = \"after\"\nday_one = \"decision-date\""),
            "\"decision-date\"",
            &[
                "day_one = \"decision-date\" needs rule = \"day-one\"",
                "set rule = \"day-one\"",
            ],
        ),
        (
            "latest_entry_day without a decision date",
            counting("rule = \"day-one\"\nlatest_entry_day = 3"),
            "3\n",
            &["latest_entry_day applies only when day_one = \"decision-date\""],
        ),
        (
            "latest_entry_day of 0",
            counting("rule = \"day-one\"\nday_one = \"decision-date\"\nlatest_entry_day = 0"),
            "0\n",
            &["latest_entry_day: a number of working days must be at least 1, not 0"],
        ),
        (
            "latest_entry_day not a number",
            counting("rule = \"day-one\"\nday_one = \"decision-date\"\nlatest_entry_day = \"3\""),
            "\"3\"",
            &["invalid type"],
        ),
        (
            "an unknown key",
            counting("rule = \"day-one\"\nday_one = \"decision-date\"\nlatest_entry = 3"),
            "latest_entry",
            &["unknown field `latest_entry`"],
        ),
    ];
    for (what, text, needle, says) in cases {
        let out = errors(&text);
        // Where the needle starts, searched from [counting] on.
        let from = text.find("[counting]").unwrap();
        let i = from + text[from..].find(needle).unwrap();
        let (line, col) = procedure::line_col(&text, i);
        assert!(
            out.contains(&format!("x.toml:{line}:{col}: error:")),
            "{what}: want {line}:{col}, got\n{out}"
        );
        for s in says {
            assert!(out.contains(s), "{what}: want {s:?}, got\n{out}");
        }
    }
}

struct World {
    procedure: Procedure,
    calendar: Calendar,
}

impl World {
    fn seed(id: &str) -> Self {
        let procedure = seeds::get(id).unwrap().unwrap();
        let calendar = calendar_for(&procedure, &BankHolidays::built_in()).unwrap();
        World {
            procedure,
            calendar,
        }
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            procedure: &self.procedure,
            calendar: &self.calendar,
        }
    }

    fn raise(
        &self,
        on: Date,
        route: RouteKind,
        decided_on: Option<Date>,
    ) -> Result<Escalation, TransitionError> {
        let subject = match route {
            RouteKind::Individual => Subject::Child {
                status: ChildStatus::ChildInNeed,
            },
            _ => Subject::Thematic,
        };
        decide(
            None,
            self.rules(),
            ten(on),
            Event::Raised {
                route,
                subject,
                category: self.procedure.categories[0].id.clone(),
                decided_on,
            },
        )
        .map(|t| t.state)
    }
}

/// 10:00 UTC (10:00 in London in winter, 11:00 in summer: the same date).
fn ten(d: Date) -> Timestamp {
    d.at(10, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
}

#[test]
fn dorset_counts_every_stage_from_the_decision() {
    let w = World::seed("dorset");
    // Decided on Tuesday 22 December 2026, entered on Thursday 24 December: day 3 is the
    // Thursday itself. Days 3, 6, 9, 12: 24 Dec; 31 Dec (25 and 28 Dec skipped); 6 Jan (1 Jan
    // skipped too); 11 Jan.
    let s = w
        .raise(
            date(2026, 12, 24),
            RouteKind::Individual,
            Some(date(2026, 12, 22)),
        )
        .unwrap();
    assert_eq!(s.day_one, date(2026, 12, 22));
    assert_eq!(s.raised_on, date(2026, 12, 24));
    assert_eq!(s.current().started_on, date(2026, 12, 22));
    assert_eq!(s.current().due, date(2026, 12, 24));
    let t = timeline(&w.procedure, &w.calendar, s.day_one, RouteKind::Individual).unwrap();
    let due: Vec<Date> = t.stages.iter().map(|x| x.due).collect();
    assert_eq!(
        due,
        [
            date(2026, 12, 24),
            date(2026, 12, 31),
            date(2027, 1, 6),
            date(2027, 1, 11)
        ]
    );
    // Escalated early, on Thursday: stage 2 is still due on day 6 from the decision.
    let s2 = s
        .apply(
            w.rules(),
            ten(date(2026, 12, 24)) + 1.hour(),
            Event::Escalated,
        )
        .unwrap()
        .state;
    assert_eq!(s2.current().due, date(2026, 12, 31));
    // Two working days had gone (Tuesday and Wednesday) when it was entered.
    assert_eq!(days_gone(&w.calendar, s.day_one, s.raised_on).unwrap(), 2);
    // A thematic concern from the same decision enters at stage 3, due on day 9.
    let th = w
        .raise(
            date(2026, 12, 24),
            RouteKind::Thematic,
            Some(date(2026, 12, 22)),
        )
        .unwrap();
    assert_eq!(th.current_stage().get(), 3);
    assert_eq!(th.current().due, date(2027, 1, 6));
}

#[test]
fn a_decision_after_the_day_or_too_far_back_is_refused() {
    let w = World::seed("dorset");
    let on = date(2026, 12, 24);
    // Tuesday 22 December is the earliest on the Thursday (its day 3 is the Thursday).
    assert_eq!(
        earliest(&w.procedure, &w.calendar, on).unwrap(),
        Some(date(2026, 12, 22))
    );
    let refused = |decided: Date| match w.raise(on, RouteKind::Individual, Some(decided)) {
        Err(TransitionError::DayOne(e)) => e,
        other => panic!("{decided}: expected a refusal, got {other:?}"),
    };
    assert!(matches!(
        refused(date(2026, 12, 21)),
        DayOneError::TooEarly { earliest, .. } if earliest == date(2026, 12, 22)
    ));
    assert!(matches!(
        refused(date(2026, 12, 25)),
        DayOneError::InFuture { .. }
    ));
    assert_eq!(
        refused(date(2026, 12, 21)).to_string(),
        "the decision to raise it, on Monday 21 December 2026, is too long ago: the procedure has escalations entered by working day 3 from Day One, so the decision can be no earlier than Tuesday 22 December 2026"
    );
    assert!(matches!(
        w.raise(on, RouteKind::Individual, None),
        Err(TransitionError::DayOne(DayOneError::Missing))
    ));
    // After Christmas: on Tuesday 29 December, Wednesday 23 is the earliest (day 3: the 29th).
    assert_eq!(
        earliest(&w.procedure, &w.calendar, date(2026, 12, 29)).unwrap(),
        Some(date(2026, 12, 23))
    );
    assert!(
        w.raise(
            date(2026, 12, 29),
            RouteKind::Individual,
            Some(date(2026, 12, 23))
        )
        .is_ok()
    );
    // A Saturday decision: day 1 is Monday 21, so on Wednesday 23 (day 3) it is accepted.
    let sat = w
        .raise(
            date(2026, 12, 23),
            RouteKind::Individual,
            Some(date(2026, 12, 19)),
        )
        .unwrap();
    assert_eq!(sat.current().due, date(2026, 12, 23));
    assert_eq!(
        days_gone(&w.calendar, sat.day_one, sat.raised_on).unwrap(),
        2
    );
    // A procedure that counts from the day of raising takes no decision date.
    let solihull = World::seed("solihull");
    assert!(matches!(
        solihull.raise(on, RouteKind::Individual, Some(on)),
        Err(TransitionError::DayOne(DayOneError::NotTaken))
    ));
    let s = solihull.raise(on, RouteKind::Individual, None).unwrap();
    assert_eq!(s.day_one, on);
    assert_eq!(
        earliest(&solihull.procedure, &solihull.calendar, on).unwrap(),
        None
    );
}

/// A day-by-day reference: the working day `n` counted from `d` as day 1 (DESIGN §5).
fn day_n_by_hand(cal: &Calendar, d: Date, n: u32) -> Date {
    let (mut day, mut counted) = (d, 0);
    loop {
        if cal.is_working_day(day).unwrap() {
            counted += 1;
            if counted == n {
                return day;
            }
        }
        day = day.tomorrow().unwrap();
    }
}

fn day() -> impl Strategy<Value = Date> {
    (0i64..(12 * 365)).prop_map(|d| date(2016, 1, 4).checked_add(d.days()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the dates, a decision is accepted exactly when it is not after the day of
    /// raising and its day 3 has not gone by (worked day by day); then no deadline is before
    /// the decision, nor before the day of raising, and a decision in the future is refused.
    #[test]
    fn decisions_in_range_only_and_no_deadline_before_them(
        raised in day(),
        back in -5i64..25,
        thematic in any::<bool>(),
    ) {
        let w = World::seed("dorset");
        let decided = raised.checked_sub(back.days()).unwrap();
        let route = if thematic { RouteKind::Thematic } else { RouteKind::Individual };
        let r = w.raise(raised, route, Some(decided));
        let ok_by_hand = decided <= raised && day_n_by_hand(&w.calendar, decided, 3) >= raised;
        prop_assert_eq!(r.is_ok(), ok_by_hand, "decided {} raised {}: {:?}", decided, raised, r);
        if decided > raised {
            let refused_as_future = matches!(r, Err(TransitionError::DayOne(DayOneError::InFuture { .. })));
            prop_assert!(refused_as_future);
        }
        if let Ok(s) = r {
            prop_assert_eq!(s.day_one, decided);
            let t = timeline(&w.procedure, &w.calendar, s.day_one, route).unwrap();
            for st in &t.stages {
                prop_assert!(st.due >= decided, "stage {} due {} before the decision {}", st.number, st.due, decided);
                prop_assert!(st.due >= raised, "stage {} due {} before raising {}", st.number, st.due, raised);
            }
            prop_assert!(s.current().due >= raised);
        }
    }

    /// The earliest Day One is the first date whose day `n` has not gone by on `on`.
    #[test]
    fn the_earliest_day_one_is_exact(on in day(), n in 1i64..20) {
        let cal = Calendar::new(parley_core::Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap();
        let days = WorkingDays::new(n).unwrap();
        let e = cal.earliest_day_one(on, days).unwrap();
        prop_assert!(cal.day_n(e, days).unwrap() >= on);
        prop_assert_eq!(cal.day_n(e, days).unwrap(), day_n_by_hand(&cal, e, n as u32));
        let before = e.yesterday().unwrap();
        prop_assert!(day_n_by_hand(&cal, before, n as u32) < on, "{} is not the earliest on {}", e, on);
    }
}
