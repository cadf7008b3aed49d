//! The escalation state machine: every event in every kind of state, allowed or refused,
//! and the notifications each transition calls for. Uses `fixtures/machine.toml`, a
//! procedure with one of every kind of rule.

use jiff::Timestamp;
use jiff::civil::{Date, date};
use parley_core::agreement::{Dissent, Proposal};
use parley_core::calendar::{BankHolidays, Calendar, WorkingDays};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{
    Deadline, Escalation, Event, Reason, Rules, Status, Subject, TransitionError, decide, replay,
};
use parley_core::names::{
    ChildStatus, ClosedAs, Party, Recipient, RedirectionKind, Resolution, RouteKind, Side,
};
use parley_core::procedure::{self, Procedure, StageNumber};

const FIXTURE: &str = include_str!("fixtures/machine.toml");

struct World {
    procedure: Procedure,
    calendar: Calendar,
}

impl World {
    fn new(source: &str) -> Self {
        let procedure =
            procedure::parse(source).unwrap_or_else(|e| panic!("{}", e.render("fixture", source)));
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

    fn replay(&self, events: &[(&str, Event)]) -> Escalation {
        replay(self.rules(), events.iter().map(|(t, e)| (at(t), e.clone())))
            .unwrap()
            .unwrap()
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

fn raised_child(status: ChildStatus) -> Event {
    Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child { status },
        category: "levels-of-need".to_owned(),
        decided_on: None,
    }
}

/// The receiving side proposes to resolve it by agreement (issue 14, item 2).
fn propose_agreement() -> Event {
    Event::AgreementProposed {
        proposal: Proposal::Resolution,
        by: Side::Receiving,
    }
}

/// The raising side confirms it: resolved by agreement.
fn confirm_agreement() -> Event {
    Event::AgreementConfirmed {
        by: Party::RaisingSide,
    }
}

fn record(n: i64, field: &str) -> Event {
    Event::StageRecordUpdated {
        stage: stage(n),
        fields: vec![(field.to_owned(), "text".to_owned())],
    }
}

const RAISED: &str = "2026-12-21T10:00:00Z"; // Monday
const LATER: &str = "2026-12-23T15:00:00Z"; // Wednesday, stage 1's due date
const MUCH_LATER: &str = "2027-02-01T12:00:00Z";

/// The kinds of state the table runs each event against.
fn states(w: &World) -> Vec<(&'static str, Option<Escalation>)> {
    let raised = (RAISED, raised_child(ChildStatus::ChildInNeed));
    vec![
        ("not raised", None),
        (
            "open at stage 1",
            Some(w.replay(std::slice::from_ref(&raised))),
        ),
        (
            "open at stage 2 (agreed timescale)",
            Some(w.replay(&[raised.clone(), (LATER, Event::Escalated)])),
        ),
        (
            "open at the last stage",
            Some(w.replay(&[
                raised.clone(),
                (LATER, Event::Escalated),
                (LATER, Event::Escalated),
            ])),
        ),
        (
            "resolved by events, being seen through",
            Some(w.replay(&[
                raised.clone(),
                (
                    LATER,
                    Event::Resolved {
                        resolution: Resolution::ByEvents,
                    },
                ),
            ])),
        ),
        (
            "closed",
            Some(w.replay(&[
                raised,
                (LATER, propose_agreement()),
                (LATER, confirm_agreement()),
            ])),
        ),
    ]
}

/// The name of an error variant, or "ok".
fn outcome(result: &Result<parley_core::escalation::Transition, TransitionError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => {
            let debug = format!("{e:?}");
            debug
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_owned()
        }
    }
}

#[test]
fn every_event_in_every_state() {
    let w = World::new(FIXTURE);
    let events: Vec<(&str, Event)> = vec![
        ("raise", raised_child(ChildStatus::None)),
        ("record stage 1", record(1, "discussion")),
        ("record stage 3 learning", record(3, "learning")),
        ("record an unknown field", record(1, "learning")),
        (
            "record nothing",
            Event::StageRecordUpdated {
                stage: stage(1),
                fields: vec![],
            },
        ),
        (
            "agree 3 days",
            Event::TimescaleAgreed {
                working_days: days(3),
            },
        ),
        (
            "agree 6 days",
            Event::TimescaleAgreed {
                working_days: days(6),
            },
        ),
        ("escalate", Event::Escalated),
        ("convene meeting", Event::ProfessionalsMeetingConvened),
        (
            "resolve agreed",
            Event::Resolved {
                resolution: Resolution::Agreed,
            },
        ),
        (
            "resolve disagreement",
            Event::Resolved {
                resolution: Resolution::DisagreementRecorded,
            },
        ),
        (
            "resolve by events",
            Event::Resolved {
                resolution: Resolution::ByEvents,
            },
        ),
        ("propose agreement", propose_agreement()),
        (
            "record disagreement",
            Event::DisagreementRecorded(dissent()),
        ),
        (
            "refer to partnership",
            Event::ReferredOn {
                referral: "partnership".to_owned(),
            },
        ),
        (
            "refer to ofsted",
            Event::ReferredOn {
                referral: "ofsted".to_owned(),
            },
        ),
        ("withdraw", Event::Withdrawn),
        (
            "redirect complaint",
            Event::Redirected {
                kind: RedirectionKind::Complaint,
            },
        ),
        (
            "redirect whistleblowing",
            Event::Redirected {
                kind: RedirectionKind::Whistleblowing,
            },
        ),
        (
            "redirect immediate risk",
            Event::Redirected {
                kind: RedirectionKind::ImmediateRisk,
            },
        ),
        (
            "stage 1 deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Stage(stage(1)),
            },
        ),
        (
            "overall deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Overall,
            },
        ),
        (
            "stage 1 reminder",
            Event::DeadlineApproaching {
                deadline: Deadline::Stage(stage(1)),
                before: days(1),
            },
        ),
        (
            "overall reminder",
            Event::DeadlineApproaching {
                deadline: Deadline::Overall,
                before: days(1),
            },
        ),
    ];
    // Expected outcome per state, in the order of `states`:
    // not raised | stage 1 | stage 2 | last stage | seen through | closed
    let expected: &[(&str, [&str; 6])] = &[
        (
            "raise",
            [
                "ok",
                "AlreadyRaised",
                "AlreadyRaised",
                "AlreadyRaised",
                "AlreadyRaised",
                "AlreadyRaised",
            ],
        ),
        (
            "record stage 1",
            ["NotRaised", "ok", "ok", "ok", "ok", "ok"],
        ),
        (
            "record stage 3 learning",
            [
                "NotRaised",
                "StageNotReached",
                "StageNotReached",
                "ok",
                "StageNotReached",
                "StageNotReached",
            ],
        ),
        (
            "record an unknown field",
            [
                "NotRaised",
                "UnknownRecordField",
                "UnknownRecordField",
                "UnknownRecordField",
                "UnknownRecordField",
                "UnknownRecordField",
            ],
        ),
        (
            "record nothing",
            [
                "NotRaised",
                "EmptyRecordUpdate",
                "EmptyRecordUpdate",
                "EmptyRecordUpdate",
                "EmptyRecordUpdate",
                "EmptyRecordUpdate",
            ],
        ),
        (
            "agree 3 days",
            [
                "NotRaised",
                "TimescaleNotAgreed",
                "ok",
                "TimescaleNotAgreed",
                "TimescaleNotAgreed",
                "Closed",
            ],
        ),
        (
            "agree 6 days",
            [
                "NotRaised",
                "TimescaleNotAgreed",
                "AgreedTimescaleTooLong",
                "TimescaleNotAgreed",
                "TimescaleNotAgreed",
                "Closed",
            ],
        ),
        (
            "escalate",
            ["NotRaised", "ok", "ok", "NoFurtherStage", "ok", "Closed"],
        ),
        (
            "convene meeting",
            [
                "NotRaised",
                "ok",
                "MeetingNotProvided",
                "MeetingNotProvided",
                "ok",
                "Closed",
            ],
        ),
        // Issue 14, item 2: neither by one side alone.
        (
            "resolve agreed",
            [
                "NotRaised",
                "Agreement",
                "Agreement",
                "Agreement",
                "Agreement",
                "Closed",
            ],
        ),
        (
            "resolve disagreement",
            [
                "NotRaised",
                "Agreement",
                "Agreement",
                "Agreement",
                "Agreement",
                "Closed",
            ],
        ),
        (
            "propose agreement",
            ["NotRaised", "ok", "ok", "ok", "ok", "Closed"],
        ),
        (
            "record disagreement",
            ["NotRaised", "ok", "ok", "ok", "ok", "Closed"],
        ),
        (
            "resolve by events",
            [
                "NotRaised",
                "ok",
                "ok",
                "ok",
                "AlreadyResolvedByEvents",
                "Closed",
            ],
        ),
        (
            "refer to partnership",
            [
                "NotRaised",
                "ReferralTooEarly",
                "ReferralTooEarly",
                "ok",
                "ReferralTooEarly",
                "Closed",
            ],
        ),
        (
            "refer to ofsted",
            [
                "NotRaised",
                "UnknownReferral",
                "UnknownReferral",
                "UnknownReferral",
                "UnknownReferral",
                "Closed",
            ],
        ),
        ("withdraw", ["NotRaised", "ok", "ok", "ok", "ok", "Closed"]),
        (
            "redirect complaint",
            ["NotRaised", "ok", "ok", "ok", "ok", "Closed"],
        ),
        (
            "redirect whistleblowing",
            [
                "NotRaised",
                "NoSuchRedirection",
                "NoSuchRedirection",
                "NoSuchRedirection",
                "NoSuchRedirection",
                "Closed",
            ],
        ),
        (
            "redirect immediate risk",
            ["NotRaised", "ok", "ok", "ok", "ok", "Closed"],
        ),
        (
            "stage 1 deadline passed",
            [
                "NotRaised",
                "ok",
                "NoSuchDeadline",
                "NoSuchDeadline",
                "ok",
                "Closed",
            ],
        ),
        (
            "overall deadline passed",
            ["NotRaised", "ok", "ok", "ok", "ok", "Closed"],
        ),
        // Issue 15: every deadline has passed by then; a reminder is too late.
        (
            "stage 1 reminder",
            [
                "NotRaised",
                "ReminderTooLate",
                "NoSuchDeadline",
                "NoSuchDeadline",
                "ReminderTooLate",
                "Closed",
            ],
        ),
        (
            "overall reminder",
            [
                "NotRaised",
                "ReminderTooLate",
                "ReminderTooLate",
                "ReminderTooLate",
                "ReminderTooLate",
                "Closed",
            ],
        ),
    ];
    let states = states(&w);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, event) in &events {
        let row = expected
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no row for {name}"));
        for ((state_name, state), want) in states.iter().zip(row.1) {
            let result = decide(state.as_ref(), w.rules(), at(MUCH_LATER), event.clone());
            let got = outcome(&result);
            checked += 1;
            if got != want {
                failures.push(format!(
                    "{name} in state \"{state_name}\": expected {want}, got {got} ({result:?})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, events.len() * 6);
}

#[test]
fn deadlines_that_have_not_passed_cannot_be_recorded() {
    let w = World::new(FIXTURE);
    let s = w.replay(&[(RAISED, raised_child(ChildStatus::None))]);
    // Stage 1 is due Wednesday 23 December: on that day it has not passed yet.
    assert_eq!(s.current().due, date(2026, 12, 23));
    let on_the_day = s.apply(
        w.rules(),
        at("2026-12-23T23:30:00Z"),
        Event::DeadlinePassed {
            deadline: Deadline::Stage(stage(1)),
        },
    );
    assert!(
        matches!(on_the_day, Err(TransitionError::DeadlineNotPassed { .. })),
        "{on_the_day:?}"
    );
    let next_day = s
        .apply(
            w.rules(),
            at("2026-12-24T00:30:00Z"),
            Event::DeadlinePassed {
                deadline: Deadline::Stage(stage(1)),
            },
        )
        .unwrap();
    assert_eq!(next_day.notifications.len(), 1);
    assert_eq!(next_day.notifications[0].to, Recipient::StageLeads);
    let again = next_day.state.apply(
        w.rules(),
        at("2026-12-24T09:00:00Z"),
        Event::DeadlinePassed {
            deadline: Deadline::Stage(stage(1)),
        },
    );
    assert!(matches!(
        again,
        Err(TransitionError::DeadlineAlreadyRecorded(_))
    ));
}

#[test]
fn events_out_of_order_are_refused() {
    let w = World::new(FIXTURE);
    let s = w.replay(&[(LATER, raised_child(ChildStatus::None))]);
    let r = s.apply(w.rules(), at(RAISED), Event::Escalated);
    assert!(matches!(r, Err(TransitionError::OutOfOrder { .. })));
}

#[test]
fn routes_and_subjects_must_fit() {
    let w = World::new(FIXTURE);
    let cases: Vec<(RouteKind, Subject, &str, &str)> = vec![
        (
            RouteKind::Individual,
            Subject::Thematic,
            "levels-of-need",
            "SubjectDoesNotFitRoute",
        ),
        (
            RouteKind::Thematic,
            Subject::Child {
                status: ChildStatus::None,
            },
            "levels-of-need",
            "SubjectDoesNotFitRoute",
        ),
        (
            RouteKind::Strategic,
            Subject::Thematic,
            "levels-of-need",
            "NoSuchRoute",
        ),
        (
            RouteKind::Individual,
            Subject::Child {
                status: ChildStatus::None,
            },
            "nonsense",
            "UnknownCategory",
        ),
        (
            RouteKind::Thematic,
            Subject::Thematic,
            "levels-of-need",
            "ok",
        ),
    ];
    for (route, subject, category, want) in cases {
        let r = decide(
            None,
            w.rules(),
            at(RAISED),
            Event::Raised {
                route,
                subject,
                category: category.to_owned(),
                decided_on: None,
            },
        );
        assert_eq!(outcome(&r), want, "{route} {subject:?} {category}");
    }
}

#[test]
fn a_thematic_escalation_enters_at_its_stage_and_carries_no_child_details() {
    let w = World::new(FIXTURE);
    let t = decide(
        None,
        w.rules(),
        at(RAISED),
        Event::Raised {
            route: RouteKind::Thematic,
            subject: Subject::Thematic,
            category: "levels-of-need".to_owned(),
            decided_on: None,
        },
    )
    .unwrap();
    assert_eq!(t.state.current_stage(), stage(2));
    assert!(t.notifications.iter().all(|n| !n.child_details));
    let to: Vec<Recipient> = t.notifications.iter().map(|n| n.to).collect();
    assert_eq!(
        to,
        vec![Recipient::StageLeads, Recipient::PartnershipBusinessTeam]
    );
}

#[test]
fn deadlines_follow_the_stages() {
    let w = World::new(FIXTURE);
    let s = w.replay(&[(RAISED, raised_child(ChildStatus::None))]);
    // Raised Monday 21 December 2026: stage 1 (2 working days) due Wednesday 23rd.
    assert_eq!(s.raised_on, date(2026, 12, 21));
    assert_eq!(s.current().due, date(2026, 12, 23));
    // 15 working days: 22, 23, 24, (25, 28 bank holidays, 29 closure day) 30, 31,
    // (1 Jan) 4, 5, 6, 7, 8, 11, 12, 13, 14, 15.
    assert_eq!(s.overall_due, Some(date(2027, 1, 15)));

    // Escalated on the 23rd: stage 2's timescale is agreed, at most 5: until agreed, 5.
    let s2 = s
        .apply(w.rules(), at(LATER), Event::Escalated)
        .unwrap()
        .state;
    assert_eq!(s2.current().started_on, date(2026, 12, 23));
    assert_eq!(s2.current().due, date(2027, 1, 5));
    assert_eq!(s2.stages[0].ended_at, Some(at(LATER)));
    let agreed = s2
        .apply(
            w.rules(),
            at(LATER),
            Event::TimescaleAgreed {
                working_days: days(3),
            },
        )
        .unwrap()
        .state;
    assert_eq!(agreed.current().due, date(2026, 12, 31));
    assert_eq!(agreed.current().agreed, Some(days(3)));

    // Overdue on 4 January: stage 2 (31 Dec) but not overall (15 Jan).
    let overdue: Vec<(Deadline, Date)> = agreed.overdue(w.rules(), at("2027-01-04T09:00:00Z"));
    assert_eq!(
        overdue,
        vec![(Deadline::Stage(stage(2)), date(2026, 12, 31))]
    );
    let both = agreed.overdue(w.rules(), at("2027-01-18T09:00:00Z"));
    assert_eq!(both.len(), 2);
    // Nothing is overdue once closed.
    let closed = agreed
        .apply(w.rules(), at("2027-01-18T09:00:00Z"), Event::Withdrawn)
        .unwrap()
        .state;
    assert!(
        closed
            .overdue(w.rules(), at("2027-02-18T09:00:00Z"))
            .is_empty()
    );
    assert_eq!(closed.status, Status::Withdrawn);
}

#[test]
fn the_local_date_decides_the_day() {
    let w = World::new(FIXTURE);
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    let s = w.replay(&[("2026-06-30T23:30:00Z", raised_child(ChildStatus::None))]);
    assert_eq!(s.raised_on, date(2026, 7, 1));
}

#[test]
fn notifications_follow_the_rules() {
    let w = World::new(FIXTURE);
    let rules = w.rules();
    // A child on a child protection plan: the IRO is told at every stage, with details.
    let t = decide(
        None,
        rules,
        at(RAISED),
        raised_child(ChildStatus::ChildProtectionPlan),
    )
    .unwrap();
    let to: Vec<(Recipient, bool)> = t
        .notifications
        .iter()
        .map(|n| (n.to, n.child_details))
        .collect();
    assert_eq!(
        to,
        vec![
            (Recipient::StageLeads, true),
            (Recipient::IndependentReviewingOfficer, true)
        ]
    );
    assert!(
        t.notifications
            .iter()
            .all(|n| n.reason == Reason::StageEntered(stage(1)))
    );

    // Stage 2: the partnership joins, without the child's details.
    let t2 = t.state.apply(rules, at(LATER), Event::Escalated).unwrap();
    let to: Vec<(Recipient, bool)> = t2
        .notifications
        .iter()
        .map(|n| (n.to, n.child_details))
        .collect();
    assert_eq!(
        to,
        vec![
            (Recipient::StageLeads, true),
            (Recipient::PartnershipBusinessTeam, false),
            (Recipient::IndependentReviewingOfficer, true),
        ]
    );

    // A child in need: no IRO. A CP-conference category: the reviewing service manager at stage 2.
    let t = decide(
        None,
        rules,
        at(RAISED),
        Event::Raised {
            route: RouteKind::Individual,
            subject: Subject::Child {
                status: ChildStatus::ChildInNeed,
            },
            category: "cp-conference".to_owned(),
            decided_on: None,
        },
    )
    .unwrap();
    assert_eq!(
        t.notifications.iter().map(|n| n.to).collect::<Vec<_>>(),
        vec![Recipient::StageLeads]
    );
    let t2 = t.state.apply(rules, at(LATER), Event::Escalated).unwrap();
    assert!(
        t2.notifications
            .iter()
            .any(|n| n.to == Recipient::ChildProtectionReviewingServiceManager)
    );

    // Closing tells the raiser.
    let closed = t2
        .state
        .apply(rules, at(LATER), Event::DisagreementRecorded(dissent()))
        .unwrap();
    assert_eq!(closed.notifications.len(), 1);
    assert_eq!(closed.notifications[0].to, Recipient::Raiser);
    assert_eq!(
        closed.notifications[0].reason,
        Reason::Closed(ClosedAs::Resolved)
    );
    assert_eq!(
        closed.state.status,
        Status::Resolved(Resolution::DisagreementRecorded)
    );
}

#[test]
fn resolved_by_events_is_seen_through_only_where_the_procedure_says_so() {
    // Buckinghamshire 2.4.11 style: still open after events resolve it.
    let w = World::new(FIXTURE);
    let s = w.replay(&[
        (RAISED, raised_child(ChildStatus::None)),
        (
            LATER,
            Event::Resolved {
                resolution: Resolution::ByEvents,
            },
        ),
    ]);
    assert!(s.status.is_open());
    assert_eq!(s.resolved_by_events_at, Some(at(LATER)));
    let proposed = s
        .apply(w.rules(), at(LATER), propose_agreement())
        .unwrap()
        .state;
    let done = proposed
        .apply(w.rules(), at(LATER), confirm_agreement())
        .unwrap()
        .state;
    assert_eq!(done.status, Status::Resolved(Resolution::Agreed));

    // Without the rule, resolution by events closes it.
    let plain = World::new(&FIXTURE.replace("see_through_when_resolved_by_events = true", ""));
    let s = plain.replay(&[
        (RAISED, raised_child(ChildStatus::None)),
        (
            LATER,
            Event::Resolved {
                resolution: Resolution::ByEvents,
            },
        ),
    ]);
    assert_eq!(s.status, Status::Resolved(Resolution::ByEvents));

    // And an outcome the procedure does not allow is refused.
    let strict = World::new(&FIXTURE.replace(
        "allowed = [\"agreed\", \"disagreement-recorded\", \"by-events\"]",
        "allowed = [\"agreed\"]",
    ));
    let s = strict.replay(&[(RAISED, raised_child(ChildStatus::None))]);
    let r = s.apply(
        strict.rules(),
        at(LATER),
        Event::Resolved {
            resolution: Resolution::ByEvents,
        },
    );
    assert!(matches!(r, Err(TransitionError::OutcomeNotAllowed { .. })));
}

#[test]
fn records_keep_the_latest_text_of_each_field() {
    let w = World::new(FIXTURE);
    let s = w.replay(&[
        (RAISED, raised_child(ChildStatus::None)),
        (
            LATER,
            Event::StageRecordUpdated {
                stage: stage(1),
                fields: vec![("discussion".into(), "first".into())],
            },
        ),
        (
            LATER,
            Event::StageRecordUpdated {
                stage: stage(1),
                fields: vec![
                    ("outcome".into(), "agreed".into()),
                    ("discussion".into(), "second".into()),
                ],
            },
        ),
    ]);
    assert_eq!(
        s.current().record,
        vec![
            ("discussion".to_owned(), "second".to_owned()),
            ("outcome".to_owned(), "agreed".to_owned())
        ]
    );
    assert_eq!(s.version, 3);
}

#[test]
fn replay_reports_the_first_refused_event() {
    let w = World::new(FIXTURE);
    let events = vec![
        (at(RAISED), raised_child(ChildStatus::None)),
        (at(LATER), Event::Escalated),
        (at(LATER), Event::Escalated),
        (at(LATER), Event::Escalated),
    ];
    let err = replay(w.rules(), events).unwrap_err();
    assert_eq!(err.0, 3);
    assert!(matches!(err.1, TransitionError::NoFurtherStage(_)));
}

// ---------------------------------------------------------------------------------------------
// Referral steps (issue 14, item 5): a referral keeps the escalation open at its step; what
// came of it closes it; a further referral only where the file's `then` allows it.

/// The fixture with Sunderland's shape of referrals: a scrutineer (led in Parley, 5 working
/// days) that an inspectorate may follow, the inspectorate, and the partnership (no `then`).
fn referral_world() -> World {
    let source = FIXTURE.replace(
        "[[referral]]\nid = \"partnership\"",
        "[[referral]]\nid = \"scrutineer\"\nlabel = \"Independent Scrutineer\"\nlead = \"independent-scrutineer\"\ntimescale = { working_days = 5 }\nthen = [\"inspectorate\"]\ntext = \"The scrutineer.\"\n\n[[referral]]\nid = \"inspectorate\"\nlabel = \"Inspectorate\"\ntext = \"An inspectorate.\"\n\n[[referral]]\nid = \"partnership\"",
    );
    assert_ne!(source, FIXTURE, "the fixture's referral block moved");
    World::new(&source)
}

const REFERRED: &str = "2027-01-11T10:00:00Z"; // Monday
const STEP_LATER: &str = "2027-01-13T10:00:00Z"; // Wednesday
const STEP_OVERDUE: &str = "2027-01-19T10:00:00Z"; // Tuesday: the scrutineer was due Mon 18 Jan

fn made(referral: &str) -> Event {
    Event::ReferralMade {
        referral: referral.to_owned(),
    }
}

fn referral_states(w: &World) -> Vec<(&'static str, Escalation)> {
    let last_stage = vec![
        (RAISED, raised_child(ChildStatus::ChildInNeed)),
        (LATER, Event::Escalated),
        (LATER, Event::Escalated),
    ];
    let with = |more: &[(&'static str, Event)]| {
        let mut v = last_stage.clone();
        v.extend(more.iter().cloned());
        w.replay(&v)
    };
    vec![
        ("at the last stage", with(&[])),
        ("at the scrutineer", with(&[(REFERRED, made("scrutineer"))])),
        (
            "at the inspectorate after the scrutineer",
            with(&[
                (REFERRED, made("scrutineer")),
                (STEP_LATER, made("inspectorate")),
            ]),
        ),
        (
            "at the partnership",
            with(&[(REFERRED, made("partnership"))]),
        ),
        (
            "closed with the scrutineer's outcome",
            with(&[
                (REFERRED, made("scrutineer")),
                (
                    STEP_LATER,
                    Event::ReferralOutcomeRecorded {
                        outcome: "Agreed a plan.".to_owned(),
                    },
                ),
            ]),
        ),
        (
            "closed by a stored referred-on",
            with(&[(
                REFERRED,
                Event::ReferredOn {
                    referral: "partnership".to_owned(),
                },
            )]),
        ),
    ]
}

#[test]
fn referral_steps_in_every_state() {
    let w = referral_world();
    let outcome_text = |t: &str| Event::ReferralOutcomeRecorded {
        outcome: t.to_owned(),
    };
    let events: Vec<(&str, Event)> = vec![
        ("refer to scrutineer", made("scrutineer")),
        ("refer to inspectorate", made("inspectorate")),
        ("refer to partnership", made("partnership")),
        ("refer to ofsted (unknown)", made("ofsted")),
        (
            "record outcome",
            outcome_text("The partners agreed a plan."),
        ),
        ("record blank outcome", outcome_text(" \n ")),
        ("escalate", Event::Escalated),
        ("propose agreement", propose_agreement()),
        ("convene meeting", Event::ProfessionalsMeetingConvened),
        (
            "old referred-on",
            Event::ReferredOn {
                referral: "partnership".to_owned(),
            },
        ),
        ("record stage 3 learning", record(3, "learning")),
        ("withdraw", Event::Withdrawn),
        (
            "stage 3 deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Stage(stage(3)),
            },
        ),
        (
            "overall deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Overall,
            },
        ),
        (
            "referral 1 deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Referral(1),
            },
        ),
        (
            "referral 2 deadline passed",
            Event::DeadlinePassed {
                deadline: Deadline::Referral(2),
            },
        ),
    ];
    // state -> event -> expected outcome, at STEP_OVERDUE (every deadline above has passed).
    let expected: &[(&str, &[&str])] = &[
        (
            "at the last stage",
            &[
                "ok",
                "ok", // the inspectorate may also be referred to directly from the last stage
                "ok",
                "UnknownReferral",
                "NotAtReferral",
                "NotAtReferral",
                "NoFurtherStage",
                "ok",
                "MeetingNotProvided",
                "ok",
                "ok",
                "ok",
                "ok",
                "ok",
                "NoSuchDeadline",
                "NoSuchDeadline",
            ],
        ),
        (
            "at the scrutineer",
            &[
                "ReferralNotAfter", // not after itself
                "ok",               // then = ["inspectorate"]
                "ReferralNotAfter", // the partnership is not in its `then`
                "UnknownReferral",
                "ok",
                "EmptyReferralOutcome",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "ok",
                "ok",
                "NoSuchDeadline", // the stage's deadline stopped with the referral
                "NoSuchDeadline", // and so did the overall one
                "ok",             // the scrutineer's 5 working days ran out on 18 January
                "NoSuchDeadline",
            ],
        ),
        (
            "at the inspectorate after the scrutineer",
            &[
                "ReferralNotAfter",
                "ReferralNotAfter",
                "ReferralNotAfter",
                "UnknownReferral",
                "ok",
                "EmptyReferralOutcome",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "ok",
                "ok",
                "NoSuchDeadline",
                "NoSuchDeadline",
                "NoSuchDeadline", // step 1 is over
                "NoSuchDeadline", // step 2 has no timescale
            ],
        ),
        (
            "at the partnership",
            &[
                "ReferralNotAfter",
                "ReferralNotAfter",
                "ReferralNotAfter",
                "UnknownReferral",
                "ok",
                "EmptyReferralOutcome",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "AtReferral",
                "ok",
                "ok",
                "NoSuchDeadline",
                "NoSuchDeadline",
                "NoSuchDeadline",
                "NoSuchDeadline",
            ],
        ),
        (
            "closed with the scrutineer's outcome",
            &[
                "Closed", "Closed", "Closed", "Closed", "Closed", "Closed", "Closed", "Closed",
                "Closed", "Closed", "ok", "Closed", "Closed", "Closed", "Closed", "Closed",
            ],
        ),
        (
            "closed by a stored referred-on",
            &[
                "Closed", "Closed", "Closed", "Closed", "Closed", "Closed", "Closed", "Closed",
                "Closed", "Closed", "ok", "Closed", "Closed", "Closed", "Closed", "Closed",
            ],
        ),
    ];
    let states = referral_states(&w);
    assert_eq!(states.len(), expected.len());
    let mut wrong = Vec::new();
    for ((name, state), (expected_name, row)) in states.iter().zip(expected) {
        assert_eq!(name, expected_name);
        assert_eq!(row.len(), events.len(), "{name}");
        for ((event_name, event), want) in events.iter().zip(row.iter()) {
            let got = outcome(&decide(
                Some(state),
                w.rules(),
                at(STEP_OVERDUE),
                event.clone(),
            ));
            if got != *want {
                wrong.push(format!("{name} / {event_name}: got {got}, want {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_referral_step_stays_open_and_its_outcome_closes_it() {
    let w = referral_world();
    let states = referral_states(&w);
    let find = |n: &str| {
        states
            .iter()
            .find(|(name, _)| *name == n)
            .unwrap()
            .1
            .clone()
    };

    let at_step = find("at the scrutineer");
    assert!(at_step.status.is_open(), "a referral no longer closes it");
    let step = at_step.at_referral().expect("at the scrutineer's step");
    assert_eq!(step.referral, "scrutineer");
    // 5 working days after Monday 11 January 2027 (no holidays that week): Monday 18th.
    assert_eq!(step.due, Some(date(2027, 1, 18)));
    assert!(at_step.current().ended_at.is_some(), "stage 3 ended");
    assert_eq!(
        at_step.overdue(w.rules(), at("2027-01-18T20:00:00Z")),
        vec![]
    );
    assert_eq!(
        at_step.overdue(w.rules(), at(STEP_OVERDUE)),
        vec![(Deadline::Referral(1), date(2027, 1, 18))],
        "only the referral's deadline runs at the step"
    );

    let further = find("at the inspectorate after the scrutineer");
    assert_eq!(further.referrals.len(), 2);
    assert!(further.referrals[0].ended_at.is_some());
    assert_eq!(
        further.at_referral().map(|s| s.referral.as_str()),
        Some("inspectorate")
    );
    assert_eq!(further.referrals[1].due, None, "no timescale, no deadline");
    assert_eq!(further.overdue(w.rules(), at(MUCH_LATER)), vec![]);

    let closed = find("closed with the scrutineer's outcome");
    assert_eq!(closed.status, Status::ReferredOn("scrutineer".to_owned()));
    assert_eq!(
        closed.referrals[0].outcome.as_deref(),
        Some("Agreed a plan.")
    );
    assert!(closed.at_referral().is_none());

    // A referred-on event stored before referral steps still closes the escalation.
    let old = find("closed by a stored referred-on");
    assert_eq!(old.status, Status::ReferredOn("partnership".to_owned()));
    assert!(old.referrals.is_empty());
    assert!(old.closed_at.is_some());
}

#[test]
fn referral_keys_are_checked_with_their_place() {
    let base = FIXTURE.replace(
        "id = \"partnership\"\nlabel = \"The partnership\"",
        "id = \"partnership\"\nlabel = \"The partnership\"\nKEYS",
    );
    let cases: &[(&str, &str)] = &[
        ("lead = \"the-pope\"", "unknown referral lead \"the-pope\""),
        ("timescale = { working_days = 0 }", "referral timescale"),
        ("then = [\"nowhere\"]", "referral then names \"nowhere\""),
        (
            "then = [\"partnership\"]",
            "a referral cannot follow itself",
        ),
        ("timescale = { days = 3 }", "unknown field `days`"),
    ];
    for (keys, message) in cases {
        let source = base.replace("KEYS", keys);
        let errors = procedure::parse(&source).expect_err(keys);
        let rendered = errors.render("f.toml", &source);
        assert!(rendered.contains(message), "{keys}: {rendered}");
        let line = source.lines().position(|l| l == *keys).unwrap() + 1;
        assert!(
            rendered.starts_with(&format!("f.toml:{line}:")),
            "{keys}: line {line} expected in {rendered}"
        );
    }
    // And the good keys read.
    let source = base.replace(
        "KEYS",
        "lead = \"partnership-business-team\"\ntimescale = { working_days = 10 }",
    );
    let p = procedure::parse(&source).unwrap();
    let r = p.referral("partnership").unwrap();
    assert_eq!(r.timescale, Some(days(10)));
    assert_eq!(
        r.lead.map(|l| l.as_str()),
        Some("partnership-business-team")
    );
}

// ---------------------------------------------------------------------------------------------
// Meetings as records (issue 14, item 6).

fn solihull() -> World {
    World::new(parley_core::seeds::source("solihull").unwrap())
}

fn solihull_raised() -> Event {
    Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child {
            status: ChildStatus::None,
        },
        category: "other".to_owned(),
        decided_on: None,
    }
}

fn plan(held_at: &str) -> parley_core::meeting::MeetingPlan {
    parley_core::meeting::MeetingPlan {
        held_at: at(held_at),
        chair: Some("chair".to_owned()),
        invited_people: vec!["a".to_owned(), "b".to_owned()],
        invited_agencies: vec!["x".to_owned()],
    }
}

fn meeting_record(outcome: &str) -> parley_core::meeting::MeetingRecord {
    parley_core::meeting::MeetingRecord {
        attended_people: vec!["a".to_owned()],
        attended_agencies: vec![],
        outcome: outcome.to_owned(),
        actions: String::new(),
    }
}

/// Solihull stage 4: "a meeting of senior managers ... within a maximum of 3 working days of
/// Stage 3". Worked by hand from DESIGN.md §5 ("within N working days of X" counts from the
/// day after X; weekends and England's bank holidays are not working days).
#[test]
fn solihull_stage_four_meeting_is_due_within_three_working_days() {
    let w = solihull();
    let cases: &[(&str, Date)] = &[
        // Wednesday 20 January 2027: Thu 21, Fri 22, Mon 25.
        ("2027-01-20T10:00:00Z", date(2027, 1, 25)),
        // Thursday 24 December 2026: Christmas (Fri 25) and Boxing Day's substitute (Mon 28)
        // are not working days: Tue 29, Wed 30, Thu 31.
        ("2026-12-24T10:00:00Z", date(2026, 12, 31)),
        // Good Friday, 26 March 2027 (the day the stage began is not counted); Easter Monday
        // (29 March) is a bank holiday: Tue 30, Wed 31, Thu 1 April.
        ("2027-03-26T10:00:00Z", date(2027, 4, 1)),
    ];
    for (entered, want) in cases {
        let e = w.replay(&[
            ("2026-12-01T10:00:00Z", solihull_raised()),
            ("2026-12-02T10:00:00Z", Event::Escalated),
            ("2026-12-03T10:00:00Z", Event::Escalated),
            (entered, Event::Escalated),
        ]);
        assert_eq!(e.current_stage(), stage(4));
        let spec = w.procedure.stage(stage(4)).unwrap();
        assert!(
            spec.meeting.is_some(),
            "solihull.toml gives stage 4 its meeting"
        );
        let due = parley_core::meeting::meeting_due(
            &w.procedure,
            &w.calendar,
            spec,
            e.current().started_on,
        )
        .unwrap();
        assert_eq!(due, Some(*want), "stage 4 entered {entered}");
    }
    // Stages 1 to 3 have no meeting of their own.
    for n in 1..=3 {
        assert!(w.procedure.stage(stage(n)).unwrap().meeting.is_none());
    }
}

#[test]
fn meetings_are_arranged_ahead_and_recorded_once_held() {
    let w = solihull();
    let open = w.replay(&[("2026-12-01T10:00:00Z", solihull_raised())]);
    let arranged = open
        .apply(
            w.rules(),
            at("2026-12-01T11:00:00Z"),
            Event::MeetingArranged(plan("2026-12-03T14:30:00Z")),
        )
        .unwrap()
        .state;
    assert_eq!(arranged.meetings.len(), 1);
    assert_eq!(arranged.meetings[0].number, 1);
    let closed = arranged
        .apply(w.rules(), at("2026-12-04T10:00:00Z"), propose_agreement())
        .and_then(|t| {
            t.state
                .apply(w.rules(), at("2026-12-04T10:00:00Z"), confirm_agreement())
        })
        .unwrap()
        .state;
    // (state, time, event, expected)
    let cases: Vec<(&str, &Escalation, &str, Event, &str)> = vec![
        (
            "arranged",
            &arranged,
            "2026-12-02T10:00:00Z",
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("Agreed."),
            },
            "MeetingNotYetHeld",
        ),
        (
            "arranged",
            &arranged,
            "2026-12-03T14:30:00Z",
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("Agreed."),
            },
            "ok",
        ),
        (
            "arranged",
            &arranged,
            "2026-12-03T16:00:00Z",
            Event::MeetingRecorded {
                meeting: 2,
                record: meeting_record("Agreed."),
            },
            "NoSuchMeeting",
        ),
        (
            "arranged",
            &arranged,
            "2026-12-03T16:00:00Z",
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("  "),
            },
            "EmptyMeetingOutcome",
        ),
        (
            "closed",
            &closed,
            "2026-12-05T10:00:00Z",
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("Agreed."),
            },
            "ok",
        ),
        (
            "closed",
            &closed,
            "2026-12-05T10:00:00Z",
            Event::MeetingArranged(plan("2026-12-08T10:00:00Z")),
            "Closed",
        ),
        (
            "open",
            &open,
            "2026-12-01T11:00:00Z",
            Event::MeetingArranged(plan("2026-11-30T10:00:00Z")),
            "ok",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, state, t, event, want) in cases {
        let got = outcome(&decide(Some(state), w.rules(), at(t), event.clone()));
        if got != want {
            wrong.push(format!("{name} at {t} {event:?}: got {got}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Recorded once only.
    let recorded = arranged
        .apply(
            w.rules(),
            at("2026-12-03T16:00:00Z"),
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("Agreed."),
            },
        )
        .unwrap()
        .state;
    assert_eq!(
        outcome(&recorded.apply(
            w.rules(),
            at("2026-12-03T17:00:00Z"),
            Event::MeetingRecorded {
                meeting: 1,
                record: meeting_record("Again."),
            },
        )),
        "MeetingAlreadyRecorded"
    );
    // A meeting convened before meetings were records still replays: no details.
    let old = w.replay(&[
        ("2026-12-01T10:00:00Z", solihull_raised()),
        ("2026-12-01T11:00:00Z", Event::ProfessionalsMeetingConvened),
    ]);
    assert_eq!(old.current().meetings, vec![at("2026-12-01T11:00:00Z")]);
    assert!(old.meetings.is_empty());
}

#[test]
fn stage_meeting_keys_are_checked_with_their_place() {
    let source = parley_core::seeds::source("solihull").unwrap();
    let good = "meeting = { title = \"Meeting of senior managers with an independent chair\", within_working_days = 3 }";
    assert!(source.contains(good));
    let cases: &[(&str, &str)] = &[
        (
            "meeting = { title = \"M\", within_working_days = 0 }",
            "stage meeting within_working_days",
        ),
        (
            "meeting = { title = \"  \" }",
            "stage meeting title must not be empty",
        ),
        (
            "meeting = { title = \"M\", within = 3 }",
            "unknown field `within`",
        ),
    ];
    for (bad, message) in cases {
        let s = source.replace(good, bad);
        let rendered = procedure::parse(&s).expect_err(bad).render("s.toml", &s);
        let line = s.lines().position(|l| l == *bad).unwrap() + 1;
        assert!(rendered.contains(message), "{bad}: {rendered}");
        assert!(
            rendered.starts_with(&format!("s.toml:{line}:")),
            "{bad}: {rendered}"
        );
    }
}

/// A dissent statement (issue 14, item 2).
fn dissent() -> Dissent {
    Dissent {
        who: "The school".to_owned(),
        why: "It still thinks a home visit is needed.".to_owned(),
        raising_side_will: "Attend every core group.".to_owned(),
        receiving_side_will: "Review the plan in four weeks.".to_owned(),
    }
}
