//! Errors a request can end in, and how they are shown: an HTML page (403, 404, 409, 500...)
//! or, under `/api/`, a JSON problem body (RFC 9457) with a stable `code`. A 500 shows the
//! request id and nothing of the internals; the internals go to the log.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::security::RequestId;

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
    #[error("{0}")]
    BadRequest(String),
    /// The form's CSRF token does not match the session's.
    #[error("the form has expired: go back, reload the page and try again")]
    Csrf,
    #[error("too many requests: {0}")]
    TooMany(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::NotPermitted(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
            AppError::BadRequest(_) => "invalid",
            AppError::TooMany(_) => "too-many-requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the user may be told (never internals).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "Sorry, something went wrong on our side.".to_owned(),
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            }
        }
    }
}

/// Put on an error response by `into_response`; `render_errors` turns it into the body.
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Failure {
            code: self.code(),
            message: self.public_message(),
        });
        response
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    request_id: &'a str,
}

fn title(status: StatusCode) -> &'static str {
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
    let (code, message) = match failure {
        Some(f) => (f.code, f.message),
        None => (
            match status.as_u16() {
                404 => "not-found",
                405 => "method-not-allowed",
                403 => "forbidden",
                413 => "too-large",
                400 | 415 | 422 => "invalid",
                _ => "internal",
            },
            match status.as_u16() {
                400 | 415 | 422 => "The request could not be read.".to_owned(),
                413 => "What was sent is too large.".to_owned(),
                _ => title(status).to_owned() + ".",
            },
        ),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if api {
        let body = serde_json::to_string(&Problem {
            r#type: format!("/api/problems/{code}"),
            title: title(status),
            status: status.as_u16(),
            code,
            detail: &message,
            request_id: &request_id,
        })
        .unwrap_or_default();
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        return Response::from_parts(parts, body.into());
    }
    if status == StatusCode::UNAUTHORIZED {
        // Pages send people to sign in rather than show a 401.
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/sign-in".to_owned())],
        )
            .into_response();
    }
    let body = templates
        .get_template("error.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                page_title => title(status),
                status => status.as_u16(),
                message => message,
                request_id => request_id.clone(),
                code => code,
            })
        })
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page did not render");
            format!("{} (request {request_id})", title(status))
        });
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, body.into())
}
