//! Reminders before a deadline (issue 15): the `before` key of a `deadline-approaching`
//! notification, read and checked with a position for every mistake; the reminder event the
//! machine allows once, from its day until the deadline; and the reasons the records store,
//! read back. Uses `fixtures/machine.toml` (reminders 1 working day ahead to the stage leads,
//! and 2 ahead to the business team from stage 2).

use jiff::Timestamp;
use jiff::civil::date;
use parley_core::calendar::{BankHolidays, WorkingDays};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{
    Deadline, Escalation, Event, Notification, Reason, Rules, Subject, TransitionError, decide,
};
use parley_core::names::{ChildStatus, ClosedAs, Recipient, RouteKind, Trigger};
use parley_core::procedure::{self, Procedure, StageNumber};
use parley_core::{Calendar, seeds};
use proptest::prelude::*;

const FIXTURE: &str = include_str!("fixtures/machine.toml");

const REMINDER: &str = "\n[[notification]]\nto = \"raiser\"\non = \"deadline-approaching\"\nbefore = 3\nchild_details = true\n";

fn errors(text: &str) -> String {
    match procedure::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.render("x.toml", text),
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn stage(n: i64) -> StageNumber {
    StageNumber::new(n).unwrap()
}

fn days(n: i64) -> WorkingDays {
    WorkingDays::new(n).unwrap()
}

struct World {
    procedure: Procedure,
    calendar: Calendar,
}

impl World {
    fn fixture() -> Self {
        let procedure = procedure::parse(FIXTURE).unwrap();
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

    /// Raised on Monday 21 December 2026 about a child in need: stage 1 (2 working days) is
    /// due Wednesday 23 December, the whole escalation (15 working days, over Christmas, New
    /// Year and the fixture's closure day, 29 December) on Friday 15 January 2027.
    fn raised(&self) -> Escalation {
        let e = Event::Raised {
            route: RouteKind::Individual,
            subject: Subject::Child {
                status: ChildStatus::ChildInNeed,
            },
            category: "levels-of-need".to_owned(),
            decided_on: None,
        };
        let s = decide(None, self.rules(), at("2026-12-21T10:00:00Z"), e)
            .unwrap()
            .state;
        assert_eq!(s.current().due, date(2026, 12, 23));
        assert_eq!(s.overall_due, Some(date(2027, 1, 15)));
        s
    }
}

fn reminder(deadline: Deadline, before: i64) -> Event {
    Event::DeadlineApproaching {
        deadline,
        before: days(before),
    }
}

#[test]
fn reminder_rules_are_read() {
    let p = procedure::parse(&(FIXTURE.to_owned() + REMINDER)).unwrap();
    let rule = p.notifications.last().unwrap();
    assert_eq!(rule.on, Trigger::DeadlineApproaching);
    assert_eq!(rule.before, Some(days(3)));
    assert_eq!(rule.when(), "3 working days before each deadline");
    let one =
        procedure::parse(&(FIXTURE.to_owned() + &REMINDER.replace("before = 3", "before = 1")))
            .unwrap();
    assert_eq!(
        one.notifications.last().unwrap().when(),
        "1 working day before each deadline"
    );
    // Other rules have none.
    assert!(
        p.notifications
            .iter()
            .filter(|n| n.on != Trigger::DeadlineApproaching)
            .all(|n| n.before.is_none())
    );
    // Every built-in procedure reminds the stage leads one working day ahead.
    for p in seeds::all().unwrap() {
        let reminders: Vec<_> = p
            .notifications
            .iter()
            .filter(|n| n.on == Trigger::DeadlineApproaching)
            .map(|n| (n.to, n.before))
            .collect();
        assert_eq!(
            reminders,
            [(Recipient::StageLeads, Some(days(1)))],
            "{}",
            p.id
        );
    }
}

#[test]
fn reminder_mistakes_are_reported_where_they_are() {
    // (what, the rule as written, where the mistake starts, what the message says)
    let cases: [(&str, String, &str, &str); 6] = [
        (
            "no before",
            REMINDER.replace("before = 3\n", ""),
            "\"deadline-approaching\"",
            "a deadline-approaching notification needs `before`",
        ),
        (
            "before with another trigger",
            REMINDER.replace("deadline-approaching", "deadline-passed"),
            "3\n",
            "`before` is only for on = \"deadline-approaching\"; this notification is sent when a deadline passes",
        ),
        (
            "no working days",
            REMINDER.replace("before = 3", "before = 0"),
            "0\n",
            "notification before: a number of working days must be at least 1, not 0",
        ),
        (
            "too many",
            REMINDER.replace("before = 3", "before = 9999"),
            "9999",
            "notification before: 9999 working days is more than the 2600 allowed",
        ),
        (
            "not a number",
            REMINDER.replace("before = 3", "before = \"three\""),
            "\"three\"",
            "invalid type: string \"three\"",
        ),
        (
            "misspelt",
            REMINDER.replace("before = 3", "befor = 3"),
            "befor",
            "unknown field `befor`",
        ),
    ];
    for (what, rule, needle, says) in cases {
        let text = FIXTURE.to_owned() + &rule;
        let out = errors(&text);
        let from = text.rfind("[[notification]]").unwrap();
        let i = from + text[from..].find(needle).unwrap();
        let (line, col) = procedure::line_col(&text, i);
        assert!(
            out.contains(&format!("x.toml:{line}:")),
            "{what}: want line {line} (col {col}), got\n{out}"
        );
        assert!(out.contains(says), "{what}: want {says:?}, got\n{out}");
    }
}

#[test]
fn a_reminder_is_recorded_once_from_its_day_until_the_deadline() {
    let w = World::fixture();
    let rules = w.rules();
    let s = w.raised();
    let stage_1 = Deadline::Stage(stage(1));

    // One working day before Wednesday 23 December is Tuesday 22.
    let early = s.apply(rules, at("2026-12-21T23:30:00Z"), reminder(stage_1, 1));
    assert_eq!(
        early,
        Err(TransitionError::ReminderNotYet {
            deadline: stage_1,
            before: days(1),
            due: date(2026, 12, 23),
            on: date(2026, 12, 22),
            today: date(2026, 12, 21),
        })
    );
    assert_eq!(
        early.unwrap_err().to_string(),
        "the reminder 1 working day before the stage 1 deadline (due 2026-12-23) is sent from 2026-12-22, not on 2026-12-21"
    );

    let sent = s
        .apply(rules, at("2026-12-22T00:30:00Z"), reminder(stage_1, 1))
        .unwrap();
    assert_eq!(
        sent.notifications,
        [Notification {
            to: Recipient::StageLeads,
            reason: Reason::DeadlineApproaching(stage_1),
            stage: stage(1),
            child_details: true,
            address: None,
        }]
    );
    assert_eq!(sent.state.reminders_sent, [(stage_1, days(1))]);
    assert_eq!(sent.state.deadlines_passed, []);
    assert_eq!(
        sent.state
            .apply(rules, at("2026-12-22T09:00:00Z"), reminder(stage_1, 1)),
        Err(TransitionError::ReminderAlreadySent {
            deadline: stage_1,
            before: days(1),
        })
    );

    // Late in the day it is due, still allowed; the day after, too late.
    assert!(
        s.apply(rules, at("2026-12-23T23:30:00Z"), reminder(stage_1, 1))
            .is_ok()
    );
    let late = s.apply(rules, at("2026-12-24T00:30:00Z"), reminder(stage_1, 1));
    assert_eq!(
        late,
        Err(TransitionError::ReminderTooLate {
            deadline: stage_1,
            due: date(2026, 12, 23),
            today: date(2026, 12, 24),
        })
    );
    assert_eq!(
        late.unwrap_err().to_string(),
        "the stage 1 deadline (due 2026-12-23) has passed by 2026-12-24; it is too late for a reminder"
    );

    // Only a deadline the escalation has now.
    for other in [Deadline::Stage(stage(2)), Deadline::Referral(1)] {
        assert_eq!(
            s.apply(rules, at("2026-12-22T09:00:00Z"), reminder(other, 1)),
            Err(TransitionError::NoSuchDeadline(other))
        );
    }

    // Two working days before is Monday 21: allowed, but the business team's reminder is
    // from stage 2, so it tells nobody at stage 1 (and the monitor never records it).
    let nobody = s
        .apply(rules, at("2026-12-21T12:00:00Z"), reminder(stage_1, 2))
        .unwrap();
    assert_eq!(nobody.notifications, []);
    assert!(
        !s.due_events(rules, at("2026-12-23T12:00:00Z"))
            .contains(&reminder(stage_1, 2))
    );

    // The overall deadline's reminder: Thursday 14 January.
    assert!(matches!(
        s.apply(rules, at("2027-01-13T12:00:00Z"), reminder(Deadline::Overall, 1)),
        Err(TransitionError::ReminderNotYet { on, .. }) if on == date(2027, 1, 14)
    ));
    let overall = s
        .apply(
            rules,
            at("2027-01-14T12:00:00Z"),
            reminder(Deadline::Overall, 1),
        )
        .unwrap();
    assert_eq!(
        overall.notifications[0].reason,
        Reason::DeadlineApproaching(Deadline::Overall)
    );
}

#[test]
fn a_recorded_deadline_gets_no_reminder() {
    let w = World::fixture();
    let rules = w.rules();
    let passed = w
        .raised()
        .apply(
            rules,
            at("2026-12-24T00:30:00Z"),
            Event::DeadlinePassed {
                deadline: Deadline::Stage(stage(1)),
            },
        )
        .unwrap()
        .state;
    assert!(matches!(
        passed.apply(
            rules,
            at("2026-12-24T00:31:00Z"),
            reminder(Deadline::Stage(stage(1)), 1)
        ),
        Err(TransitionError::ReminderTooLate { .. })
    ));
}

#[test]
fn an_agreed_timescale_that_moves_the_date_is_reminded_of_again() {
    let w = World::fixture();
    let rules = w.rules();
    let stage_2 = Deadline::Stage(stage(2));
    // Escalated on Tuesday 22 December: stage 2's timescale is agreed, at most 5 working
    // days, so until it is agreed it is due on the 5th: 23, 24, (25, 28 bank holidays, 29
    // closure day) 30, 31, 4 January.
    let s = w
        .raised()
        .apply(rules, at("2026-12-22T09:00:00Z"), Event::Escalated)
        .unwrap()
        .state;
    assert_eq!(s.current().due, date(2027, 1, 4));
    // Two working days before 4 January: 30 December. The business team (from stage 2).
    let wednesday = at("2026-12-30T09:00:00Z");
    assert_eq!(s.due_events(rules, wednesday), [reminder(stage_2, 2)]);
    let t = s.apply(rules, wednesday, reminder(stage_2, 2)).unwrap();
    assert_eq!(t.notifications.len(), 1);
    assert_eq!(t.notifications[0].to, Recipient::PartnershipBusinessTeam);
    assert!(!t.notifications[0].child_details);
    let s = t.state;
    assert_eq!(s.due_events(rules, wednesday), []);

    // Agreed at 3 working days: due 30 December, today. Both reminders are due again.
    let agreed = at("2026-12-30T10:00:00Z");
    let s = s
        .apply(
            rules,
            agreed,
            Event::TimescaleAgreed {
                working_days: days(3),
            },
        )
        .unwrap()
        .state;
    assert_eq!(s.current().due, date(2026, 12, 30));
    assert_eq!(s.reminders_sent, []);
    let due = s.due_events(rules, agreed);
    assert_eq!(due, [reminder(stage_2, 2), reminder(stage_2, 1)]);
    let mut s = s;
    for e in due {
        s = s.apply(rules, agreed, e).unwrap().state;
    }
    // Agreed again at the same length: the date does not move, nothing is sent again.
    let s = s
        .apply(
            rules,
            at("2026-12-30T11:00:00Z"),
            Event::TimescaleAgreed {
                working_days: days(3),
            },
        )
        .unwrap()
        .state;
    assert_eq!(s.reminders_sent.len(), 2);
    assert_eq!(s.due_events(rules, at("2026-12-30T11:00:00Z")), []);
}

// ---------------------------------------------------------------------------------------------
// The reasons the records store.

fn deadline() -> impl Strategy<Value = Deadline> {
    prop_oneof![
        (1i64..=99).prop_map(|n| Deadline::Stage(stage(n))),
        Just(Deadline::Overall),
        (1u8..=u8::MAX).prop_map(Deadline::Referral),
    ]
}

fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![
        Just(Reason::Raised),
        (1i64..=99).prop_map(|n| Reason::StageEntered(stage(n))),
        deadline().prop_map(Reason::DeadlinePassed),
        deadline().prop_map(Reason::DeadlineApproaching),
        proptest::sample::select(ClosedAs::ALL).prop_map(Reason::Closed),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn reasons_read_back_as_written(r in reason()) {
        prop_assert_eq!(Reason::parse(&r.as_stored()), Some(r));
    }

    #[test]
    fn deadlines_read_back_as_written(d in deadline()) {
        prop_assert_eq!(Deadline::parse(&d.as_stored()), Some(d));
    }

    /// Only the written form is read: whatever reads, writes back to the same text.
    #[test]
    fn only_written_forms_are_read(
        s in "(raised|stage-entered|deadline-passed|deadline-approaching|closed|other)(:(overall|referral-|resolved|referred-on|withdrawn|redirected|open|[0-9+ -]{0,4}){0,2}){0,2}"
    ) {
        if let Some(r) = Reason::parse(&s) {
            prop_assert_eq!(r.as_stored(), s);
        }
    }
}

/// The strings the records wrote before the reason had a parser stay readable, as what they
/// were written for.
#[test]
fn stored_reasons_keep_their_form() {
    let cases = [
        ("raised", Reason::Raised),
        ("stage-entered:3", Reason::StageEntered(stage(3))),
        (
            "deadline-passed:2",
            Reason::DeadlinePassed(Deadline::Stage(stage(2))),
        ),
        (
            "deadline-passed:overall",
            Reason::DeadlinePassed(Deadline::Overall),
        ),
        (
            "deadline-passed:referral-1",
            Reason::DeadlinePassed(Deadline::Referral(1)),
        ),
        (
            "deadline-approaching:4",
            Reason::DeadlineApproaching(Deadline::Stage(stage(4))),
        ),
        (
            "deadline-approaching:overall",
            Reason::DeadlineApproaching(Deadline::Overall),
        ),
        (
            "deadline-approaching:referral-2",
            Reason::DeadlineApproaching(Deadline::Referral(2)),
        ),
        ("closed:resolved", Reason::Closed(ClosedAs::Resolved)),
        ("closed:referred-on", Reason::Closed(ClosedAs::ReferredOn)),
        ("closed:withdrawn", Reason::Closed(ClosedAs::Withdrawn)),
        ("closed:redirected", Reason::Closed(ClosedAs::Redirected)),
    ];
    for (text, reason) in cases {
        assert_eq!(reason.as_stored(), text);
        assert_eq!(Reason::parse(text), Some(reason), "{text}");
    }
    // `closed:<status>` is the escalation's status name.
    let w = World::fixture();
    let closed = w
        .raised()
        .apply(w.rules(), at("2026-12-22T09:00:00Z"), Event::Withdrawn)
        .unwrap();
    assert_eq!(
        closed.notifications[0].reason.as_stored(),
        format!("closed:{}", closed.state.status.as_str())
    );
}
