//! The people of the final stages take part (issue 14, item 4), from the attacker's side: the
//! business team appoints where the procedure says, nobody else can; an appointed person sees
//! the escalation and acts at its stage, the child only where the appointment allows it;
//! someone with the same role who is not appointed sees nothing.

use axum::http::{Method, StatusCode};
use parley_store::records::{Actor, PersonInput};
use serde_json::json;

use crate::harness::*;
use crate::who_may::scene;

/// Adds a partnership person with `role` and no agency.
async fn partnership_person(h: &Harness, procedure: &str, key: &str, role: &str) -> String {
    let partnership = h.partnership_of(procedure);
    h.state
        .records
        .save_person(
            now(),
            &Actor::SYSTEM,
            &partnership,
            None,
            PersonInput {
                agency_id: None,
                name: format!("Appointee {key}"),
                email: format!("appointee.{key}@example.org"),
                job_title: "Scene".to_owned(),
                roles: vec![role.to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap()
}

async fn version(h: &Harness, id: &str) -> i64 {
    h.state.store.escalation(id).await.unwrap().unwrap().version
}

async fn appoint(h: &Harness, as_: &Auth, id: &str, role: &str, person: &str) -> Resp {
    let v = version(h, id).await;
    h.send_json(
        Method::POST,
        &format!("/api/escalations/{id}/appointments"),
        as_,
        &json!({"version": v, "role": role, "person_id": person}),
    )
    .await
}

/// Solihull stage 4: the business team allocates the independent chair. The practitioner who
/// raised it, the stage's officers, a line manager and the chair themselves cannot; nobody
/// can before stage 4; the person appointed must hold the role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_business_team_appoints_the_chair_and_nobody_else_can() {
    let h = Harness::new().await;
    let s = scene(&h, "solihull", 3).await;
    let id = &s.escalation;
    let chair = partnership_person(&h, "solihull", "chair", "independent-chair").await;
    let partnership = h.partnership_of("solihull");
    // (who, what they get from the page and the API)
    for who in ["raiser", "boss", "a4", "b4", "chair"] {
        let person_id = if who == "chair" {
            chair.clone()
        } else {
            s.people[who].clone()
        };
        let person = h.person(&person_id).await;
        let api = h.bearer_for(&person).await;
        let user = h.session_for(who, &person).await;
        // The stage's officers may bring in the child's IRO (Solihull §7), not the chair.
        let officer = who == "a4" || who == "b4";
        let want = match who {
            "chair" => StatusCode::NOT_FOUND, // not appointed yet: sees nothing
            _ => StatusCode::FORBIDDEN,
        };
        let page = h
            .get(&format!("/escalations/{id}/appoint"), &user.auth)
            .await;
        let page_want = if officer { StatusCode::OK } else { want };
        assert_eq!(page.status, page_want, "{who}: the page");
        if officer {
            assert!(
                !page.body.contains("Appointee chair"),
                "{who}: the chair listed"
            );
        }
        let r = appoint(&h, &api, id, "independent-chair", &chair).await;
        assert_eq!(r.status, want, "{who}: {}", excerpt(&r.body));
        if officer {
            assert_eq!(r.json()["code"], "not-permitted", "{who}");
        }
        let show = h.get(&format!("/escalations/{id}"), &user.auth).await;
        assert_eq!(
            show.body.contains(">Appoint</a>"),
            officer,
            "{who}: offered Appoint"
        );
    }
    assert!(
        h.state
            .store
            .escalation_appointments(id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was appointed"
    );

    let bt = h
        .person(
            &h.sign_in_of(&partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let bt_api = h.bearer_for(&bt).await;
    let bt_user = h.session_for("the business team", &bt).await;
    let show = h.get(&format!("/escalations/{id}"), &bt_user.auth).await;
    assert!(
        show.body.contains(">Appoint</a>"),
        "the business team is offered Appoint"
    );
    let page = h
        .get(&format!("/escalations/{id}/appoint"), &bt_user.auth)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Appointee chair"), "the chair is listed");
    assert!(
        !page.body.contains("Who raiser"),
        "only people holding the role are listed"
    );
    // Someone who does not hold the role, a role the procedure does not appoint.
    for (role, person) in [
        ("independent-chair", s.people["raiser"].as_str()),
        ("independent-scrutineer", chair.as_str()),
        ("independent-chair", "nobody"),
    ] {
        let r = appoint(&h, &bt_api, id, role, person).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role} {person}: {}",
            excerpt(&r.body)
        );
    }
    let r = appoint(&h, &bt_api, id, "independent-chair", &chair).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(r.json()["appointees"][0]["person_id"], chair.as_str());
    // The same person again is refused by the state machine.
    let r = appoint(&h, &bt_api, id, "independent-chair", &chair).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rows = h.state.store.escalation_appointments(id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].role.as_str(), rows[0].stage),
        ("independent-chair", 4)
    );

    // Before stage 4 the business team (which sees it from stage 2) cannot appoint.
    let early = scene(&h, "solihull", 2).await;
    let r = appoint(&h, &bt_api, &early.escalation, "independent-chair", &chair).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
}

/// Once appointed, the chair sees the escalation (the child included: Solihull's chair works
/// on the case), finds it in My work, and resolves at stage 4; withdrawing stays the raising
/// side's. Another independent chair, not appointed, sees nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointed_chair_sees_and_acts_and_another_chair_sees_nothing() {
    let h = Harness::new().await;
    let s = scene(&h, "solihull", 3).await;
    let id = &s.escalation;
    let chair = partnership_person(&h, "solihull", "chair", "independent-chair").await;
    let other = partnership_person(&h, "solihull", "other", "independent-chair").await;
    let partnership = h.partnership_of("solihull");
    let bt = h
        .person(
            &h.sign_in_of(&partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let r = appoint(
        &h,
        &h.bearer_for(&bt).await,
        id,
        "independent-chair",
        &chair,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));

    let other_row = h.person(&other).await;
    let other_api = h.bearer_for(&other_row).await;
    for path in [
        format!("/api/escalations/{id}"),
        format!("/escalations/{id}"),
    ] {
        let r = h.get(&path, &other_api).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let work = h.get("/api/my-work", &other_api).await.body;
    assert!(!work.contains(id.as_str()), "not in the other chair's work");

    let chair_row = h.person(&chair).await;
    let api = h.bearer_for(&chair_row).await;
    let user = h.session_for("the chair", &chair_row).await;
    let work = h.get("/api/my-work", &api).await.body;
    assert!(
        work.contains(id.as_str()),
        "in the chair's work: {}",
        excerpt(&work)
    );
    let page = h.get(&format!("/escalations/{id}"), &user.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">Resolve</a>"), "the chair may resolve");
    assert!(
        !page.body.contains(">Withdraw it</a>"),
        "not the chair's to withdraw"
    );
    let child = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{id}/child"),
            &api,
            &json!({}),
        )
        .await;
    assert_eq!(child.status, StatusCode::OK, "{}", excerpt(&child.body));
    assert!(child.body.contains("WHO-CHILD"));
    let v = version(&h, id).await;
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{id}/actions"),
            &api,
            &json!({"version": v, "action": "withdraw", "reason": "no"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "not-permitted");
    // Issue 14, item 2: the chair stands on neither side, so proposes no agreement (the
    // sides propose and confirm it); they may close it with the disagreement recorded.
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{id}/actions"),
            &api,
            &json!({"version": v, "action": "resolve", "outcome": "agreed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
    assert_eq!(r.json()["code"], "not-permitted");
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{id}/actions"),
            &api,
            &json!({"version": v, "action": "resolve", "outcome": "disagreement-recorded", "dissent": {
                "who": "The school",
                "why": "It still wants a home visit; the decision stands.",
                "raising_side_will": "Stay in the core group.",
                "receiving_side_will": "Review the plan in a month.",
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert_eq!(r.json()["status"], "resolved");
}

/// Sunderland's Independent Scrutineer is appointed without sight of the child: they see
/// the escalation and refer it on at step 4, but never the child's details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scrutineer_acts_without_the_child() {
    let h = Harness::new().await;
    let s = scene(&h, "sunderland", 3).await;
    let id = &s.escalation;
    let scrutineer =
        partnership_person(&h, "sunderland", "scrutineer", "independent-scrutineer").await;
    let partnership = h.partnership_of("sunderland");
    let bt = h
        .person(
            &h.sign_in_of(&partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let r = appoint(
        &h,
        &h.bearer_for(&bt).await,
        id,
        "independent-scrutineer",
        &scrutineer,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let row = h.person(&scrutineer).await;
    let api = h.bearer_for(&row).await;
    let user = h.session_for("the scrutineer", &row).await;
    let page = h.get(&format!("/escalations/{id}"), &user.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("WHO-CHILD"));
    assert!(
        page.body.contains(">Refer on</a>"),
        "the scrutineer refers on"
    );
    let view = h.get(&format!("/api/escalations/{id}"), &api).await;
    assert!(!view.body.contains("WHO-CHILD"));
    assert_eq!(view.json()["access"]["child_details"], false);
    assert!(view.json()["case"].is_null(), "no case as put");
    let child = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{id}/child"),
            &api,
            &json!({}),
        )
        .await;
    assert_eq!(child.status, StatusCode::NOT_FOUND);
    let child_page = h.get(&format!("/escalations/{id}/child"), &user.auth).await;
    assert_eq!(child_page.status, StatusCode::NOT_FOUND);
}

/// Appointing through the page: the form goes back to the escalation, which says who was
/// appointed (the browser journeys found the page silent after appointing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_appoint_page_says_who_was_appointed() {
    let h = Harness::new().await;
    let s = scene(&h, "solihull", 3).await;
    let id = &s.escalation;
    let chair = partnership_person(&h, "solihull", "chair", "independent-chair").await;
    let partnership = h.partnership_of("solihull");
    let bt = h
        .person(
            &h.sign_in_of(&partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let user = h.session_for("the business team", &bt).await;
    let v = version(&h, id).await.to_string();
    let value = format!("independent-chair:{chair}");
    let r = h
        .post_form(
            &format!("/escalations/{id}/appoint"),
            &user.auth,
            &[("version", v.as_str()), ("appointee", value.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let back = r.location().unwrap().to_owned();
    assert_eq!(back, format!("/escalations/{id}?done=appointed"));
    let page = h.get(&back, &user.auth).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Appointee chair was appointed to this escalation: Independent chair"),
        "no confirmation after appointing: {}",
        excerpt(&page.body)
    );
    // Without an appointment to speak of, the page still confirms, naming nobody.
    let other = scene(&h, "solihull", 2).await;
    let page = h
        .get(
            &format!("/escalations/{}?done=appointed", other.escalation),
            &user.auth,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("The appointment was made"));
}

/// The demo declares the access roles a second time: the two lists are the same.
#[test]
fn the_demo_knows_every_access_role() {
    assert_eq!(parley_demo::ROLES, parley_web::access::ROLES);
}

/// The other appointments of the built-in procedures (issue 14, item 4): Solihull's Delegated
/// Safeguarding Partner at stage 4 (appointed by the business team, no child; the DSP
/// "instigate[s] the stage 4 meeting", so may allocate its independent chair), Solihull's
/// Independent Reviewing Officer at stage 1 (§7, brought in by the stage's leads, the child
/// included) and Buckinghamshire's Child Protection Reviewing Service Manager at stage 2
/// (2.4.16, alerted by the stage's leads, the child included). Before the appointment the
/// person sees nothing; after it, the escalation, in My work, and the child only where the
/// file allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_appointment_sees_what_the_procedure_allows() {
    let h = Harness::new().await;
    // (procedure, escalated, role, who appoints: a scene key or "bt", sees the child)
    let table = [
        ("solihull", 3, "delegated-safeguarding-partner", "bt", false),
        ("solihull", 0, "independent-reviewing-officer", "a1", true),
        (
            "buckinghamshire",
            1,
            "cp-reviewing-service-manager",
            "a2",
            true,
        ),
    ];
    for (procedure, escalated, role, by, child) in table {
        let s = scene(&h, procedure, escalated).await;
        let id = &s.escalation;
        let key = format!("{procedure}-{role}");
        let appointee = partnership_person(&h, procedure, &key, role).await;
        let row = h.person(&appointee).await;
        let api = h.bearer_for(&row).await;
        let r = h.get(&format!("/api/escalations/{id}"), &api).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{key}: seen before");

        let appointer = if by == "bt" {
            let partnership = h.partnership_of(procedure);
            h.person(
                &h.sign_in_of(&partnership, "partnership-business-team")
                    .person_id,
            )
            .await
        } else {
            h.person(&s.people[by]).await
        };
        let r = appoint(&h, &h.bearer_for(&appointer).await, id, role, &appointee).await;
        assert_eq!(r.status, StatusCode::OK, "{key}: {}", excerpt(&r.body));

        let view = h.get(&format!("/api/escalations/{id}"), &api).await;
        assert_eq!(
            view.status,
            StatusCode::OK,
            "{key}: {}",
            excerpt(&view.body)
        );
        assert_eq!(view.json()["access"]["child_details"], child, "{key}");
        let work = h.get("/api/my-work", &api).await.body;
        assert!(work.contains(id.as_str()), "{key}: not in My work");
        let read = h
            .send_json(
                Method::POST,
                &format!("/api/escalations/{id}/child"),
                &api,
                &json!({}),
            )
            .await;
        if child {
            assert_eq!(
                read.status,
                StatusCode::OK,
                "{key}: {}",
                excerpt(&read.body)
            );
            assert!(read.body.contains("WHO-CHILD"), "{key}");
        } else {
            assert_eq!(read.status, StatusCode::NOT_FOUND, "{key}");
            assert!(!view.body.contains("WHO-CHILD"), "{key}");
        }
        if role == "delegated-safeguarding-partner" {
            let chair = partnership_person(&h, procedure, "dsp-chair", "independent-chair").await;
            let r = appoint(&h, &api, id, "independent-chair", &chair).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "the DSP allocates the chair: {}",
                excerpt(&r.body)
            );
        }
    }
}
