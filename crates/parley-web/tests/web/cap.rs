//! Issue 14, item 1: no stage runs past the overall limit, as people see it: My work, the
//! escalation page, the partnership list and the API show the date that governs, the
//! agree-timescale form offers only what fits and says why, and the API refuses more. The
//! expected dates are the issue's, worked by hand in `parley-core`'s `tests/core/cap.rs`.

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use parley_core::escalation::Event;
use parley_store::records::{Actor, RaiseInput};
use serde_json::json;

use crate::harness::{Auth, Harness};

pub(crate) fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) partnership: String,
    pub(crate) raiser: Auth,
    pub(crate) raiser_id: String,
}

/// Raises a child's escalation in the demo partnership running `procedure` on `raised`, as
/// its practitioner, and escalates it at each of `escalated`.
pub(crate) async fn case(h: &Harness, procedure: &str, raised: &str, escalated: &[&str]) -> Case {
    let partnership = h.partnership_of(procedure);
    let raiser = h
        .person(&h.sign_in_of(&partnership, "practitioner").person_id)
        .await;
    let agency = raiser.agency_id.clone().unwrap();
    let other = h
        .state
        .store
        .agencies(&partnership)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id != agency)
        .unwrap();
    let category = parley_core::seeds::get(procedure)
        .unwrap()
        .unwrap()
        .categories[0]
        .id
        .clone();
    let actor = Actor::person(&raiser.id);
    let id = h
        .state
        .records
        .raise(
            at(raised),
            &actor,
            &partnership,
            RaiseInput {
                route: "individual".to_owned(),
                child_status: Some("child-in-need".to_owned()),
                child: Some(parley_store::payload::ChildDetails {
                    name: "CAP-CHILD".to_owned(),
                    date_of_birth: None,
                    identifier: None,
                }),
                category,
                raised_by: raiser.id.clone(),
                raising_agency_id: agency,
                receiving_agency_id: other.id,
                receiving_person_id: None,
                summary: "A plan that is late".to_owned(),
                decision: "The decision.".to_owned(),
                evidence: "The evidence.".to_owned(),
                outcome_wanted: "Another decision.".to_owned(),
                decided_on: None,
            },
        )
        .await
        .unwrap()
        .id;
    for (i, t) in escalated.iter().enumerate() {
        h.state
            .records
            .act(at(t), &actor, &id, i as i64 + 1, &Event::Escalated, None)
            .await
            .unwrap();
    }
    Case {
        id,
        partnership,
        raiser: crate::harness::Auth::Anonymous,
        raiser_id: raiser.id,
    }
}

pub(crate) async fn signed_in(h: &mut Harness, c: &mut Case, now: &str) {
    h.at(at(now));
    let person = h.person(&c.raiser_id).await;
    c.raiser = h.session_at(&person, at(now)).await;
}

#[tokio::test]
async fn buckinghamshire_stage_3_entered_late_is_overdue_from_the_fifteenth_working_day() {
    let mut h = Harness::new().await;
    let mut c = case(
        &h,
        "buckinghamshire",
        "2026-12-22T10:00:00Z",
        &["2027-01-06T10:00:00Z", "2027-01-13T10:00:00Z"],
    )
    .await;
    // Wednesday 20 January: stage 3 was due on Friday 15 January (the 15-working-day
    // maximum), three working days ago; its own five days would have made it "due today".
    signed_in(&mut h, &mut c, "2027-01-20T14:00:00Z").await;
    let api = h
        .get(&format!("/api/escalations/{}", c.id), &c.raiser)
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v = api.json();
    assert_eq!(v["stage_deadline"]["due"], "2027-01-15", "{v}");
    assert_eq!(v["stage_deadline"]["state"], "overdue", "{v}");
    assert_eq!(v["stage_deadline"]["working_days_left"], -3, "{v}");
    let page = h.get(&format!("/escalations/{}", c.id), &c.raiser).await;
    assert!(page.body.contains("15 January 2027"), "escalation page");
    assert!(!page.body.contains("20 January 2027"), "escalation page");
    let work = h.get("/my-work", &c.raiser).await;
    let line = work
        .body
        .split("</tr>")
        .find(|row| row.contains(&c.id))
        .unwrap_or_else(|| panic!("the case is not in My work"));
    assert!(line.contains("Overdue by 3 working days"), "{line}");
    assert!(!line.contains("Due today"), "{line}");
    // The business team's list, from the API, shows the same date.
    let business = h
        .person(
            &h.sign_in_of(&c.partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let team = h.session_at(&business, at("2027-01-20T14:00:00Z")).await;
    let list = h.get("/api/partnership/escalations", &team).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("2027-01-15"), "partnership list");
}

#[tokio::test]
async fn sunderland_step_4_can_agree_only_what_fits_in_the_month() {
    let mut h = Harness::new().await;
    let mut c = case(
        &h,
        "sunderland",
        "2026-12-22T10:00:00Z",
        &[
            "2027-01-05T10:00:00Z",
            "2027-01-13T10:00:00Z",
            "2027-01-20T10:00:00Z",
        ],
    )
    .await;
    signed_in(&mut h, &mut c, "2027-01-20T14:00:00Z").await;
    let v = h
        .get(&format!("/api/escalations/{}", c.id), &c.raiser)
        .await
        .json();
    assert_eq!(v["current_stage"]["number"], 4, "{v}");
    assert_eq!(v["stage_deadline"]["due"], "2027-01-22", "{v}");
    // The form offers 2 days at most (21 and 22 January), and says why.
    let form = h
        .get(&format!("/escalations/{}/timescale", c.id), &c.raiser)
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body
            .contains("The whole escalation is due on Friday 22 January 2027"),
        "{}",
        crate::harness::excerpt(&form.body)
    );
    assert!(form.body.contains("At most 2 working days"), "the hint");
    // 5, 4 and 3 days are refused, saying why; 2 days is agreed, due on the 22nd.
    for n in [5, 4, 3] {
        let r = h
            .send_json(
                Method::POST,
                &format!("/api/escalations/{}/actions", c.id),
                &c.raiser,
                &json!({"version": 4, "action": "agree-timescale", "working_days": n, "reason": null}),
            )
            .await;
        assert!(r.status.is_client_error(), "{n} days: {}", r.status);
        assert!(r.body.contains("Friday 22 January 2027"), "{n}: {}", r.body);
        assert!(r.body.contains("at most 2 working days"), "{n}: {}", r.body);
    }
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{}/actions", c.id),
            &c.raiser,
            &json!({"version": 4, "action": "agree-timescale", "working_days": 2, "reason": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["stage_deadline"]["due"], "2027-01-22");
}
