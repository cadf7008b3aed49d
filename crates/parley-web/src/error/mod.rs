//! Errors a request can end in, and how they are shown: an HTML page (403, 404, 409, 500...)
//! or, under `/api/`, a JSON problem body (RFC 9457) with a stable `code`. A 500 shows the
//! request id and nothing of the internals; the internals go to the log.
//!
//! A refused input is [`AppError::Invalid`], a list of the one field-error type
//! ([`FieldError`], `field.rs`), shown by the API as the problem's `errors` (`problem.rs`) and
//! by pages as the GOV.UK error summary (`page.rs`).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parley_store::StoreError;

use crate::security::RequestId;

pub mod field;
pub mod page;
pub mod problem;

pub use field::{FieldError, FieldErrors};
pub use page::{ErrorItem, ErrorSummary};
pub use problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in to continue")]
    Unauthenticated,
    #[error("you do not have access to this")]
    Forbidden,
    #[error("page not found")]
    NotFound,
    /// The person takes part, but the procedure gives this to others: the sentence says who.
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    Conflict(String),
    /// What was sent is refused (422): each field's problem.
    #[error("{}", messages(.0))]
    Invalid(Vec<FieldError>),
    /// The form's CSRF token does not match the session's.
    #[error("the form has expired: go back, reload the page and try again")]
    Csrf,
    #[error("too many requests: {0}")]
    TooMany(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The messages of a refusal, as one sentence for a page.
fn messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(FieldError::text)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e.into_vec())
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => AppError::Conflict(e.to_string()),
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Invalid(message) => AppError::invalid(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    /// A refusal with one message about the request as a whole.
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::whole(message)])
    }

    /// A refusal with one message about `field`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::NotPermitted(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code API clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotPermitted(_) => "not-permitted",
            AppError::Csrf => "csrf",
            AppError::NotFound => "not-found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::TooMany(_) => "too-many-requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the user may be told (never internals).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "Sorry, something went wrong on our side.".to_owned(),
            other => problem::capitalised(&other.to_string()),
        }
    }
}

/// Put on an error response by `into_response`; `render_errors` turns it into the body.
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: &'static str,
    /// What a page may say.
    pub message: String,
    /// What the problem's `detail` says.
    pub detail: String,
    /// A refusal's field errors, for the problem's `errors`.
    pub errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut response = self.status().into_response();
        let message = self.public_message();
        let failure = match self {
            AppError::Invalid(errors) => Failure {
                code: "invalid",
                detail: problem::detail(&errors),
                message,
                errors,
            },
            other => Failure {
                code: other.code(),
                detail: message.clone(),
                message,
                errors: Vec::new(),
            },
        };
        response.extensions_mut().insert(failure);
        response
    }
}

/// Gives every error response a body: JSON under `/api/`, the error page elsewhere. Also
/// covers the errors axum makes itself (unknown route, wrong method, bad form body).
pub async fn render_errors(
    axum::extract::State(templates): axum::extract::State<Arc<minijinja::Environment<'static>>>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let failure = response.extensions().get::<Failure>().cloned();
    // A response that already has its own body (a form re-shown with errors) stays as it is.
    if failure.is_none() && response.headers().contains_key(header::CONTENT_TYPE) && !api {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        if html {
            return response;
        }
    }
    // Under /api/, a handler that wrote its own problem body (one listing what was invalid)
    // keeps it.
    if api
        && failure.is_none()
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
    {
        return response;
    }
    let (code, message, detail, errors) = match failure {
        Some(f) => (f.code, f.message, f.detail, f.errors),
        None => {
            let code = match status.as_u16() {
                404 => "not-found",
                405 => "method-not-allowed",
                403 => "forbidden",
                413 => "too-large",
                400 | 415 | 422 => "invalid",
                _ => "internal",
            };
            let message = match status.as_u16() {
                400 | 415 | 422 => "The request could not be read.".to_owned(),
                413 => "What was sent is too large.".to_owned(),
                _ => problem::title(status).to_owned() + ".",
            };
            (code, message.clone(), message, Vec::new())
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if api {
        let (problem, body) = problem::response(
            status,
            code,
            problem::title(status),
            detail,
            &request_id,
            errors,
        )
        .into_parts();
        parts.headers.extend(problem.headers);
        return Response::from_parts(parts, body);
    }
    if status == StatusCode::UNAUTHORIZED {
        // Pages send people to sign in rather than show a 401.
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/sign-in".to_owned())],
        )
            .into_response();
    }
    let (body, content_type) = page::error_page(&templates, status, code, &message, &request_id);
    parts.headers.insert(header::CONTENT_TYPE, content_type);
    Response::from_parts(parts, body.into())
}
