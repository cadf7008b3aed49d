//! API: compliments (the same service as the page).

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiJson;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::compliments::{self, ComplimentView, Compliments, GiveCompliment, PersonRef};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/api/compliments", Rule::SignedIn, get(list)),
        route(
            Method::POST,
            "/api/compliments",
            Rule::SignedIn,
            axum::routing::post(give),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(list, give),
    components(schemas(Compliments, ComplimentView, PersonRef, GiveCompliment))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The compliments given to and by the caller (and, for the partnership business team, every
/// compliment in the partnership), newest first, and whom the caller may compliment.
#[utoipa::path(get, path = "/api/compliments", tag = "compliments",
    responses((status = 200, body = Compliments), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Compliments>, AppError> {
    Ok(Json(compliments::compliments(&state, &user).await?))
}

/// Gives a compliment to a person in another agency of the caller's partnership. A
/// compliment carries no child details.
#[utoipa::path(post, path = "/api/compliments", tag = "compliments",
    request_body = GiveCompliment,
    responses(
        (status = 201, body = ComplimentView, description = "Given"),
        (status = 401, body = Problem),
        (status = 404, body = Problem, description = "The partnership's procedure does not invite compliments"),
        (status = 422, body = Problem, description = "No such person in another agency, or no message, or one over 2,000 characters, or one that shows nothing, holds bidirectional controls or identifies a child of an escalation the giver is part of")
    ),
    security(("token" = [])))]
async fn give(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<GiveCompliment>,
) -> Result<Response, AppError> {
    let given = compliments::give(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(given)).into_response())
}
