//! API: an escalation's forms as PDF (issue 17, item 4), with the same service, and so the
//! same rules, as the page. `GET` makes a form without the child's details; `POST` (no body)
//! makes the stage record with them, for a caller who may see the child, recording the
//! reading first.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::Problem;
use super::body::NoBody;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::forms::{self as svc, FormLink, Pdf, Reading};

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/api/escalations/{id}/forms/{form}",
            Rule::SignedIn,
            get(form),
        ),
        route(
            Method::POST,
            "/api/escalations/{id}/forms/{form}",
            Rule::SignedIn,
            post(form_with_child),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(paths(form, form_with_child), components(schemas(FormLink)))]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// One of the procedure's forms that applies to the escalation now (its `forms` list), as a
/// tagged PDF: a form sent to the partnership (Croydon Appendix A, Sunderland Appendix 1) once
/// the partnership form has been sent, the stage record always. Never the child's details.
#[utoipa::path(get, path = "/api/escalations/{id}/forms/{form}", tag = "escalations",
    operation_id = "escalation_form",
    params(
        ("id" = String, Path, description = "The escalation's id"),
        ("form" = String, Path, description = "The form's id in the procedure file (`appendix-a`, `stage-record`)")),
    responses(
        (status = 200, description = "The PDF, as an attachment", content_type = "application/pdf", body = String),
        (status = 401, body = Problem),
        (status = 404, description = "No such escalation the caller sees, no such form in its procedure, or a form to the partnership before the partnership form was sent", body = Problem)),
    security(("token" = [])))]
async fn form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, form)): Path<(String, String)>,
) -> Result<Pdf, AppError> {
    svc::pdf(&state, &user, &id, &form, Reading::WithoutChild).await
}

/// The stage record with the child's details, for a caller who may see them. The reading is
/// recorded (who, when) before the PDF is made, so it is a POST (no body).
#[utoipa::path(post, path = "/api/escalations/{id}/forms/{form}", tag = "escalations",
    operation_id = "escalation_form_with_child",
    params(
        ("id" = String, Path, description = "The escalation's id"),
        ("form" = String, Path, description = "The id of a `stage-record` form of the procedure")),
    responses(
        (status = 200, description = "The PDF, as an attachment", content_type = "application/pdf", body = String),
        (status = 401, body = Problem),
        (status = 404, description = "No such escalation the caller sees, no such form, a form that cannot hold the child's details, an escalation without a child, or a caller who may not see the child (the business team included)", body = Problem)),
    security(("token" = [])))]
async fn form_with_child(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, form)): Path<(String, String)>,
    _: NoBody,
) -> Result<Pdf, AppError> {
    svc::pdf(&state, &user, &id, &form, Reading::WithChild).await
}
