use super::*;
use crate::error::FieldErrors;
use jiff::civil::Date;
use parley_core::names::{ChildStatus, RouteKind};

fn today() -> Date {
    jiff::civil::date(2026, 11, 23)
}

fn opts(routes: &[&str]) -> RaiseOptions {
    RaiseOptions {
        procedure: ProcedureRef {
            name: "Test procedure".into(),
            partnership: "Test partnership".into(),
            version: "1".into(),
            procedure_version: 1,
        },
        raising_agency: AgencyRef {
            id: "mine".into(),
            name: "My school".into(),
        },
        immediate_risk: "Stop: call 999.".into(),
        before_raising: None,
        redirections: vec![RedirectionOption {
            kind: "complaint".into(),
            label: "A complaint".into(),
            text: "Use the complaints procedure.".into(),
            from_procedure: true,
        }],
        routes: routes
            .iter()
            .map(|k| RouteOption {
                kind: (*k).into(),
                label: (*k).into(),
                description: None,
                entry_stage: 1,
                entry_stage_title: "Stage 1".into(),
                child_required: *k == "individual",
            })
            .collect(),
        decision_date: None,
        categories: vec![CategoryOption {
            id: "threshold".into(),
            label: "Threshold".into(),
            hint: None,
        }],
        child_statuses: vec![],
        agencies: vec![AgencyOption {
            id: "other".into(),
            name: "Children's Social Care".into(),
            sector: "local-authority".into(),
            people: vec![PersonOption {
                id: "sw".into(),
                name: "A Social Worker".into(),
                job_title: "Social worker".into(),
            }],
        }],
        limits: Limits {
            summary: SUMMARY_MAX,
            text: TEXT_MAX,
            child_name: CHILD_NAME_MAX,
            child_identifier: IDENTIFIER_MAX,
        },
    }
}

fn good() -> RaiseRequest {
    RaiseRequest {
        immediate_risk: Some(false),
        other_procedure: Some("none".into()),
        route: Some("individual".into()),
        decided_on: None,
        receiving_agency_id: Some("other".into()),
        receiving_person_id: Some("sw".into()),
        decision: Some("The referral was closed\r\nwithout an assessment.".into()),
        summary: Some("  Referral closed   without assessment ".into()),
        category: Some("threshold".into()),
        evidence: Some("Three incidents in a month.".into()),
        outcome_wanted: Some("A child and family assessment.".into()),
        child: Some(ChildRequest {
            name: Some("Jordan Smith".into()),
            date_of_birth: Some("2015-03-27".into()),
            identifier: Some("CS 123456".into()),
            status: Some("child-in-need".into()),
        }),
    }
}

fn fields(r: Result<Valid, FieldErrors>) -> Vec<(&'static str, String)> {
    match r {
        Ok(_) => vec![],
        Err(p) => p
            .into_iter()
            .map(|p| {
                let field = Field::from_key(&p.field).expect("a field of the request");
                (field.key(), p.message)
            })
            .collect(),
    }
}

#[test]
fn a_complete_request_passes_cleaned() {
    let v = validate(&opts(&["individual", "thematic"]), &good(), today()).unwrap();
    assert_eq!(v.route, RouteKind::Individual);
    assert_eq!(v.receiving_person_id.as_deref(), Some("sw"));
    assert_eq!(
        v.decision,
        "The referral was closed\nwithout an assessment."
    );
    assert_eq!(v.summary, "Referral closed without assessment");
    let (child, status) = v.child.unwrap();
    assert_eq!(child.date_of_birth.as_deref(), Some("2015-03-27"));
    assert_eq!(child.identifier.as_deref(), Some("CS 123456"));
    assert_eq!(status, ChildStatus::ChildInNeed);
}

#[test]
fn an_empty_request_names_every_missing_answer_in_question_order() {
    let got = fields(validate(
        &opts(&["individual", "thematic"]),
        &RaiseRequest::default(),
        today(),
    ));
    let keys: Vec<&str> = got.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "immediate_risk",
            "other_procedure",
            "route",
            "receiving_agency_id",
            "decision",
            "summary",
            "category",
            "evidence",
            "outcome_wanted"
        ]
    );
    assert_eq!(
        got[0].1,
        "Select yes if a child may be at immediate risk of harm"
    );
}

#[test]
fn screening_answers_stop_with_the_procedures_words() {
    let o = opts(&["individual"]);
    let at_risk = RaiseRequest {
        immediate_risk: Some(true),
        ..good()
    };
    assert_eq!(
        fields(validate(&o, &at_risk, today())),
        [("immediate_risk", "Stop: call 999.".to_owned())]
    );
    let complaint = RaiseRequest {
        other_procedure: Some("complaint".into()),
        ..good()
    };
    assert_eq!(
        fields(validate(&o, &complaint, today())),
        [(
            "other_procedure",
            "Use the complaints procedure.".to_owned()
        )]
    );
    // A kind the procedure does not name gets Parley's common wording.
    let lado = RaiseRequest {
        other_procedure: Some("allegation-against-staff".into()),
        ..good()
    };
    let got = fields(validate(&o, &lado, today()));
    assert!(got[0].1.contains("LADO"), "{got:?}");
    assert!(check_other_procedure(Some("immediate-risk")).is_err());
    assert!(check_other_procedure(Some("nonsense")).is_err());
    assert!(check_other_procedure(Some("")).is_err());
    assert!(check_other_procedure(None).is_err());
    assert_eq!(
        check_other_procedure(Some(" none ")),
        Ok(OtherProcedure::NoneOfThese)
    );
    assert_eq!(
        check_other_procedure(Some("complaint")),
        Ok(OtherProcedure::Elsewhere(RedirectionKind::Complaint))
    );
    // Each answer reads back as itself.
    for answer in [
        "none",
        "complaint",
        "allegation-against-staff",
        "whistleblowing",
    ] {
        assert_eq!(
            answer.parse::<OtherProcedure>().map(|a| a.to_string()),
            Ok(answer.to_owned())
        );
    }
}

#[test]
fn the_only_route_need_not_be_given_and_others_must_be_offered() {
    let one = opts(&["individual"]);
    assert_eq!(check_route(&one, None), Ok(RouteKind::Individual));
    assert!(
        check_route(&one, Some("thematic")).is_err(),
        "not in this procedure"
    );
    let two = opts(&["individual", "thematic"]);
    assert!(check_route(&two, None).is_err());
    assert!(check_route(&two, Some("Individual")).is_err());
}

#[test]
fn the_receiving_side_is_another_agency_and_its_people() {
    let o = opts(&["individual"]);
    assert!(
        check_receiving_agency(&o, Some("mine"))
            .unwrap_err()
            .contains("not your own")
    );
    assert_eq!(
        check_receiving_agency(&o, Some("elsewhere")).unwrap_err(),
        "Select an agency of your partnership"
    );
    let a = check_receiving_agency(&o, Some("other")).unwrap();
    let person = |answer: Option<&str>| check_receiving_person(a, &ReceivingPerson::of(answer));
    assert_eq!(person(None), Ok(ReceivingPerson::NotKnown));
    assert_eq!(person(Some("")), Ok(ReceivingPerson::NotKnown));
    assert_eq!(person(Some("none")), Ok(ReceivingPerson::NotKnown));
    assert_eq!(
        person(Some(" sw ")),
        Ok(ReceivingPerson::Named("sw".to_owned()))
    );
    assert_eq!(
        person(Some("someone-else")).unwrap_err(),
        "Select someone who works for Children's Social Care"
    );
    // The page's answer: nothing is no answer; `none` is nobody known.
    assert!("".parse::<ReceivingPerson>().is_err());
    assert_eq!("none".parse(), Ok(ReceivingPerson::NotKnown));
}

#[test]
fn texts_have_limits_counted_in_characters() {
    let long = "é".repeat(TEXT_MAX);
    assert!(check_decision(Some(&long)).is_ok(), "characters, not bytes");
    let too_long = "a".repeat(TEXT_MAX + 1);
    assert_eq!(
        check_evidence(Some(&too_long)).unwrap_err(),
        "The evidence must be 5,000 characters or fewer"
    );
    assert_eq!(
        check_summary(Some(&"a".repeat(SUMMARY_MAX + 1))).unwrap_err(),
        "The summary must be 150 characters or fewer"
    );
    assert_eq!(
        check_outcome_wanted(Some(" \r\n ")).unwrap_err(),
        "Enter the outcome you want"
    );
    assert_eq!(check_identifier(Some("  ")), Ok(None));
    assert!(check_identifier(Some(&"1".repeat(IDENTIFIER_MAX + 1))).is_err());
    assert_eq!(clean("a\u{0}b\r\nc\rd"), "ab\nc\nd");
}

#[test]
fn a_thematic_challenge_has_no_child_and_an_individual_one_needs_one() {
    let o = opts(&["individual", "thematic"]);
    let thematic_with_child = RaiseRequest {
        route: Some("thematic".into()),
        ..good()
    };
    assert_eq!(
        fields(validate(&o, &thematic_with_child, today()))[0].0,
        "child"
    );
    let thematic = RaiseRequest {
        route: Some("thematic".into()),
        child: None,
        ..good()
    };
    let v = validate(&o, &thematic, today()).unwrap();
    assert!(v.child.is_none());
    let no_child = RaiseRequest {
        child: None,
        ..good()
    };
    assert_eq!(fields(validate(&o, &no_child, today()))[0].0, "child");
    let empty_child = RaiseRequest {
        child: Some(ChildRequest::default()),
        ..good()
    };
    let keys: Vec<_> = fields(validate(&o, &empty_child, today()))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["child.name", "child.status"]);
    // An unknown route does not hide a problem with the child.
    let unknown_route = RaiseRequest {
        route: Some("sideways".into()),
        child: Some(ChildRequest {
            date_of_birth: Some("2015-02-30".into()),
            ..good().child.unwrap()
        }),
        ..good()
    };
    let got = fields(validate(&o, &unknown_route, today()));
    assert_eq!(
        got[0].1,
        "Select what the challenge is about: this procedure's routes are individual, thematic"
    );
    let keys: Vec<_> = got.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["route", "child.date_of_birth"]);
}

#[test]
fn the_summary_must_not_name_the_child() {
    let names = |s: &str, name: &str, id: Option<&str>| {
        summary_identifies_child(s, name, Some("2015-03-02"), id).is_some()
    };
    assert!(names("Jordan's referral closed", "Jordan Smith", None));
    assert!(names("SMITH family", "Jordan Smith", None));
    assert!(names("S\u{200B}mith family", "Jordan Smith", None));
    assert!(names("Ｊｏｒｄａｎ", "Jordan Smith", None));
    assert!(names("born 2.3.15", "Jordan Smith", None));
    assert!(!names("Referral closed", "Jordan Smith", None));
    assert!(
        !names("a JS matter", "J S", None),
        "initials are too short to tell"
    );
    assert!(names("case cs123456 closed", "J S", Some("CS 123456")));
    assert!(
        !names("smithfield road", "Jo Smith", None),
        "whole words only"
    );
    let named = RaiseRequest {
        summary: Some("Jordan: referral closed".into()),
        ..good()
    };
    assert_eq!(
        fields(validate(&opts(&["individual"]), &named, today()))[0].0,
        "summary"
    );
}

#[test]
fn dates_of_birth_from_the_api() {
    let t = today();
    assert_eq!(check_date_of_birth(None, t), Ok(None));
    assert_eq!(check_date_of_birth(Some(""), t), Ok(None));
    assert_eq!(
        check_date_of_birth(Some("2015-03-27"), t),
        Ok(Some(jiff::civil::date(2015, 3, 27)))
    );
    assert!(check_date_of_birth(Some("2015-02-30"), t).is_err());
    assert!(check_date_of_birth(Some("27/03/2015"), t).is_err());
    assert!(check_date_of_birth(Some("2015-3-27"), t).is_err());
    assert_eq!(
        check_date_of_birth(Some("2026-11-24"), t).unwrap_err(),
        "Date of birth must be today or in the past"
    );
    assert_eq!(check_date_of_birth(Some("2026-11-23"), t), Ok(Some(t)));
    assert_eq!(
        check_date_of_birth(Some("2001-11-22"), t).unwrap_err(),
        "Date of birth must be the same as or after 23 November 2001"
    );
}

#[test]
fn dates_of_birth_from_the_three_inputs() {
    let t = today();
    let err = |d, m, y| date_from_parts(d, m, y, t).unwrap_err();
    assert_eq!(date_from_parts("", " ", "", t), Ok(None));
    assert_eq!(
        date_from_parts("27", "3", "2015", t),
        Ok(Some(jiff::civil::date(2015, 3, 27)))
    );
    assert_eq!(
        date_from_parts(" 07 ", "03", "2015", t),
        Ok(Some(jiff::civil::date(2015, 3, 7)))
    );
    assert_eq!(
        err("", "3", "2015"),
        (DatePart::Day, "Date of birth must include a day".to_owned())
    );
    assert_eq!(
        err("27", "", ""),
        (
            DatePart::Month,
            "Date of birth must include a month and year".to_owned()
        )
    );
    assert_eq!(
        err("31", "2", "2015"),
        (
            DatePart::Day,
            "Date of birth must be a real date".to_owned()
        )
    );
    assert_eq!(err("x", "2", "2015").1, "Date of birth must be a real date");
    assert_eq!(
        err("1", "13", "2015").1,
        "Date of birth must be a real date"
    );
    assert_eq!(
        err("1", "2", "15"),
        (DatePart::Year, "Year must include 4 numbers".to_owned())
    );
    assert_eq!(
        err("1", "1", "2030").1,
        "Date of birth must be today or in the past"
    );
}

#[test]
fn unknown_fields_are_refused() {
    let r: Result<RaiseRequest, _> = serde_json::from_str(r#"{"receiving_person": "x"}"#);
    assert!(r.is_err());
    let r: RaiseRequest = serde_json::from_str(r#"{"immediate_risk": false}"#).unwrap();
    assert_eq!(r.immediate_risk, Some(false));
}

#[test]
fn counts_read_with_commas() {
    assert_eq!(count(5000), "5,000");
    assert_eq!(count(150), "150");
    assert_eq!(count(1_234_567), "1,234,567");
}
