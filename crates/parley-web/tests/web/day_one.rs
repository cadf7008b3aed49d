//! Raising in the procedure's own terms (issue 14, item 7): Dorset counts from the date of the
//! decision to raise a challenge (Dorset §4: "The date of this decision is Day One"), which the
//! raise asks for, through the API and the pages, no later than today and no earlier than
//! `latest_entry_day` (3, from §5) allows; a late entry says how many working days had gone.
//!
//! The harness's now is Monday 23 November 2026 (no bank holiday near). Worked by hand (DESIGN
//! §5, Day One counted as day 1): a decision on Thursday 19 November has day 3 on Monday
//! 23 November, so it is the earliest accepted (Wednesday 18's day 3 is Friday 20); Thursday
//! 19 and Friday 20 have gone when it is raised on the Monday. Stage deadlines, days 3, 6, 9
//! and 12: Monday 23 November, Thursday 26 November, Tuesday 1 December, Friday 4 December.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, Resp, excerpt};

const EARLIEST: &str = "2026-11-19";
const TODAY: &str = "2026-11-23";

/// A Dorset practitioner's API token and session, and the raise options they get.
async fn practitioner(h: &Harness, procedure: &str) -> (Auth, Auth, Value) {
    let partnership = h.partnership_of(procedure);
    let person = h
        .person(&h.sign_in_of(&partnership, "practitioner").person_id)
        .await;
    let api = h.bearer_for(&person).await;
    let user = h.session_for("practitioner", &person).await;
    let options = h.get("/api/raise/options", &api).await.json();
    (api, user.auth, options)
}

fn body(options: &Value, decided_on: Option<&str>) -> Value {
    let mut b = json!({
        "immediate_risk": false,
        "other_procedure": "none",
        "route": "individual",
        "receiving_agency_id": options["agencies"][0]["id"],
        "decision": "The referral was closed without an assessment.",
        "summary": "Referral closed without assessment",
        "category": options["categories"][0]["id"],
        "evidence": "Three concerns were not looked into.",
        "outcome_wanted": "An assessment.",
        "child": {"name": "Rowan Ashdown-Pike", "date_of_birth": "2015-03-02", "status": "child-in-need"},
    });
    if let Some(d) = decided_on {
        b["decided_on"] = json!(d);
    }
    b
}

/// The message for `field` in a 422 problem.
fn problem(r: &Resp, field: &str) -> String {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("no problem with {field}: {}", r.body))["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn dorset_through_the_api_counts_from_the_decision() {
    let h = Harness::new().await;
    let (api, session, options) = practitioner(&h, "dorset").await;
    let q = &options["decision_date"];
    assert_eq!(q["latest"], TODAY);
    assert_eq!(q["earliest"], EARLIEST);
    assert_eq!(q["latest_entry_day"], 3);

    // Refused, with nothing raised: missing, malformed, in the future, too early.
    let cases: [(Option<&str>, &str); 5] = [
        (None, "Enter the date of the decision"),
        (Some("19/11/2026"), "written as YYYY-MM-DD"),
        (Some("2026-11-31"), "must be a real date"),
        (Some("2026-11-24"), "must be today or in the past"),
        (
            Some("2026-11-18"),
            "must be the same as or after 19 November 2026",
        ),
    ];
    let before = h
        .state
        .store
        .escalations(&h.partnership_of("dorset"))
        .await
        .unwrap()
        .len();
    for (given, words) in cases {
        let r = h
            .send_json(
                Method::POST,
                "/api/escalations",
                &api,
                &body(&options, given),
            )
            .await;
        let m = problem(&r, "decided_on");
        assert!(m.contains(words), "{given:?}: {m}");
    }
    let after = h
        .state
        .store
        .escalations(&h.partnership_of("dorset"))
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing was raised");

    // Raised on the Monday, decided on the Thursday before.
    let r = h
        .send_json(
            Method::POST,
            "/api/escalations",
            &api,
            &body(&options, Some(EARLIEST)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let raised = r.json();
    let d = &raised["deadlines"];
    assert_eq!(d["raised_on"], TODAY);
    assert_eq!(d["day_one"]["date"], EARLIEST);
    assert_eq!(d["day_one"]["working_days_gone"], 2);
    assert_eq!(d["day_one"]["late"], true);
    assert!(
        d["day_one"]["text"]
            .as_str()
            .unwrap()
            .contains("when 2 working days had already gone"),
        "{d}"
    );
    let due: Vec<&str> = d["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["due"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        ["2026-11-23", "2026-11-26", "2026-12-01", "2026-12-04"]
    );
    assert_eq!(d["stages"][0]["starts"], EARLIEST);
    assert_eq!(d["sooner_moves_later"], false);

    // The escalation says so too, and its stage 1 is due on day 3.
    let id = raised["id"].as_str().unwrap();
    let v = h.get(&format!("/api/escalations/{id}"), &api).await.json();
    assert_eq!(v["day_one"]["date"], EARLIEST);
    assert_eq!(v["day_one"]["working_days_gone"], 2);
    assert_eq!(v["stage_deadline"]["due"], "2026-11-23");
    assert_eq!(v["stages"][0]["started_on"], EARLIEST);
    let page = h.get(&format!("/escalations/{id}"), &session).await;
    assert!(
        page.body
            .contains("Day One is Thursday 19 November 2026, the date of the decision"),
        "{}",
        excerpt(&page.body)
    );
    assert!(page.body.contains("when 2 working days had already gone"));
    let done = h.get(&format!("/raise/done/{id}"), &session).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("when 2 working days had already gone"));
    assert!(
        done.body.contains(
            "counts from Day One, Thursday 19 November 2026, so these dates stay the same"
        ),
        "the counting sentence follows Dorset's: {}",
        excerpt(&done.body)
    );
    assert!(!done.body.contains("brings the later deadlines forward"));

    // Decided today: Day One is today, nothing has gone.
    let r = h
        .send_json(
            Method::POST,
            "/api/escalations",
            &api,
            &body(&options, Some(TODAY)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let d = &r.json()["deadlines"]["day_one"];
    assert_eq!(d["late"], false);
    assert_eq!(d["working_days_gone"], 0);
}

/// A procedure that counts from the day of raising takes no decision date, and its
/// confirmation says a sooner escalation brings the later deadlines forward.
#[tokio::test]
async fn solihull_takes_no_decision_date() {
    let h = Harness::new().await;
    let (api, session, options) = practitioner(&h, "solihull").await;
    assert_eq!(options["decision_date"], Value::Null);
    let r = h
        .send_json(
            Method::POST,
            "/api/escalations",
            &api,
            &body(&options, Some(TODAY)),
        )
        .await;
    assert!(problem(&r, "decided_on").contains("Leave out decided_on"));
    let r = h
        .send_json(
            Method::POST,
            "/api/escalations",
            &api,
            &body(&options, None),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let raised = r.json();
    assert_eq!(raised["deadlines"]["day_one"], Value::Null);
    assert_eq!(raised["deadlines"]["sooner_moves_later"], true);
    let done = h
        .get(
            &format!("/raise/done/{}", raised["id"].as_str().unwrap()),
            &session,
        )
        .await;
    assert!(
        done.body
            .contains("escalating a stage sooner brings the later deadlines forward")
    );
    assert!(!done.body.contains("id=\"day-one\""));
    // The raise pages skip the question.
    for (path, fields) in [
        ("/raise/immediate-risk", vec![("immediate-risk", "no")]),
        ("/raise/other-procedure", vec![("other-procedure", "none")]),
    ] {
        let r = h.post_form(path, &session, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
    }
    let r = h.get("/raise/decision-date", &session).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_ne!(r.location(), Some("/raise/decision-date"));
}

/// The pages: the GOV.UK date input, each refusal on the form with what was typed kept, and
/// the answer carried to the check page and the confirmation.
#[tokio::test]
async fn dorset_through_the_pages_asks_for_the_decision_date() {
    let h = Harness::new().await;
    let (api, session, options) = practitioner(&h, "dorset").await;
    let steps: [(&str, Vec<(&str, &str)>); 3] = [
        ("/raise/immediate-risk", vec![("immediate-risk", "no")]),
        ("/raise/other-procedure", vec![("other-procedure", "none")]),
        ("/raise/route", vec![("route", "individual")]),
    ];
    for (path, fields) in &steps {
        let r = h.post_form(path, &session, fields).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            excerpt(&r.body)
        );
    }
    let r = h
        .post_form("/raise/route", &session, &[("route", "individual")])
        .await;
    assert_eq!(r.location(), Some("/raise/decision-date"));
    let page = h.get("/raise/decision-date", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("When was the decision made to raise the challenge?")
    );
    assert!(page.body.contains("as early as Thursday 19 November 2026"));

    // (day, month, year, the input at fault, the message)
    let refusals = [
        ("", "", "", "decided-day", "Enter the date of the decision"),
        (
            "31",
            "11",
            "2026",
            "decided-day",
            "Date of the decision must be a real date",
        ),
        (
            "19",
            "",
            "2026",
            "decided-month",
            "Date of the decision must include a month",
        ),
        (
            "19",
            "11",
            "26",
            "decided-year",
            "Year must include 4 numbers",
        ),
        (
            "24",
            "11",
            "2026",
            "decided-day",
            "Date of the decision must be today or in the past",
        ),
        (
            "18",
            "11",
            "2026",
            "decided-day",
            "Date of the decision must be the same as or after 19 November 2026",
        ),
    ];
    for (day, month, year, input, words) in refusals {
        let r = h
            .post_form(
                "/raise/decision-date",
                &session,
                &[
                    ("decided-day", day),
                    ("decided-month", month),
                    ("decided-year", year),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{day}/{month}/{year}"
        );
        assert!(
            r.body.contains(words),
            "{day}/{month}/{year}: {}",
            excerpt(&r.body)
        );
        assert!(r.body.contains(&format!("href=\"#{input}\"")), "{input}");
        // What was typed is shown back.
        for (name, typed) in [
            ("decided-day", day),
            ("decided-month", month),
            ("decided-year", year),
        ] {
            if !typed.is_empty() {
                assert!(
                    r.body
                        .contains(&format!("name=\"{name}\" type=\"text\" value=\"{typed}\""))
                        || r.body.contains(&format!("value=\"{typed}\"")),
                    "{name} keeps {typed}"
                );
            }
        }
    }
    let r = h
        .post_form(
            "/raise/decision-date",
            &session,
            &[
                ("decided-day", "19"),
                ("decided-month", "11"),
                ("decided-year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    assert_eq!(r.location(), Some("/raise/receiving"));
    // Kept: the question shows the answer again.
    let page = h.get("/raise/decision-date", &session).await;
    assert!(page.body.contains("value=\"19\""));

    let agency = options["agencies"][0]["id"].as_str().unwrap().to_owned();
    let rest: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "/raise/receiving",
            vec![("receiving-agency", agency.as_str())],
        ),
        (
            "/raise/receiving-person",
            vec![("receiving-person", "none")],
        ),
        (
            "/raise/decision",
            vec![
                ("decision", "The referral was closed without an assessment."),
                ("summary", "Referral closed without assessment"),
            ],
        ),
        (
            "/raise/category",
            vec![("category", options["categories"][0]["id"].as_str().unwrap())],
        ),
        ("/raise/evidence", vec![("evidence", "Three concerns.")]),
        ("/raise/outcome", vec![("outcome-wanted", "An assessment.")]),
        (
            "/raise/child",
            vec![
                ("child-name", "Rowan Ashdown-Pike"),
                ("dob-day", "2"),
                ("dob-month", "3"),
                ("dob-year", "2015"),
                ("child-status", "child-in-need"),
            ],
        ),
    ];
    for (path, fields) in &rest {
        let r = h.post_form(path, &session, fields).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            excerpt(&r.body)
        );
    }
    let check = h.get("/raise/check", &session).await;
    assert_eq!(check.status, StatusCode::OK, "{}", excerpt(&check.body));
    assert!(check.body.contains("Decision to raise it (Day One)"));
    assert!(check.body.contains("Thursday 19 November 2026"));
    assert!(check.body.contains("decision-date?from=check"));
    let r = h.post_form("/raise/check", &session, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let done = r.location().unwrap().to_owned();
    assert!(done.starts_with("/raise/done/"), "{done}");
    let page = h.get(&done, &session).await;
    assert!(page.body.contains("when 2 working days had already gone"));
    let id = done.trim_start_matches("/raise/done/");
    let v = h.get(&format!("/api/escalations/{id}"), &api).await.json();
    assert_eq!(v["day_one"]["date"], EARLIEST);
}
