//! No stage runs past the overall limit (issue 14, item 1), on the two examples. The
//! expected dates are worked out here by walking the days by hand from DESIGN.md §5, with the
//! bank holidays of the window written out (England and Wales: Christmas Day Fri 25 December
//! 2026, Boxing Day substitute Mon 28 December, New Year's Day Fri 1 January 2027), not taken
//! from the code under test.

use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use parley_core::calendar::{BankHolidays, Calendar, WorkingDays};
use parley_core::deadline::{calendar_for, timeline};
use parley_core::escalation::{
    Deadline, Escalation, Event, Rules, Subject, TransitionError, decide,
};
use parley_core::names::{ChildStatus, RouteKind};
use parley_core::procedure::Procedure;
use parley_core::seeds;

const HOLIDAYS: [Date; 3] = [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)];

fn working(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !HOLIDAYS.contains(&d)
}

/// "After": the N-th working day after `x`, `x` not counted.
fn after(x: Date, n: u32) -> Date {
    let (mut d, mut counted) = (x, 0);
    while counted < n {
        d = d.tomorrow().unwrap();
        counted += u32::from(working(d));
    }
    d
}

/// Working days after `a` up to and including `b`.
fn working_days_late(a: Date, b: Date) -> u32 {
    let (mut d, mut n) = (a, 0);
    while d < b {
        d = d.tomorrow().unwrap();
        n += u32::from(working(d));
    }
    n
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

    /// Raised at 10:00 on `raised`, escalated at 11:00 on each of `escalated`.
    fn run(&self, raised: Date, escalated: &[Date]) -> Escalation {
        let mut state = decide(
            None,
            self.rules(),
            noon(raised),
            Event::Raised {
                route: RouteKind::Individual,
                subject: Subject::Child {
                    status: ChildStatus::ChildInNeed,
                },
                category: self.procedure.categories[0].id.clone(),
                decided_on: None,
            },
        )
        .unwrap()
        .state;
        for d in escalated {
            state = state
                .apply(self.rules(), noon(*d), Event::Escalated)
                .unwrap()
                .state;
        }
        state
    }
}

fn noon(d: Date) -> Timestamp {
    d.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .unwrap()
        .timestamp()
}

#[test]
fn buckinghamshire_stage_3_entered_late_is_due_on_the_fifteenth_working_day() {
    let w = World::seed("buckinghamshire");
    let raised = date(2026, 12, 22); // Tuesday
    // 2.4.24: "15 days maximum", counted after the day of raising: 23, 24, 29, 30, 31 Dec,
    // 4, 5, 6, 7, 8, 11, 12, 13, 14, 15 Jan: Friday 15 January 2027.
    let overall = after(raised, 15);
    assert_eq!(overall, date(2027, 1, 15));
    let entered = date(2027, 1, 13); // Wednesday
    // Stage 3's own 5 working days would end on Wednesday 20 January (14, 15, 18, 19, 20).
    assert_eq!(after(entered, 5), date(2027, 1, 20));
    let s = w.run(raised, &[date(2027, 1, 6), entered]);
    assert_eq!(s.current_stage().get(), 3);
    assert_eq!(s.overall_due, Some(overall));
    assert_eq!(s.current().due, overall, "the overall limit governs");
    // On Wednesday 20 January it is 3 working days overdue (18, 19, 20), not "due today".
    let today = date(2027, 1, 20);
    assert_eq!(working_days_late(s.current().due, today), 3);
    assert_eq!(
        s.overdue(w.rules(), noon(today)),
        vec![
            (Deadline::Stage(s.current_stage()), overall),
            (Deadline::Overall, overall)
        ]
    );
    // The timeline, every stage run to its deadline, never passes it either.
    let t = timeline(&w.procedure, &w.calendar, raised, RouteKind::Individual).unwrap();
    assert!(t.stages.iter().all(|st| st.due <= overall), "{t:?}");
}

#[test]
fn sunderland_step_4_entered_late_is_due_within_the_month() {
    let w = World::seed("sunderland");
    let raised = date(2026, 12, 22); // Tuesday
    // "The process should be completed within a month": Friday 22 January 2027, a working day.
    let overall = date(2027, 1, 22);
    assert!(working(overall));
    let entered = date(2027, 1, 20); // Wednesday
    // Step 4's own most, 5 working days: 21, 22, 25, 26, 27 January.
    assert_eq!(after(entered, 5), date(2027, 1, 27));
    let s = w.run(raised, &[date(2027, 1, 5), date(2027, 1, 13), entered]);
    assert_eq!(s.current_stage().get(), 4);
    assert_eq!(s.overall_due, Some(overall));
    assert_eq!(s.current().due, overall);

    // Only 21 and 22 January fit: 5, 4 and 3 days are refused, saying why.
    let most = working_days_late(entered, overall);
    assert_eq!(most, 2);
    for n in 1..=5 {
        let got = s.check_agreement(w.rules(), WorkingDays::new(n).unwrap());
        if n <= i64::from(most) {
            assert_eq!(got, Ok(()), "{n} days");
        } else {
            let e = got.unwrap_err();
            assert_eq!(
                e,
                TransitionError::AgreedTimescalePastOverall {
                    given: WorkingDays::new(n).unwrap(),
                    overall_due: overall,
                    most,
                }
            );
            let message = e.to_string();
            assert!(message.contains("Friday 22 January 2027"), "{message}");
            assert!(message.contains("at most 2 working days"), "{message}");
        }
    }
    // Agreed days move the date, never past the month; a 5-day agreement stored before the
    // rule still replays, on the overall date.
    for (n, due) in [(1, after(entered, 1)), (2, overall), (5, overall)] {
        let agreed = s
            .apply(
                w.rules(),
                noon(date(2027, 1, 21)),
                Event::TimescaleAgreed {
                    working_days: WorkingDays::new(n).unwrap(),
                },
            )
            .unwrap()
            .state;
        assert_eq!(agreed.current().due, due, "{n} days agreed");
    }
    let a = s.agreeable(w.rules()).unwrap().unwrap();
    assert_eq!((a.max.get(), a.most, a.overall_due), (5, 2, Some(overall)));
}

#[test]
fn a_stage_entered_on_the_overall_date_can_agree_nothing() {
    let w = World::seed("sunderland");
    let s = w.run(
        date(2026, 12, 22),
        &[date(2027, 1, 5), date(2027, 1, 13), date(2027, 1, 22)],
    );
    let a = s.agreeable(w.rules()).unwrap().unwrap();
    assert_eq!(a.most, 0);
    let e = s
        .check_agreement(w.rules(), WorkingDays::new(1).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("no timescale can be agreed"), "{e}");
}
