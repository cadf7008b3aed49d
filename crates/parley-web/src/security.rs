//! Headers every response carries, and the request id every log line and error page names.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The id of one request: in the `X-Request-Id` response header, the log, and error pages.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The span of one request (tower-http's `TraceLayer`, made inside [`headers`], which gives
/// the request its id): the request id, the method, the route the path matched
/// (`/escalations/{id}`; empty when none did) and the path. The query is left out: it may
/// carry what a person typed. Every event logged while the request is handled is inside it,
/// so every log line of a request names its id.
pub fn span(request: &Request) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map_or("", |r| r.0.as_str());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route,
        path = %request.uri().path(),
    )
}

/// No inline script or style anywhere (the GOV.UK Frontend JS starts from /static/init.js);
/// nothing from other hosts; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// HTTP Strict Transport Security (RFC 6797): a year, subdomains too. Sent only when the
/// site is served over https (`Config::served_over_https`); over plain HTTP browsers ignore
/// it, and it would pin a development host to https.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Whether responses carry `Strict-Transport-Security`.
#[derive(Clone, Copy, Debug)]
pub struct Hsts(pub bool);

pub async fn headers(State(hsts): State<Hsts>, mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if hsts.0 {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        // Case pages must not linger in shared or back-button caches.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    response
}
