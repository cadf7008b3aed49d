use super::*;
use crate::service::raise::RaiseOptions;
use crate::service::raise::{
    AgencyOption, AgencyRef, CategoryOption, Limits, OtherProcedure, PersonOption, ProcedureRef,
    ReceivingPerson, RouteOption,
};
use parley_core::names::{ChildStatus, RouteKind};
use serde_json::{Value, json};

fn opts(routes: &[&str]) -> RaiseOptions {
    RaiseOptions {
        procedure: ProcedureRef {
            name: "P".into(),
            partnership: "Q".into(),
            version: "1".into(),
            procedure_version: 1,
        },
        raising_agency: AgencyRef {
            id: "mine".into(),
            name: "Mine".into(),
        },
        immediate_risk: "Stop.".into(),
        before_raising: None,
        redirections: vec![],
        routes: routes
            .iter()
            .map(|k| RouteOption {
                kind: (*k).into(),
                label: (*k).into(),
                description: None,
                entry_stage: 1,
                entry_stage_title: String::new(),
                child_required: *k == "individual",
            })
            .collect(),
        decision_date: None,
        categories: vec![CategoryOption {
            id: "c".into(),
            label: "C".into(),
            hint: None,
        }],
        child_statuses: vec![],
        agencies: vec![AgencyOption {
            id: "other".into(),
            name: "Other".into(),
            sector: String::new(),
            people: vec![PersonOption {
                id: "p".into(),
                name: "P".into(),
                job_title: String::new(),
            }],
        }],
        limits: Limits {
            summary: 150,
            text: 5000,
            child_name: 100,
            child_identifier: 50,
        },
    }
}

fn through_outcome() -> Draft {
    Draft {
        immediate_risk: Some(false),
        other_procedure: Some(OtherProcedure::NoneOfThese),
        route: Some(RouteKind::Individual),
        decided_on: None,
        receiving_agency_id: Some("other".into()),
        receiving_person: Some(ReceivingPerson::NotKnown),
        decision: Some("d".into()),
        summary: Some("s".into()),
        category: Some("c".into()),
        evidence: Some("e".into()),
        outcome_wanted: Some("o".into()),
        child: None,
    }
}

#[test]
fn the_first_unanswered_question_comes_first() {
    let o = opts(&["individual", "thematic"]);
    assert_eq!(Draft::default().first_unanswered(&o), Step::ImmediateRisk);
    let d = Draft {
        immediate_risk: Some(false),
        ..Draft::default()
    };
    assert_eq!(d.first_unanswered(&o), Step::OtherProcedure);
    assert_eq!(through_outcome().first_unanswered(&o), Step::Child);
    let thematic = Draft {
        route: Some(RouteKind::Thematic),
        ..through_outcome()
    };
    assert_eq!(
        thematic.first_unanswered(&o),
        Step::Check,
        "no child on a thematic route"
    );
    // A person no longer in the agency is an unanswered question again.
    let gone = Draft {
        receiving_person: Some(ReceivingPerson::Named("left".into())),
        ..through_outcome()
    };
    assert_eq!(gone.first_unanswered(&o), Step::ReceivingPerson);
}

#[test]
fn a_single_route_is_not_asked() {
    let o = opts(&["individual"]);
    let d = Draft {
        immediate_risk: Some(false),
        other_procedure: Some(OtherProcedure::NoneOfThese),
        ..Draft::default()
    };
    assert_eq!(d.first_unanswered(&o), Step::Receiving);
    assert_eq!(d.next(Step::OtherProcedure, &o, false), Step::Receiving);
    assert_eq!(d.previous(Step::Receiving, &o), Some(Step::OtherProcedure));
    assert_eq!(
        d.request(&o).route,
        None,
        "the service takes the only route"
    );
}

#[test]
fn changing_from_check_goes_back_by_way_of_anything_left_unanswered() {
    let o = opts(&["individual", "thematic"]);
    let mut d = Draft {
        route: Some(RouteKind::Thematic),
        ..through_outcome()
    };
    assert_eq!(d.next(Step::Route, &o, true), Step::Check);
    d.route = Some(RouteKind::Individual);
    assert_eq!(d.next(Step::Route, &o, true), Step::Child);
    assert_eq!(d.next(Step::Route, &o, false), Step::Receiving);
}

#[test]
fn the_draft_shares_the_session_with_other_forms() {
    let d = through_outcome();
    let stored = json!({ "compliment": { "x": 1 }, "raise": d }).to_string();
    assert_eq!(draft_from(Some(&stored)), d);
    assert_eq!(draft_from(Some("not json")), Draft::default());
    // Kept by name, as drafts were kept before their answers were typed.
    let raise = &serde_json::from_str::<Value>(&stored).unwrap()["raise"];
    assert_eq!(raise["other_procedure"], "none");
    assert_eq!(raise["route"], "individual");
    assert_eq!(raise["receiving_person"], "none");
    let old = r#"{"raise": {"immediate_risk": false, "other_procedure": "none", "route": "thematic",
        "decided_on": "2026-11-02", "receiving_agency_id": "other", "receiving_person": "p1",
        "decision": null, "summary": null, "category": null, "evidence": null,
        "outcome_wanted": null,
        "child": {"name": "J", "date_of_birth": "2015-03-27", "identifier": null, "status": "looked-after"}}}"#;
    let read = draft_from(Some(old));
    assert_eq!(read.other_procedure, Some(OtherProcedure::NoneOfThese));
    assert_eq!(read.route, Some(RouteKind::Thematic));
    assert_eq!(read.decided_on, Some(jiff::civil::date(2026, 11, 2)));
    assert_eq!(
        read.receiving_person,
        Some(ReceivingPerson::Named("p1".into()))
    );
    let child = read.child.unwrap();
    assert_eq!(child.status, ChildStatus::LookedAfter);
    assert_eq!(child.date_of_birth, Some(jiff::civil::date(2015, 3, 27)));
    // A draft holding an answer that does not read is not used.
    assert_eq!(
        draft_from(Some(&old.replace("thematic", "sideways"))),
        Draft::default()
    );
    assert_eq!(draft_from(None), Draft::default());
}

#[test]
fn the_child_is_sent_only_on_a_route_about_a_child() {
    let o = opts(&["individual", "thematic"]);
    let d = Draft {
        child: Some(ChildDraft {
            name: "J".into(),
            date_of_birth: None,
            identifier: None,
            status: ChildStatus::None,
        }),
        ..through_outcome()
    };
    assert!(d.request(&o).child.is_some());
    let t = Draft {
        route: Some(RouteKind::Thematic),
        ..d
    };
    assert!(t.request(&o).child.is_none());
    assert_eq!(
        t.request(&o).receiving_person_id,
        None,
        "none is no one named"
    );
}
