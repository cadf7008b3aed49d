//! Issue 15: the inbox, as people and programs use it. The header's unread count on every
//! page (kept pages included), the notifications page and its API (newest first, 20 a page,
//! marking one or all read, nobody reaching another's), the child's details only where the
//! person may see the child anyway, the e-mail setting, "who was told what, when" on the
//! escalation, and the administrators' deliveries with Retry.

use std::collections::BTreeSet;

use axum::http::Method;
use parley_store::notify::{Delivery, DeliveryFilter, MailState};
use parley_store::rows::PersonRow;
use serde_json::json;

use crate::harness::*;

/// The unread count the header shows ("Notifications (3 unread)"), 0 when it shows none.
fn header_count(html: &str) -> u64 {
    let nav = html
        .find("govuk-service-navigation__list")
        .and_then(|at| {
            let end = at + html[at..].find("</ul>")?;
            Some(&html[at..end])
        })
        .unwrap_or_else(|| panic!("no service navigation: {}", excerpt(html)));
    assert!(
        nav.contains("notifications\""),
        "no Notifications link in the header: {nav}"
    );
    match nav.find("Notifications (") {
        Some(i) => nav[i + "Notifications (".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap(),
        None => 0,
    }
}

/// Every one of a person's notifications, newest first, from the store.
async fn all_of(h: &Harness, person: &str) -> Vec<Delivery> {
    h.state.records.inbox(person, 1, 100_000).await.unwrap().0
}

/// Raises a child's escalation (the child's status `status`) in the partnership running
/// `procedure`, now, as its demo practitioner, with another agency; its id.
async fn raise(h: &Harness, procedure: &str, status: &str) -> String {
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
    h.state
        .records
        .raise(
            now(),
            &parley_store::records::Actor::person(&raiser.id),
            &partnership,
            parley_store::records::RaiseInput {
                route: "individual".to_owned(),
                child_status: Some(status.to_owned()),
                child: Some(parley_store::payload::ChildDetails {
                    name: "INBOX-CHILD".to_owned(),
                    date_of_birth: None,
                    identifier: None,
                }),
                category,
                raised_by: raiser.id.clone(),
                raising_agency_id: agency,
                receiving_agency_id: other.id,
                receiving_person_id: None,
                summary: "A plan that needs a second look".to_owned(),
                decision: "The decision.".to_owned(),
                evidence: "The evidence.".to_owned(),
                outcome_wanted: "Another decision.".to_owned(),
                decided_on: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// The person of the partnership with the most notifications, and them.
async fn busiest(h: &Harness, procedure: &str) -> (PersonRow, Vec<Delivery>) {
    let w = h.world(&h.partnership_of(procedure)).await;
    let mut best: Option<(PersonRow, Vec<Delivery>)> = None;
    for p in w.people.iter().filter(|p| p.active) {
        let mine = all_of(h, &p.id).await;
        if best.as_ref().is_none_or(|(_, b)| mine.len() > b.len()) {
            best = Some((p.clone(), mine));
        }
    }
    best.unwrap()
}

/// The header counts what the person has unread on every page, and a kept page is never
/// served with a count that has moved: a new notification (resolved from the outbox with no
/// change to the chain) shows on the next view of My work and of the escalation, with who
/// was told on the escalation's page; following it from the inbox marks it read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_notification_shows_on_the_next_page_view() {
    let h = Harness::new().await;
    let c = crate::cap::case(&h, "solihull", NOW, &[]).await;
    let e = h.state.store.escalation(&c.id).await.unwrap().unwrap();
    // Solihull tells the stage leads as a stage begins: the receiving agency's stage 1
    // officer is one of them.
    let officer = h
        .state
        .store
        .named_officers(&c.partnership)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.stage == 1 && o.agency_id == e.receiving_agency_id)
        .expect("a stage 1 officer of the receiving agency");
    let p = h.person(&officer.person_id).await;
    let user = h.session_for("the receiving stage 1 officer", &p).await;
    let page = format!("/escalations/{}", c.id);

    let before = h.state.records.unread_count(&p.id).await.unwrap();
    let work = h.get("/my-work", &user.auth).await;
    assert_eq!(work.status, 200);
    assert_eq!(header_count(&work.body), before);
    // Kept: asked again with nothing changed, the same page.
    assert_eq!(h.get("/my-work", &user.auth).await.body, work.body);
    let shown = h.get(&page, &user.auth).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Who was told what, when"));
    assert!(
        shown
            .body
            .contains("Nobody has been told anything about it yet."),
        "{}",
        excerpt(&shown.body)
    );

    // The outbox is resolved behind the pages' back: no event, the chain does not move.
    let heads = h.state.store.chain_heads().await.unwrap();
    assert!(h.state.records.resolve_outbox(now()).await.unwrap() > 0);
    assert_eq!(h.state.store.chain_heads().await.unwrap(), heads);
    let mine: Vec<Delivery> = h
        .state
        .records
        .escalation_deliveries(&c.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.person_id.as_deref() == Some(p.id.as_str()))
        .collect();
    assert!(!mine.is_empty(), "the officer was not told");
    let after = h.state.records.unread_count(&p.id).await.unwrap();
    assert_eq!(after, before + mine.len() as u64);

    let work = h.get("/my-work", &user.auth).await;
    assert_eq!(
        header_count(&work.body),
        after,
        "My work kept the old count"
    );
    let shown = h.get(&page, &user.auth).await;
    assert_eq!(
        header_count(&shown.body),
        after,
        "the escalation kept the old count"
    );
    assert!(
        !shown
            .body
            .contains("Nobody has been told anything about it yet."),
        "the escalation page kept the old list of who was told"
    );
    let told = &shown.body[shown.body.find("id=\"told\"").unwrap()..];
    assert!(told.contains(&p.name), "{}", excerpt(told));
    assert!(told.contains("Not read yet"));
    assert!(told.contains("Stage 1 began"));

    // The inbox has it first, unread, saying what happened and linking to it.
    let inbox = h.get("/notifications", &user.auth).await;
    assert_eq!(inbox.status, 200);
    assert_eq!(header_count(&inbox.body), after);
    let newest = &mine[0];
    let entry = &inbox.body[inbox
        .body
        .find(&format!("id=\"notification-{}\"", newest.id))
        .expect("the new notification is listed")..];
    assert!(entry.contains("Unread"));
    assert!(entry.contains(&e.reference));
    assert!(entry.contains("Stage 1 began"));
    assert!(entry.contains("What is needed"));

    // Following it marks it read and opens the escalation.
    let r = h
        .get(&format!("/notifications/{}", newest.id), &user.auth)
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some(page.as_str()));
    assert_eq!(
        h.state.records.unread_count(&p.id).await.unwrap(),
        after - 1
    );
    let work = h.get("/my-work", &user.auth).await;
    assert_eq!(header_count(&work.body), after - 1);
    let shown = h.get(&page, &user.auth).await;
    let told = &shown.body[shown.body.find("id=\"told\"").unwrap()..];
    assert!(told.contains("Read "), "{}", excerpt(told));
}

/// One at a time and all at once, with the form's token (a form without it changes
/// nothing), and the API's twins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_marked_read_one_at_a_time_or_all_at_once() {
    let h = Harness::new().await;
    let (p, mine) = busiest(&h, "solihull").await;
    let unread: Vec<&Delivery> = mine.iter().filter(|d| d.read_at_us.is_none()).collect();
    assert!(
        unread.len() >= 3,
        "{} has only {} unread",
        p.name,
        unread.len()
    );
    let user = h.session_for("the busiest person", &p).await;
    let count = || async { h.state.records.unread_count(&p.id).await.unwrap() };
    let start = count().await;

    // Without the form's token: refused, nothing marked.
    let r = h
        .post_raw_form(
            &format!("/notifications/{}/read", unread[0].id),
            &user.auth,
            &[("page", "1")],
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(count().await, start);

    let r = h
        .post_form(
            &format!("/notifications/{}/read", unread[0].id),
            &user.auth,
            &[("page", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", excerpt(&r.body));
    assert_eq!(count().await, start - 1);
    let page = h.get(r.location().unwrap(), &user.auth).await;
    assert!(page.body.contains("Notification marked as read"));
    assert_eq!(header_count(&page.body), start - 1);
    // Marked twice: as it was.
    let again = h
        .post_form(
            &format!("/notifications/{}/read", unread[0].id),
            &user.auth,
            &[],
        )
        .await;
    assert_eq!(again.status, 303);
    assert_eq!(count().await, start - 1);

    // The API: one, then all.
    let api = h.bearer_for(&p).await;
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/notifications/{}/read", unread[1].id),
            &api,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["unread"], json!(start - 2));
    assert_eq!(r.json()["id"], json!(unread[1].id));
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/notifications/{}/read", unread[1].id),
            &api,
            &json!({"x": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "a body is refused: {}", r.body);

    let r = h
        .post_form("/notifications/read-all", &user.auth, &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(count().await, 0);
    let page = h.get(r.location().unwrap(), &user.auth).await;
    assert!(
        page.body
            .contains("All your notifications are marked as read")
    );
    assert!(page.body.contains("You have no unread notifications."));
    assert_eq!(header_count(&page.body), 0);
    assert!(!page.body.contains("Mark all as read"));
    let r = h
        .send_json(
            Method::POST,
            "/api/notifications/read-all",
            &api,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"marked": 0, "unread": 0}));
}

/// Another person's notification is a 404 to everyone but its recipient, by page and API,
/// and stays unread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_sees_or_marks_another_persons_notification() {
    let h = Harness::new().await;
    let (p, mine) = busiest(&h, "dorset").await;
    let theirs = mine
        .iter()
        .find(|d| d.read_at_us.is_none())
        .expect("an unread notification");
    let pid = h.partnership_of("dorset");
    let others = [
        h.person(&h.sign_in_of(&pid, "administrator").person_id)
            .await,
        h.person(&h.sign_in_of(&pid, "partnership-business-team").person_id)
            .await,
        h.person(
            &h.sign_in_of(&h.partnership_of("croydon"), "administrator")
                .person_id,
        )
        .await,
    ];
    for other in others.iter().filter(|o| o.id != p.id) {
        let user = h.session_for("someone else", other).await;
        let api = h.bearer_for(other).await;
        for r in [
            h.get(&format!("/notifications/{}", theirs.id), &user.auth)
                .await,
            h.post_form(
                &format!("/notifications/{}/read", theirs.id),
                &user.auth,
                &[],
            )
            .await,
            h.send_json(
                Method::POST,
                &format!("/api/notifications/{}/read", theirs.id),
                &api,
                &json!({}),
            )
            .await,
        ] {
            assert_eq!(
                r.status, 404,
                "{} reached {}'s notification",
                other.name, p.name
            );
        }
        let listed = h.get("/api/notifications", &api).await.json();
        assert!(
            listed["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["id"] != json!(theirs.id))
        );
    }
    let now = h.state.records.delivery(&theirs.id).await.unwrap().unwrap();
    assert_eq!(now.read_at_us, None);
}

/// Newest first, 20 a page, every notification once; past the last page, the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_is_newest_first_twenty_a_page() {
    let h = Harness::new().await;
    let (p, mine) = busiest(&h, "croydon").await;
    let api = h.bearer_for(&p).await;
    let mut listed = Vec::new();
    let mut page = 1;
    loop {
        let v = h
            .get(&format!("/api/notifications?page={page}"), &api)
            .await
            .json();
        let n = v["notifications"].as_array().unwrap();
        assert!(n.len() <= 20);
        listed.extend(n.iter().map(|n| {
            (
                n["arrived_at_us"].as_i64().unwrap(),
                n["id"].as_str().unwrap().to_owned(),
            )
        }));
        assert_eq!(v["pagination"]["total"], json!(mine.len()));
        if page >= v["pagination"]["pages"].as_i64().unwrap() {
            break;
        }
        page += 1;
    }
    let ids: Vec<&str> = listed.iter().map(|(_, id)| id.as_str()).collect();
    let want: Vec<&str> = mine.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids, want,
        "not every notification once, in the store's order"
    );
    assert!(
        listed.windows(2).all(|w| w[0].0 >= w[1].0),
        "not newest first"
    );
    if mine.len() > 20 {
        let user = h.session_for("the busiest person", &p).await;
        let last = h.get("/notifications?page=999", &user.auth).await;
        assert_eq!(last.status, 200);
        assert!(last.body.contains("Pages of notifications"));
        assert!(
            last.body
                .contains(&format!("notification-{}", mine.last().unwrap().id))
        );
    }
    let r = h.get("/api/notifications?pages=2", &api).await;
    assert_eq!(r.status, 422, "an unknown parameter is refused");
}

/// Issue 15, item 3: the child's details appear only where the person may see the child
/// anyway, by the escalation page's own rule, never from the notification's flag alone;
/// and the escalation is linked exactly where the person may see it. Every person of every
/// demo partnership, every notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_child_only_where_the_person_sees_the_child_anyway() {
    let h = Harness::new().await;
    // A notification that may carry the child, to someone who may not see it: Solihull §7
    // tells the child's Independent Reviewing Officer when a child on a protection plan is
    // escalated; with nobody appointed to the escalation, everyone holding the role is told,
    // and none of them sees the escalation.
    let solihull = h.partnership_of("solihull");
    let iro = h
        .state
        .records
        .save_person(
            now(),
            &parley_store::records::Actor::SYSTEM,
            &solihull,
            None,
            parley_store::records::PersonInput {
                agency_id: None,
                name: "Indra Reviewing".to_owned(),
                email: "iro.notifications@solihull.example.org".to_owned(),
                job_title: "Independent Reviewing Officer".to_owned(),
                roles: vec!["independent-reviewing-officer".to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let c = raise(&h, "solihull", "child-protection-plan").await;
    h.state.records.resolve_outbox(now()).await.unwrap();
    let to_iro = h
        .state
        .records
        .escalation_deliveries(&c)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.person_id.as_deref() == Some(iro.as_str()))
        .expect("the Independent Reviewing Officer was not told");
    assert!(to_iro.child_details);
    let mut problems = Vec::new();
    let (mut offered, mut flag_only) = (0, 0);
    for part in &h.summary.partnerships {
        let w = h.world(&part.id).await;
        for p in w.people.iter().filter(|p| p.active) {
            let mine = all_of(&h, &p.id).await;
            if mine.is_empty() {
                continue;
            }
            let api = h.bearer_for(p).await;
            let v = h.get("/api/notifications?page=1", &api).await.json();
            for n in v["notifications"].as_array().unwrap() {
                let d = mine.iter().find(|d| n["id"] == json!(d.id)).unwrap();
                let e = d.escalation_id.as_deref().map(|id| w.escalation(id));
                let sees = e.and_then(|e| w.sees(p, e));
                let child = d.child_details
                    && e.is_some_and(|e| e.subject == "child")
                    && sees.is_some_and(|s| s.child_details);
                if d.child_details && !child {
                    flag_only += 1;
                }
                offered += usize::from(child);
                if n["child_href"].is_null() == child {
                    problems.push(format!(
                        "{} ({}): {} offers the child {}, the rule says {child}",
                        p.name,
                        p.roles.join(","),
                        d.id,
                        n["child_href"]
                    ));
                }
                // A report's reminder (issue 17) is about no escalation: it opens the report.
                let linked = match d.reason {
                    parley_core::escalation::Reason::ReportDue { .. } => true,
                    _ => sees.is_some(),
                };
                if n["open_href"].is_null() == linked {
                    problems.push(format!(
                        "{}: {} links the escalation {}, the rule says {linked}",
                        p.name, d.id, n["open_href"],
                    ));
                }
            }
        }
    }
    assert!(offered > 0, "nobody is offered a child's details");
    assert!(
        flag_only > 0,
        "no notification that may carry the child went to someone who may not see it"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One e-mail per notification or a daily summary, by page and API; the API refuses a mode
/// it does not know, with the one problem shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_chooses_how_they_get_email() {
    let h = Harness::new().await;
    let pid = h.partnership_of("sunderland");
    let p = h
        .person(&h.sign_in_of(&pid, "practitioner").person_id)
        .await;
    let user = h.session_for("a practitioner", &p).await;
    let api = h.bearer_for(&p).await;
    let page = h.get("/account/notifications", &user.auth).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&p.email));
    assert!(
        page.body.contains(r#"value="each" checked"#),
        "{}",
        excerpt(&page.body)
    );
    assert_eq!(
        h.get("/api/account/notifications", &api).await.json()["mode"],
        json!("each")
    );
    let r = h
        .post_form("/account/notifications", &user.auth, &[("mode", "daily")])
        .await;
    assert_eq!(r.status, 303);
    let page = h.get(r.location().unwrap(), &user.auth).await;
    assert!(page.body.contains("Saved: you get a daily summary"));
    assert!(page.body.contains(r#"value="daily" checked"#));
    assert_eq!(
        h.get("/api/account/notifications", &api).await.json()["mode"],
        json!("daily")
    );
    for (body, field, code) in [
        (json!({"mode": "weekly"}), "mode", None),
        (json!({"mode": 1}), "mode", Some("wrong-type")),
        (
            json!({"mode": "each", "when": "now"}),
            "when",
            Some("unknown-field"),
        ),
        (json!({}), "mode", Some("missing-field")),
    ] {
        let r = h
            .send_json(Method::PUT, "/api/account/notifications", &api, &body)
            .await;
        assert_eq!(r.status, 422, "{body}");
        let v = r.json();
        assert_eq!(v["code"], json!("invalid"));
        assert_eq!(v["errors"][0]["field"], json!(field), "{v}");
        assert_eq!(v["errors"][0]["code"], json!(code), "{v}");
    }
    let r = h
        .send_json(
            Method::PUT,
            "/api/account/notifications",
            &api,
            &json!({"mode": "each"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["mode"], json!("each"));
    // Someone else's setting is their own.
    let other = h.person(&h.sign_in_of(&pid, "manager").person_id).await;
    assert_eq!(
        h.state.records.mail_mode(&other.id).await.unwrap(),
        parley_store::notify::MailMode::Each
    );
}

/// The administrators' page lists the partnership's deliveries with their state; a failed
/// one says why and can be sent again (once: then it waits), by page and API; another
/// partnership's is a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_see_deliveries_and_send_failed_ones_again() {
    let h = Harness::new().await;
    let pid = h.partnership_of("solihull");
    let admin = h
        .person(&h.sign_in_of(&pid, "administrator").person_id)
        .await;
    let user = h.session_for("the administrator", &admin).await;
    let api = h.bearer_for(&admin).await;

    // One delivery fails for good: leased and refused by the (pretend) server.
    let leased = h
        .state
        .records
        .lease_mail(
            now(),
            "test",
            std::time::Duration::from_secs(60),
            1,
            std::slice::from_ref(&pid),
        )
        .await
        .unwrap();
    let failed = leased
        .first()
        .expect("a delivery waiting to be sent")
        .clone();
    h.state
        .records
        .mail_failed(&failed.id, "test", now(), "550 mailbox unavailable", None)
        .await
        .unwrap();

    let page = h
        .get("/admin/notifications?filter=failed", &user.auth)
        .await;
    assert_eq!(page.status, 200);
    let row = &page.body[page
        .body
        .find(&format!("id=\"delivery-{}\"", failed.id))
        .expect("the failed delivery is listed")..];
    assert!(row.contains("550 mailbox unavailable"));
    assert!(row.contains("Failed"));
    assert!(row.contains(">Retry<"));
    // Undeliverable ones say who was looked for.
    let (undeliverable, _) = h
        .state
        .records
        .deliveries(&pid, DeliveryFilter::Failed, 1, 1000)
        .await
        .unwrap();
    for d in undeliverable
        .iter()
        .filter(|d| d.mail == MailState::Undeliverable)
        .take(3)
    {
        let why = d
            .last_error
            .as_deref()
            .expect("an undeliverable one says why");
        assert!(page.body.contains(why) || undeliverable.len() > 25);
    }

    let r = h
        .post_form(
            &format!("/admin/notifications/{}/retry", failed.id),
            &user.auth,
            &[("filter", "failed")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = h.get(r.location().unwrap(), &user.auth).await;
    assert!(page.body.contains("will be sent again"));
    let now_state = h.state.records.delivery(&failed.id).await.unwrap().unwrap();
    assert_eq!(now_state.mail, MailState::Pending);
    // Again: nothing to send again.
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/admin/notifications/{}/retry", failed.id),
            &api,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    let v = h
        .get("/api/admin/notifications?filter=pending", &api)
        .await
        .json();
    assert!(
        v["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["mail"] == json!("pending"))
    );
    let r = h.get("/api/admin/notifications?filter=lost", &api).await;
    assert_eq!(r.status, 422);

    // Another partnership's administrator: a 404, and nothing changes.
    let other = h
        .person(
            &h.sign_in_of(&h.partnership_of("croydon"), "administrator")
                .person_id,
        )
        .await;
    let theirs = h.bearer_for(&other).await;
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/admin/notifications/{}/retry", failed.id),
            &theirs,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    let listed: BTreeSet<String> =
        h.get("/api/admin/notifications", &theirs).await.json()["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect();
    assert!(!listed.contains(&failed.id));
}

/// The business team sees who was told what about an escalation it sees, and the API says
/// the same; someone who may not see the escalation gets a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_was_told_is_shown_to_those_who_see_the_escalation() {
    let h = Harness::new().await;
    let pid = h.partnership_of("solihull");
    let w = h.world(&pid).await;
    let bt = h
        .person(&h.sign_in_of(&pid, "partnership-business-team").person_id)
        .await;
    let e = w
        .escalations
        .iter()
        .filter(|e| w.sees(&bt, e).is_some())
        .max_by_key(|e| e.current_stage)
        .expect("an escalation the business team sees");
    let told = h.state.records.escalation_deliveries(&e.id).await.unwrap();
    assert!(!told.is_empty());
    let user = h.session_for("the business team", &bt).await;
    let page = h.get(&format!("/escalations/{}", e.id), &user.auth).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Who was told what, when"));
    let api = h.bearer_for(&bt).await;
    let v = h
        .get(&format!("/api/escalations/{}/notifications", e.id), &api)
        .await
        .json();
    assert_eq!(v["deliveries"].as_array().unwrap().len(), told.len());
    let outsider = w
        .people
        .iter()
        .find(|p| p.roles == ["practitioner"] && w.sees(p, e).is_none())
        .unwrap();
    let api = h.bearer_for(outsider).await;
    let r = h
        .get(&format!("/api/escalations/{}/notifications", e.id), &api)
        .await;
    assert_eq!(r.status, 404);
}

/// Issue 14, item 9 ("keep the words true to what is built"): since notices reach the inbox
/// and e-mail, no page may still tell people that Parley sends nothing and that they must
/// pass the word on themselves. For every built-in procedure, the procedure page's "Who is
/// told" section and the administrators' named-officers page say where notices go.
#[tokio::test]
async fn the_pages_say_where_notices_go() {
    let h = Harness::new().await;
    for procedure in [
        "solihull",
        "croydon",
        "dorset",
        "sunderland",
        "buckinghamshire",
    ] {
        let pid = h.partnership_of(procedure);
        let admin = h
            .person(&h.sign_in_of(&pid, "administrator").person_id)
            .await;
        let user = h.session_for("the administrator", &admin).await;
        let page = h.get("/procedure", &user.auth).await;
        assert_eq!(page.status, 200, "{procedure}");
        let told = page
            .body
            .find("id=\"notifications\"")
            .map(|at| &page.body[at..])
            .unwrap_or_else(|| panic!("{procedure}: no \"Who is told\" section"));
        let told = &told[..told.find("</p>").expect("a paragraph")];
        assert!(
            told.contains("appears in their notifications") && told.contains("e-mail"),
            "{procedure}: {told}"
        );
        let officers = h.get("/admin/named-officers", &user.auth).await;
        assert_eq!(officers.status, 200, "{procedure}");
        assert!(
            officers
                .body
                .contains("sends them the notices the procedure calls for"),
            "{procedure}: {}",
            excerpt(&officers.body)
        );
        for (path, body) in [
            ("/procedure", &page.body),
            ("/admin/named-officers", &officers.body),
        ] {
            for untrue in [
                "sends no e-mail",
                "tell the others themselves",
                "(it sends no",
            ] {
                assert!(!body.contains(untrue), "{procedure} {path} says {untrue:?}");
            }
        }
    }
}
