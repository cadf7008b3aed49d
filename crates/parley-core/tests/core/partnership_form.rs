//! The partnership form (Croydon Appendix A, Sunderland Appendix 1): its keys, read with a
//! position for every mistake, and the state machine's rules for sending it: from the form's
//! stage, only its fields, at least one answer, the latest kept.

use jiff::Timestamp;
use parley_core::calendar::BankHolidays;
use parley_core::deadline::calendar_for;
use parley_core::escalation::{Escalation, Event, Rules, Subject, TransitionError, decide};
use parley_core::names::{ChildStatus, RouteKind};
use parley_core::procedure::{self, Procedure, StageNumber};

fn seed(id: &str) -> Procedure {
    parley_core::seeds::get(id).unwrap().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// `p` raised on Monday 7 December 2026 and escalated `to - 1` times, an hour apart.
fn at_stage(p: &Procedure, to: i64) -> Escalation {
    let calendar = calendar_for(p, &BankHolidays::built_in()).unwrap();
    let rules = Rules {
        procedure: p,
        calendar: &calendar,
    };
    let raised = Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child {
            status: ChildStatus::ChildInNeed,
        },
        category: p.categories[0].id.clone(),
        decided_on: None,
    };
    let mut state = decide(None, rules, at("2026-12-07T09:00:00Z"), raised)
        .unwrap()
        .state;
    for h in 1..to {
        let when = at(&format!("2026-12-07T{:02}:00:00Z", 9 + h));
        state = decide(Some(&state), rules, when, Event::Escalated)
            .unwrap()
            .state;
    }
    state
}

fn send(
    p: &Procedure,
    state: &Escalation,
    answers: &[(&str, &str)],
) -> Result<Escalation, TransitionError> {
    let calendar = calendar_for(p, &BankHolidays::built_in()).unwrap();
    let rules = Rules {
        procedure: p,
        calendar: &calendar,
    };
    decide(
        Some(state),
        rules,
        at("2026-12-07T18:00:00Z"),
        Event::PartnershipFormSent {
            answers: answers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        },
    )
    .map(|t| t.state)
}

#[test]
fn croydon_appendix_a_from_stage_three_with_its_meeting_request() {
    let p = seed("croydon");
    let form = p.partnership_form.as_ref().unwrap();
    assert_eq!(form.from_stage.get(), 3);
    assert_eq!(
        form.meeting_request.as_deref(),
        Some("dispute-resolution-request")
    );
    // Stage 5 holds the CSCB-led dispute resolution meeting.
    assert!(
        p.stage(StageNumber::new(5).unwrap())
            .unwrap()
            .provides_meeting()
    );
    assert_eq!(
        seed("sunderland")
            .partnership_form
            .unwrap()
            .from_stage
            .get(),
        4
    );

    assert!(matches!(
        send(&p, &at_stage(&p, 2), &[("concern", "x")]),
        Err(TransitionError::PartnershipFormTooEarly { .. })
    ));
    let three = at_stage(&p, 3);
    assert!(matches!(
        send(&p, &three, &[("child-name", "x")]),
        Err(TransitionError::UnknownFormField { .. })
    ));
    assert!(matches!(
        send(&p, &three, &[("concern", "   "), ("outcome", "")]),
        Err(TransitionError::EmptyPartnershipForm)
    ));
    // Kept in the form's order, trimmed, empty answers left out.
    let sent = send(
        &p,
        &three,
        &[
            ("outcome", "Not resolved. "),
            ("role", ""),
            ("name", " A Lee"),
        ],
    )
    .unwrap();
    let first = sent.partnership_forms.last().unwrap();
    assert_eq!(
        first.answers,
        vec![
            ("name".to_owned(), "A Lee".to_owned()),
            ("outcome".to_owned(), "Not resolved.".to_owned())
        ]
    );
    assert_eq!(first.stage.get(), 3);
    assert!(!first.requests_meeting(&p));
    // Sent again, updated, asking for the dispute resolution meeting: both kept.
    let again = send(
        &p,
        &sent,
        &[("dispute-resolution-request", "Please convene a meeting.")],
    )
    .unwrap();
    assert_eq!(again.partnership_forms.len(), 2);
    assert!(again.partnership_forms[1].requests_meeting(&p));
    assert_eq!(again.version, sent.version + 1);

    // A procedure without a form.
    let s = seed("solihull");
    assert!(matches!(
        send(&s, &at_stage(&s, 4), &[("concern", "x")]),
        Err(TransitionError::NoPartnershipForm)
    ));
}

#[test]
fn partnership_form_keys_are_checked_with_their_place() {
    let source = parley_core::seeds::source("croydon").unwrap();
    let good = "meeting_request = \"dispute-resolution-request\"";
    assert!(source.contains(good));
    let cases: &[(&str, &str, &str)] = &[
        (
            good,
            "meeting_request = \"child-name\"",
            "partnership_form.meeting_request names \"child-name\", which is not one of the form's fields",
        ),
        (
            "from_stage = 3",
            "from_stage = 9",
            "partnership_form.from_stage names stage 9",
        ),
        ("from_stage = 3", "from_stage = \"three\"", "invalid type"),
        (
            "from_stage = 3",
            "from_stag = 3",
            "unknown field `from_stag`",
        ),
    ];
    for (from, bad, message) in cases {
        assert!(source.contains(from), "{from}");
        let s = source.replacen(from, bad, 1);
        let rendered = procedure::parse(&s).expect_err(bad).render("c.toml", &s);
        let line = s.lines().position(|l| l == *bad).unwrap() + 1;
        assert!(rendered.contains(message), "{bad}: {rendered}");
        assert!(
            rendered.starts_with(&format!("c.toml:{line}:")),
            "{bad}: {rendered}"
        );
    }
}
