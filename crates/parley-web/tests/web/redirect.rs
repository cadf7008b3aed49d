//! Redirecting a raised escalation (issue 14, item 7): to another procedure the document names
//! (Dorset §1: the LADO, whistleblowing), with that route's text shown and a note, by the
//! raising side; refused, saying who may, for anyone else who takes part. It closes as
//! redirected, and the history says where it went.

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{Harness, excerpt};
use crate::referrals::case;

#[tokio::test]
async fn dorset_redirected_by_the_raising_side_only() {
    let h = Harness::new().await;
    let c = case(&h, "dorset", 1).await;
    let v = c.view(&h, &c.raiser).await.json();
    let offered: Vec<&str> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(offered.contains(&"redirect"), "{offered:?}");

    // The receiving agency's stage 1 officer takes part, but redirecting is the raising
    // side's: refused with who may.
    let receiving_officer = v["current_stage"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "receiving")
        .and_then(|s| s["officers"][0]["id"].as_str())
        .expect("the receiving agency names a stage 1 officer")
        .to_owned();
    let officer = h.bearer_for(&h.person(&receiving_officer).await).await;
    let ov = c.view(&h, &officer).await.json();
    assert!(
        ov["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "redirect"),
        "not offered to the receiving side"
    );
    let r = c
        .act(
            &h,
            &officer,
            json!({"action": "redirect", "redirection": "whistleblowing", "reason": "Fraud."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    let p = r.json();
    assert_eq!(p["code"], "not-permitted");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("on the raising side"),
        "{p}"
    );

    // The raiser: the form shows Dorset's routes with their texts.
    let form = h
        .get(&format!("/escalations/{}/redirect", c.id), &c.raiser)
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", excerpt(&form.body));
    assert!(form.body.contains("value=\"allegation-against-staff\""));
    assert!(form.body.contains("value=\"whistleblowing\""));
    assert!(
        !form.body.contains("value=\"complaint\""),
        "Dorset names no complaints route"
    );
    assert!(
        form.body
            .contains("Tell the Local Authority Designated Officer (LADO)")
    );

    // Refusals: no route, a route Dorset does not name, no note, an unknown member.
    for (body, field, words) in [
        (
            json!({"action": "redirect", "redirection": "", "reason": "x"}),
            "redirection",
            "Select the procedure",
        ),
        (
            json!({"action": "redirect", "redirection": "complaint", "reason": "x"}),
            "redirection",
            "allegation-against-staff, whistleblowing",
        ),
        (
            json!({"action": "redirect", "redirection": "whistleblowing"}),
            "reason",
            "Enter a note",
        ),
    ] {
        let r = c.act(&h, &c.raiser, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            excerpt(&r.body)
        );
        assert!(r.body.contains(words), "{body} ({field}): {}", r.body);
    }
    let r = c
        .act(
            &h,
            &c.raiser,
            json!({"action": "redirect", "referral": "x", "redirection": "whistleblowing", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The page keeps what was typed when the route is missing.
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    let raiser_id = v["raised_by"]["id"].as_str().unwrap().to_owned();
    let raiser = h
        .session_for("raiser", &h.person(&raiser_id).await)
        .await
        .auth;
    let page = h
        .post_form(
            &format!("/escalations/{}/redirect", c.id),
            &raiser,
            &[("version", &version), ("reason", "A note kept on the page")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body
            .contains("Select the procedure the matter belongs to instead")
    );
    assert!(page.body.contains("A note kept on the page"));

    // Redirected by the raiser, through the page.
    let page = h
        .post_form(
            &format!("/escalations/{}/redirect", c.id),
            &raiser,
            &[
                ("version", &version),
                ("redirection", "allegation-against-staff"),
                (
                    "reason",
                    "A concern about a worker's suitability, for the LADO.",
                ),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        excerpt(&page.body)
    );
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(v["status"], "redirected");
    assert_eq!(v["outcome"], "allegation-against-staff");
    assert!(v["status_text"].as_str().unwrap().contains("(LADO)"), "{v}");
    let offered: Vec<&str> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["record"], "closed: only the record");
    let shown = h
        .get(&format!("/escalations/{}?done=redirect", c.id), &raiser)
        .await;
    assert!(shown.body.contains("redirected to another procedure"));

    // The history: where it went, the procedure's text and the note.
    let history = h
        .get(&format!("/api/escalations/{}/history", c.id), &c.raiser)
        .await
        .json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "redirected");
    assert!(last["title"].as_str().unwrap().contains("(LADO)"), "{last}");
    assert_eq!(
        last["reason"],
        "A concern about a worker's suitability, for the LADO."
    );
    assert!(
        last["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["label"] == "Where it belongs instead"),
        "{last}"
    );

    // Nothing more can happen to it.
    let r = c
        .act(
            &h,
            &c.raiser,
            json!({"action": "redirect", "redirection": "whistleblowing", "reason": "again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
}

/// Solihull's document names no other procedure: nothing to redirect to.
#[tokio::test]
async fn solihull_offers_no_redirecting() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 1).await;
    let v = c.view(&h, &c.raiser).await.json();
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "redirect")
    );
    let r = c
        .act(
            &h,
            &c.raiser,
            json!({"action": "redirect", "redirection": "complaint", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("names no other procedure"), "{}", r.body);
}
