//! Issue 14, item 8: the record of every stage. `?stage=N` opens that stage's record, for any
//! stage the escalation went through, to whoever may record now and to the officers who led
//! it; a stage it never reached is a clear error; the conflict page keeps to the stage.

use axum::http::StatusCode;
use parley_core::escalation::Event;
use parley_core::procedure::StageNumber;
use parley_store::records::Actor;

use crate::cap::{at, case, signed_in};
use crate::harness::Harness;

const NOW: &str = "2026-12-23T14:00:00Z";

/// A page with the slashes its templates escape in attributes put back.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

#[tokio::test]
async fn a_past_stage_record_is_written_by_its_leads_and_the_parties() {
    let mut h = Harness::new().await;
    let mut c = case(
        &h,
        "solihull",
        "2026-12-22T10:00:00Z",
        &["2026-12-23T10:00:00Z"],
    )
    .await;
    let actor = Actor::person(&c.raiser_id);
    h.state
        .records
        .act(
            at("2026-12-23T11:00:00Z"),
            &actor,
            &c.id,
            2,
            &Event::StageRecordUpdated {
                stage: StageNumber::new(1).unwrap(),
                fields: vec![("discussion".to_owned(), "STAGE-ONE-TALK".to_owned())],
            },
            None,
        )
        .await
        .unwrap();
    signed_in(&mut h, &mut c, NOW).await;
    let record = format!("/escalations/{}/record", c.id);

    // The raiser: stage 1's record, not stage 2's, and the form keeps to stage 1.
    let page = h.get(&format!("{record}?stage=1"), &c.raiser).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("STAGE-ONE-TALK"),
        "stage 1's record is shown"
    );
    assert!(
        unescaped(&page.body).contains(&format!("action=\"{record}?stage=1\"")),
        "the form writes stage 1: {}",
        page.body
            .lines()
            .filter(|l| l.contains("<form"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Without `stage`, the current stage, as before (its form names it too).
    let current = h.get(&record, &c.raiser).await;
    assert!(!current.body.contains("STAGE-ONE-TALK"));
    assert!(unescaped(&current.body).contains(&format!("action=\"{record}?stage=2\"")));

    // Stages it never reached, and what is not a stage, are clear errors.
    for (stage, says) in [
        ("3", "never reached stage 3"),
        ("0", "never reached stage 0"),
        ("one", "not a stage number"),
    ] {
        let r = h.get(&format!("{record}?stage={stage}"), &c.raiser).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "stage {stage}");
        assert!(
            r.body.contains(says),
            "stage {stage}: {}",
            crate::harness::excerpt(&r.body)
        );
    }

    // Writing stage 1's record through the page changes stage 1's, not stage 2's.
    let r = h
        .post_form(
            &format!("{record}?stage=1"),
            &c.raiser,
            &[("version", "3"), ("record-learning", "STAGE-ONE-LEARNING")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        crate::harness::excerpt(&r.body)
    );
    let v = h
        .get(&format!("/api/escalations/{}", c.id), &c.raiser)
        .await
        .json();
    let stages = v["stages"].as_array().unwrap();
    let text = |n: usize| serde_json::to_string(&stages[n]).unwrap();
    assert!(text(0).contains("STAGE-ONE-LEARNING"), "{}", text(0));
    assert!(!text(1).contains("STAGE-ONE-LEARNING"), "{}", text(1));

    // A stale form for stage 1: the conflict page's link goes back to stage 1.
    let r = h
        .post_form(
            &format!("{record}?stage=1"),
            &c.raiser,
            &[("version", "3"), ("record-learning", "LATE")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        unescaped(&r.body).contains(&format!("href=\"{record}?stage=1\"")),
        "the conflict link"
    );

    // The receiving agency's stage 1 officer led stage 1 only: they may write its record
    // now that it has ended, but not the current stage's.
    let officers = h.state.store.escalation_officers(&c.id).await.unwrap();
    let row = h.state.store.escalation(&c.id).await.unwrap().unwrap();
    let lead = officers
        .iter()
        .find(|o| o.stage == 1 && o.agency_id == row.receiving_agency_id)
        .expect("a stage 1 officer in the receiving agency");
    assert!(
        !officers
            .iter()
            .any(|o| o.stage == 2 && o.person_id == lead.person_id),
        "the stage 1 officer does not also lead stage 2"
    );
    let person = h.person(&lead.person_id).await;
    let auth = h.session_at(&person, at(NOW)).await;
    let r = h.get(&format!("{record}?stage=1"), &auth).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        crate::harness::excerpt(&r.body)
    );
    for path in [record.clone(), format!("{record}?stage=2")] {
        let r = h.get(&path, &auth).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
    }
    let r = h
        .post_form(
            &format!("{record}?stage=1"),
            &auth,
            &[
                ("version", "4"),
                ("record-outcome", "Agreed at stage 1, written later"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        crate::harness::excerpt(&r.body)
    );
}
