//! API: sending an escalation's partnership form (Croydon Appendix A, Sunderland Appendix 1),
//! with the same service (and so the same checks) as the page.

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
use crate::service::escalation::{self as esc, EscalationView};
use crate::service::partnership_form::{
    self as svc, FormAnswer, PartnershipFormView, SendRequest, SentView,
};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::POST,
        "/api/escalations/{id}/partnership-form",
        Rule::SignedIn,
        post(send),
    )]
}

#[derive(OpenApi)]
#[openapi(
    paths(send),
    components(schemas(SendRequest, PartnershipFormView, FormAnswer, SentView))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// Sends the escalation's partnership form, or sends it again updated, based on the
/// escalation's `version` the caller saw. The answers must not identify the child: the
/// partnership's business team reads them. Answers with the escalation as it now is, the form
/// in `partnership_form`.
#[utoipa::path(post, path = "/api/escalations/{id}/partnership-form", tag = "escalations",
    params(("id" = String, Path, description = "The escalation's id")),
    request_body = SendRequest,
    responses(
        (status = 200, body = EscalationView),
        (status = 401, body = Problem),
        (status = 403, description = "Code `forbidden` when the caller takes no part on the raising side or it is closed; `not-permitted` when the procedure gives the form to others at this stage (the `detail` says who)", body = Problem),
        (status = 404, description = "No such escalation the caller sees, or its procedure has no partnership form", body = Problem),
        (status = 409, description = "Someone else changed the escalation since `version` (the deadline monitor's reminders and deadlines recorded as passed are no conflict)", body = Problem),
        (status = 422, description = "No answer, a field the form does not have, an answer that identifies the child, or a stage before the form's (`code` `invalid`; `errors` names the answer, `answers.<field>`)", body = Problem)),
    security(("token" = [])))]
async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<Json<EscalationView>, AppError> {
    svc::send(&state, &user, &id, &request)
        .await
        .map_err(esc::ActError::into_app_error)?;
    let loaded = esc::load(&state, &user, &id).await?;
    Ok(Json(esc::view(&state, &loaded, state.now()).await?))
}
