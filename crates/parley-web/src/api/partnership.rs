//! API: the partnership view, for the partnership business team (the same service as the
//! page). A filter value that names nothing is refused with a 422, so that a client never
//! takes a broader list for the one it asked for.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiQuery;
use crate::access::BUSINESS_TEAM;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::route::{Route, Rule, route};
use crate::service::partnership::{
    self, FilterOption, FilterOptions, FilterProblem, FilterQuery, Filters, PageItem, PageLink,
    Pagination, PartnershipView, Total, Totals,
};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::GET,
        "/api/partnership/escalations",
        Rule::Roles(&[BUSINESS_TEAM]),
        get(escalations),
    )]
}

#[derive(OpenApi)]
#[openapi(
    paths(escalations),
    components(schemas(
        PartnershipView,
        Filters,
        FilterProblem,
        crate::service::partnership::StatusFilter,
        FilterOptions,
        FilterOption,
        Pagination,
        PageLink,
        PageItem,
        Totals,
        Total
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The partnership's escalations from the stage the procedure first tells the partnership
/// business team, newest first, a page at a time, with totals. No child details and no case
/// text. For the partnership business team only.
#[utoipa::path(get, path = "/api/partnership/escalations", tag = "partnership",
    params(FilterQuery),
    responses(
        (status = 200, body = PartnershipView),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team"),
        (status = 422, body = Problem, description = "A filter names nothing: an unknown stage, agency, category or status, or a bad page (`errors`, one a filter)")
    ),
    security(("token" = [])))]
async fn escalations(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Json<PartnershipView>, AppError> {
    let prepared = partnership::prepare(&state, &user, &q).await?;
    if !prepared.problems.is_empty() {
        return Err(AppError::Invalid(
            prepared.problems.iter().map(FieldError::from).collect(),
        ));
    }
    Ok(Json(
        partnership::view(&state, prepared, "/api/partnership/escalations", true).await?,
    ))
}
