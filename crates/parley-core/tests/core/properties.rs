//! Invariants of working-day arithmetic, checked on random dates against a slow day-by-day
//! reference that follows DESIGN.md §5 word for word.

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use parley_core::calendar::{
    BankHolidays, Calendar, CalendarError, CountingRule, Region, WorkingDays,
};
use proptest::prelude::*;

/// The reference: a working day is a weekday that is not a holiday; walk day by day.
struct Reference {
    holidays: BTreeSet<Date>,
}

impl Reference {
    fn new(region: Region, closures: &[Date]) -> Self {
        let mut holidays: BTreeSet<Date> = BankHolidays::built_in()
            .holidays(region)
            .map(|h| h.date)
            .collect();
        holidays.extend(closures.iter().copied());
        Reference { holidays }
    }

    fn is_working(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&d)
    }

    /// "By the end of the N-th working day after X; X's own date does not count."
    fn after(&self, x: Date, n: u32) -> Date {
        let mut d = x;
        let mut counted = 0;
        while counted < n {
            d = d.tomorrow().unwrap();
            if self.is_working(d) {
                counted += 1;
            }
        }
        d
    }

    /// The N-th working day before X, walking back; X's own date does not count.
    fn before(&self, x: Date, n: u32) -> Date {
        let mut d = x;
        let mut counted = 0;
        while counted < n {
            d = d.yesterday().unwrap();
            if self.is_working(d) {
                counted += 1;
            }
        }
        d
    }

    /// "The date is day 1 if it is a working day (otherwise the next working day is day 1)."
    fn day_one(&self, x: Date, n: u32) -> Date {
        let mut d = x;
        while !self.is_working(d) {
            d = d.tomorrow().unwrap();
        }
        let mut day = 1;
        while day < n {
            d = d.tomorrow().unwrap();
            if self.is_working(d) {
                day += 1;
            }
        }
        d
    }
}

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        Just(Region::EnglandAndWales),
        Just(Region::Scotland),
        Just(Region::NorthernIreland)
    ]
}

/// Dates from 2015-01-02 over 20 years: inside the shipped data, with room for the offsets.
fn date() -> impl Strategy<Value = Date> {
    (0i64..(20 * 365)).prop_map(|d| jiff::civil::date(2015, 1, 2).checked_add(d.days()).unwrap())
}

fn working_days() -> impl Strategy<Value = WorkingDays> {
    (1i64..=120).prop_map(|n| WorkingDays::new(n).unwrap())
}

fn calendar(region: Region, closures: &[Date]) -> Calendar {
    Calendar::new(region, &BankHolidays::built_in(), closures).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_due_date_is_always_a_working_day(region in region(), x in date(), n in working_days(), day_one in any::<bool>()) {
        let cal = calendar(region, &[]);
        let rule = if day_one { CountingRule::DayOne } else { CountingRule::After };
        let due = cal.due(rule, x, n).unwrap();
        prop_assert!(cal.is_working_day(due).unwrap(), "{due} is not a working day");
        prop_assert!(Reference::new(region, &[]).is_working(due));
    }

    #[test]
    fn both_rules_match_the_day_by_day_reference(region in region(), x in date(), n in working_days(), closure in date()) {
        let closures = [closure];
        let cal = calendar(region, &closures);
        let reference = Reference::new(region, &closures);
        prop_assert_eq!(cal.add_working_days(x, n).unwrap(), reference.after(x, n.get()));
        prop_assert_eq!(cal.day_n(x, n).unwrap(), reference.day_one(x, n.get()));
    }

    #[test]
    fn adding_then_counting_round_trips(region in region(), x in date(), n in working_days()) {
        let cal = calendar(region, &[]);
        let due = cal.add_working_days(x, n).unwrap();
        prop_assert_eq!(cal.working_days_between(x, due).unwrap(), i64::from(n.get()));
        // And the day before the deadline is one working day short.
        let before = due.yesterday().unwrap();
        prop_assert_eq!(cal.working_days_between(x, before).unwrap(), i64::from(n.get()) - 1);
    }

    /// DESIGN.md §5: counting from Day One X, day N is the N-th working day after the day
    /// before X; so for a working day X it is the (N-1)-th working day after X, and for any
    /// other X it is the N-th working day after X.
    #[test]
    fn the_two_counting_rules_relate(region in region(), x in date(), n in working_days()) {
        let cal = calendar(region, &[]);
        let day_one = cal.day_n(x, n).unwrap();
        prop_assert_eq!(day_one, cal.add_working_days(x.yesterday().unwrap(), n).unwrap());
        if cal.is_working_day(x).unwrap() {
            if n.get() == 1 {
                prop_assert_eq!(day_one, x);
            } else {
                let fewer = WorkingDays::new(i64::from(n.get()) - 1).unwrap();
                prop_assert_eq!(day_one, cal.add_working_days(x, fewer).unwrap());
            }
        } else {
            prop_assert_eq!(day_one, cal.add_working_days(x, n).unwrap());
        }
        prop_assert!(day_one <= cal.add_working_days(x, n).unwrap());
    }

    #[test]
    fn deadlines_move_forward_with_more_days_and_later_starts(region in region(), x in date(), n in working_days()) {
        let cal = calendar(region, &[]);
        let due = cal.add_working_days(x, n).unwrap();
        prop_assert!(due > x);
        let more = WorkingDays::new(i64::from(n.get()) + 1).unwrap();
        prop_assert!(cal.add_working_days(x, more).unwrap() > due);
        prop_assert!(cal.add_working_days(x.tomorrow().unwrap(), n).unwrap() >= due);
    }

    /// A reminder day (issue 15): N working days before a date, walked back day by day; on a
    /// working day it is the reverse of adding N working days.
    #[test]
    fn counting_back_matches_the_reference_and_reverses_adding(region in region(), x in date(), n in working_days(), closure in date()) {
        // Far enough into the data for 120 working days back.
        let x = x.checked_add(200.days()).unwrap();
        let closures = [closure];
        let cal = calendar(region, &closures);
        let reference = Reference::new(region, &closures);
        let back = cal.working_days_before(x, n).unwrap();
        prop_assert_eq!(back, reference.before(x, n.get()));
        prop_assert!(reference.is_working(back) && back < x);
        prop_assert_eq!(cal.working_days_between(back, x).unwrap(), i64::from(n.get()) - i64::from(!reference.is_working(x)));
        if reference.is_working(x) {
            prop_assert_eq!(cal.add_working_days(back, n).unwrap(), x);
        }
    }

    /// DESIGN.md §5, "within a month": the same day next month (clamped to the month's end),
    /// or the last working day before it.
    #[test]
    fn within_a_month_is_the_last_working_day_not_after_the_same_date(region in region(), x in date()) {
        let cal = calendar(region, &[]);
        let reference = Reference::new(region, &[]);
        let target = x.checked_add(1.month()).unwrap();
        let mut expected = target;
        while !reference.is_working(expected) {
            expected = expected.yesterday().unwrap();
        }
        prop_assert_eq!(cal.within_months(x, 1).unwrap(), expected);
    }
}

#[test]
fn every_date_in_range_is_classified_like_the_reference() {
    for region in Region::ALL {
        let cal = calendar(region, &[]);
        let reference = Reference::new(region, &[]);
        let (first, last) = cal.covers();
        let mut d = first;
        while d <= last {
            assert_eq!(
                cal.is_working_day(d).unwrap(),
                reference.is_working(d),
                "{region} {d}"
            );
            d = d.tomorrow().unwrap();
        }
    }
}

#[test]
fn queries_outside_the_range_are_errors_not_guesses() {
    let cal = calendar(Region::EnglandAndWales, &[]);
    let (first, last) = cal.covers();
    let one = WorkingDays::new(1).unwrap();
    let before = first.yesterday().unwrap();
    assert!(matches!(
        cal.add_working_days(before, one),
        Err(CalendarError::OutOfRange { .. })
    ));
    assert!(matches!(
        cal.day_n(before, one),
        Err(CalendarError::OutOfRange { .. })
    ));
    assert!(matches!(
        cal.is_working_day(last.tomorrow().unwrap()),
        Err(CalendarError::OutOfRange { .. })
    ));
    // A start inside the range whose deadline falls beyond it.
    let late = last.checked_sub(3.days()).unwrap();
    let many = WorkingDays::new(10).unwrap();
    assert!(matches!(
        cal.add_working_days(late, many),
        Err(CalendarError::DeadlineBeyondRange { .. })
    ));
    assert!(matches!(
        cal.within_months(late, 1),
        Err(CalendarError::DeadlineBeyondRange { .. })
    ));
    let message = cal.add_working_days(late, many).unwrap_err().to_string();
    assert!(message.contains("parley calendar import"), "{message}");
}

/// What happens next to an escalation in the property below: some days later, an escalation
/// or an agreement of that many working days.
#[derive(Clone, Debug)]
enum Step {
    Escalate { after_days: i64 },
    Agree { after_days: i64, working_days: i64 },
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            (0i64..12).prop_map(|after_days| Step::Escalate { after_days }),
            (0i64..12, 1i64..=8).prop_map(|(after_days, working_days)| Step::Agree {
                after_days,
                working_days
            }),
        ],
        0..10,
    )
}

/// The built-in procedures that cap the whole escalation (issue 14, item 1).
fn capped_procedures() -> Vec<parley_core::procedure::Procedure> {
    let all = parley_core::seeds::all().unwrap();
    let capped: Vec<_> = all.into_iter().filter(|p| p.overall.is_some()).collect();
    // Sunderland ("within a month") and Buckinghamshire ("15 days maximum") at least.
    assert!(capped.len() >= 2);
    capped
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Issue 14, item 1: whatever happens on whatever dates, no stage of a procedure with an
    /// overall limit is due after it: on entry, after an agreement (a new one as the service
    /// checks it, or a stored one replayed), and in the timeline.
    #[test]
    fn no_stage_is_due_after_the_overall_deadline(
        raised in (0i64..(17 * 365)).prop_map(|d| jiff::civil::date(2016, 1, 4).checked_add(d.days()).unwrap()),
        hour in 8i8..18,
        steps in steps(),
        replayed in any::<bool>(),
    ) {
        use parley_core::deadline::{calendar_for, timeline};
        use parley_core::escalation::{Event, Rules, Subject, decide};
        use parley_core::names::{ChildStatus, RouteKind};
        for p in capped_procedures() {
            let cal = calendar_for(&p, &BankHolidays::built_in()).unwrap();
            let rules = Rules { procedure: &p, calendar: &cal };
            let zone = p.calendar.time_zone.clone();
            let mut day = raised;
            let at = |d: Date| d.at(hour, 0, 0, 0).to_zoned(zone.clone()).unwrap().timestamp();
            let mut state = decide(None, rules, at(day), Event::Raised {
                route: RouteKind::Individual,
                subject: Subject::Child { status: ChildStatus::ChildInNeed },
                category: p.categories[0].id.clone(),
                decided_on: None,
            }).unwrap().state;
            let overall = state.overall_due.unwrap();
            let t = timeline(&p, &cal, raised, RouteKind::Individual).unwrap();
            prop_assert_eq!(t.overall_due, Some(overall));
            for s in &t.stages {
                prop_assert!(s.due <= overall, "{}: timeline stage {} due {} after {}", p.id, s.number, s.due, overall);
            }
            for step in &steps {
                let (after_days, event) = match step {
                    Step::Escalate { after_days } => (*after_days, Event::Escalated),
                    Step::Agree { after_days, working_days } => (*after_days, Event::TimescaleAgreed {
                        working_days: WorkingDays::new(*working_days).unwrap(),
                    }),
                };
                day = day.checked_add(after_days.days()).unwrap();
                if let Event::TimescaleAgreed { working_days } = &event
                    && !replayed
                    && state.check_agreement(rules, *working_days).is_err()
                {
                    continue;
                }
                if let Ok(t) = state.apply(rules, at(day), event) {
                    state = t.state;
                }
                for s in &state.stages {
                    prop_assert!(s.due <= overall, "{}: stage {} due {} after {}", p.id, s.number, s.due, overall);
                }
            }
        }
    }
}
