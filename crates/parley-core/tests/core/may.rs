//! Who may do what (issue 14, items 3 and 4): the `[stage.may]` tables, a route's
//! `raised_by` and `[[appointment]]`, read and checked with a position for every mistake.

use parley_core::names::{Actor, RaiserRole, RouteKind, StageAction};
use parley_core::procedure::{self, May, StageNumber};

const FIXTURE: &str = include_str!("fixtures/machine.toml");

/// The fixture with `extra` put after its stage `n` heading's table (before the next heading).
fn with_stage_table(n: usize, extra: &str) -> String {
    let mut out = String::new();
    let mut seen = 0;
    let mut pending = false;
    for line in FIXTURE.lines() {
        if pending && line.starts_with('[') {
            out.push_str(extra);
            out.push('\n');
            pending = false;
        }
        if line == "[[stage]]" {
            seen += 1;
            pending = seen == n;
        }
        out.push_str(line);
        out.push('\n');
    }
    if pending {
        out.push_str(extra);
    }
    out
}

fn errors(text: &str) -> String {
    match procedure::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.render("x.toml", text),
    }
}

/// The line in `text` holding `needle`, 1-based.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in text"))
        + 1
}

#[test]
fn a_file_without_the_new_keys_takes_parleys_defaults() {
    let p = procedure::parse(FIXTURE).unwrap();
    for s in &p.stages {
        assert_eq!(s.may, May::defaults(), "stage {}", s.number);
    }
    assert_eq!(
        p.may(StageNumber::FIRST, StageAction::Escalate),
        &[
            Actor::Raiser,
            Actor::Receiver,
            Actor::StageLeads,
            Actor::Managers
        ]
    );
    assert_eq!(
        p.may(StageNumber::FIRST, StageAction::Withdraw),
        &[Actor::Raiser, Actor::StageLeads, Actor::Managers],
        "withdrawing stays the raising side's"
    );
    for r in &p.routes {
        assert_eq!(r.raised_by, RaiserRole::ALL.to_vec());
    }
    assert!(p.appointments.is_empty());
}

#[test]
fn the_new_keys_are_read() {
    let text = with_stage_table(
        3,
        "[stage.may]\nescalate = [\"stage-leads\", \"managers\"]\nresolve = [\"independent-chair\"]\n",
    )
    .replace(
        "kind = \"thematic\"\nentry_stage = 2",
        "kind = \"thematic\"\nentry_stage = 2\nraised_by = [\"senior-manager\"]",
    )
        + "\n[[appointment]]\nrole = \"independent-chair\"\nstage = 3\nby = [\"partnership-business-team\"]\nchild_details = true\ntext = \"Allocate a chair.\"\n";
    let p = procedure::parse(&text).unwrap_or_else(|e| panic!("{}", e.render("x", &text)));
    let s3 = StageNumber::new(3).unwrap();
    assert_eq!(
        p.may(s3, StageAction::Escalate),
        &[Actor::StageLeads, Actor::Managers]
    );
    assert_eq!(p.may(s3, StageAction::Resolve), &[Actor::IndependentChair]);
    assert_eq!(
        p.may(s3, StageAction::Withdraw),
        May::default_for(StageAction::Withdraw).as_slice(),
        "an action left out keeps the default"
    );
    assert_eq!(
        p.route(RouteKind::Thematic).unwrap().raised_by,
        vec![RaiserRole::SeniorManager]
    );
    let a = p.appointment(Actor::IndependentChair).unwrap();
    assert_eq!(
        (a.stage, a.by.as_slice(), a.child_details, a.text.as_deref()),
        (
            s3,
            &[Actor::PartnershipBusinessTeam][..],
            true,
            Some("Allocate a chair.")
        )
    );
}

const APPOINT_CHAIR_AT_3: &str = "\n[[appointment]]\nrole = \"independent-chair\"\nstage = 3\nby = [\"partnership-business-team\"]\nchild_details = false\n";

#[test]
fn every_mistake_is_reported_where_it_is() {
    // (what, the file, the text on the line at fault, what the message says)
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "unknown action",
            with_stage_table(1, "[stage.may]\nescalat = [\"raiser\"]"),
            "escalat =",
            &["unknown action \"escalat\"", "known actions: escalate"],
        ),
        (
            "unknown actor",
            with_stage_table(1, "[stage.may]\nescalate = [\"practitioner\"]"),
            "escalate = [\"practitioner\"]",
            &["unknown actor \"practitioner\"", "stage-leads"],
        ),
        (
            "an actor twice",
            with_stage_table(2, "[stage.may]\nresolve = [\"raiser\", \"raiser\"]"),
            "resolve =",
            &["stage 2 may.resolve lists \"raiser\" twice"],
        ),
        (
            "nobody",
            with_stage_table(2, "[stage.may]\nresolve = []"),
            "resolve = []",
            &["stage 2 may.resolve names nobody"],
        ),
        (
            "the receiver withdraws",
            with_stage_table(1, "[stage.may]\nwithdraw = [\"raiser\", \"receiver\"]"),
            "withdraw =",
            &["withdraw is the raising side's"],
        ),
        (
            "an appointee never appointed",
            with_stage_table(2, "[stage.may]\nresolve = [\"independent-chair\"]"),
            "resolve =",
            &["no [[appointment]] appoints one by stage 2"],
        ),
        (
            "an appointee appointed only later",
            with_stage_table(2, "[stage.may]\nresolve = [\"independent-chair\"]")
                + APPOINT_CHAIR_AT_3,
            "resolve =",
            &["no [[appointment]] appoints one by stage 2"],
        ),
        (
            "unknown raiser role",
            FIXTURE.replace(
                "kind = \"thematic\"\nentry_stage = 2",
                "kind = \"thematic\"\nentry_stage = 2\nraised_by = [\"director\"]",
            ),
            "raised_by",
            &[
                "unknown raiser role \"director\"",
                "practitioner, manager, senior-manager",
            ],
        ),
        (
            "a route raised by nobody",
            FIXTURE.replace(
                "kind = \"thematic\"\nentry_stage = 2",
                "kind = \"thematic\"\nentry_stage = 2\nraised_by = []",
            ),
            "raised_by",
            &["route raised_by names nobody"],
        ),
        (
            "appointment stage out of range",
            FIXTURE.to_owned() + &APPOINT_CHAIR_AT_3.replace("stage = 3", "stage = 7"),
            "stage = 7",
            &["appointment stage names stage 7, which does not exist"],
        ),
        (
            "appointment of a role not appointed",
            FIXTURE.to_owned() + &APPOINT_CHAIR_AT_3.replace("independent-chair", "raiser"),
            "role = \"raiser\"",
            &["\"raiser\" is not a role people are appointed to an escalation in"],
        ),
        (
            "appointment of an unknown role",
            FIXTURE.to_owned() + &APPOINT_CHAIR_AT_3.replace("independent-chair", "chair"),
            "role = \"chair\"",
            &["unknown actor \"chair\""],
        ),
        (
            "appointment by nobody",
            FIXTURE.to_owned()
                + &APPOINT_CHAIR_AT_3.replace("[\"partnership-business-team\"]", "[]"),
            "by = []",
            &["appointment by names nobody"],
        ),
        (
            "appointing oneself",
            FIXTURE.to_owned()
                + &APPOINT_CHAIR_AT_3
                    .replace("[\"partnership-business-team\"]", "[\"independent-chair\"]"),
            "by = [",
            &["cannot appoint themselves"],
        ),
        (
            "appointment twice",
            FIXTURE.to_owned()
                + APPOINT_CHAIR_AT_3
                + &APPOINT_CHAIR_AT_3.replace("stage = 3", "stage = 2"),
            "stage = 2\nby",
            &["the appointment of \"independent-chair\" is defined twice"],
        ),
        (
            "appointment without child_details",
            FIXTURE.to_owned() + &APPOINT_CHAIR_AT_3.replace("child_details = false\n", ""),
            "[[appointment]]",
            &["missing field `child_details`"],
        ),
    ];
    for (what, text, at, says) in cases {
        let out = errors(&text);
        // "stage = 2\nby" finds the second appointment's role line: the line before.
        let line = if let Some((first, _)) = at.split_once('\n') {
            let idx = text.find(at).unwrap_or_else(|| panic!("{what}: {at}"));
            text[..idx].matches('\n').count() + 1 - usize::from(first.is_empty()) - 1
        } else {
            line_of(&text, at)
        };
        assert!(
            out.contains(&format!("x.toml:{line}:")),
            "{what}: want line {line}, got\n{out}"
        );
        for s in says {
            assert!(out.contains(s), "{what}: want {s:?}, got\n{out}");
        }
    }
}

/// The appointment event: the state machine allows only the procedure's appointments, from
/// their stage, each person once, while the escalation is open; replay keeps who is appointed.
#[test]
fn appointments_follow_the_procedure() {
    use parley_core::calendar::BankHolidays;
    use parley_core::deadline::calendar_for;
    use parley_core::escalation::{Event, Rules, Subject, TransitionError, decide};
    use parley_core::names::ChildStatus;
    let p = parley_core::seeds::get("solihull").unwrap().unwrap();
    let calendar = calendar_for(&p, &BankHolidays::built_in()).unwrap();
    let rules = Rules {
        procedure: &p,
        calendar: &calendar,
    };
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let raised = Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child {
            status: ChildStatus::ChildInNeed,
        },
        category: p.categories[0].id.clone(),
        decided_on: None,
    };
    let mut s = decide(None, rules, at("2026-03-02T10:00:00Z"), raised)
        .unwrap()
        .state;
    let chair = |who: &str| Event::Appointed {
        role: Actor::IndependentChair,
        person: who.to_owned(),
    };
    let refused = |s: &parley_core::escalation::Escalation, e: Event| {
        decide(Some(s), rules, at("2026-03-20T10:00:00Z"), e).unwrap_err()
    };
    for day in ["2026-03-03", "2026-03-04"] {
        assert!(matches!(
            refused(&s, chair("c1")),
            TransitionError::AppointmentTooEarly { .. }
        ));
        s = decide(
            Some(&s),
            rules,
            at(&format!("{day}T10:00:00Z")),
            Event::Escalated,
        )
        .unwrap()
        .state;
    }
    assert!(matches!(
        refused(&s, chair("c1")),
        TransitionError::AppointmentTooEarly { .. }
    ));
    s = decide(
        Some(&s),
        rules,
        at("2026-03-05T10:00:00Z"),
        Event::Escalated,
    )
    .unwrap()
    .state;
    assert_eq!(s.current_stage().get(), 4);
    assert!(matches!(
        refused(
            &s,
            Event::Appointed {
                role: Actor::IndependentScrutineer,
                person: "c1".into()
            }
        ),
        TransitionError::NoSuchAppointment { .. }
    ));
    assert!(matches!(
        refused(&s, chair(" ")),
        TransitionError::NoAppointee
    ));
    s = decide(Some(&s), rules, at("2026-03-05T11:00:00Z"), chair("c1"))
        .unwrap()
        .state;
    assert_eq!(
        s.appointed,
        vec![(Actor::IndependentChair, "c1".to_owned())]
    );
    assert!(matches!(
        refused(&s, chair("c1")),
        TransitionError::AlreadyAppointed { .. }
    ));
    s = decide(Some(&s), rules, at("2026-03-05T12:00:00Z"), chair("c2"))
        .unwrap()
        .state;
    for event in [
        Event::AgreementProposed {
            proposal: parley_core::agreement::Proposal::Resolution,
            by: parley_core::names::Side::Receiving,
        },
        Event::AgreementConfirmed {
            by: parley_core::names::Party::RaisingSide,
        },
    ] {
        s = decide(Some(&s), rules, at("2026-03-05T13:00:00Z"), event)
            .unwrap()
            .state;
    }
    assert!(matches!(
        refused(&s, chair("c3")),
        TransitionError::Closed(_)
    ));
}

/// A `convene-meeting` list where the stage holds no meeting would offer nobody anything: it is
/// an error at the key (Sunderland step 4 names no meeting).
#[test]
fn convening_a_meeting_the_stage_does_not_hold_is_an_error() {
    let source = parley_core::seeds::source("sunderland").unwrap();
    let anchor = "resolve = [\"raiser\", \"receiver\", \"stage-leads\", \"managers\", \"independent-scrutineer\"]\n";
    assert!(source.contains(anchor));
    let bad = "convene-meeting = [\"independent-scrutineer\"]";
    let text = source.replacen(anchor, &format!("{anchor}{bad}\n"), 1);
    let rendered = errors(&text);
    let line = text.lines().position(|l| l == bad).unwrap() + 1;
    assert!(
        rendered.contains(&format!(
            "x.toml:{line}:1: error: stage 4 says who may convene-meeting, but holds no meeting"
        )),
        "{rendered}"
    );
}
