//! Reading a child's details is recorded only on a POST from this site (issue 13 item 10: it
//! was recorded on GET and HEAD, so a link or an image on another site could record a reading
//! in the name of whoever followed it).
//!
//! For everyone of a partnership (every role), GET and HEAD of the child's page and of the
//! API's child never record a reading; a POST without the form token, or with a wrong one,
//! records nothing and shows nothing; the right POST records one reading and shows the
//! details.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use parley_demo::MARKER_PREFIX;

use crate::harness::*;

/// Every reading recorded, over some escalations.
async fn readings(h: &Harness, ids: &[String]) -> usize {
    let mut n = 0;
    for id in ids {
        n += h.state.records.access_log(id).await.unwrap().len();
    }
    n
}

async fn send(h: &Harness, method: Method, path: &str, auth: &Auth) -> Resp {
    h.send(h.request(method, path, auth).body(Body::empty()).unwrap())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_head_never_record_a_reading_for_anyone() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let w = h.world(&p).await;
    let children: Vec<_> = w
        .escalations
        .iter()
        .filter(|e| e.subject == "child")
        .take(8)
        .collect();
    assert!(children.len() >= 4);
    let ids: Vec<String> = children.iter().map(|e| e.id.clone()).collect();
    let before = readings(&h, &ids).await;
    let mut roles = std::collections::BTreeSet::new();
    let mut offered = 0;
    for person in w.people.iter().filter(|p| p.active) {
        roles.extend(person.roles.iter().cloned());
        let page = h.session_for(&person.name, person).await.auth;
        let api = h.bearer_for(person).await;
        for e in &children {
            let allowed = w.sees(person, e).is_some_and(|s| s.child_details);
            let who = format!(
                "{} ({}) on {}",
                person.name,
                person.roles.join(", "),
                e.reference
            );
            for method in [Method::GET, Method::HEAD] {
                let r = send(
                    &h,
                    method.clone(),
                    &format!("/escalations/{}/child", e.id),
                    &page,
                )
                .await;
                let want = if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                assert_eq!(r.status, want, "{method} the child's page as {who}");
                assert!(
                    !r.body.contains(MARKER_PREFIX),
                    "{method} the child's page as {who} shows the child"
                );
                if allowed && method == Method::GET {
                    // The page offers the button that posts the form token.
                    assert!(
                        r.body.contains(&format!(
                            "<form method=\"post\" action=\"/escalations/{}/child\"",
                            e.id
                        )) && r.csrf().is_some_and(|t| t == page.csrf()),
                        "no button on the child's page as {who}: {}",
                        excerpt(&r.body)
                    );
                    offered += 1;
                }
                let r = send(
                    &h,
                    method.clone(),
                    &format!("/api/escalations/{}/child", e.id),
                    &api,
                )
                .await;
                assert_eq!(
                    r.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} the API's child as {who}"
                );
                assert!(!r.body.contains(MARKER_PREFIX));
            }
            assert_eq!(
                readings(&h, &ids).await,
                before,
                "a GET or HEAD as {who} recorded a reading"
            );
        }
    }
    for role in [
        "practitioner",
        "manager",
        "senior-manager",
        "partnership-business-team",
        "administrator",
    ] {
        assert!(roles.contains(role), "no {role} tried: {roles:?}");
    }
    assert!(offered > 0, "nobody was offered the details");
}

#[tokio::test]
async fn only_the_right_post_records_a_reading_and_shows_the_details() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let w = h.world(&p).await;
    let e = w
        .escalations
        .iter()
        .find(|e| e.subject == "child" && e.status == "open")
        .unwrap();
    let raiser = w.person(&e.raised_by).clone();
    let user = h.session_for("the raiser", &raiser).await;
    let other_session = h.session_for("the raiser again", &raiser).await;
    let path = format!("/escalations/{}/child", e.id);
    let ids = vec![e.id.clone()];
    let before = readings(&h, &ids).await;
    let right = user.auth.csrf().to_owned();
    let mut flipped = right.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    let wrong_tokens: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no token", vec![]),
        ("an empty token", vec![("csrf", String::new())]),
        ("a made-up token", vec![("csrf", "0".repeat(64))]),
        (
            "another session's token",
            vec![("csrf", other_session.auth.csrf().to_owned())],
        ),
        (
            "the token with one digit changed",
            vec![("csrf", flipped.clone())],
        ),
        (
            "the token upper-cased",
            vec![("csrf", right.to_uppercase())],
        ),
        (
            "the token cut short",
            vec![("csrf", right[..32].to_owned())],
        ),
        (
            "the token with a space",
            vec![("csrf", format!("{right} "))],
        ),
        (
            "a wrong token before the right one",
            vec![("csrf", "0".repeat(64)), ("csrf", right.clone())],
        ),
        (
            "the token under another name",
            vec![("CSRF", right.clone())],
        ),
    ];
    for (what, fields) in &wrong_tokens {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = h.post_raw_form(&path, &user.auth, &pairs, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "POST with {what}: {}",
            excerpt(&r.body)
        );
        assert!(
            !r.body.contains(MARKER_PREFIX),
            "POST with {what} shows the child"
        );
        assert_eq!(
            readings(&h, &ids).await,
            before,
            "POST with {what} recorded a reading"
        );
    }
    // From another site, even with the right token; and with nobody signed in.
    let cross: &[(&[(&str, &str)], &str)] = &[
        (
            &[("sec-fetch-site", "cross-site")],
            "Sec-Fetch-Site: cross-site",
        ),
        (
            &[("origin", "https://evil.example")],
            "Origin: evil.example",
        ),
    ];
    for (headers, what) in cross {
        let r = h
            .post_raw_form(&path, &user.auth, &[("csrf", &right)], headers)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST with {what}");
        assert_eq!(
            readings(&h, &ids).await,
            before,
            "POST with {what} recorded a reading"
        );
    }
    let r = h
        .post_raw_form(&path, &Auth::Anonymous, &[("csrf", &right)], &[])
        .await;
    assert!(
        r.status.is_redirection() || r.status == StatusCode::FORBIDDEN,
        "anonymous POST: {}",
        r.status
    );
    assert!(!r.body.contains(MARKER_PREFIX));
    assert_eq!(
        readings(&h, &ids).await,
        before,
        "an anonymous POST recorded a reading"
    );

    // The right POST: one reading, and the details.
    let r = h.post_form(&path, &user.auth, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(r.body.contains(MARKER_PREFIX), "the details are not shown");
    let log = h.state.records.access_log(&e.id).await.unwrap();
    assert_eq!(log.len(), before + 1);
    assert_eq!(
        log.last().unwrap(),
        &(now().as_microsecond(), raiser.id.clone())
    );

    // The API: a POST with a token records one reading.
    let api = h.bearer_for(&raiser).await;
    let r = h
        .send_json(
            Method::POST,
            &format!("/api/escalations/{}/child", e.id),
            &api,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    assert!(r.body.contains(MARKER_PREFIX));
    assert_eq!(readings(&h, &ids).await, before + 2);
}
