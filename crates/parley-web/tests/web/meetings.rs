//! Meetings are records (issue 14, item 6), through the API and the pages: arranged ahead
//! with date and time, chair and invited people and agencies; shown to those invited in My
//! work; recorded once held with who attended, outcome and actions (never naming the child);
//! and Solihull's stage-4 meeting shows the date by which it must be held.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Harness, excerpt};
use crate::referrals::{CHILD, case};

/// Solihull, raised and taken to stage 4 at the harness's now: Monday 23 November 2026.
/// Stage 4's meeting is "within a maximum of 3 working days of Stage 3" (Solihull §3), counted
/// from the day after (DESIGN.md §5): Tue 24, Wed 25, Thu 26 November 2026.
const STAGE_FOUR_MEETING_BY: &str = "2026-11-26";

#[tokio::test]
async fn solihull_stage_four_meeting_arranged_ahead_then_recorded() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 4).await;
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(v["current_stage"]["number"], 4);
    assert_eq!(v["stage_meeting"]["held_by"]["due"], STAGE_FOUR_MEETING_BY);
    let page = h.get(&format!("/escalations/{}", c.id), &c.raiser).await;
    assert!(
        page.body
            .contains(&format!("datetime=\"{STAGE_FOUR_MEETING_BY}\""))
    );

    // The receiving agency's stage 4 officer is invited; the raiser chairs.
    let receiving_officer = v["current_stage"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "receiving")
        .unwrap()["officers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raiser_id = v["raised_by"]["id"].as_str().unwrap().to_owned();
    // Stage 4's meeting is convened by the Delegated Safeguarding Partner, the business team
    // or the independent chair (solihull.toml, stage 4 `may`); the raiser may not.
    let team = h
        .bearer_for(
            &h.person(
                &h.sign_in_of(&c.partnership, "partnership-business-team")
                    .person_id,
            )
            .await,
        )
        .await;
    let arrange = json!({"action": "arrange-meeting", "held_at": "2026-11-25T14:30", "invited_people": [receiving_officer]});
    let r = c.act(&h, &c.raiser, arrange).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    let options = h.get("/api/raise/options", &c.raiser).await.json();
    let agency = options["agencies"][0]["id"].clone();

    // Refused arrangements: a person or agency not of the partnership, nobody invited, a
    // malformed time.
    let refusals: &[(Value, &str)] = &[
        (
            json!({"action": "arrange-meeting", "held_at": "2026-11-25T14:30", "invited_people": ["no-such-person"]}),
            "people of the partnership",
        ),
        (
            json!({"action": "arrange-meeting", "held_at": "2026-11-25T14:30", "invited_people": [receiving_officer], "invited_agencies": ["no-such-agency"]}),
            "agencies of the partnership",
        ),
        (
            json!({"action": "arrange-meeting", "held_at": "2026-11-25T14:30", "invited_people": []}),
            "at least one person",
        ),
        (
            json!({"action": "arrange-meeting", "held_at": "25/11/2026 2pm", "invited_people": [receiving_officer]}),
            "date and time",
        ),
    ];
    for (body, words) in refusals {
        let r = c.act(&h, &team, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            excerpt(&r.body)
        );
        assert!(r.body.contains(words), "{body}: {}", r.body);
    }

    // Arranged ahead: Wednesday 25 November at 2.30pm.
    let r = c
        .act(
            &h,
            &team,
            json!({
                "action": "arrange-meeting",
                "held_at": "2026-11-25T14:30",
                "chair": raiser_id,
                "invited_people": [receiving_officer],
                "invited_agencies": [agency],
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let m = &r.json()["meetings"][0];
    assert_eq!(m["number"], 1);
    assert_eq!(m["recorded"], false);
    assert_eq!(m["held_at_text"], "Wednesday 25 November 2026 at 2:30pm");

    // The invitee sees it in My work.
    let officer = h.person(&receiving_officer).await;
    let officer_api = h.bearer_for(&officer).await;
    let work = h.get("/api/my-work", &officer_api).await.json();
    let line = work["awaiting"]
        .as_array()
        .unwrap()
        .iter()
        .chain(work["involved"].as_array().unwrap())
        .find(|l| l["id"] == json!(c.id))
        .expect("the invitee's My work lists the escalation")
        .clone();
    assert_eq!(
        line["meetings"],
        json!(["Meeting 1: Wednesday 25 November 2026 at 2:30pm"])
    );
    let page = h
        .get("/my-work", &h.session_for("officer", &officer).await.auth)
        .await;
    assert!(
        page.body.contains("You are invited: Meeting 1"),
        "{}",
        excerpt(&page.body)
    );

    // Not yet held: it cannot be recorded (the clock is Monday 23rd).
    let record = |outcome: &str| {
        json!({
            "action": "record-meeting",
            "meeting": 1,
            "attended_people": [receiving_officer],
            "outcome": outcome,
            "actions": "Both agencies to write to the family's GP.",
        })
    };
    let r = c.act(&h, &c.raiser, record("Agreed a plan.")).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(r.body.contains("once it has been held"), "{}", r.body);

    // A meeting held this morning is arranged and recorded afterwards.
    let r = c
        .act(
            &h,
            &team,
            json!({"action": "arrange-meeting", "held_at": "2026-11-23T09:00", "invited_people": [receiving_officer]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let mut named = record(&format!("{CHILD} is to be assessed."));
    named["meeting"] = json!(2);
    let r = c.act(&h, &c.raiser, named).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(!r.body.contains(CHILD), "the refusal repeats the name");
    let mut ok = record("An assessment is to be made.");
    ok["meeting"] = json!(2);
    let r = c.act(&h, &c.raiser, ok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let m = &r.json()["meetings"][1];
    assert_eq!(m["recorded"], true);
    assert_eq!(m["outcome"], "An assessment is to be made.");
    assert_eq!(m["attended_people"][0], officer.name.as_str());

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
        "Meeting 1 arranged at stage 4, for Wednesday 25 November 2026 at 2:30pm",
        "Meeting 2 recorded",
    ] {
        assert!(titles.contains(&want), "{want} not in {titles:?}");
    }
}

#[tokio::test]
async fn a_meeting_is_arranged_on_the_page() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 1).await;
    let v = c.view(&h, &c.raiser).await.json();
    let raiser = h.person(v["raised_by"]["id"].as_str().unwrap()).await;
    let user = h.session_for("raiser", &raiser).await;
    let form = h
        .get(
            &format!("/escalations/{}/arrange-meeting", c.id),
            &user.auth,
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", excerpt(&form.body));
    assert!(form.body.contains("name=\"invited-people\""));
    assert!(form.body.contains("name=\"held-at-day\""));
    let version = v["version"].to_string();
    let path = format!("/escalations/{}/arrange-meeting", c.id);
    let when = [
        ("held-at-day", "1"),
        ("held-at-month", "12"),
        ("held-at-year", "2026"),
        ("held-at-hour", "9"),
        ("held-at-minute", "15"),
    ];
    // Nobody invited: the form says so.
    let mut fields = vec![("version", version.as_str())];
    fields.extend_from_slice(&when);
    let r = h.post_form(&path, &user.auth, &fields).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(r.body.contains("Select at least one person invited"));
    // A date that is not one.
    let mut bad = vec![
        ("version", version.as_str()),
        ("invited-people", raiser.id.as_str()),
    ];
    bad.extend_from_slice(&[
        ("held-at-day", "31"),
        ("held-at-month", "2"),
        ("held-at-year", "2026"),
        ("held-at-hour", "9"),
        ("held-at-minute", "0"),
    ]);
    let r = h.post_form(&path, &user.auth, &bad).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    // Two people invited, checkboxes repeated.
    let other = v["current_stage"]["leads"][0]["officers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fields.push(("invited-people", raiser.id.as_str()));
    fields.push(("invited-people", other.as_str()));
    let r = h.post_form(&path, &user.auth, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(
        v["meetings"][0]["invited_people"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        v["meetings"][0]["held_at_text"],
        "Tuesday 1 December 2026 at 9:15am"
    );
}
