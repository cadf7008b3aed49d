//! Parley's web application and JSON API.
//!
//! Pages are rendered on the server with the GOV.UK Frontend templates and work without
//! JavaScript; the API under `/api/` does everything the pages do, under the same rules of
//! who sees what (`access`). Both go through the records service of `parley-store`.

pub mod access;
pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod error;
pub mod hints;
mod named;
pub mod pages;
pub mod permissions;
pub mod route;
pub mod routes;
pub mod security;
pub mod service;
pub mod templates;
pub mod throttle;

use std::net::SocketAddr;

use axum::Router;
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use app::{AppState, Clock, Config, Rules};
pub use error::AppError;

/// Bodies larger than this are refused (procedure files are the largest thing sent).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The whole application: routes, then (inside out) sign-in lookup, cross-origin refusal, error
/// pages, body limit, panic catching, the request's span, security headers and request ids.
/// The span (`security::span`) names the request id, so every log line written while a request
/// is handled carries it.
pub fn router(state: AppState) -> Router {
    let mut csrf = CsrfLayer::new();
    for origin in &state.config.trusted_origins {
        match csrf.clone().add_trusted_origin(origin) {
            Ok(c) => csrf = c,
            Err(e) => tracing::warn!(%origin, error = %e, "ignoring a trusted origin"),
        }
    }
    routes::router(&state)
        .fallback(|| async { AppError::NotFound })
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(csrf)
        .layer(from_fn_with_state(
            state.templates.clone(),
            error::render_errors,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal("a handler panicked".to_owned()).into_response_inner()
        }))
        .layer(TraceLayer::new_for_http().make_span_with(security::span))
        .layer(from_fn_with_state(
            security::Hsts(state.config.served_over_https()),
            security::headers,
        ))
        .with_state(state)
}

impl AppError {
    fn into_response_inner(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let sweeper = tokio::spawn(sweep_sessions(state));
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    result
}

/// Deletes expired sessions every ten minutes.
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match state
            .store
            .delete_expired_sessions(state.now().as_microsecond())
            .await
        {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not sweep sessions"),
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
