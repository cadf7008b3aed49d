//! Signing in, from the attacker's side: where `next` may send a browser, and that a sign-in
//! answer tells nothing about which accounts exist or are locked.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode, header};

use crate::harness::{Auth, Harness, PASSWORD, Resp, excerpt, now};

/// `next` values a link or form could carry. None may send a browser off this site.
pub(crate) const HOSTILE_NEXT: &[&str] = &[
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/\x0b/evil.example",
    "/\x0c/evil.example",
    "/\x00/evil.example",
    "/ /evil.example",
    "\t//evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0D/evil.example",
    "/%0b/evil.example",
    "/%0d%0aSet-Cookie:%20a=b",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%5cevil.example",
    "/%5C/evil.example",
    "/%252f/evil.example",
    "/%252F%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/%255Cevil.example",
    "/%2509/evil.example",
    "/%250a/evil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "/https://evil.example",
    "javascript:alert(document.domain)",
    "/javascript:alert(1)",
    "jAvAsCrIpT:alert(1)",
    "%6Aavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "evil.example",
    "@evil.example",
    "/\u{ff0f}evil.example",
    "\u{ff0f}\u{ff0f}evil.example",
    "/\u{2215}evil.example",
    "/\u{2044}evil.example",
    "/\u{29f8}evil.example",
    "/\u{ff3c}evil.example",
    "/\u{fe68}evil.example",
    "/%EF%BC%8Fevil.example",
    "/%E2%88%95evil.example",
    "/%E2%81%84evil.example",
    "/%E2%A7%B8evil.example",
    "/%25EF%25BC%258Fevil.example",
    "/%C0%AFevil.example",
    "/\u{200b}/evil.example",
    "/\u{2028}/evil.example",
    "/\u{3000}/evil.example",
    "/\u{85}/evil.example",
];

/// `next` as a query string value (the browser's encoding of the raw value).
fn query(next: &str) -> String {
    serde_urlencoded::to_string([("next", next)]).unwrap()
}

/// A `Location` that stays on this site: what `safe_next` lets through, checked independently.
fn is_safe_location(location: &str) -> bool {
    let bytes = location.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\')
        && !location.to_ascii_lowercase().contains("evil")
        && !location.to_ascii_lowercase().contains("script")
}

/// The sign-in form's hidden `next`, unescaped.
fn hidden_next(html: &str) -> Option<String> {
    let at = html.find(r#"name="next" value=""#)? + r#"name="next" value=""#.len();
    let end = html[at..].find('"')? + at;
    Some(html[at..end].replace("&#x2f;", "/").replace("&amp;", "&"))
}

#[tokio::test]
async fn next_never_leaves_the_site_when_already_signed_in() {
    assert!(HOSTILE_NEXT.len() >= 30);
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let user = h.session_for("practitioner", &person).await;
    let mut uris: Vec<String> = HOSTILE_NEXT
        .iter()
        .map(|n| format!("/sign-in?{}", query(n)))
        .collect();
    // As a probe sends them, percent-encoded by hand (axum decodes the query once).
    for raw in [
        "/sign-in?next=/%09/evil.example",
        "/sign-in?next=%2F%09%2Fevil.example",
        "/sign-in?next=/%0d/evil.example",
        "/sign-in?next=/%0a/evil.example",
        "/sign-in?next=/%0b/evil.example",
        "/sign-in?next=//evil.example",
        "/sign-in?next=/%5Cevil.example",
        "/sign-in?next=/%252F%252Fevil.example",
        "/sign-in?next=/%EF%BC%8Fevil.example",
        "/sign-in?next=%ff%fe",
        "/sign-in?next=https:%2F%2Fevil.example",
    ] {
        uris.push(raw.to_owned());
    }
    for uri in &uris {
        let r = h
            .send(
                h.request(Method::GET, uri, &user.auth)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{uri}: {}",
            excerpt(&r.body)
        );
        let location = r.location().unwrap_or_default();
        assert!(is_safe_location(location), "{uri} went to {location:?}");
        assert_eq!(location, "/", "{uri}");
    }
    // A path of this site is still followed.
    let r = h.get("/sign-in?next=/compliments", &user.auth).await;
    assert_eq!(r.location(), Some("/compliments"));
}

#[tokio::test]
async fn next_never_leaves_the_site_when_signing_in() {
    let h = Harness::new().await;
    let p = h.partnership_of("dorset");
    let person = h.person(&h.sign_in_of(&p, "manager").person_id).await;
    for next in HOSTILE_NEXT {
        let r = h
            .post_raw_form(
                "/sign-in",
                &Auth::Anonymous,
                &[
                    ("email", &person.email),
                    ("password", PASSWORD),
                    ("next", next),
                ],
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{next:?}: {}",
            excerpt(&r.body)
        );
        let location = r.location().unwrap_or_default();
        assert!(is_safe_location(location), "{next:?} went to {location:?}");
        assert_eq!(location, "/", "{next:?}");
        // The sign-in form never carries a hostile value on either.
        let page = h
            .get(&format!("/sign-in?{}", query(next)), &Auth::Anonymous)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{next:?}");
        assert_eq!(hidden_next(&page.body).as_deref(), Some("/"), "{next:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// One answer for every refusal, and throttling by client address

/// A sign-in attempt from a socket peer, with an `X-Forwarded-For` header if given.
async fn attempt(h: &Harness, peer: &str, xff: Option<&str>, email: &str, password: &str) -> Resp {
    let body = serde_urlencoded::to_string([("email", email), ("password", password)]).unwrap();
    let mut b = h
        .request(Method::POST, "/sign-in", &Auth::Anonymous)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    if let Some(x) = xff {
        b = b.header("x-forwarded-for", x);
    }
    h.send(b.body(Body::from(body)).unwrap()).await
}

/// The status, the headers and the page.
type Answer = (StatusCode, Vec<(String, String)>, String);

/// What a browser can tell apart: the status, the headers but the request id and the length,
/// and the page with the address it was sent (which it echoes back) taken out.
fn answer(r: &Resp, email: &str) -> Answer {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| *k != "x-request-id" && *k != "content-length")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    (r.status, headers, r.body.replace(email, "EMAIL"))
}

#[tokio::test]
async fn unknown_wrong_and_locked_get_one_answer_after_the_same_work() {
    let proxies: &[&[&str]] = &[&[], &["127.0.0.1"]];
    for trusted in proxies {
        let h = Harness::with_config(parley_web::Config {
            trusted_proxies: trusted
                .iter()
                .map(|p| parley_web::throttle::parse_proxy(p).unwrap())
                .collect(),
            // Room for every attempt of the table from one address (throttling is tested
            // below).
            sign_in_limit: parley_web::throttle::AddressLimit {
                attempts: 1_000,
                per: jiff::SignedDuration::from_mins(10),
            },
            ..parley_web::Config::default()
        })
        .await;
        let p = h.partnership_of("solihull");
        let wrong = h.person(&h.sign_in_of(&p, "manager").person_id).await;
        let locked = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
        let until = now().as_microsecond() + 3_600_000_000;
        h.sql(&format!(
            "UPDATE accounts SET failed_attempts = 5, locked_until_us = {until} WHERE person_id = '{}'",
            locked.id
        ))
        .await;
        // (what is tried, email, password)
        let cases: &[(&str, &str, &str)] = &[
            ("unknown address", "nobody.at.all@example.org", PASSWORD),
            (
                "unknown address, odd case",
                "NoBody@Example.ORG",
                "not the password",
            ),
            ("wrong password", &wrong.email, "not the password"),
            (
                "wrong password, upper case",
                &wrong.email.to_uppercase(),
                "x",
            ),
            ("locked, right password", &locked.email, PASSWORD),
            ("locked, wrong password", &locked.email, "not the password"),
        ];
        let forwarded: &[Option<&str>] = &[
            None,
            Some("198.51.100.7"),
            Some("1.1.1.1, 198.51.100.7"),
            Some("garbage"),
        ];
        let mut first: Option<(String, Answer)> = None;
        for xff in forwarded {
            for (what, email, password) in cases {
                let checks = h.state.sign_in.password_checks();
                let r = attempt(&h, "127.0.0.1:40000", *xff, email, password).await;
                let label = format!("{what} (proxies {trusted:?}, X-Forwarded-For {xff:?})");
                assert_eq!(
                    h.state.sign_in.password_checks() - checks,
                    1,
                    "{label}: not exactly one password check"
                );
                assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
                assert!(r.set_cookies().is_empty(), "{label}");
                let a = answer(&r, email);
                match &first {
                    None => first = Some((label, a)),
                    Some((first_label, expected)) => {
                        assert_eq!(&a, expected, "{label} differs from {first_label}");
                    }
                }
            }
        }
        // The locked account is still locked, and its holder still gets in once it is not.
        let account = h.state.store.account(&locked.id).await.unwrap().unwrap();
        assert_eq!(account.locked_until_us, Some(until));
    }
}

#[tokio::test]
async fn throttling_by_address_is_not_bypassed_by_a_forged_forwarded_for() {
    let limit = parley_web::throttle::AddressLimit {
        attempts: 5,
        per: jiff::SignedDuration::from_mins(10),
    };
    let h = Harness::with_config(parley_web::Config {
        sign_in_limit: limit,
        ..parley_web::Config::default()
    })
    .await;
    let p = h.partnership_of("croydon");
    let person = h.person(&h.sign_in_of(&p, "manager").person_id).await;
    let attacker = "203.0.113.5:5000";
    // Five failures, each with a different forged header (no proxy is trusted).
    let forged = [
        "198.51.100.1",
        "198.51.100.2, 198.51.100.3",
        "127.0.0.1",
        "10.0.0.1",
        "::1",
        "unknown",
        "198.51.100.9",
    ];
    for (n, xff) in forged.iter().enumerate().take(5) {
        let r = attempt(
            &h,
            attacker,
            Some(xff),
            &format!("victim{n}@example.org"),
            "guess",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {n}");
    }
    // Then the address is held up, whatever it claims, even with a right password, and no
    // password is checked.
    for xff in [None, Some("198.51.100.77"), Some(forged[6])] {
        let checks = h.state.sign_in.password_checks();
        let r = attempt(&h, attacker, xff, &person.email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{xff:?}");
        assert!(r.set_cookies().is_empty());
        assert!(
            r.body
                .contains("too many attempts to sign in from your network")
        );
        assert_eq!(
            h.state.sign_in.password_checks(),
            checks,
            "a password was checked"
        );
        // The same answer for an unknown address.
        let unknown = attempt(&h, attacker, xff, "nobody@example.org", PASSWORD).await;
        assert_eq!(
            answer(&unknown, "nobody@example.org"),
            answer(&r, &person.email)
        );
    }
    // The account itself was not touched by the throttled attempts, and another address gets
    // in (locking everyone out from one address does not work).
    let account = h.state.store.account(&person.id).await.unwrap().unwrap();
    assert_eq!(account.failed_attempts, 0);
    let r = attempt(&h, "203.0.113.6:5000", None, &person.email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled() {
    let h = Harness::with_config(parley_web::Config {
        sign_in_limit: parley_web::throttle::AddressLimit {
            attempts: 3,
            per: jiff::SignedDuration::from_mins(10),
        },
        trusted_proxies: vec![parley_web::throttle::parse_proxy("10.0.0.0/8").unwrap()],
        ..parley_web::Config::default()
    })
    .await;
    let p = h.partnership_of("croydon");
    let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let proxy = "10.0.0.1:8443";
    // The client forges entries to the left of what the proxy appended: they change nothing.
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let xff = format!("{forged}, 198.51.100.9");
        let r = attempt(&h, proxy, Some(&xff), "nobody@example.org", "guess").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    for xff in [
        "198.51.100.9",
        "4.4.4.4, 198.51.100.9",
        "198.51.100.9, 10.2.3.4",
    ] {
        let r = attempt(&h, proxy, Some(xff), &person.email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{xff}");
    }
    // Another client behind the same proxy is not held up.
    let r = attempt(&h, proxy, Some("198.51.100.10"), &person.email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A peer that is not a trusted proxy cannot borrow a client's address.
    let r = attempt(
        &h,
        "203.0.113.50:1",
        Some("198.51.100.9"),
        &person.email,
        PASSWORD,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
