//! API: appointing one of the partnership's people to an escalation in a partnership role
//! (issue 14, item 4), with the same service (and so the same checks) as the page.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::post;
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiJson;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::appointment::{self as svc, AppointRequest, AppointeeView};
use crate::service::escalation::{self as esc, EscalationView};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::POST,
        "/api/escalations/{id}/appointments",
        Rule::SignedIn,
        post(appoint),
    )]
}

#[derive(OpenApi)]
#[openapi(paths(appoint), components(schemas(AppointRequest, AppointeeView)))]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// Appoints a person to the escalation in one of the partnership roles its procedure provides
/// an appointment for (`[[appointment]]`: an independent chair, the Safeguarding Partners
/// Executive ...), based on the escalation's `version` the caller saw. Answers with the
/// escalation as it now is, the appointee in `appointees`.
#[utoipa::path(post, path = "/api/escalations/{id}/appointments", tag = "escalations",
    params(("id" = String, Path, description = "The escalation's id")),
    request_body = AppointRequest,
    responses(
        (status = 200, body = EscalationView),
        (status = 401, body = Problem),
        (status = 403, description = "Code `forbidden` when the caller may make no appointment on it now; `not-permitted` when the procedure gives this appointment to others (the `detail` says who)", body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Someone else changed the escalation since `version` (the deadline monitor's reminders and deadlines recorded as passed are no conflict)", body = Problem),
        (status = 422, description = "No such appointment in the procedure, the person does not hold the role, or the procedure refuses it now (`code` `invalid`, `errors`)", body = Problem)),
    security(("token" = [])))]
async fn appoint(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AppointRequest>,
) -> Result<Json<EscalationView>, AppError> {
    svc::appoint(&state, &user, &id, &request)
        .await
        .map_err(esc::ActError::into_app_error)?;
    let loaded = esc::load(&state, &user, &id).await?;
    Ok(Json(esc::view(&state, &loaded, state.now()).await?))
}
