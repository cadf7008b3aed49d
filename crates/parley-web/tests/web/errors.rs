//! Error pages and API problems: a 404 and a 500 page show a request id (the response's
//! `X-Request-Id`) and nothing of the internals; API errors are `application/problem+json`
//! bodies with a stable `code` and the request id.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};

use crate::harness::*;

/// Words that would show internals: source paths, Rust and SQL errors, stack traces.
const INTERNALS: &[&str] = &[
    "src/",
    ".rs:",
    "panicked",
    "sqlx",
    "SQLITE",
    "sqlite",
    "StoreError",
    "AppError",
    "internal error:",
    "does not parse",
    "stack backtrace",
    "RUST_BACKTRACE",
    "unwrap",
];

fn internals_in(body: &str) -> Vec<&'static str> {
    INTERNALS
        .iter()
        .copied()
        .filter(|w| body.contains(w))
        .collect()
}

fn request_id(r: &Resp) -> String {
    r.header("x-request-id").expect("a request id").to_owned()
}

/// An error page: HTML, the request id on it, no internals.
fn assert_error_page(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status.as_u16(), status, "{what}: {}", excerpt(&r.body));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{what}: {:?}",
        r.header("content-type")
    );
    let id = request_id(r);
    assert!(
        r.body.contains(&id),
        "{what}: the page does not show the request id {id}"
    );
    assert!(r.body.contains("<h1"), "{what}: no heading");
    assert_eq!(
        internals_in(&r.body),
        Vec::<&str>::new(),
        "{what}: internals shown"
    );
}

/// An API problem: JSON, the code, the request id, no internals.
/// The fields a refusal's `errors` name, in order.
fn error_fields(problem: &serde_json::Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

fn assert_problem(r: &Resp, status: u16, code: &str, what: &str) {
    assert_eq!(r.status.as_u16(), status, "{what}: {}", excerpt(&r.body));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "{what}: {:?} {}",
        r.header("content-type"),
        excerpt(&r.body)
    );
    let v = r.json();
    assert_eq!(v["code"], code, "{what}: {v}");
    assert_eq!(v["status"], status, "{what}: {v}");
    assert!(
        v["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: {v}"
    );
    assert_eq!(v["request_id"], request_id(r), "{what}: {v}");
    assert_eq!(
        internals_in(&r.body),
        Vec::<&str>::new(),
        "{what}: internals shown"
    );
}

#[tokio::test]
async fn a_missing_page_shows_a_request_id_and_no_internals() {
    let h = Harness::new().await;
    let r = h.get("/no-such-page", &Auth::Anonymous).await;
    assert_error_page(&r, 404, "GET /no-such-page anonymously");
    let p = h.partnership_of("solihull");
    let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let user = h.session_for("practitioner", &person).await;
    for path in [
        "/no-such-page",
        "/escalations/00000000-0000-4000-8000-000000000000",
        "/escalations/not-an-id",
    ] {
        assert_error_page(&h.get(path, &user.auth).await, 404, path);
    }
    // Each response its own id.
    let a = h.get("/no-such-page", &user.auth).await;
    let b = h.get("/no-such-page", &user.auth).await;
    assert_ne!(request_id(&a), request_id(&b));
    // A role not allowed: the 403 page.
    assert_error_page(
        &h.get("/admin", &user.auth).await,
        403,
        "GET /admin as a practitioner",
    );
    // A method not allowed.
    let r = h
        .send(
            h.request(Method::DELETE, "/my-work", &user.auth)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error_page(&r, 405, "DELETE /my-work");
}

/// A partnership whose stored procedure no longer reads (as if the database were damaged):
/// every page that needs it fails with a 500 that says nothing of why.
#[tokio::test]
async fn a_server_error_shows_a_request_id_and_no_internals() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    h.sql(&format!(
        "UPDATE procedures SET source = 'this is not a procedure' WHERE partnership_id = '{p}'"
    ))
    .await;
    let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let user = h.session_for("practitioner", &person).await;
    let r = h.get("/my-work", &user.auth).await;
    assert_error_page(&r, 500, "GET /my-work with a damaged procedure");
    let api = h.bearer_for(&person).await;
    let r = h.get("/api/my-work", &api).await;
    assert_problem(
        &r,
        500,
        "internal",
        "GET /api/my-work with a damaged procedure",
    );
    // Other partnerships carry on.
    let other = h.partnership_of("croydon");
    let person = h
        .person(&h.sign_in_of(&other, "practitioner").person_id)
        .await;
    let user = h.session_for("practitioner", &person).await;
    assert_eq!(h.get("/my-work", &user.auth).await.status, 200);
}

#[tokio::test]
async fn api_errors_are_problem_bodies_with_a_code() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let practitioner = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let business = h
        .person(&h.sign_in_of(&p, "partnership-business-team").person_id)
        .await;
    let token = h.bearer_for(&practitioner).await;

    assert_problem(
        &h.get("/api/me", &Auth::Anonymous).await,
        401,
        "unauthenticated",
        "GET /api/me anonymously",
    );
    assert_problem(
        &h.get("/api/me", &Auth::Bearer("0".repeat(64))).await,
        401,
        "unauthenticated",
        "GET /api/me with a token that does not exist",
    );
    assert_problem(
        &h.get("/api/no-such-endpoint", &token).await,
        404,
        "not-found",
        "GET /api/no-such-endpoint",
    );
    assert_problem(
        &h.get(
            "/api/escalations/00000000-0000-4000-8000-000000000000",
            &token,
        )
        .await,
        404,
        "not-found",
        "GET /api/escalations/<missing>",
    );
    assert_problem(
        &h.get("/api/partnership/escalations", &token).await,
        403,
        "forbidden",
        "GET /api/partnership/escalations as a practitioner",
    );
    let bt = h.bearer_for(&business).await;
    assert_problem(
        &h.get("/api/raise/options", &bt).await,
        403,
        "forbidden",
        "GET /api/raise/options as the business team",
    );
    // Filters that name nothing: the one problem shape, each filter's problem in `errors`.
    let r = h
        .get("/api/partnership/escalations?stage=99&status=sideways", &bt)
        .await;
    assert_problem(
        &r,
        422,
        "invalid",
        "GET /api/partnership/escalations?stage=99",
    );
    let v = r.json();
    let fields = error_fields(&v);
    assert_eq!(fields, ["stage", "status"], "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("There is no stage 99"),
        "{v}"
    );
    let r = h
        .send(
            h.request(Method::DELETE, "/api/me", &token)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_problem(&r, 405, "method-not-allowed", "DELETE /api/me");
    // A body that is not JSON.
    let r = h
        .send(
            h.request(Method::POST, "/api/compliments", &token)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    let status = r.status.as_u16();
    assert!(matches!(status, 400 | 415 | 422), "{status}");
    assert_problem(&r, status, "invalid", "POST /api/compliments {not json");
    // What the service refuses (in Dorset, whose procedure invites compliments, §2).
    let dorset = h
        .person(
            &h.sign_in_of(&h.partnership_of("dorset"), "practitioner")
                .person_id,
        )
        .await;
    let dorset = h.bearer_for(&dorset).await;
    let r = h
        .send_json(
            Method::POST,
            "/api/compliments",
            &dorset,
            &serde_json::json!({"to_person_id": "", "message": ""}),
        )
        .await;
    assert_problem(
        &r,
        422,
        "invalid",
        "POST /api/compliments with nothing in it",
    );
    // The one shape of a refusal: each member's problem in `errors`, named as sent.
    let v = r.json();
    let fields = error_fields(&v);
    assert_eq!(fields, ["to_person_id", "message"], "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .starts_with("to_person_id: Select the person you want to compliment"),
        "{v}"
    );
}

/// A request refused for coming from another site is an error like any other: a problem body
/// under /api/, an error page elsewhere, with the request id.
#[tokio::test]
async fn a_cross_site_refusal_is_a_problem_or_an_error_page() {
    let h = Harness::new().await;
    let p = h.partnership_of("solihull");
    let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
    let token = h.bearer_for(&person).await;
    let cross = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    let r = h
        .send_json_with(
            Method::POST,
            "/api/compliments",
            &token,
            &serde_json::json!({}),
            &cross,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_problem(&r, 403, "forbidden", "a cross-site POST /api/compliments");
    let user = h.session_for("practitioner", &person).await;
    let r = h
        .post_raw_form(
            "/compliments",
            &user.auth,
            &[("csrf", user.auth.csrf())],
            &cross,
        )
        .await;
    assert_error_page(&r, 403, "a cross-site POST /compliments");
}
