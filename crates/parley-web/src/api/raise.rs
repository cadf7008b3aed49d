//! API: raising a challenge, with the same service (and so the same checks) as the pages.
//! `GET /api/raise/options` gives a client everything the form offers; `POST
//! /api/escalations` raises, or answers 422 with a message per field.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiJson;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::raise::{
    self as service, AgencyOption, AgencyRef, CategoryOption, ChildRequest, Choice, Deadlines,
    Limits, NamedOfficer, PersonOption, ProcedureRef, RAISING_ROLES, RaiseOptions, RaiseRequest,
    Raised, RedirectionOption, RouteOption, StageDeadline,
};

pub fn routes() -> Vec<Route> {
    // Practitioners, managers and senior managers raise; the handlers also need the caller
    // to belong to an agency (403 otherwise).
    let raisers = Rule::Roles(&RAISING_ROLES);
    vec![
        route(Method::GET, "/api/raise/options", raisers, get(options)),
        route(Method::POST, "/api/escalations", raisers, post(raise)),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(options, raise),
    components(schemas(
        RaiseOptions,
        ProcedureRef,
        AgencyRef,
        RedirectionOption,
        RouteOption,
        CategoryOption,
        Choice,
        AgencyOption,
        PersonOption,
        Limits,
        RaiseRequest,
        ChildRequest,
        Raised,
        Deadlines,
        StageDeadline,
        NamedOfficer,
        crate::service::day_one::DecisionDateQuestion,
        crate::service::day_one::DayOneView
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// What a challenge may be raised with: the procedure's screening and redirection texts,
/// routes, categories and child statuses, and the other agencies of the caller's
/// partnership with the people who can be named in them.
#[utoipa::path(get, path = "/api/raise/options", tag = "escalations", operation_id = "raise_options",
    responses(
        (status = 200, body = RaiseOptions),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "The caller cannot raise a challenge: no practitioner, manager or senior manager role, or no agency")
    ),
    security(("token" = [])))]
async fn options(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<RaiseOptions>, AppError> {
    Ok(Json(service::options(&state, &user).await?))
}

/// Raises a challenge from the caller's agency to another agency of the partnership, under
/// the partnership's current procedure, and answers with its reference and the deadlines
/// ahead. Nothing is recorded unless every check passes.
#[utoipa::path(post, path = "/api/escalations", tag = "escalations", operation_id = "raise_escalation",
    request_body = RaiseRequest,
    responses(
        (status = 201, body = Raised, description = "Raised"),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "The caller cannot raise a challenge: no practitioner, manager or senior manager role, or no agency (code `forbidden`); or the procedure gives the chosen route to other roles (code `not-permitted`, the `detail` says who)"),
        (status = 422, body = Problem, content_type = "application/problem+json",
            description = "Something is missing or wrong (see `errors`), or a child is at immediate risk, or the matter belongs to another procedure.")
    ),
    security(("token" = [])))]
async fn raise(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<RaiseRequest>,
) -> Result<Response, AppError> {
    // Refused: the 422 problem lists what is wrong with each field (as named in the request;
    // a child's fields as `child.name`). A yes to `immediate_risk`, or another procedure in
    // `other_procedure`, comes back there with the procedure's own words on what to do
    // instead.
    let raised = service::raise(&state, &user, &req).await?;
    Ok((StatusCode::CREATED, Json(raised)).into_response())
}
