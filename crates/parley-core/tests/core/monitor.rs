//! The deadline monitor's view of one escalation (issue 15, `monitor.rs`): the events due at an
//! instant and the first date anything is due.
//!
//! Properties, on random escalations of every built-in procedure (raised at a random instant,
//! then escalated, given timescales, referred, resolved by events, closed, with the monitor
//! running at random instants in between): `due_events(at)` is empty exactly while the local
//! date of `at` is before `wake_on()`; applying them in order at `at` always succeeds, each
//! leaves exactly the rest due and every stage, record and the status as they were, and
//! afterwards nothing is due until a later day.
//!
//! Then one story per procedure, run by a monitor that wakes on `wake_on` (at 07:00; the
//! actions are at noon), with every date worked by hand from the procedure's timescales and the
//! England and Wales bank holidays in `data/bank-holidays.json`: the working is in the
//! comments.

use std::sync::LazyLock;

use jiff::civil::{Date, date};
use jiff::{Span, Timestamp};
use parley_core::agreement::Proposal;
use parley_core::calendar::{BankHolidays, Calendar, WorkingDays};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{Deadline, Escalation, Event, Rules, Subject, decide};
use parley_core::names::{ChildStatus, Party, Resolution, RouteKind, Side};
use parley_core::procedure::{self, Procedure, StageNumber};
use parley_core::seeds;
use proptest::prelude::*;

struct World {
    procedure: Procedure,
    calendar: Calendar,
}

impl World {
    fn new(procedure: Procedure) -> Self {
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

    /// An instant on a local date in the procedure's time zone.
    fn local(&self, day: Date, hour: i8, minute: i8, second: i8) -> Timestamp {
        day.at(hour, minute, second, 0)
            .to_zoned(self.procedure.calendar.time_zone.clone())
            .unwrap()
            .timestamp()
    }
}

static SEEDS: LazyLock<Vec<World>> =
    LazyLock::new(|| seeds::all().unwrap().into_iter().map(World::new).collect());

static FIXTURE: LazyLock<World> =
    LazyLock::new(|| World::new(procedure::parse(include_str!("fixtures/machine.toml")).unwrap()));

fn seed(id: &str) -> &'static World {
    SEEDS
        .iter()
        .find(|w| w.procedure.id.as_str() == id)
        .unwrap()
}

fn days(n: i64) -> WorkingDays {
    WorkingDays::new(n).unwrap()
}

fn stage(n: i64) -> StageNumber {
    StageNumber::new(n).unwrap()
}

/// The monitor's invariants for `s` at `t` (not before its last event).
fn check_monitor(w: &World, s: &Escalation, t: Timestamp) -> Result<(), TestCaseError> {
    let rules = w.rules();
    let due = s.due_events(rules, t);
    let wake = s.wake_on(rules);
    let today = rules.local_date(t);
    prop_assert_eq!(
        due.is_empty(),
        wake.is_none_or(|w| today < w),
        "at {} ({}): due {:?}, wake on {:?}",
        t,
        today,
        due,
        wake
    );
    // Exactly: something is due from the first moment of the wake date, nothing in the last
    // moment of the day before.
    if let Some(day) = wake {
        let first = w.local(day, 0, 0, 0);
        if first >= s.last_event_at {
            prop_assert!(!s.due_events(rules, first).is_empty(), "{day}: {s:?}");
        }
        let eve = w.local(day.yesterday().unwrap(), 23, 59, 59);
        if eve >= s.last_event_at {
            prop_assert_eq!(s.due_events(rules, eve), vec![], "the day before {}", day);
        }
    }
    // Applied in order: each allowed, each leaving the rest due (so none twice), a reminder
    // always telling someone.
    let mut next = s.clone();
    for (i, event) in due.iter().enumerate() {
        let t2 = next
            .apply(rules, t, event.clone())
            .map_err(|e| TestCaseError::fail(format!("{event:?} at {t}: {e}")))?;
        if matches!(event, Event::DeadlineApproaching { .. }) {
            prop_assert!(!t2.notifications.is_empty(), "{:?} tells nobody", event);
        }
        // What the monitor records changes no stage, record or status: a person's action on
        // the version before it still means the same (`Event::is_monitor_record`).
        prop_assert!(event.is_monitor_record(), "{:?}", event);
        prop_assert_eq!(
            &t2.state.stages,
            &next.stages,
            "{:?} changed a stage",
            event
        );
        prop_assert_eq!(
            &t2.state.status,
            &next.status,
            "{:?} changed the status",
            event
        );
        next = t2.state;
        prop_assert_eq!(next.due_events(rules, t), due[i + 1..].to_vec());
    }
    prop_assert!(next.wake_on(rules).is_none_or(|w| w > today));
    Ok(())
}

/// What happens between the monitor's checks in the property below.
#[derive(Clone, Debug)]
enum Step {
    Monitor,
    Escalate,
    AgreeTimescale(i64),
    ProposeTimescale(i64),
    Refer(usize),
    RecordReferralOutcome,
    ResolveByEvents,
    Withdraw,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => Just(Step::Monitor),
        4 => Just(Step::Escalate),
        2 => (1i64..=5).prop_map(Step::AgreeTimescale),
        2 => (1i64..=5).prop_map(Step::ProposeTimescale),
        1 => (0usize..4).prop_map(Step::Refer),
        1 => Just(Step::RecordReferralOutcome),
        1 => Just(Step::ResolveByEvents),
        1 => Just(Step::Withdraw),
    ]
}

fn events_of(w: &World, step: &Step) -> Vec<Event> {
    let p = &w.procedure;
    match step {
        Step::Monitor => vec![],
        Step::Escalate => vec![Event::Escalated],
        Step::AgreeTimescale(n) => vec![Event::TimescaleAgreed {
            working_days: days(*n),
        }],
        // Sunderland step 2: the line manager proposes, the raiser confirms.
        Step::ProposeTimescale(n) => vec![
            Event::AgreementProposed {
                proposal: Proposal::Timescale(days(*n)),
                by: Side::Receiving,
            },
            Event::AgreementConfirmed { by: Party::Raiser },
        ],
        Step::Refer(i) if !p.referrals.is_empty() => vec![Event::ReferralMade {
            referral: p.referrals[i % p.referrals.len()].id.clone(),
        }],
        Step::Refer(_) => vec![],
        Step::RecordReferralOutcome => vec![Event::ReferralOutcomeRecorded {
            outcome: "Seen by the scrutineer.".to_owned(),
        }],
        Step::ResolveByEvents => vec![Event::Resolved {
            resolution: Resolution::ByEvents,
        }],
        Step::Withdraw => vec![Event::Withdrawn],
    }
}

/// Raises an escalation of `w` at `at` on its `route`-th route; where the procedure counts
/// from the decision to raise it, that was `back` days earlier (or, refused, the same day).
fn raise(w: &World, at: Timestamp, route: usize, status: usize, back: i64) -> Escalation {
    let p = &w.procedure;
    let route = p.routes[route % p.routes.len()].kind;
    let subject = match route {
        RouteKind::Individual => Subject::Child {
            status: ChildStatus::ALL[status % ChildStatus::ALL.len()],
        },
        _ => Subject::Thematic,
    };
    let event = |decided_on| Event::Raised {
        route,
        subject,
        category: p.categories[0].id.clone(),
        decided_on,
    };
    let raised_on = w.rules().local_date(at);
    let decided = [
        raised_on.checked_sub(Span::new().days(back)).ok(),
        Some(raised_on),
        None,
    ];
    decided
        .into_iter()
        .find_map(|d| decide(None, w.rules(), at, event(d)).ok())
        .unwrap_or_else(|| panic!("{} could not be raised at {at}", p.id))
        .state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn due_events_and_wake_on_agree(
        which in 0usize..5,
        raised in 0i64..(8 * 365 * 24 * 60),
        route in 0usize..3,
        status in 0usize..5,
        back in 0i64..6,
        steps in proptest::collection::vec(((0i64..(5 * 24 * 60)), step(), 0i64..(48 * 60)), 1..40),
    ) {
        let w = &SEEDS[which];
        let rules = w.rules();
        // From 2024 to 2031: inside the calendar, Christmases and Easters included.
        let start = w.local(date(2024, 1, 1), 0, 0, 0);
        let mut t = start.checked_add(Span::new().minutes(raised)).unwrap();
        let mut s = raise(w, t, route, status, back);
        check_monitor(w, &s, t)?;
        for (advance, step, probe) in steps {
            t = t.checked_add(Span::new().minutes(advance)).unwrap();
            check_monitor(w, &s, t)?;
            // And at a later instant, as if nothing happened meanwhile.
            check_monitor(w, &s, t.checked_add(Span::new().minutes(probe)).unwrap())?;
            if let Step::Monitor = step {
                for event in s.due_events(rules, t) {
                    s = s.apply(rules, t, event).unwrap().state;
                }
            }
            for event in events_of(w, &step) {
                if let Ok(next) = s.apply(rules, t, event) {
                    s = next.state;
                }
            }
            check_monitor(w, &s, t)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The stories.

/// A monitor that wakes at 07:00 on each `wake_on` date (or straight after the last event,
/// when that is later), with actions at noon on given dates; the log of what it recorded and
/// what was done, one line each: `Tue 2026-12-22 reminder stage 1`.
struct Story {
    w: &'static World,
    s: Escalation,
    log: Vec<String>,
}

impl Story {
    fn raise(w: &'static World, on: Date, decided_on: Option<Date>) -> Story {
        let e = Event::Raised {
            route: RouteKind::Individual,
            subject: Subject::Child {
                status: ChildStatus::ChildInNeed,
            },
            category: w.procedure.categories[0].id.clone(),
            decided_on,
        };
        let s = decide(None, w.rules(), w.local(on, 12, 0, 0), e)
            .unwrap()
            .state;
        Story { w, s, log: vec![] }
    }

    /// Runs the monitor up to and including `until`.
    fn monitor_until(&mut self, until: Date) {
        let rules = self.w.rules();
        while let Some(day) = self.s.wake_on(rules).filter(|d| *d <= until) {
            let t = self.w.local(day, 7, 0, 0).max(self.s.last_event_at);
            let due = self.s.due_events(rules, t);
            assert!(!due.is_empty(), "woke on {day} for nothing");
            for e in due {
                let line = match &e {
                    Event::DeadlineApproaching { deadline, .. } => {
                        format!("reminder {}", name(*deadline))
                    }
                    Event::DeadlinePassed { deadline } => format!("passed {}", name(*deadline)),
                    other => unreachable!("{other:?}"),
                };
                self.note(t, &line);
                self.s = self.s.apply(rules, t, e).unwrap().state;
            }
        }
    }

    /// Runs the monitor up to `on`'s morning, then applies `events` at noon.
    fn act(&mut self, on: Date, what: &str, events: &[Event]) {
        self.monitor_until(on);
        let t = self.w.local(on, 12, 0, 0);
        for e in events {
            self.s = self.s.apply(self.w.rules(), t, e.clone()).unwrap().state;
        }
        self.note(t, what);
    }

    fn note(&mut self, t: Timestamp, what: &str) {
        let day = self.w.rules().local_date(t);
        self.log
            .push(format!("{} {what}", day.strftime("%a %Y-%m-%d")));
    }

    /// Runs the monitor to the end and checks the log.
    #[track_caller]
    fn check(mut self, want: &[&str]) {
        self.monitor_until(date(2035, 1, 1));
        assert_eq!(self.s.wake_on(self.w.rules()), None, "something left to do");
        assert_eq!(self.log, want, "{}", self.w.procedure.id);
    }
}

fn name(d: Deadline) -> String {
    match d {
        Deadline::Stage(n) => format!("stage {n}"),
        Deadline::Overall => "overall".to_owned(),
        Deadline::Referral(n) => format!("referral {n}"),
    }
}

#[test]
fn the_fixture_step_by_step() {
    let w = &*FIXTURE;
    let rules = w.rules();
    // Raised Monday 21 December 2026: stage 1 (2 working days) is due Wednesday 23; the
    // reminder 1 working day ahead is on Tuesday 22. The business team's, 2 ahead, is from
    // stage 2 only. Overall (15 working days, past 25 and 28 December, the closure day on 29
    // and 1 January): Friday 15 January 2027, reminded of on Thursday 14.
    let s = Story::raise(w, date(2026, 12, 21), None).s;
    assert_eq!(
        s.due_events(rules, w.local(date(2026, 12, 21), 23, 59, 0)),
        []
    );
    assert_eq!(s.wake_on(rules), Some(date(2026, 12, 22)));
    let tuesday = w.local(date(2026, 12, 22), 0, 0, 0);
    let reminder = Event::DeadlineApproaching {
        deadline: Deadline::Stage(stage(1)),
        before: days(1),
    };
    assert_eq!(
        s.due_events(rules, tuesday),
        std::slice::from_ref(&reminder)
    );
    let after = s.apply(rules, tuesday, reminder).unwrap().state;
    // Next: the stage 1 deadline, once Wednesday 23 has ended.
    assert_eq!(after.wake_on(rules), Some(date(2026, 12, 24)));
    let passed = Event::DeadlinePassed {
        deadline: Deadline::Stage(stage(1)),
    };
    let thursday = w.local(date(2026, 12, 24), 0, 0, 0);
    assert_eq!(
        after.due_events(rules, thursday),
        std::slice::from_ref(&passed)
    );
    let after = after.apply(rules, thursday, passed.clone()).unwrap().state;
    assert_eq!(after.wake_on(rules), Some(date(2027, 1, 14)));

    // A monitor that missed the reminder's whole window records only the deadline.
    assert_eq!(s.due_events(rules, thursday), std::slice::from_ref(&passed));
    // And much later, both deadlines; no reminders.
    assert_eq!(
        s.due_events(rules, w.local(date(2027, 1, 16), 9, 0, 0)),
        [
            passed,
            Event::DeadlinePassed {
                deadline: Deadline::Overall
            }
        ]
    );
    // Closed: nothing more.
    let closed = s.apply(rules, thursday, Event::Withdrawn).unwrap().state;
    assert_eq!(closed.wake_on(rules), None);
    assert_eq!(
        closed.due_events(rules, w.local(date(2027, 2, 1), 9, 0, 0)),
        []
    );
}

/// §4: stage 1 within 1 working day of initiation, 2 and 3 within 2 working days, 4 within 3;
/// no overall limit. Raised Wednesday 23 December 2026, over Christmas (25 and 28 December)
/// and New Year (1 January).
#[test]
fn solihull_over_christmas() {
    let mut story = Story::raise(seed("solihull"), date(2026, 12, 23), None);
    // Stage 1 due Thursday 24 (1 working day); its reminder is 1 working day before, the day
    // it was raised: recorded at once.
    // Stage 1 passes when Thursday 24 ends.
    // Stage 2 from Tuesday 29: 30 (1), 31 (2): due Thursday 31, reminded on Wednesday 30.
    story.act(date(2026, 12, 29), "escalated", &[Event::Escalated]);
    // Stage 3 from Thursday 31: (1 January a bank holiday) 4 (1), 5 (2): due Tuesday 5
    // January, reminded on Monday 4; not escalated in time, it passes when the 5th ends.
    story.act(date(2026, 12, 31), "escalated", &[Event::Escalated]);
    // Stage 4 from Thursday 7: 8 (1), 11 (2), 12 (3): due Tuesday 12, reminded on Monday 11.
    story.act(date(2027, 1, 7), "escalated", &[Event::Escalated]);
    story.check(&[
        "Wed 2026-12-23 reminder stage 1",
        "Fri 2026-12-25 passed stage 1",
        "Tue 2026-12-29 escalated",
        "Wed 2026-12-30 reminder stage 2",
        "Thu 2026-12-31 escalated",
        "Mon 2027-01-04 reminder stage 3",
        "Wed 2027-01-06 passed stage 3",
        "Thu 2027-01-07 escalated",
        "Mon 2027-01-11 reminder stage 4",
        "Wed 2027-01-13 passed stage 4",
    ]);
}

/// "Each stage of resolving the issue should take no longer than 7 working days"; no overall
/// limit. Raised Thursday 2 April 2026, before Easter (Good Friday 3 April, Easter Monday 6
/// April) and across the early May bank holiday (Monday 4 May).
#[test]
fn croydon_over_easter_and_may_day() {
    let mut story = Story::raise(seed("croydon"), date(2026, 4, 2), None);
    // Stage 1: (3 and 6 April bank holidays) 7 (1), 8, 9, 10, 13, 14, 15 (7): due Wednesday
    // 15 April, reminded on Tuesday 14.
    // Stage 2 from Wednesday 15: 16 (1), 17, 20, 21, 22, 23, 24 (7): due Friday 24, reminded
    // on Thursday 23; it passes when Friday ends, recorded on Saturday 25.
    story.act(date(2026, 4, 15), "escalated", &[Event::Escalated]);
    // Stage 3 from Tuesday 28: 29 (1), 30, 1 May, (4 May a bank holiday) 5, 6, 7, 8 (7): due
    // Friday 8 May, reminded on Thursday 7; withdrawn that day at noon.
    story.act(date(2026, 4, 28), "escalated", &[Event::Escalated]);
    story.act(date(2026, 5, 7), "withdrawn", &[Event::Withdrawn]);
    story.check(&[
        "Tue 2026-04-14 reminder stage 1",
        "Wed 2026-04-15 escalated",
        "Thu 2026-04-23 reminder stage 2",
        "Sat 2026-04-25 passed stage 2",
        "Tue 2026-04-28 escalated",
        "Thu 2026-05-07 reminder stage 3",
        "Thu 2026-05-07 withdrawn",
    ]);
}

/// §4 to §8: cumulative from Day One (the date of the decision, day 1 when a working day):
/// stage 1 by day 3, 2 by day 6, 3 by day 9, 4 by day 12. Day One Tuesday 22 December 2026:
/// 22 (1), 23 (2), 24 (3), (25, 28 bank holidays) 29 (4), 30 (5), 31 (6), (1 January) 4 (7),
/// 5 (8), 6 (9), 7 (10), 8 (11), 11 (12).
#[test]
fn dorset_from_day_one() {
    let w = seed("dorset");
    let mut story = Story::raise(w, date(2026, 12, 22), Some(date(2026, 12, 22)));
    // Stage 1 due Thursday 24 December (day 3), reminded on Wednesday 23; passes, recorded
    // Friday 25.
    // Stage 2 due Thursday 31 December (day 6), reminded on Wednesday 30; passes, recorded
    // Friday 1 January.
    story.act(date(2026, 12, 29), "escalated", &[Event::Escalated]);
    // Stage 3 due Wednesday 6 January (day 9), reminded on Tuesday 5; passes, recorded
    // Thursday 7.
    story.act(date(2027, 1, 4), "escalated", &[Event::Escalated]);
    // Stage 4 due Monday 11 January (day 12): escalated on Friday 8, the reminder day, so the
    // reminder follows at once.
    story.act(date(2027, 1, 8), "escalated", &[Event::Escalated]);
    story.check(&[
        "Wed 2026-12-23 reminder stage 1",
        "Fri 2026-12-25 passed stage 1",
        "Tue 2026-12-29 escalated",
        "Wed 2026-12-30 reminder stage 2",
        "Fri 2027-01-01 passed stage 2",
        "Mon 2027-01-04 escalated",
        "Tue 2027-01-05 reminder stage 3",
        "Thu 2027-01-07 passed stage 3",
        "Fri 2027-01-08 escalated",
        "Fri 2027-01-08 reminder stage 4",
        "Tue 2027-01-12 passed stage 4",
    ]);

    // Escalated to stage 4 only on Tuesday 12 January, after day 12 has ended: its reminder's
    // day was missed entirely, so only the deadline is recorded.
    let mut late = Story::raise(w, date(2026, 12, 22), Some(date(2026, 12, 22)));
    late.act(date(2026, 12, 23), "escalated", &[Event::Escalated]);
    late.act(date(2026, 12, 29), "escalated", &[Event::Escalated]);
    late.act(date(2027, 1, 12), "escalated", &[Event::Escalated]);
    late.check(&[
        // Stage 1 left on its reminder day, after the 07:00 pass.
        "Wed 2026-12-23 reminder stage 1",
        "Wed 2026-12-23 escalated",
        "Tue 2026-12-29 escalated",
        // Stage 3 (day 9, Wednesday 6 January).
        "Tue 2027-01-05 reminder stage 3",
        "Thu 2027-01-07 passed stage 3",
        "Tue 2027-01-12 escalated",
        "Tue 2027-01-12 passed stage 4",
    ]);
}

/// "Timescales, not exceeding 5 working days, should be agreed for each stage"; "The process
/// should be completed within a month". Raised Monday 18 May 2026: the month ends on Thursday 18
/// June, a working day, reminded of on Wednesday 17. The spring bank holiday is Monday 25 May.
#[test]
fn sunderland_agreed_steps_and_the_month() {
    let mut story = Story::raise(seed("sunderland"), date(2026, 5, 18), None);
    // Step 1, until a timescale is agreed, at most 5: 19 (1), 20, 21, 22, (25) 26 (5): due
    // Tuesday 26 May; 1 working day before it is Friday 22 (Monday 25 is a bank holiday).
    // Step 2 from Thursday 28: at most 5 until agreed; agreed with the raiser on Friday 29 at
    // 2: 29 (1), 1 June (2): due Monday 1 June, whose reminder day (Friday 29) has come.
    story.act(date(2026, 5, 28), "escalated", &[Event::Escalated]);
    story.act(
        date(2026, 5, 29),
        "timescale agreed",
        &[
            Event::AgreementProposed {
                proposal: Proposal::Timescale(days(2)),
                by: Side::Receiving,
            },
            Event::AgreementConfirmed { by: Party::Raiser },
        ],
    );
    // Step 3 from Wednesday 3 June: 4 (1), 5, 8, 9, 10 (5): due Wednesday 10, reminded on
    // Tuesday 9.
    story.act(date(2026, 6, 3), "escalated", &[Event::Escalated]);
    // Step 4 from Wednesday 10: 11 (1), 12, 15, 16, 17 (5): due Wednesday 17, before the month
    // ends; reminded on Tuesday 16. Both pass.
    story.act(date(2026, 6, 10), "escalated", &[Event::Escalated]);
    story.check(&[
        "Fri 2026-05-22 reminder stage 1",
        "Wed 2026-05-27 passed stage 1",
        "Thu 2026-05-28 escalated",
        "Fri 2026-05-29 timescale agreed",
        "Fri 2026-05-29 reminder stage 2",
        "Tue 2026-06-02 passed stage 2",
        "Wed 2026-06-03 escalated",
        "Tue 2026-06-09 reminder stage 3",
        "Wed 2026-06-10 escalated",
        "Tue 2026-06-16 reminder stage 4",
        "Wed 2026-06-17 reminder overall",
        "Thu 2026-06-18 passed stage 4",
        "Fri 2026-06-19 passed overall",
    ]);
}

/// 2.4.24: "Each stage should be completed in 5 working days (15 days maximum)". Raised
/// Monday 21 December 2026: 22 (1), 23, 24, (25, 28 bank holidays) 29, 30 (5), 31, (1
/// January) 4, 5, 6, 7 (10), 8, 11, 12, 13, 14 (15): the 15 days end on Thursday 14 January.
#[test]
fn buckinghamshire_fifteen_days_maximum() {
    let mut story = Story::raise(seed("buckinghamshire"), date(2026, 12, 21), None);
    // Stage 1 due Wednesday 30 December (day 5), reminded on Tuesday 29.
    // Stage 2 from Wednesday 30: 31 (1), 4, 5, 6, 7 (5): due Thursday 7 January, reminded on
    // Wednesday 6.
    story.act(date(2026, 12, 30), "escalated", &[Event::Escalated]);
    // Stage 3 from Thursday 7: 8 (1), 11, 12, 13, 14 (5): due Thursday 14, the last of the 15
    // days. Both reminded of on Wednesday 13; both pass when the 14th ends.
    story.act(date(2027, 1, 7), "escalated", &[Event::Escalated]);
    story.check(&[
        "Tue 2026-12-29 reminder stage 1",
        "Wed 2026-12-30 escalated",
        "Wed 2027-01-06 reminder stage 2",
        "Thu 2027-01-07 escalated",
        "Wed 2027-01-13 reminder stage 3",
        "Wed 2027-01-13 reminder overall",
        "Fri 2027-01-15 passed stage 3",
        "Fri 2027-01-15 passed overall",
    ]);

    // Left at stage 1: the stage passes when Wednesday 30 ends; the 15 days run on.
    let still = Story::raise(seed("buckinghamshire"), date(2026, 12, 21), None);
    still.check(&[
        "Tue 2026-12-29 reminder stage 1",
        "Thu 2026-12-31 passed stage 1",
        "Wed 2027-01-13 reminder overall",
        "Fri 2027-01-15 passed overall",
    ]);
}
