//! API: the learning log (the same service as the page).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use utoipa::OpenApi;

use super::Problem;
use crate::access::BUSINESS_TEAM;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::learning::{self, LearningEntry, LearningLog};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::GET,
        "/api/partnership/learning",
        Rule::Roles(&[BUSINESS_TEAM]),
        get(list),
    )]
}

#[derive(OpenApi)]
#[openapi(paths(list), components(schemas(LearningLog, LearningEntry)))]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The learning identified at any stage of any escalation of the caller's partnership, with
/// the escalation's reference, stage, category, agencies and date: no child details and no
/// case text. For the partnership business team only.
#[utoipa::path(get, path = "/api/partnership/learning", tag = "partnership",
    responses(
        (status = 200, body = LearningLog),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team")
    ),
    security(("token" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<LearningLog>, AppError> {
    Ok(Json(learning::log(&state, &user).await?))
}
