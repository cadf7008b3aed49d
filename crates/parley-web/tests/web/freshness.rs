//! What the server keeps between requests (each partnership's configuration, each
//! escalation's decided state, rendered pages and work lists) is checked against the database
//! on every request: a change by anyone, through any path, shows on the next page.

use parley_core::escalation::Event;
use parley_store::records::{Actor, PersonInput};
use parley_store::rows::PersonRow;

use crate::harness::*;

/// The counts in the captions of the open tables of /my-work.
fn open_counts(html: &str) -> i64 {
    ["Awaiting your action (", "involving you or your team ("]
        .iter()
        .filter_map(|caption| {
            let at = html.find(caption)? + caption.len();
            html[at..].split(')').next()?.parse::<i64>().ok()
        })
        .sum()
}

/// A person's details as saved again, with a new name and active or not.
fn as_saved(p: &PersonRow, name: &str, active: bool) -> PersonInput {
    PersonInput {
        agency_id: p.agency_id.clone(),
        name: name.to_owned(),
        email: p.email.clone(),
        job_title: p.job_title.clone(),
        roles: p.roles.clone(),
        line_manager_id: p.line_manager_id.clone(),
        active,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_pages_follow_every_change() {
    let h = Harness::new().await;
    let pid = h.partnership_of("solihull");
    let world = h.world(&pid).await;
    let e = world
        .escalations
        .iter()
        .find(|e| e.status == "open")
        .expect("an open escalation in the demo")
        .clone();
    let raiser = h.person(&e.raised_by).await;
    let user = h.session_for("raiser", &raiser).await;
    let page = format!("/escalations/{}", e.id);

    let first = h.get(&page, &user.auth).await;
    assert_eq!(first.status, 200);
    assert!(!first.body.contains(">Withdrawn<"), "already withdrawn?");
    // Asked again with nothing changed: the same page (kept).
    assert_eq!(h.get(&page, &user.auth).await.body, first.body);
    let work_before = h.get("/my-work", &user.auth).await;
    assert_eq!(work_before.status, 200);
    assert_eq!(h.get("/my-work", &user.auth).await.body, work_before.body);

    // 1. The escalation changes behind the pages' back (straight through the records).
    h.state
        .records
        .act(
            now(),
            &Actor::person(&raiser.id),
            &e.id,
            e.version,
            &Event::Withdrawn,
            Some("checking kept pages"),
        )
        .await
        .unwrap();
    let after = h.get(&page, &user.auth).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.body, first.body);
    assert!(after.body.contains("Withdrawn"), "{}", excerpt(&after.body));
    let work_after = h.get("/my-work", &user.auth).await;
    assert_eq!(
        open_counts(&work_after.body),
        open_counts(&work_before.body) - 1,
        "the withdrawn escalation is still listed as open"
    );

    // 2. The configuration changes: the raiser's name, shown on the page.
    let renamed = "Kept-Page Checkname";
    h.state
        .records
        .save_person(
            now(),
            &Actor::SYSTEM,
            &pid,
            Some(&raiser.id),
            as_saved(&raiser, renamed, true),
        )
        .await
        .unwrap();
    let renamed_page = h.get(&page, &user.auth).await;
    assert!(
        renamed_page.body.contains(renamed),
        "{}",
        excerpt(&renamed_page.body)
    );

    // 3. Another session of the same person gets its own page (its own form token).
    let other = h.session_for("raiser again", &raiser).await;
    let theirs = h.get(&page, &other.auth).await;
    assert!(theirs.body.contains(other.auth.csrf()));
    assert!(!theirs.body.contains(user.auth.csrf()));

    // 4. A person made inactive is signed out at once, kept pages or not.
    h.state
        .records
        .save_person(
            now(),
            &Actor::SYSTEM,
            &pid,
            Some(&raiser.id),
            as_saved(&raiser, renamed, false),
        )
        .await
        .unwrap();
    let gone = h.get(&page, &user.auth).await;
    assert_ne!(gone.status, 200, "an inactive person still sees the page");
}
