//! Errors as the API sends them: a problem document (RFC 9457, `application/problem+json`)
//! with a stable `code`, and for a refused input the `errors` list of [`FieldError`]s. Every
//! API error goes through [`response`], whoever found it (a handler, a body extractor, the
//! layers in front).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::field::FieldError;

/// An error (RFC 9457 problem details).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// Stable: `unauthenticated`, `forbidden`, `not-permitted`, `csrf`, `not-found`,
    /// `conflict`, `invalid`,
    /// `too-many-requests`, `method-not-allowed`, `too-large`, `internal`.
    pub code: String,
    pub detail: String,
    pub request_id: String,
    /// For a request refused for what it holds (400, 415, 422): each field's problem, named
    /// as in the request (`child.name`, `days[2]`; `body` for the whole body). A body that
    /// could not be read has a `code` per field (see `body.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The title of a problem (and of the error page) with this status.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Sign in to continue",
        403 => "You do not have access to this page",
        404 => "Page not found",
        405 => "Method not allowed",
        409 => "Someone else changed this",
        413 => "Too large",
        422 => "There is a problem with what was sent",
        429 => "Too many attempts",
        _ => "Sorry, there is a problem with the service",
    }
}

/// The `detail` of a refused input: each error's text, after its field unless it is about the
/// whole request.
pub fn detail(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| {
            if e.is_whole() {
                capitalised(&e.text())
            } else {
                format!("{}: {}", e.field, e.text())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `s` with its first letter a capital.
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The problem response: `status`, `code`, `title` and `detail`, with `errors` when there
/// are any.
pub fn response(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: String,
    request_id: &str,
    errors: Vec<FieldError>,
) -> Response {
    let body = Problem {
        r#type: format!("/api/problems/{code}"),
        title: title.to_owned(),
        status: status.as_u16(),
        code: code.to_owned(),
        detail,
        request_id: request_id.to_owned(),
        errors,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The problem of a refused input (400, 415 or 422, code `invalid`) listing `errors`.
pub fn invalid(status: StatusCode, request_id: &str, errors: Vec<FieldError>) -> Response {
    let title = match status.as_u16() {
        400 => "The request is not JSON",
        415 => "The request must be JSON",
        _ => "There is a problem with what was sent",
    };
    response(
        status,
        "invalid",
        title,
        detail(&errors),
        request_id,
        errors,
    )
}
