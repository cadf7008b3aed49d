//! Issue 14, item 8: learning identified at any stage reaches the partnership business team in
//! the learning log, even when the escalation ended at stage 1 (Solihull §6: "details should be
//! forwarded to the Solihull SSCP Business Manager"), without the child's details and without a
//! way into an escalation the team may not open.

use axum::http::StatusCode;
use parley_core::escalation::Event;
use parley_core::procedure::StageNumber;
use parley_store::records::Actor;

use crate::cap::{at, case, signed_in};
use crate::harness::Harness;

const NOW: &str = "2026-12-23T14:00:00Z";

#[tokio::test]
async fn learning_from_a_stage_1_case_reaches_the_business_team_only() {
    let mut h = Harness::new().await;
    // Solihull tells its business team from stage 2; this one ends at stage 1.
    let mut c = case(&h, "solihull", "2026-12-22T10:00:00Z", &[]).await;
    let actor = Actor::person(&c.raiser_id);
    let one = StageNumber::new(1).unwrap();
    let learning = "LEARNING-MARKER: strategy meetings need both agencies' minutes.";
    let discussion = "DISCUSSION-MARKER: not for the log.";
    for (v, event) in [
        (
            1,
            Event::StageRecordUpdated {
                stage: one,
                fields: vec![
                    ("learning".to_owned(), learning.to_owned()),
                    ("discussion".to_owned(), discussion.to_owned()),
                ],
            },
        ),
        // Issue 14, item 2: agreed takes both sides.
        (
            2,
            Event::AgreementProposed {
                proposal: parley_core::agreement::Proposal::Resolution,
                by: parley_core::names::Side::Raising,
            },
        ),
        (
            3,
            Event::AgreementConfirmed {
                by: parley_core::names::Party::ReceivingSide,
            },
        ),
    ] {
        h.state
            .records
            .act(at("2026-12-22T15:00:00Z"), &actor, &c.id, v, &event, None)
            .await
            .unwrap();
    }
    signed_in(&mut h, &mut c, NOW).await;
    let row = h.state.store.escalation(&c.id).await.unwrap().unwrap();
    let business = h
        .person(
            &h.sign_in_of(&c.partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let team = h.session_at(&business, at(NOW)).await;

    // The team may not open the escalation (it ended before stage 2)...
    let r = h.get(&format!("/escalations/{}", c.id), &team).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // ...but reads its learning, with its reference, stage, category and agencies, in the page
    // and the API; not the other record fields, not the child, and no link to the case.
    for path in ["/partnership/learning", "/api/partnership/learning"] {
        let r = h.get(path, &team).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        let body = r.body.replace("&#x27;", "'").replace("&#x2f;", "/");
        assert!(body.contains(learning), "{path}");
        assert!(body.contains(&row.reference), "{path}");
        for absent in [
            discussion,
            "CAP-CHILD",
            c.id.as_str(),
            "A plan that is late",
        ] {
            assert!(!body.contains(absent), "{path} shows {absent:?}");
        }
    }
    let v = h.get("/api/partnership/learning", &team).await.json();
    let entry = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reference"] == row.reference.as_str())
        .unwrap();
    assert_eq!(entry["stage"], 1);
    assert_eq!(entry["label"], "Learning identified");
    assert_eq!(entry["stage_began"], "2026-12-22");

    // Nobody else reads the log.
    for role in ["practitioner", "manager", "administrator"] {
        let person = h
            .person(&h.sign_in_of(&c.partnership, role).person_id)
            .await;
        let auth = h.session_at(&person, at(NOW)).await;
        for path in ["/partnership/learning", "/api/partnership/learning"] {
            let r = h.get(path, &auth).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} {path}");
        }
    }
}
