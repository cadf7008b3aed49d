//! Security headers on every response, sessions (cookies, rotation, sign-out, lockout) and
//! CSRF (the form token, and refusal of cross-site requests).
//!
//! `Harness::send` checks the headers of every response of every test; the first test here
//! makes sure that "every" covers every route of the table, signed in and not, and the
//! responses no route gives: a 404, a 405, static files, API errors, a 500.

use axum::http::{Method, StatusCode};

use crate::harness::*;
use crate::matrix::{self, Live, Persona, Want};

/// What is wrong with a page's HTML under the Content-Security-Policy: inline script, inline
/// event handlers, inline style attributes, `javascript:` links.
fn inline_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<script") {
        let start = from + at;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if !tag.contains(" src=") {
            problems.push(format!("inline script: {}", excerpt(&html[start..])));
        }
        from = end;
    }
    for piece in lower.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        if tag.starts_with('!') || tag.starts_with('/') {
            continue;
        }
        for attr in tag.split_whitespace().skip(1) {
            let name = attr.split('=').next().unwrap_or_default();
            if name.starts_with("on") && name.len() > 2 && attr.contains('=') {
                problems.push(format!("inline event handler: <{}>", excerpt(tag)));
            }
            if name == "style" && attr.contains('=') {
                problems.push(format!("inline style attribute: <{}>", excerpt(tag)));
            }
        }
    }
    if lower.contains("href=\"javascript:") {
        problems.push("a javascript: link".to_owned());
    }
    problems
}

/// Every route of the table answers with the security headers (checked by `Harness::send`)
/// whoever asks, and no HTML page relies on inline script or style.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_has_the_security_headers_and_no_inline_script() {
    let h = Harness::new().await;
    let cast = matrix::cast(&h, "solihull", "croydon").await;
    let parts = [cast.partnership.as_str(), cast.other_partnership.as_str()];
    let mut problems = Vec::new();
    let mut requests = 0;
    for (method, path, _) in parley_web::routes::table() {
        let Some(expect) = matrix::expectation(&method, path) else {
            continue;
        };
        let target = cast.targets(expect, method != Method::GET).remove(0);
        let url = matrix::fill(path, &target);
        let live = Live::read(&h, &parts).await;
        let version = live.escalation(&target.value).map_or(1, |(_, e)| e.version);
        // Anonymous, someone allowed, someone refused (when there is one).
        let mut chosen: Vec<&Persona> = Vec::new();
        let mut wants = Vec::new();
        for p in &cast.personas {
            let person = p.person_id.as_deref().and_then(|id| live.person(id));
            let w = matrix::want(expect.who, person, &target, &live);
            if !wants.contains(&w) {
                wants.push(w);
                chosen.push(p);
            }
        }
        for persona in chosen {
            let (r, _) = matrix::attempt(
                &h,
                &live,
                persona,
                &method,
                &url,
                expect.send,
                version,
                None,
                &[],
            )
            .await;
            requests += 1;
            let html = r
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/html"));
            if html {
                for p in inline_problems(&r.body) {
                    problems.push(format!("{method} {url} as {}: {p}", persona.label));
                }
            }
            if r.status.is_server_error() {
                problems.push(format!("{method} {url} as {}: {}", persona.label, r.status));
            }
        }
    }
    // Responses no route of the table gives.
    let admin = cast
        .personas
        .iter()
        .find(|p| p.label.starts_with("administrator"))
        .unwrap();
    let live = Live::read(&h, &parts).await;
    let user = h
        .session_for(
            "administrator",
            live.person(admin.person_id.as_deref().unwrap()).unwrap(),
        )
        .await;
    for (method, path, status) in [
        (Method::GET, "/no-such-page", 404),
        (Method::GET, "/api/no-such-endpoint", 404),
        (Method::DELETE, "/my-work", 405),
        (Method::GET, "/static/no-such-file.css", 404),
        (Method::GET, "/static/parley.css", 200),
        (Method::GET, "/static/init.js", 200),
        (Method::GET, "/static/govuk/govuk-frontend.min.js", 200),
    ] {
        for auth in [&Auth::Anonymous, &user.auth] {
            let r = h
                .send(
                    h.request(method.clone(), path, auth)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            requests += 1;
            if r.status.as_u16() != status {
                problems.push(format!(
                    "{method} {path}: expected {status}, got {}",
                    r.status
                ));
            }
        }
    }
    assert!(requests > 100, "only {requests} requests");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Static files come with their type, so that `nosniff` never blocks them.
#[tokio::test]
async fn static_files_have_their_content_types() {
    let h = Harness::new().await;
    for (path, kind) in [
        ("/static/parley.css", "text/css"),
        ("/static/init.js", "text/javascript"),
        ("/static/govuk/govuk-frontend.min.js", "text/javascript"),
    ] {
        let r = h.get(path, &Auth::Anonymous).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with(kind)),
            "{path}: {:?}",
            r.header("content-type")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

async fn demo_person(h: &Harness, role: &str) -> parley_store::rows::PersonRow {
    let p = h.partnership_of("solihull");
    h.person(&h.sign_in_of(&p, role).person_id).await
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_secure_and_host_only() {
    let h = Harness::new().await;
    let person = demo_person(&h, "practitioner").await;
    let r = h
        .post_raw_form(
            "/sign-in",
            &Auth::Anonymous,
            &[("email", &person.email), ("password", PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let cookies = r.set_cookies();
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-parley-session="))
        .unwrap_or_else(|| panic!("no __Host- session cookie: {cookies:?}"));
    let a = cookie_attributes(cookie);
    assert!(a.contains_key("httponly"), "{cookie}");
    assert!(a.contains_key("secure"), "{cookie}");
    assert!(
        a.get("samesite")
            .is_some_and(|v| v.eq_ignore_ascii_case("lax") || v.eq_ignore_ascii_case("strict")),
        "{cookie}"
    );
    assert_eq!(a.get("path").map(String::as_str), Some("/"), "{cookie}");
    assert!(
        !a.contains_key("domain"),
        "a __Host- cookie has no Domain: {cookie}"
    );
    let token = session_token(&r, "__Host-parley-session").unwrap();
    assert!(token.len() >= 32, "a short session token: {token}");
    // The token is not stored as such (only its hash).
    assert!(h.state.store.session(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn signing_in_again_rotates_the_session_and_ends_the_old_one() {
    let h = Harness::new().await;
    let person = demo_person(&h, "manager").await;
    // A token planted before signing in is never adopted.
    let planted = Auth::Session {
        token: "a".repeat(64),
        csrf: String::new(),
    };
    let r = h
        .post_raw_form(
            "/sign-in",
            &planted,
            &[("email", &person.email), ("password", PASSWORD)],
            &[],
        )
        .await;
    let first = session_token(&r, "__Host-parley-session").unwrap();
    assert_ne!(first, "a".repeat(64));
    let old = Auth::Session {
        token: first.clone(),
        csrf: String::new(),
    };
    assert_eq!(h.get("/my-work", &old).await.status, 200);

    // Signing in again from the same browser (the old cookie sent along).
    let r = h
        .post_raw_form(
            "/sign-in",
            &old,
            &[("email", &person.email), ("password", PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let second = session_token(&r, "__Host-parley-session").unwrap();
    assert_ne!(first, second, "the session was not rotated");
    let r = h.get("/my-work", &old).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the old session still works"
    );
    assert!(r.location().unwrap().starts_with("/sign-in"));
    let r = h
        .get(
            "/my-work",
            &Auth::Session {
                token: second,
                csrf: String::new(),
            },
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let h = Harness::new().await;
    let person = demo_person(&h, "senior-manager").await;
    let auth = h.sign_in(&person.email, PASSWORD).await.unwrap();
    assert_eq!(h.get("/my-work", &auth).await.status, 200);
    assert_eq!(h.get("/api/me", &auth).await.status, 200);

    // Signing out takes a POST with the form token: a link or a forged form cannot do it.
    let r = h.get("/sign-out", &auth).await;
    assert!(
        !r.status.is_success() && !r.status.is_redirection(),
        "GET /sign-out: {}",
        r.status
    );
    let r = h.post_raw_form("/sign-out", &auth, &[], &[]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "sign-out without the form token"
    );
    assert_eq!(h.get("/my-work", &auth).await.status, 200);

    let r = h.post_form("/sign-out", &auth, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cleared = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-parley-session="))
        .expect("the cookie is cleared");
    let a = cookie_attributes(&cleared);
    assert!(
        cleared.starts_with("__Host-parley-session=;")
            || a.get("max-age").is_some_and(|v| v == "0"),
        "{cleared}"
    );
    let r = h.get("/my-work", &auth).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().starts_with("/sign-in"));
    assert_eq!(
        h.get("/api/me", &auth).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn five_failed_sign_ins_lock_the_account_even_against_the_right_password() {
    let h = Harness::new().await;
    let person = demo_person(&h, "practitioner").await;
    let other = demo_person(&h, "manager").await;
    let message = |r: &Resp| {
        let at = r.body.find("govuk-error-summary__list").unwrap_or(0);
        r.body[at..].chars().take(300).collect::<String>()
    };
    let unknown = h
        .post_raw_form(
            "/sign-in",
            &Auth::Anonymous,
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
            &[],
        )
        .await;
    for attempt in 1..=5 {
        let r = h
            .post_raw_form(
                "/sign-in",
                &Auth::Anonymous,
                &[("email", &person.email), ("password", "not the password")],
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
        assert!(r.set_cookies().is_empty(), "attempt {attempt} set a cookie");
        // The lock is never announced: that would tell who has an account.
        assert!(
            !r.body.to_lowercase().contains("too many failed attempts"),
            "attempt {attempt} told of the lock"
        );
        assert_eq!(message(&r), message(&unknown), "attempt {attempt}");
    }
    // Locked: the right password is refused too, the same way, and no session is made.
    let r = h
        .post_raw_form(
            "/sign-in",
            &Auth::Anonymous,
            &[("email", &person.email), ("password", PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.set_cookies().is_empty());
    assert_eq!(message(&r), message(&unknown), "{}", excerpt(&r.body));
    let account = h.state.store.account(&person.id).await.unwrap().unwrap();
    assert!(
        account
            .locked_until_us
            .is_some_and(|u| u > now().as_microsecond())
    );
    // Nobody else is locked out.
    assert!(h.sign_in(&other.email, PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let h = Harness::new().await;
    let person = demo_person(&h, "practitioner").await;
    let wrong = h
        .post_raw_form(
            "/sign-in",
            &Auth::Anonymous,
            &[("email", &person.email), ("password", "not the password")],
            &[],
        )
        .await;
    let unknown = h
        .post_raw_form(
            "/sign-in",
            &Auth::Anonymous,
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
            &[],
        )
        .await;
    assert_eq!(wrong.status, unknown.status);
    let message = |r: &Resp| {
        let at = r.body.find("govuk-error-summary__list").unwrap_or(0);
        r.body[at..].chars().take(300).collect::<String>()
    };
    assert_eq!(message(&wrong), message(&unknown));
}

// ---------------------------------------------------------------------------------------------
// CSRF

/// For a route, a persona of the cast the matrix lets through (signed in), with the target.
fn allowed_persona<'a>(
    cast: &'a matrix::Cast,
    live: &Live,
    expect: &matrix::Expect,
    target: &matrix::Target,
) -> Option<&'a Persona> {
    cast.personas.iter().find(|p| {
        let person = p.person_id.as_deref().and_then(|id| live.person(id));
        person.is_some() && matrix::want(expect.who, person, target, live) == Want::Allowed
    })
}

/// Every form POST of a signed-in page refuses a missing or wrong form token with a 403, from
/// someone the route otherwise lets through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_right_token_is_refused() {
    let h = Harness::new().await;
    let solihull = matrix::cast(&h, "solihull", "croydon").await;
    // Compliments are given only in Dorset (§2); a form to the partnership only in Croydon
    // and Sunderland.
    let dorset = matrix::cast(&h, "dorset", "croydon").await;
    let croydon = matrix::cast(&h, "croydon", "solihull").await;
    let mut problems = Vec::new();
    let mut tried = 0;
    for (method, path, _) in parley_web::routes::table() {
        if method == Method::GET || path.starts_with("/api/") {
            continue;
        }
        let Some(expect) = matrix::expectation(&method, path) else {
            continue;
        };
        if matches!(expect.who, matrix::Who::Anyone) {
            continue; // signing in: no session yet, so no token (the cross-site check covers it)
        }
        let cast = if matches!(expect.who, matrix::Who::ComplimentsInvited) {
            &dorset
        } else if path.ends_with("/partnership-form") {
            &croydon
        } else {
            &solihull
        };
        let parts = [cast.partnership.as_str(), cast.other_partnership.as_str()];
        let target = cast.targets(expect, true).remove(0);
        let url = matrix::fill(path, &target);
        let live = Live::read(&h, &parts).await;
        let version = live.escalation(&target.value).map_or(1, |(_, e)| e.version);
        let persona = allowed_persona(cast, &live, expect, &target)
            .unwrap_or_else(|| panic!("nobody may {method} {path}"));
        for (token, what) in [
            (Some(""), "no token"),
            (Some(&*"0".repeat(64)), "a wrong token"),
        ] {
            let (r, _) = matrix::attempt(
                &h,
                &live,
                persona,
                &method,
                &url,
                expect.send,
                version,
                token,
                &[],
            )
            .await;
            tried += 1;
            if r.status != StatusCode::FORBIDDEN {
                problems.push(format!(
                    "{method} {url} as {} with {what}: expected 403, got {}",
                    persona.label, r.status
                ));
            }
        }
    }
    assert!(tried > 10, "only {tried} form posts tried");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every POST, PUT and DELETE (pages, the API, signing in) is refused when the browser says it
/// comes from another site, even with the right form token or an API token; and from an old
/// browser that only sends a foreign `Origin`. The same request from this site goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_another_site_are_refused() {
    let h = Harness::new().await;
    let cast = matrix::cast(&h, "solihull", "croydon").await;
    let parts = [cast.partnership.as_str(), cast.other_partnership.as_str()];
    let mut problems = Vec::new();
    let mut tried = 0;
    for (method, path, _) in parley_web::routes::table() {
        if method == Method::GET {
            continue;
        }
        let Some(expect) = matrix::expectation(&method, path) else {
            continue;
        };
        let target = cast.targets(expect, true).remove(0);
        let url = matrix::fill(path, &target);
        let live = Live::read(&h, &parts).await;
        let version = live.escalation(&target.value).map_or(1, |(_, e)| e.version);
        let anonymous = Persona {
            label: "anonymous".to_owned(),
            person_id: None,
        };
        let persona = allowed_persona(&cast, &live, expect, &target).unwrap_or(&anonymous);
        for headers in [
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ][..],
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://sub.parley.test"),
            ][..],
            &[("origin", "https://evil.example")][..],
        ] {
            let (r, _) = matrix::attempt(
                &h,
                &live,
                persona,
                &method,
                &url,
                expect.send,
                version,
                None,
                headers,
            )
            .await;
            tried += 1;
            if r.status != StatusCode::FORBIDDEN {
                problems.push(format!(
                    "{method} {url} as {} with {headers:?}: expected 403, got {}",
                    persona.label, r.status
                ));
            }
        }
        // From this site: not refused for where it came from.
        let (r, _) = matrix::attempt(
            &h,
            &live,
            persona,
            &method,
            &url,
            expect.send,
            version,
            None,
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://parley.test"),
            ],
        )
        .await;
        if r.status == StatusCode::FORBIDDEN {
            problems.push(format!(
                "{method} {url} as {} from this site: refused with 403",
                persona.label
            ));
        }
    }
    assert!(tried > 10, "only {tried} requests tried");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The API takes a bearer token without any form token: a compliment given through it is
/// given (201), and the same call without a token is a 401.
#[tokio::test]
async fn the_api_works_with_a_bearer_token_and_no_form_token() {
    let h = Harness::new().await;
    // Dorset's procedure invites compliments (§2).
    let a = h.partnership_of("dorset");
    let w = h.world(&a).await;
    let e = w
        .escalations
        .iter()
        .find(|e| e.receiving_person_id.is_some())
        .unwrap();
    let from = w.person(&e.raised_by).clone();
    let to = e.receiving_person_id.clone().unwrap();
    let body = serde_json::json!({
        "to_person_id": to,
        "message": "Thank you for joining the strategy discussion at short notice.",
    });
    let r = h
        .send_json(Method::POST, "/api/compliments", &Auth::Anonymous, &body)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let token = h.bearer_for(&from).await;
    let r = h
        .send_json(Method::POST, "/api/compliments", &token, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
    let r = h.get("/api/compliments", &token).await;
    assert!(r.body.contains("strategy discussion at short notice"));
    // A revoked token is refused.
    let Auth::Bearer(t) = &token else {
        unreachable!()
    };
    h.state
        .store
        .revoke_api_token(&parley_web::auth::token_hash(t), now().as_microsecond())
        .await
        .unwrap();
    assert_eq!(
        h.get("/api/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn inline_script_and_style_are_found() {
    assert!(inline_problems(r#"<script src="/static/init.js"></script><p class="x">"#).is_empty());
    assert_eq!(inline_problems("<script>alert(1)</script>").len(), 1);
    assert_eq!(inline_problems(r#"<a href="/" onclick="x()">"#).len(), 1);
    assert_eq!(inline_problems(r#"<div style="color: red">"#).len(), 1);
    assert!(inline_problems(r#"<p>Do not use style="..." or onclick</p>"#).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Strict-Transport-Security

/// The responses a browser meets first or most: pages, sign-in, static files, the API, errors.
const HSTS_PATHS: &[&str] = &[
    "/",
    "/sign-in",
    "/my-work",
    "/static/parley.css",
    "/api/openapi.json",
    "/api/me",
    "/no-such-page",
    "/api/no-such-thing",
];

#[tokio::test]
async fn strict_transport_security_is_sent_only_when_the_public_origin_is_https() {
    // (configured origins, expected) for each deployment.
    let cases: &[(&[&str], bool)] = &[
        (&[], false),
        (&["http://parley.test"], false),
        (&["http://localhost:8080", "http://127.0.0.1:8080"], false),
        (&["https://parley.example.org"], true),
        (&["HTTPS://Parley.Example.org"], true),
        (
            &["http://localhost:8080", "https://parley.example.org"],
            true,
        ),
    ];
    for (origins, expected) in cases {
        let h = Harness::with_config(parley_web::Config {
            trusted_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..parley_web::Config::default()
        })
        .await;
        for path in HSTS_PATHS {
            let r = h.get(path, &Auth::Anonymous).await;
            let hsts = r.header("strict-transport-security");
            if !*expected {
                assert_eq!(hsts, None, "{origins:?} {path}");
                continue;
            }
            let hsts = hsts.unwrap_or_else(|| panic!("{origins:?} {path}: no HSTS"));
            let directives: Vec<String> = hsts
                .split(';')
                .map(|d| d.trim().to_ascii_lowercase())
                .collect();
            let max_age: i64 = directives
                .iter()
                .find_map(|d| d.strip_prefix("max-age="))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{path}: no max-age in {hsts}"));
            assert!(max_age >= 31_536_000, "{path}: {hsts}");
            assert!(
                directives.iter().any(|d| d == "includesubdomains"),
                "{path}: {hsts}"
            );
        }
    }
}
