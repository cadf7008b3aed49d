//! Referrals go on (issue 14, item 5), through the API and the pages, on the built-in
//! procedures: a referral keeps the escalation open at its step, what came of it closes it, a
//! further referral follows only where the procedure file's `then` allows (Sunderland: the
//! Independent Scrutineer, then an inspectorate), and the step's lead sees it (without the
//! child) and acts while it is at their step; people holding other roles see nothing.

use axum::http::{Method, StatusCode};
use parley_store::records::{Actor, PersonInput};
use parley_store::rows::PersonRow;
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, Resp, excerpt, now};

pub(crate) const CHILD: &str = "Morgan Pennington-Vale";

/// An escalation raised through the API by a practitioner of the procedure's partnership,
/// about `CHILD`, and taken to `stage` by the raiser.
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) partnership: String,
    pub(crate) raiser: Auth,
}

pub(crate) async fn case(h: &Harness, procedure: &str, stage: i64) -> Case {
    let partnership = h.partnership_of(procedure);
    let w = h.world(&partnership).await;
    let raiser = w
        .people
        .iter()
        .find(|p| p.roles == ["practitioner"] && p.agency_id.is_some() && p.active)
        .unwrap()
        .clone();
    let api = h.bearer_for(&raiser).await;
    let o = h.get("/api/raise/options", &api).await.json();
    let receiving = o["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] != json!(raiser.agency_id))
        .unwrap()["id"]
        .clone();
    let mut body = json!({
        "immediate_risk": false,
        "other_procedure": "none",
        "route": "individual",
        "receiving_agency_id": receiving,
        "decision": "The referral was closed without an assessment.",
        "summary": "Referral closed without assessment",
        "category": o["categories"][0]["id"],
        "evidence": "Three concerns were not looked into.",
        "outcome_wanted": "An assessment.",
        "child": {
            "name": CHILD,
            "date_of_birth": "2015-03-02",
            "identifier": null,
            "status": o["child_statuses"][0]["id"],
        }
    });
    // Dorset §4: where the procedure counts from the decision to raise it, decided today.
    if let Some(today) = o["decision_date"]["latest"].as_str() {
        body["decided_on"] = json!(today);
    }
    let r = h
        .send_json(Method::POST, "/api/escalations", &api, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let c = Case {
        id: r.json()["id"].as_str().unwrap().to_owned(),
        partnership,
        raiser: api,
    };
    for _ in 1..stage {
        let r = c.act_as_allowed(h, json!({"action": "escalate"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    }
    c
}

impl Case {
    /// Takes `action` as the first who may (issue 14, item 3): the raiser, else an officer of
    /// the current stage, raising side first. The answer of the last one tried.
    pub(crate) async fn act_as_allowed(&self, h: &Harness, action: Value) -> Resp {
        let v = self.view(h, &self.raiser).await.json();
        let mut officers: Vec<(bool, String)> = Vec::new();
        for side in v["current_stage"]["leads"].as_array().into_iter().flatten() {
            for o in side["officers"].as_array().into_iter().flatten() {
                let raising = side["side"] == "raising";
                officers.push((!raising, o["id"].as_str().unwrap().to_owned()));
            }
        }
        officers.sort();
        let mut r = self.act(h, &self.raiser, action.clone()).await;
        for (_, id) in officers {
            if r.status != StatusCode::FORBIDDEN {
                break;
            }
            let who = h.bearer_for(&h.person(&id).await).await;
            r = self.act(h, &who, action.clone()).await;
        }
        r
    }

    pub(crate) async fn view(&self, h: &Harness, who: &Auth) -> Resp {
        h.get(&format!("/api/escalations/{}", self.id), who).await
    }

    pub(crate) async fn act(&self, h: &Harness, who: &Auth, action: Value) -> Resp {
        let version = self.view(h, &self.raiser).await.json()["version"].clone();
        let mut body = action;
        body["version"] = version;
        h.send_json(
            Method::POST,
            &format!("/api/escalations/{}/actions", self.id),
            who,
            &body,
        )
        .await
    }
}

/// A person of the partnership holding `role`, with no agency.
async fn partnership_person(h: &Harness, partnership: &str, role: &str) -> PersonRow {
    let id = h
        .state
        .records
        .save_person(
            now(),
            &Actor::SYSTEM,
            partnership,
            None,
            PersonInput {
                agency_id: None,
                name: format!("Alex {role}"),
                email: format!("{role}@{partnership}.example.org"),
                job_title: role.to_owned(),
                roles: vec![role.to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    h.person(&id).await
}

/// The words of a problem document.
fn problem_of(r: &Resp) -> String {
    r.body.clone()
}

async fn awaiting_ids(h: &Harness, who: &Auth) -> Vec<String> {
    let r = h.get("/api/my-work", who).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    r.json()["awaiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sunderland_scrutineer_then_inspectorate() {
    let h = Harness::new().await;
    let c = case(&h, "sunderland", 4).await;
    let scrutineer = partnership_person(&h, &c.partnership, "independent-scrutineer").await;
    let scrutineer = h.bearer_for(&scrutineer).await;
    // Holders of the other partnership roles are not the scrutineer step's lead.
    let mut others = Vec::new();
    for role in [
        "independent-chair",
        "safeguarding-partners-executive",
        "delegated-safeguarding-partner",
        "independent-reviewing-officer",
        "cp-reviewing-service-manager",
    ] {
        let p = partnership_person(&h, &c.partnership, role).await;
        others.push((role, h.bearer_for(&p).await));
    }

    // Before the referral the scrutineer sees nothing.
    assert_eq!(c.view(&h, &scrutineer).await.status, StatusCode::NOT_FOUND);
    assert!(!awaiting_ids(&h, &scrutineer).await.contains(&c.id));

    // A stage officer refers it to the Independent Scrutineer: it stays open at the step.
    let r = c
        .act_as_allowed(
            &h,
            json!({"action": "refer-on", "referral": "independent-scrutineer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "open");
    assert_eq!(v["at_referral"], true);
    assert_eq!(v["referrals"][0]["referral"], "independent-scrutineer");
    assert_eq!(v["referrals"][0]["lead"], "independent-scrutineer");
    // Sunderland gives the scrutineer no timescale: no deadline runs, none is overdue.
    assert_eq!(v["stage_deadline"]["state"], "none");
    assert_eq!(v["overall_deadline"], Value::Null);

    // The scrutineer sees it, without the child, and it awaits them in My work.
    let r = c.view(&h, &scrutineer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let v = r.json();
    assert_eq!(v["case"], Value::Null);
    assert_eq!(v["may_view_child"], false);
    assert_eq!(v["access"]["can_act"], true);
    assert!(!r.body.contains(CHILD));
    let child = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{}/child", c.id),
            &scrutineer,
            &json!({}),
        )
        .await;
    assert_eq!(
        child.status,
        StatusCode::NOT_FOUND,
        "the scrutineer never reads the child"
    );
    assert!(awaiting_ids(&h, &scrutineer).await.contains(&c.id));
    for (role, auth) in &others {
        assert_eq!(
            c.view(&h, auth).await.status,
            StatusCode::NOT_FOUND,
            "{role} sees a referral it does not lead"
        );
        assert!(!awaiting_ids(&h, auth).await.contains(&c.id), "{role}");
    }

    // At the step, the stages' actions are refused; the outcome must not name the child.
    let refusals: &[(Value, &str)] = &[
        // (By events: agreed is for the two sides to propose and confirm, issue 14 item 2.)
        (
            json!({"action": "resolve", "outcome": "by-events"}),
            "is with the independent-scrutineer referral",
        ),
        (
            json!({"action": "record-referral-outcome", "outcome": "   "}),
            "Enter what came of the referral",
        ),
        (
            json!({"action": "record-referral-outcome", "outcome": format!("{CHILD} is safe now.")}),
            "What came of the referral",
        ),
        (
            json!({"action": "refer-on", "referral": "independent-scrutineer"}),
            "does not allow a referral to independent-scrutineer after independent-scrutineer",
        ),
    ];
    for (body, words) in refusals {
        let r = c.act(&h, &scrutineer, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            excerpt(&r.body)
        );
        assert!(problem_of(&r).contains(words), "{body}: {}", r.body);
        assert!(
            !r.body.contains(CHILD),
            "{body}: the refusal repeats the name"
        );
    }

    // Escalating is not the scrutineer's at stage 4 (sunderland.toml, stage 4 `may`).
    let r = c.act(&h, &scrutineer, json!({"action": "escalate"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    assert_eq!(r.json()["code"], "not-permitted");

    // The scrutineer refers it on to Ofsted, as the file's `then` allows.
    let r = c
        .act(
            &h,
            &scrutineer,
            json!({"action": "refer-on", "referral": "ofsted"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "open");
    assert_eq!(v["referrals"].as_array().unwrap().len(), 2);
    assert_eq!(v["referrals"][1]["referral"], "ofsted");
    // Nothing follows an inspectorate in Sunderland's file.
    let r = c
        .act_as_allowed(&h, json!({"action": "refer-on", "referral": "cqc"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(problem_of(&r).contains("after ofsted"), "{}", r.body);
    // The scrutineer still sees it but no longer acts: Ofsted's step is led outside Parley.
    let v = c.view(&h, &scrutineer).await.json();
    assert_eq!(v["access"]["can_act"], false);
    let r = c
        .act(
            &h,
            &scrutineer,
            json!({"action": "record-referral-outcome", "outcome": "Ofsted found no fault."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    assert!(!awaiting_ids(&h, &scrutineer).await.contains(&c.id));

    // A stage 4 officer records what came of it: closed, referred on, with the outcome.
    let r = c
        .act_as_allowed(
            &h,
            json!({"action": "record-referral-outcome", "outcome": "Ofsted found no fault with either agency."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "referred-on");
    assert_eq!(v["at_referral"], false);
    assert_eq!(
        v["referrals"][1]["outcome"],
        "Ofsted found no fault with either agency."
    );
    let history = h
        .get(&format!("/api/escalations/{}/history", c.id), &c.raiser)
        .await
        .json();
    let titles: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    for want in [
        "Referred on to Independent Scrutineer: it stays open until what came of it is recorded",
        "Referred on to Ofsted: it stays open until what came of it is recorded",
        "What came of the referral to Ofsted was recorded, and the escalation closed",
    ] {
        assert!(titles.contains(&want), "{want} not in {titles:?}");
    }
    // Closed: nobody acts on it any more, the scrutineer included.
    for who in [&c.raiser, &scrutineer] {
        let r = c
            .act(&h, who, json!({"action": "refer-on", "referral": "cqc"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    }
    assert_eq!(
        c.view(&h, &scrutineer).await.status,
        StatusCode::OK,
        "still sees it"
    );
}

#[tokio::test]
async fn buckinghamshire_bscp_step_is_led_by_the_business_team_on_the_pages() {
    let h = Harness::new().await;
    let c = case(&h, "buckinghamshire", 3).await;
    let r = c
        .act_as_allowed(&h, json!({"action": "refer-on", "referral": "bscp"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(
        r.json()["status"],
        "open",
        "a referral to the BSCP no longer ends the case"
    );

    let bt = h.sign_in_of(&c.partnership, "partnership-business-team");
    let bt_person = h.person(&bt.person_id).await;
    let bt = h.session_for("business team", &bt_person).await;
    let mut page = h.get(&format!("/escalations/{}", c.id), &bt.auth).await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    page.body = page.body.replace("&#x2f;", "/");
    assert!(
        page.body.contains("Referred on to"),
        "{}",
        excerpt(&page.body)
    );
    assert!(
        page.body
            .contains(&format!("/escalations/{}/referral-outcome", c.id))
    );
    assert!(!page.body.contains(CHILD));
    // Nothing follows the BSCP in Buckinghamshire's file: refer on is not offered.
    assert!(
        !page
            .body
            .contains(&format!("/escalations/{}/refer\"", c.id))
    );

    let form = h
        .get(&format!("/escalations/{}/referral-outcome", c.id), &bt.auth)
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", excerpt(&form.body));
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    // The child's name is refused on the page too, and not repeated back.
    let named = format!("{CHILD} is safe.");
    let r = h
        .post_form(
            &format!("/escalations/{}/referral-outcome", c.id),
            &bt.auth,
            &[("version", &version), ("referral-outcome", &named)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(r.body.contains("govuk-error-summary"));
    let r = h
        .post_form(
            &format!("/escalations/{}/referral-outcome", c.id),
            &bt.auth,
            &[
                ("version", &version),
                ("referral-outcome", "The BSCP asked both agencies to meet."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(v["status"], "referred-on");
    assert_eq!(
        v["referrals"][0]["outcome"],
        "The BSCP asked both agencies to meet."
    );
}
