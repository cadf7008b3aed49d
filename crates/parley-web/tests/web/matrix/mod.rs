//! The role x route x relationship matrix (issue item 3).
//!
//! `EXPECTATIONS` says, for every route of `parley_web::routes::table()`, who may use it. The
//! tests walk the router's own list: a route without an expectation fails
//! `every_route_has_an_expectation` (and an expectation whose route is gone fails it too), and
//! every route is tried by every persona: each demo sign-in role, the people related to one
//! escalation in each way the issue names, an unrelated practitioner, people of another
//! partnership, and nobody signed in; with `{id}` an escalation they may or may not see, one of
//! another partnership, and one that does not exist. What each persona should get is worked
//! out from the demo data by brute force (`World::sees`), never from `parley_web::access`.
//!
//! The property that matters: never a 2xx, 3xx or 422 where a 403 or 404 is due, and never a
//! 403 or 404 where access is due.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use parley_core::names::StageAction;
use parley_store::rows::{EscalationRow, PersonRow};

use crate::harness::*;
mod expected;
mod personas;
mod run;
mod table;

use Need::*;
use Payload::{Form, Json};
use Who::*;
pub(crate) use expected::*;
pub(crate) use personas::*;
pub(crate) use run::*;
pub(crate) use table::*;

async fn matrix(procedure: &str, other: &str) {
    let (failures, counts) = run_matrix(procedure, other).await;
    // The matrix is not trivially passed: every kind of answer is due somewhere, often.
    for want in [Want::Allowed, Want::SignIn, Want::Forbidden, Want::NotFound] {
        let n = counts.get(&want).copied().unwrap_or(0);
        assert!(
            n >= 20,
            "{procedure}: only {n} requests expected {want:?}: {counts:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} route/persona/target combinations of the {procedure} demo partnership answer \
         wrongly (out of {} requests):\n  {}",
        failures.len(),
        counts.values().sum::<usize>(),
        failures.join("\n  ")
    );
}

#[test]
fn every_route_has_an_expectation() {
    let table = parley_web::routes::table();
    let missing: Vec<String> = table
        .iter()
        .filter(|(m, p, _)| expectation(m, p).is_none())
        .map(|(m, p, r)| format!("{m} {p} ({r:?})"))
        .collect();
    let stale: Vec<String> = EXPECTATIONS
        .iter()
        .filter(|e| {
            !table
                .iter()
                .any(|(m, p, _)| m.as_str() == e.method && *p == e.path)
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    let mut message = String::new();
    if !missing.is_empty() {
        let _ = write!(
            message,
            "routes without an entry in matrix::EXPECTATIONS (say who may use them):\n  {}\n",
            missing.join("\n  ")
        );
    }
    if !stale.is_empty() {
        let _ = write!(
            message,
            "entries of matrix::EXPECTATIONS whose route no longer exists:\n  {}\n",
            stale.join("\n  ")
        );
    }
    assert!(message.is_empty(), "{message}");
}

/// The expectations agree with the rules the routes declare: a `Public` route is `Anyone`,
/// a `Roles` route lets exactly those roles through, and nothing the table guards is open to
/// anyone.
#[test]
fn expectations_agree_with_the_declared_rules() {
    use parley_web::routes::Rule;
    let mut problems = Vec::new();
    for (m, p, rule) in parley_web::routes::table() {
        let Some(e) = expectation(&m, p) else {
            continue;
        };
        let agrees = match (rule, e.who) {
            (Rule::Public, Anyone) => true,
            (Rule::Public, _) | (_, Anyone) => false,
            (Rule::SignedIn, SignedIn | Escalation(_) | ComplimentsInvited | OwnNotification) => {
                true
            }
            // The handler narrows a signed-in route further.
            (Rule::SignedIn, Roles(_) | Scoped(_)) => true,
            (Rule::Roles(declared), Roles(expected) | Scoped(expected)) => {
                let mut a = declared.to_vec();
                let mut b = expected.to_vec();
                a.sort_unstable();
                b.sort_unstable();
                a == b
            }
            (Rule::Roles(_), _) => false,
        };
        if !agrees {
            problems.push(format!("{m} {p}: declared {rule:?}, expected {:?}", e.who));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_solihull() {
    // Solihull tells the business team from stage 2 (Solihull §3, stages 2 and 3).
    matrix("solihull", "croydon").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_dorset() {
    // Dorset tells the partnership from stage 3 (Dorset §7), and has thematic escalations
    // with no child.
    matrix("dorset", "sunderland").await;
}

/// GET /escalations/{id} and GET /api/escalations/{id} answer 200 exactly when the brute-force
/// rule says the person sees the escalation (404 otherwise), and /api/escalations/{id}/child
/// 200 exactly when they may see the child's details: for every person of the Solihull demo
/// partnership and every one of its escalations, plus a few of another partnership's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_visibility_follows_the_rule_for_everyone() {
    let h = Arc::new(Harness::new().await);
    let a = h.partnership_of("solihull");
    let b = h.partnership_of("croydon");
    let wa = Arc::new(h.world(&a).await);
    let wb = h.world(&b).await;
    let mut escalations = wa.escalations.clone();
    escalations.extend(wb.escalations.iter().take(3).cloned());
    let escalations = Arc::new(escalations);
    let table = parley_web::routes::table();
    // Reading the child's details is a POST (issue 13 item 10).
    let paths: Vec<(Method, &str)> = [
        (Method::GET, "/escalations/{id}"),
        (Method::GET, "/api/escalations/{id}"),
        (Method::POST, "/api/escalations/{id}/child"),
    ]
    .into_iter()
    .filter(|(method, p)| table.iter().any(|(m, path, _)| m == method && path == p))
    .collect();
    assert_eq!(
        paths.len(),
        3,
        "the escalation routes this test needs are not all in the table: {paths:?}"
    );
    let mut tasks = tokio::task::JoinSet::new();
    for person in wa.people.clone() {
        let h = h.clone();
        let wa = wa.clone();
        let escalations = escalations.clone();
        tasks.spawn(async move {
            let page = h.session_for(&person.name, &person).await.auth;
            let api = h.bearer_for(&person).await;
            let mut failures = Vec::new();
            let mut seen = 0;
            for e in escalations.iter() {
                let sees = wa.sees(&person, e);
                seen += usize::from(sees.is_some());
                for (path, auth, allowed) in [
                    ("/escalations/{id}", &page, sees.is_some()),
                    ("/api/escalations/{id}", &api, sees.is_some()),
                    (
                        "/api/escalations/{id}/child",
                        &api,
                        sees.is_some_and(|s| s.child_details) && e.subject == "child",
                    ),
                ] {
                    let r = if path.ends_with("/child") {
                        h.send_json(
                            Method::POST,
                            &path.replace("{id}", &e.id),
                            auth,
                            &serde_json::json!({}),
                        )
                        .await
                    } else {
                        h.get(&path.replace("{id}", &e.id), auth).await
                    };
                    let want = if allowed { 200 } else { 404 };
                    if r.status.as_u16() != want {
                        failures.push(format!(
                            "{path} as {} ({}) on {}: expected {want}, got {}",
                            person.name,
                            person.roles.join(", "),
                            describe(e),
                            r.status.as_u16()
                        ));
                    }
                }
            }
            (failures, seen)
        });
    }
    let mut failures = Vec::new();
    let mut pairs_seen = 0;
    while let Some(done) = tasks.join_next().await {
        let (f, seen) = done.unwrap();
        failures.extend(f);
        pairs_seen += seen;
    }
    // The sample is not trivial: some pairs are visible, most are not.
    assert!(
        pairs_seen > 30,
        "only {pairs_seen} (person, escalation) pairs visible"
    );
    assert!(
        failures.is_empty(),
        "{} answers disagree with the visibility rule:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The partnership view lists exactly the escalations the brute-force rule lets the business
/// team see (from the stage its procedure first tells it of), page after page, in every demo
/// partnership; the page links to each of them and to no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partnership_view_lists_exactly_what_the_business_team_sees() {
    let h = Harness::new().await;
    let mut problems = Vec::new();
    for p in &h.summary.partnerships {
        let w = h.world(&p.id).await;
        let bt = h
            .person(&h.sign_in_of(&p.id, "partnership-business-team").person_id)
            .await;
        let expected: std::collections::BTreeSet<&str> = w
            .escalations
            .iter()
            .filter(|e| w.sees(&bt, e).is_some())
            .map(|e| e.id.as_str())
            .collect();
        let token = h.bearer_for(&bt).await;
        let mut listed = std::collections::BTreeSet::new();
        let mut page = 1;
        loop {
            let r = h
                .get(
                    &format!("/api/partnership/escalations?per_page=7&page={page}"),
                    &token,
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", p.procedure_id, excerpt(&r.body));
            let v = r.json();
            for e in v["escalations"].as_array().unwrap() {
                listed.insert(e["id"].as_str().unwrap().to_owned());
            }
            if page >= v["pagination"]["pages"].as_i64().unwrap() {
                assert_eq!(
                    v["pagination"]["total"].as_u64().unwrap() as usize,
                    expected.len(),
                    "{}: the total",
                    p.procedure_id
                );
                break;
            }
            page += 1;
        }
        let listed: std::collections::BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        if listed != expected {
            problems.push(format!(
                "{}: the API lists {} the business team should not see and leaves out {}",
                p.procedure_id,
                listed.difference(&expected).count(),
                expected.difference(&listed).count()
            ));
        }
        let user = h.session_for("business team", &bt).await;
        let r = h.get("/partnership", &user.auth).await;
        assert_eq!(r.status, 200);
        for e in &w.escalations {
            let linked = r.body.contains(&format!("/escalations/{}", e.id));
            let due = expected.contains(e.id.as_str());
            // The page shows 50 at a time.
            if linked != due && (linked || expected.len() <= 50) {
                problems.push(format!(
                    "{}: /partnership {} {}",
                    p.procedure_id,
                    if linked {
                        "links to"
                    } else {
                        "does not link to"
                    },
                    describe(e)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The verdicts themselves: a 200 (or a 422) where a 404 or 403 is due fails, and so does a
/// 404 where access is due.
#[test]
fn verdicts_catch_what_they_should() {
    let resp = |status: u16, location: Option<&str>, body: &str| {
        let mut headers = axum::http::HeaderMap::new();
        if let Some(l) = location {
            headers.insert("location", l.parse().unwrap());
        }
        Resp {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_owned(),
            bytes: body.as_bytes().to_vec(),
        }
    };
    let get = Method::GET;
    let post = Method::POST;
    let ok = resp(200, None, "");
    let unprocessable = resp(422, None, r#"{"code":"invalid"}"#);
    let not_found = resp(404, None, r#"{"code":"not-found"}"#);
    let forbidden = resp(403, None, r#"{"code":"forbidden"}"#);
    let to_sign_in = resp(303, Some("/sign-in"), "");
    assert!(verdict(Want::NotFound, &get, "/escalations/{id}", true, &ok).is_some());
    assert!(
        verdict(
            Want::NotFound,
            &post,
            "/escalations/{id}/x",
            true,
            &unprocessable
        )
        .is_some()
    );
    assert!(verdict(Want::NotFound, &get, "/x", true, &forbidden).is_some());
    assert!(verdict(Want::Forbidden, &post, "/x", true, &unprocessable).is_some());
    assert!(verdict(Want::Forbidden, &get, "/api/x", true, &not_found).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", true, &not_found).is_some());
    assert!(verdict(Want::Allowed, &post, "/x", true, &forbidden).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", true, &to_sign_in).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", false, &to_sign_in).is_none());
    assert!(verdict(Want::Allowed, &post, "/x", true, &unprocessable).is_none());
    assert!(verdict(Want::Allowed, &get, "/x", true, &unprocessable).is_some());
    assert!(verdict(Want::NotFound, &get, "/api/x", true, &not_found).is_none());
    assert!(verdict(Want::NotFound, &get, "/api/x", true, &resp(404, None, "")).is_some());
    assert!(verdict(Want::SignIn, &get, "/x", false, &to_sign_in).is_none());
    assert!(verdict(Want::SignIn, &get, "/api/x", false, &to_sign_in).is_some());
    let unauthenticated = resp(401, None, r#"{"code":"unauthenticated"}"#);
    assert!(verdict(Want::SignIn, &get, "/api/x", false, &unauthenticated).is_none());
    assert!(verdict(Want::SignIn, &get, "/x", false, &ok).is_some());
}

/// Issue 14, item 5: a person holding each partnership role, and the business team, in the
/// two partnerships whose referrals have a lead (Sunderland's Independent Scrutineer,
/// Buckinghamshire's BSCP team): each sees exactly the escalations at or past a referral step
/// their role leads (and the business team what it saw already), never the child, as the
/// brute-force rule (`World::sees`) says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_leads_see_what_the_rule_says() {
    let h = Harness::new().await;
    for procedure in ["sunderland", "buckinghamshire"] {
        let a = h.partnership_of(procedure);
        for role in parley_web::access::PARTNERSHIP_ROLES {
            h.state
                .records
                .save_person(
                    now(),
                    &parley_store::records::Actor::SYSTEM,
                    &a,
                    None,
                    parley_store::records::PersonInput {
                        agency_id: None,
                        name: format!("Sam {role}"),
                        email: format!("{role}.{procedure}@example.org"),
                        job_title: role.to_owned(),
                        roles: vec![role.to_owned()],
                        line_manager_id: None,
                        active: true,
                    },
                )
                .await
                .unwrap();
        }
        let w = h.world(&a).await;
        let at_steps = w.referrals.len();
        assert!(at_steps > 0, "{procedure}: the demo has no referral steps");
        let mut failures = Vec::new();
        let mut lead_sees = 0;
        for person in w.people.iter().filter(|p| {
            p.roles.iter().any(|r| {
                parley_web::access::PARTNERSHIP_ROLES.contains(&r.as_str())
                    || r == "partnership-business-team"
            })
        }) {
            let api = h.bearer_for(person).await;
            for e in &w.escalations {
                let sees = w.sees(person, e);
                let r = h.get(&format!("/api/escalations/{}", e.id), &api).await;
                let want = if sees.is_some() { 200 } else { 404 };
                if r.status.as_u16() != want {
                    failures.push(format!(
                        "{} on {}: expected {want}, got {}",
                        person.roles.join(","),
                        describe(e),
                        r.status.as_u16()
                    ));
                    continue;
                }
                let Some(seen) = sees else { continue };
                let v = r.json();
                // The child only for those the rule lets see it: an appointee whose
                // appointment allows it (issue 14, item 4), never a referral lead as such.
                if v["access"]["can_act"] != serde_json::json!(seen.can_act)
                    || v["may_view_child"] != serde_json::json!(seen.child_details)
                    || v["case"].is_null() == seen.child_details
                {
                    failures.push(format!(
                        "{} on {}: can_act {} (rule {}), child {}",
                        person.roles.join(","),
                        describe(e),
                        v["access"]["can_act"],
                        seen.can_act,
                        v["may_view_child"]
                    ));
                }
                if person
                    .roles
                    .iter()
                    .any(|r| r != "partnership-business-team")
                {
                    lead_sees += 1;
                }
            }
        }
        if procedure == "sunderland" {
            assert!(
                lead_sees > 0,
                "no escalation at the scrutineer's step in the demo"
            );
        }
        assert!(
            failures.is_empty(),
            "{procedure}:\n  {}",
            failures.join("\n  ")
        );
    }
}
