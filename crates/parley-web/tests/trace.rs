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

/// The id the response's `X-Request-Id` gives is on every line of its request, with its path,
/// and the query is never logged.
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
    let state = AppState::new(Arc::new(records), Config::default(), Clock::System);
    let app = parley_web::router(state);
    let mut ids = Vec::new();
    for path in [
        "/sign-in?next=/secret-query",
        "/no-such-page",
        "/static/parley.css",
    ] {
        let request = Request::get(path).body(Body::empty()).unwrap();
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
