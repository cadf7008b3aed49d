//! The partnership form (Croydon Appendix A: "submitted at Stage 3 and subsequently updated if
//! Stage 4 and 5 are used. Do not include details of any child or family"), through the API and
//! the pages: sent by the raising agency's officers from stage 3, never naming the child, read
//! by the business team, and its last section requesting the CSCB-led dispute resolution
//! meeting, which the business team arranges at stage 5.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, Resp, excerpt};
use crate::referrals::{CHILD, Case, case};

async fn send(h: &Harness, c: &Case, who: &Auth, answers: Value) -> Resp {
    let version = c.view(h, &c.raiser).await.json()["version"].clone();
    h.send_json(
        Method::POST,
        &format!("/api/escalations/{}/partnership-form", c.id),
        who,
        &json!({"version": version, "answers": answers}),
    )
    .await
}

/// The raising agency's first named officer for the current stage.
async fn raising_officer(h: &Harness, c: &Case) -> (String, Auth) {
    let v = c.view(h, &c.raiser).await.json();
    let id = v["current_stage"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "raising")
        .unwrap()["officers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = h.bearer_for(&h.person(&id).await).await;
    (id, auth)
}

#[tokio::test]
async fn croydon_appendix_a_is_sent_from_stage_three_and_asks_for_the_meeting() {
    let h = Harness::new().await;
    let c = case(&h, "croydon", 2).await;
    // Before stage 3 it cannot be sent, and the page does not offer it.
    let v = c.view(&h, &c.raiser).await.json();
    assert_eq!(v["partnership_form"]["from_stage"], 3);
    assert!(
        v["partnership_form"]["not_yet"]
            .as_str()
            .unwrap()
            .contains("from stage 3")
    );
    let r = send(
        &h,
        &c,
        &c.raiser,
        json!({"concern": "The plan ended early."}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(r.body.contains("from stage 3"), "{}", r.body);

    let r = c.act_as_allowed(&h, json!({"action": "escalate"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    // Appendix A is completed by the raising agency's operational manager or safeguarding
    // lead, not the practitioner.
    let r = send(
        &h,
        &c,
        &c.raiser,
        json!({"concern": "The plan ended early."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    assert_eq!(r.json()["code"], "not-permitted");
    let (_, officer) = raising_officer(&h, &c).await;

    // Refused: the child named, a field the form does not have, nothing at all.
    let refusals: &[(Value, &str)] = &[
        (
            json!({"concern": format!("{CHILD} was not assessed.")}),
            "must not identify the child",
        ),
        (json!({"child-name": "x"}), "has no field"),
        (
            json!({"concern": "  ", "outcome": ""}),
            "at least one answer",
        ),
    ];
    for (answers, words) in refusals {
        let r = send(&h, &c, &officer, answers.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{answers}: {}",
            excerpt(&r.body)
        );
        assert!(r.body.contains(words), "{answers}: {}", r.body);
        assert!(
            !r.body.contains(CHILD),
            "{answers}: the refusal repeats the name"
        );
    }
    let r = send(
        &h,
        &c,
        &officer,
        json!({"name": "Sam Okafor", "role": "Operational manager", "concern": "The referral was closed without an assessment.", "outcome": "Not resolved at stage 3."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let f = &r.json()["partnership_form"];
    assert_eq!(f["sent"].as_array().unwrap().len(), 1);
    assert_eq!(f["meeting_requested"], false);

    // The business team, who see it from stage 3 without the child, read the form.
    let team = h
        .bearer_for(
            &h.person(
                &h.sign_in_of(&c.partnership, "partnership-business-team")
                    .person_id,
            )
            .await,
        )
        .await;
    let seen = c.view(&h, &team).await.json();
    let answers = &seen["partnership_form"]["fields"];
    let concern = answers
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "concern")
        .unwrap();
    assert_eq!(
        concern["text"],
        "The referral was closed without an assessment."
    );
    assert_eq!(seen["partnership_form"]["can_send"], false);
    let history = h
        .get(&format!("/api/escalations/{}/history", c.id), &team)
        .await;
    assert!(
        history.body.contains("Sent at stage 3: Escalation notification to Croydon Safeguarding Children Board (Appendix A)"),
        "{}",
        excerpt(&history.body)
    );

    // Updated at stage 5 with the request for a CSCB-led dispute resolution meeting.
    for _ in 0..2 {
        let r = c.act_as_allowed(&h, json!({"action": "escalate"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    }
    let (_, officer) = raising_officer(&h, &c).await;
    let r = send(
        &h,
        &c,
        &officer,
        json!({"outcome": "Unresolved at stage 5.", "dispute-resolution-request": "Both agencies ask for a CSCB-led meeting."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(r.json()["partnership_form"]["meeting_requested"], true);
    let page = h.get(&format!("/escalations/{}", c.id), &team).await;
    assert!(
        page.body.contains("id=\"meeting-requested\""),
        "{}",
        excerpt(&page.body)
    );
    // The business team arranges it: stage 5 holds the CSCB-led dispute resolution meeting.
    let invited = c.view(&h, &c.raiser).await.json()["raised_by"]["id"].clone();
    let r = c
        .act(
            &h,
            &team,
            json!({"action": "arrange-meeting", "held_at": "2026-11-27T10:00", "invited_people": [invited]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(
        r.json()["stage_meeting"]["title"],
        "CSCB-led dispute resolution meeting"
    );
}

#[tokio::test]
async fn the_form_page_keeps_what_was_typed_and_sends_it() {
    let h = Harness::new().await;
    let c = case(&h, "croydon", 3).await;
    let (id, _) = raising_officer(&h, &c).await;
    let user = h.session_for("officer", &h.person(&id).await).await;
    let path = format!("/escalations/{}/partnership-form", c.id);
    let form = h.get(&path, &user.auth).await;
    assert_eq!(form.status, StatusCode::OK, "{}", excerpt(&form.body));
    assert!(
        form.body
            .contains("name=\"answer-dispute-resolution-request\"")
    );
    assert!(
        form.body
            .contains("The partnership reads this, so do not name the child or family")
    );
    // Every box carries the hint beside it (issue 13, item 3), not only the page's warning.
    let boxes = form.body.matches("<textarea").count();
    assert!(boxes >= 3, "{boxes} boxes");
    assert_eq!(
        form.body
            .matches("The partnership reads this, so do not name the child or family, or give their date of birth, address or case number.")
            .count(),
        boxes,
        "a box of the partnership form without the hint"
    );
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    let named = format!("{CHILD} was not assessed.");
    let r = h
        .post_form(
            &path,
            &user.auth,
            &[
                ("version", &version),
                ("answer-concern", &named),
                ("answer-role", "Operational manager"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        excerpt(&r.body)
    );
    assert!(
        r.body.contains("href=\"#answer-concern\""),
        "{}",
        excerpt(&r.body)
    );
    assert!(
        r.body.contains("Operational manager"),
        "what was typed is lost"
    );
    let r = h
        .post_form(
            &path,
            &user.auth,
            &[
                ("version", &version),
                ("answer-concern", "No assessment was made."),
                ("answer-role", "Operational manager"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let page = h
        .get(
            &format!("/escalations/{}?done=partnership-form-sent", c.id),
            &user.auth,
        )
        .await;
    assert!(
        page.body.contains("(Appendix A) was sent"),
        "{}",
        excerpt(&page.body)
    );
    assert!(page.body.contains("No assessment was made."));
    // Filled in again with what was sent.
    let form = h.get(&path, &user.auth).await;
    assert!(form.body.contains("No assessment was made."));
}

#[tokio::test]
async fn procedures_without_a_form_have_no_form_page() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 2).await;
    let r = send(&h, &c, &c.raiser, json!({"concern": "x"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", excerpt(&r.body));
    assert_eq!(
        c.view(&h, &c.raiser).await.json()["partnership_form"],
        Value::Null
    );
}

/// Issue 13, item 3, for the form that goes to the partnership: the child named in any
/// disguise (parts of the name, invisible characters, look-alike letters, full-width letters,
/// the date of birth as people write it) is refused in every box, by name of the box, and
/// nothing is sent.
#[tokio::test]
async fn the_child_in_any_disguise_is_refused_in_every_box() {
    let h = Harness::new().await;
    let c = case(&h, "croydon", 3).await;
    let (_, officer) = raising_officer(&h, &c).await;
    let form = c.view(&h, &c.raiser).await.json()["partnership_form"].clone();
    let fields: Vec<String> = form["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {form}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(fields.len() >= 3, "{form}");
    // The child of `referrals::case`: Morgan Pennington-Vale, born 2 March 2015.
    let disguises = [
        "Morgan was not seen",
        "the PENNINGTON-VALE family",
        "Pennington Vale household",
        "Mor\u{200B}gan attended",
        "Mor\u{00AD}gan attended",
        "M-o-r-g-a-n attended",
        "\u{041C}organ attended",
        "Penningt\u{043E}n-Vale family",
        "\u{FF2D}\u{FF4F}\u{FF52}\u{FF47}\u{FF41}\u{FF4E} attended",
        "Mórgan attended",
        "born 2/3/2015",
        "born 02.03.15",
        "born 2 March 2015",
        "born March 2, 2015",
        "born 2015-03-02",
    ];
    let mut problems = Vec::new();
    for field in &fields {
        for text in disguises {
            let r = send(&h, &c, &officer, json!({ field.as_str(): text })).await;
            if r.status != StatusCode::UNPROCESSABLE_ENTITY
                || !r.body.contains("must not identify the child")
            {
                problems.push(format!(
                    "{field} {text:?}: {} {}",
                    r.status,
                    excerpt(&r.body)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} texts naming the child were not refused:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
    let v = c.view(&h, &c.raiser).await.json();
    assert!(
        v["partnership_form"]["sent"].as_array().unwrap().is_empty(),
        "something was sent: {}",
        v["partnership_form"]
    );
}
