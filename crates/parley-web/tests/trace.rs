//! Every log line written while a request is handled names the request's id (the span of
//! `security::span`). A test binary of its own: the log subscriber is process-wide, and
//! tracing caches, per call site, whether anyone listens, so the only test in the process is
//! the only one whose requests reach it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use parley_store::records::Records;
use parley_web::{AppState, Clock, Config};
use tower::ServiceExt;

/// A log writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The id the response's `X-Request-Id` gives is on every line of its request, with its path
/// and the route it matched, and the query is never logged. A line a handler logs (a sign-in
/// throttled for the client's address) is inside its request's span too.
#[tokio::test]
async fn log_lines_carry_the_request_id() {
    let log = Captured::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let records = Records::open(&url).await.unwrap();
    // One failed sign-in per address, so that the second attempt is throttled by the handler,
    // which logs it.
    let config = Config {
        sign_in_limit: parley_web::throttle::AddressLimit {
            attempts: 1,
            per: jiff::SignedDuration::from_hours(1),
        },
        ..Config::default()
    };
    let state = AppState::new(Arc::new(records), config, Clock::System);
    let app = parley_web::router(state);
    let mut ids = Vec::new();
    let sign_in = || {
        Request::post("/sign-in?next=/secret-query")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(
                "email=nobody%40example.org&password=not-a-password",
            ))
            .unwrap()
    };
    for (path, request) in [
        (
            "/sign-in?next=/secret-query",
            Request::get("/sign-in?next=/secret-query")
                .body(Body::empty())
                .unwrap(),
        ),
        (
            "/no-such-page",
            Request::get("/no-such-page").body(Body::empty()).unwrap(),
        ),
        (
            "/static/parley.css",
            Request::get("/static/parley.css")
                .body(Body::empty())
                .unwrap(),
        ),
        ("/sign-in", sign_in()),
        ("/sign-in", sign_in()),
    ] {
        let response = app.clone().oneshot(request).await.unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .expect("a request id")
            .to_str()
            .unwrap()
            .to_owned();
        let _ = response.into_body().collect().await.unwrap();
        assert_eq!(id.len(), 32, "{path}: {id}");
        ids.push((path, id));
    }
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // The handler's own line: in the span of the second sign-in, whose response said its id.
    let throttled: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("sign-in throttled for the client address"))
        .collect();
    let (_, second) = &ids[4];
    assert_eq!(throttled.len(), 1, "{text}");
    assert!(
        throttled[0].contains(&format!("request_id={second}"))
            && throttled[0].contains("route=/sign-in")
            && throttled[0].contains("method=POST"),
        "the handler's line is not in its request's span: {}",
        throttled[0]
    );
    let routes = [
        ("/sign-in", "route=/sign-in "),
        ("/static/parley.css", "route=/static/{*path} "),
        ("/no-such-page", "route= "),
    ];
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("tower_http::trace"))
        .collect();
    for (path, id) in &ids {
        let path = path.split('?').next().unwrap();
        let mine: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains(&format!("request_id={id}")))
            .collect();
        assert!(
            mine.iter()
                .any(|l| l.contains("finished processing request")),
            "no finished line for {path} ({id}) in:\n{text}"
        );
        assert!(
            mine.iter().all(|l| l.contains(&format!("path={path}"))),
            "{path}: {mine:?}"
        );
        let (_, route) = routes.iter().find(|(p, _)| *p == path).unwrap();
        assert!(mine.iter().all(|l| l.contains(route)), "{path}: {mine:?}");
    }
    assert!(
        lines.iter().all(|l| l.contains("request_id=")),
        "a request's line without its id:\n{text}"
    );
    assert!(
        !text.contains("secret-query"),
        "the query was logged:\n{text}"
    );
}
