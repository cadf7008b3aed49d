//! Signing in, from the attacker's side: where `next` may send a browser, and that a sign-in
//! answer tells nothing about which accounts exist or are locked.

use axum::body::Body;
use axum::http::{Method, StatusCode};

use crate::harness::{Auth, Harness, PASSWORD, excerpt};

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
