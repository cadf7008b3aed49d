//! Who may do what is the procedure's (issue 14, item 3), from the attacker's side: a
//! practitioner who tries what the procedure gives to others, through the page and the API.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use parley_core::escalation::Event;
use parley_store::payload::ChildDetails;
use parley_store::records::{Actor, PersonInput, RaiseInput};
use serde_json::json;

use crate::harness::*;

/// `seconds` into the scene, which is set an hour before the harness's clock.
fn at(seconds: i64) -> Timestamp {
    now()
        .checked_add(SignedDuration::from_secs(seconds - 3600))
        .unwrap()
}

/// A scene in a procedure's demo partnership: agencies A (raising) and B, a practitioner
/// `raiser` in A managed by `boss`, a named officer for every stage in each agency
/// (`a1`, `b1`, `a2` ...), and one individual escalation raised by `raiser`, escalated
/// `escalations` times.
pub(crate) struct Scene {
    pub(crate) people: HashMap<String, String>,
    pub(crate) escalation: String,
}

pub(crate) async fn scene(h: &Harness, procedure: &str, escalations: usize) -> Scene {
    let records = &h.state.records;
    let admin = Actor::SYSTEM;
    let partnership = h.partnership_of(procedure);
    let rules = h
        .state
        .rules(&h.state.partnership(&partnership).await.unwrap(), None)
        .await
        .unwrap();
    let stages = rules.procedure.stages.len();
    // Dorset §4: decided the day it is raised (the harness's Monday).
    let decided_on = rules
        .procedure
        .day_one
        .takes_decision_date()
        .then(|| jiff::civil::date(2026, 11, 23));
    let mut agency = HashMap::new();
    for side in ["a", "b"] {
        let id = records
            .add_agency(
                at(1),
                &admin,
                &partnership,
                &format!("Who {side}"),
                "health",
            )
            .await
            .unwrap();
        agency.insert(side, id);
    }
    // (key, agency, role, line manager)
    let mut list: Vec<(String, &str, &str, Option<&str>)> = vec![
        ("boss".to_owned(), "a", "manager", None),
        ("raiser".to_owned(), "a", "practitioner", Some("boss")),
    ];
    for stage in 1..=stages {
        for side in ["a", "b"] {
            list.push((format!("{side}{stage}"), side, "manager", None));
        }
    }
    let mut people: HashMap<String, String> = HashMap::new();
    for (key, side, role, manager) in list {
        let id = records
            .save_person(
                at(2),
                &admin,
                &partnership,
                None,
                PersonInput {
                    agency_id: Some(agency[side].clone()),
                    name: format!("Who {key}"),
                    email: format!("who.{key}@example.org"),
                    job_title: "Scene".to_owned(),
                    roles: vec![role.to_owned()],
                    line_manager_id: manager.map(|m| people[m].clone()),
                    active: true,
                },
            )
            .await
            .unwrap();
        people.insert(key, id);
    }
    for stage in 1..=stages {
        for side in ["a", "b"] {
            records
                .set_named_officer(
                    at(3),
                    &admin,
                    &partnership,
                    &agency[side],
                    stage as i64,
                    Some(&people[&format!("{side}{stage}")]),
                )
                .await
                .unwrap();
        }
    }
    let raiser = Actor::person(&people["raiser"]);
    let id = records
        .raise(
            at(10),
            &raiser,
            &partnership,
            RaiseInput {
                route: "individual".to_owned(),
                child_status: Some("child-protection-plan".to_owned()),
                child: Some(ChildDetails {
                    name: "WHO-CHILD".to_owned(),
                    date_of_birth: Some("2016-02-03".to_owned()),
                    identifier: None,
                }),
                category: "other".to_owned(),
                raised_by: people["raiser"].clone(),
                raising_agency_id: agency["a"].clone(),
                receiving_agency_id: agency["b"].clone(),
                receiving_person_id: None,
                summary: "A decision challenged in the scene".to_owned(),
                decision: "The decision.".to_owned(),
                evidence: "The evidence.".to_owned(),
                outcome_wanted: "Another decision.".to_owned(),
                decided_on,
            },
        )
        .await
        .unwrap()
        .id;
    for n in 0..escalations {
        let version = records
            .store()
            .escalation(&id)
            .await
            .unwrap()
            .unwrap()
            .version;
        records
            .act(
                at(20 + n as i64),
                &raiser,
                &id,
                version,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();
    }
    Scene {
        people,
        escalation: id,
    }
}

async fn version(h: &Harness, id: &str) -> i64 {
    h.state.store.escalation(id).await.unwrap().unwrap().version
}

/// Buckinghamshire 2.4.15: at stage 2, escalating to stage 3 is for the stage 2 contacts.
/// The practitioner who raised it, her line manager and the receiving side's past officer
/// are refused (page and API, with who may); the stage 2 contacts of either agency escalate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_stage_two_contacts_escalate_in_buckinghamshire() {
    // (person, may escalate)
    let cases = [
        ("raiser", false),
        ("boss", false),
        ("b1", false),
        ("a2", true),
        ("b2", true),
    ];
    for (who, may) in cases {
        let h = Harness::new().await;
        let s = scene(&h, "buckinghamshire", 1).await;
        let id = &s.escalation;
        let person = h.person(&s.people[who]).await;
        let user = h.session_for(who, &person).await;
        let api = h.bearer_for(&person).await;
        // The escalation page offers it only to those who may.
        let page = h.get(&format!("/escalations/{id}"), &user.auth).await;
        if who == "b1" {
            // Stage 1's receiving officer only reads now; nothing is offered.
            assert_eq!(page.status, StatusCode::OK, "{who}");
        }
        assert_eq!(
            page.body.contains(">Escalate to stage 3</a>"),
            may,
            "{who}: escalate offered on the page"
        );
        let form = h
            .get(&format!("/escalations/{id}/escalate"), &user.auth)
            .await;
        assert_eq!(form.status == StatusCode::OK, may, "{who}: the form");
        if !may {
            assert_eq!(form.status, StatusCode::FORBIDDEN, "{who}: the form");
        }
        let v = version(&h, id).await;
        let r = h
            .send_json(
                Method::POST,
                &format!("/api/escalations/{id}/actions"),
                &api,
                &json!({"version": v, "action": "escalate"}),
            )
            .await;
        if may {
            assert!(
                r.status.is_success(),
                "{who}: {} {}",
                r.status,
                excerpt(&r.body)
            );
            let row = h.state.store.escalation(id).await.unwrap().unwrap();
            assert_eq!(row.current_stage, 3, "{who}");
        } else {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{who}: {}",
                excerpt(&r.body)
            );
            let body = r.json();
            let code = body["code"].as_str().unwrap_or_default();
            if who == "b1" {
                assert_eq!(code, "forbidden", "{who}: takes no part now");
            } else {
                assert_eq!(code, "not-permitted", "{who}");
                let detail = body["detail"].as_str().unwrap_or_default();
                assert!(
                    detail.contains("Designated Person for Child Protection"),
                    "{who}: says who may: {detail}"
                );
            }
            let row = h.state.store.escalation(id).await.unwrap().unwrap();
            assert_eq!(row.current_stage, 2, "{who}: nothing moved");
        }
    }
}

/// What the practitioner may still do at Buckinghamshire stage 2 (resolve, write the record,
/// withdraw) stays offered: the lists narrow only what the procedure gives to others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_practitioner_keeps_what_the_procedure_leaves_her() {
    let h = Harness::new().await;
    let s = scene(&h, "buckinghamshire", 1).await;
    let id = &s.escalation;
    let person = h.person(&s.people["raiser"]).await;
    let user = h.session_for("raiser", &person).await;
    let page = h.get(&format!("/escalations/{id}"), &user.auth).await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    // The buttons, by their labels.
    for (label, offered) in [
        ("Update the stage record", true),
        ("Resolve", true),
        ("Withdraw it", true),
        ("Escalate to stage 3", false),
    ] {
        assert_eq!(
            page.body.contains(&format!(">{label}</a>")),
            offered,
            "{label}"
        );
    }
}

/// Dorset §1: strategic concerns are raised by senior leaders. A practitioner and a manager
/// are not offered the route and are refused it through the API, with who may; a senior
/// manager is offered it and raises one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_senior_leaders_raise_a_strategic_dorset_concern() {
    let h = Harness::new().await;
    let partnership = h.partnership_of("dorset");
    for (role, may) in [
        ("practitioner", false),
        ("manager", false),
        ("senior-manager", true),
    ] {
        let sign_in = h.sign_in_of(&partnership, role);
        let person = h.person(&sign_in.person_id).await;
        let api = h.bearer_for(&person).await;
        let user = h.session_for(role, &person).await;
        let options = h.get("/api/raise/options", &api).await.json();
        let routes: Vec<&str> = options["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(routes.contains(&"strategic"), may, "{role}: {routes:?}");
        assert!(routes.contains(&"individual"), "{role}: {routes:?}");
        let page = h.get("/raise/route", &user.auth).await;
        if page.status == StatusCode::OK {
            assert_eq!(
                page.body.contains("value=\"strategic\""),
                may,
                "{role}: the page's routes"
            );
        }
        let body = json!({
            "immediate_risk": false,
            "other_procedure": "none",
            "route": "strategic",
            "receiving_agency_id": options["agencies"][0]["id"],
            "decision": "The strategic decision.",
            "summary": "A strategic concern across the partnership",
            "category": options["categories"][0]["id"],
            "evidence": "What was seen across services.",
            "outcome_wanted": "A change of approach.",
            "decided_on": "2026-11-23",
        });
        let r = h
            .send_json(Method::POST, "/api/escalations", &api, &body)
            .await;
        if may {
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{role}: {}",
                excerpt(&r.body)
            );
        } else {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{role}: {}",
                excerpt(&r.body)
            );
            let v = r.json();
            assert_eq!(v["code"], "not-permitted", "{role}");
            assert!(
                v["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("senior managers"),
                "{role}: {v}"
            );
        }
    }
}
