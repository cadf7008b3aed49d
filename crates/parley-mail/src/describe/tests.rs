use jiff::Timestamp;
use parley_core::calendar::{BankHolidays, Calendar};
use parley_core::escalation::{Event, Rules, Subject, decide};
use parley_core::names::{ChildStatus, Resolution, RouteKind};

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn croydon() -> (Procedure, Calendar) {
    let p = parley_core::seeds::get("croydon").unwrap().unwrap();
    let cal = Calendar::new(p.calendar.region, &BankHolidays::built_in(), &[]).unwrap();
    (p, cal)
}

/// A Croydon escalation raised on Tuesday 1 December 2026, taken to stage 3 on the 3rd, with
/// Appendix A sent.
fn at_stage_3(p: &Procedure, cal: &Calendar) -> Escalation {
    let rules = || Rules {
        procedure: p,
        calendar: cal,
    };
    let raised = Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child {
            status: ChildStatus::ChildInNeed,
        },
        category: p.categories[0].id.clone(),
        decided_on: None,
    };
    let mut s = decide(None, rules(), at("2026-12-01T10:00:00Z"), raised)
        .unwrap()
        .state;
    for (when, event) in [
        ("2026-12-02T10:00:00Z", Event::Escalated),
        ("2026-12-03T10:00:00Z", Event::Escalated),
        (
            "2026-12-03T11:00:00Z",
            Event::PartnershipFormSent {
                answers: vec![
                    ("role".to_owned(), "Named nurse".to_owned()),
                    (
                        "concern".to_owned(),
                        "Threshold for a strategy discussion".to_owned(),
                    ),
                ],
            },
        ),
    ] {
        s = decide(Some(&s), rules(), at(when), event).unwrap().state;
    }
    s
}

fn about<'a>(
    p: &'a Procedure,
    s: &'a Escalation,
    recipient: Recipient,
    reason: &'a Reason,
    stage: i64,
) -> About<'a> {
    About {
        escalation_id: "e1",
        reference: "CR-2026-0042",
        procedure: p,
        state: s,
        raising_agency: "Croydon Health Services",
        receiving_agency: "Croydon Children's Social Care",
        recipient,
        reason,
        stage: StageNumber::new(stage).unwrap(),
    }
}

#[test]
fn the_business_team_gets_appendix_a_at_stage_3() {
    let (p, cal) = croydon();
    let s = at_stage_3(&p, &cal);
    let reason = Reason::StageEntered(StageNumber::new(3).unwrap());
    let n = notice(&about(
        &p,
        &s,
        Recipient::PartnershipBusinessTeam,
        &reason,
        3,
    ))
    .unwrap();
    assert_eq!(
        n.happened,
        Happening::StageEntered(StageNumber::new(3).unwrap())
    );
    assert_eq!(n.stage_name, p.stages[2].title);
    // Croydon stage 3: "the CSCB Business Team should be notified ... (see template at
    // Appendix A)": the rule's own words, and the form's answers under their labels.
    assert!(
        n.rule_text
            .as_deref()
            .unwrap()
            .starts_with("Appendix A escalation notification")
    );
    assert_eq!(
        n.partnership_form,
        [
            ("Role".to_owned(), "Named nurse".to_owned()),
            (
                "Brief description of your concern about a decision made".to_owned(),
                "Threshold for a strategy discussion".to_owned()
            ),
        ]
    );
    let needed = n.needed.unwrap();
    assert!(needed.what.starts_with("Finish stage 3 ("), "{needed:?}");
    assert_eq!(needed.by, Some(s.current().due));

    // The stage leads are told in the words of their own rule, without the form.
    let leads = notice(&about(&p, &s, Recipient::StageLeads, &reason, 3)).unwrap();
    assert_eq!(
        leads.rule_text.as_deref(),
        Some("The escalation has reached a stage you lead.")
    );
    assert!(leads.partnership_form.is_empty());
}

#[test]
fn a_passed_deadline_names_its_date() {
    let (p, cal) = croydon();
    let s = at_stage_3(&p, &cal);
    let reason = Reason::DeadlinePassed(Deadline::Stage(StageNumber::new(3).unwrap()));
    let n = notice(&about(&p, &s, Recipient::StageLeads, &reason, 3)).unwrap();
    assert_eq!(
        n.happened,
        Happening::DeadlinePassed {
            deadline: Deadline::Stage(StageNumber::new(3).unwrap()),
            due: s.current().due,
        }
    );
    assert_eq!(
        n.rule_text.as_deref(),
        Some("The 7 working day timescale for this stage has passed.")
    );
    assert_eq!(n.needed.unwrap().by, None);

    // A deadline the state does not have is an error, not a made-up date.
    let referral = Reason::DeadlinePassed(Deadline::Referral(1));
    let e = notice(&about(&p, &s, Recipient::StageLeads, &referral, 3)).unwrap_err();
    assert!(e.to_string().contains("CR-2026-0042"), "{e}");
}

#[test]
fn a_closed_escalation_says_how_and_asks_nothing() {
    let (p, cal) = croydon();
    let s = at_stage_3(&p, &cal);
    let s = decide(
        Some(&s),
        Rules {
            procedure: &p,
            calendar: &cal,
        },
        at("2026-12-04T10:00:00Z"),
        Event::Withdrawn,
    )
    .unwrap()
    .state;
    let reason = Reason::Closed(s.status.closed_as().expect("closed"));
    let n = notice(&about(&p, &s, Recipient::Raiser, &reason, 3)).unwrap();
    assert_eq!(
        n.happened,
        Happening::Closed {
            outcome: "withdrawn".to_owned()
        }
    );
    assert_eq!(n.needed, None);
    assert!(
        n.rule_text
            .unwrap()
            .starts_with("The escalation you raised has closed.")
    );
    assert_eq!(
        outcome(&p, &Status::Resolved(Resolution::Agreed)),
        "resolved by agreement"
    );
}
