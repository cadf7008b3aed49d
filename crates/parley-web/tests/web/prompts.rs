//! The procedure's prompts (issue 14, item 7): Buckinghamshire 2.4.12, legal advice for a young
//! person aged 16 or 17, shown on the escalation when the child is 16 or 17 on the day it was
//! raised (the harness's Monday 23 November 2026), to the people who may see the child, and
//! never to the partnership business team, who see the escalation without the child.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Harness, excerpt};
use crate::referrals::Case;

const WORDS: &str = "legal advice should be sought where no consensus or agreement can be reached";

/// A Buckinghamshire escalation about a child born on `born`, raised by its practitioner
/// through the API and taken to `stage`.
async fn bucks(h: &Harness, born: &str, stage: i64) -> Case {
    let partnership = h.partnership_of("buckinghamshire");
    let person = h
        .person(&h.sign_in_of(&partnership, "practitioner").person_id)
        .await;
    let api = h.bearer_for(&person).await;
    let o = h.get("/api/raise/options", &api).await.json();
    let r = h
        .send_json(
            Method::POST,
            "/api/escalations",
            &api,
            &json!({
                "immediate_risk": false,
                "other_procedure": "none",
                "route": "individual",
                "receiving_agency_id": o["agencies"][0]["id"],
                "decision": "The plan does not cover the young person's care.",
                "summary": "Care plan does not cover the young person's needs",
                "category": o["categories"][0]["id"],
                "evidence": "Two reviews.",
                "outcome_wanted": "A joint review.",
                "child": {"name": "Sasha Brightwater-Lee", "date_of_birth": born, "status": "child-in-need"},
            }),
        )
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

fn prompts(v: &Value) -> Vec<String> {
    v["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["reference"].as_str().unwrap(),
                p["text"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn shown_for_a_sixteen_year_old_to_those_who_see_the_child() {
    let h = Harness::new().await;
    // 16 on 23 November 2026 (17 in May 2027). Stage 3: the BSCP team sees it (2.4.24).
    let c = bucks(&h, "2010-05-01", 3).await;
    let v = c.view(&h, &c.raiser).await.json();
    let shown = prompts(&v);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].starts_with("2.4.12 Mental Capacity Act: "));
    assert!(shown[0].contains(WORDS));
    let raiser = h
        .session_for(
            "raiser",
            &h.person(&h.sign_in_of(&c.partnership, "practitioner").person_id)
                .await,
        )
        .await;
    let page = h.get(&format!("/escalations/{}", c.id), &raiser.auth).await;
    assert!(page.body.contains(WORDS), "{}", excerpt(&page.body));

    // The business team sees the escalation, never the prompt.
    let team = h
        .person(
            &h.sign_in_of(&c.partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let api = h.bearer_for(&team).await;
    let r = c.view(&h, &api).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(r.json()["prompts"], json!([]));
    let session = h.session_for("business team", &team).await;
    let page = h
        .get(&format!("/escalations/{}", c.id), &session.auth)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(WORDS));
    assert!(!page.body.contains("Mental Capacity Act"));
}

#[tokio::test]
async fn not_shown_for_a_fifteen_year_old() {
    let h = Harness::new().await;
    // 15 on 23 November 2026: 16 only on 1 December 2026.
    let c = bucks(&h, "2010-12-01", 1).await;
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(v["prompts"], json!([]));
    let raiser = h
        .session_for(
            "raiser",
            &h.person(&h.sign_in_of(&c.partnership, "practitioner").person_id)
                .await,
        )
        .await;
    let page = h.get(&format!("/escalations/{}", c.id), &raiser.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(WORDS));
}
