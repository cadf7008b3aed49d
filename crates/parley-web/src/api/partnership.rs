//! API: the partnership view, for the partnership business team (the same service as the
//! page). A filter value that names nothing is refused with a 422, so that a client never
//! takes a broader list for the one it asked for.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
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
    vec![
        route(
            Method::GET,
            "/api/partnership/escalations",
            Rule::Roles(&[BUSINESS_TEAM]),
            get(escalations),
        ),
        route(
            Method::GET,
            "/api/partnership/escalations/csv",
            Rule::Roles(&[BUSINESS_TEAM]),
            get(escalations_csv),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(escalations, escalations_csv),
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
        return Err(refused(&prepared.problems));
    }
    Ok(Json(
        partnership::view(&state, prepared, "/api/partnership/escalations", true).await?,
    ))
}

/// The filters of the list as CSV (no page: every escalation that passes them).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvQuery {
    /// At this stage (a number, at or after the stage the business team is first told).
    stage: Option<String>,
    /// Raised by or against this agency (its id).
    agency: Option<String>,
    /// In this category (its id in the procedure).
    category: Option<String>,
    /// `open`, `resolved`, `referred-on`, `withdrawn` or `redirected`.
    status: Option<String>,
    /// `yes` (or `true`, `on`, `1`): only open escalations past a deadline.
    overdue: Option<String>,
}

/// Every escalation of the partnership view that passes the filters, newest first, as CSV
/// (UTF-8, a header row of the column names shown, ISO 8601 dates, cells a spreadsheet would
/// take for a formula neutralised). No child details and no case text. A filter that names
/// nothing is refused with a 422, as for the list.
#[utoipa::path(get, path = "/api/partnership/escalations/csv", tag = "partnership",
    params(CsvQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team"),
        (status = 422, body = Problem, description = "A filter names nothing: an unknown stage, agency, category or status")
    ),
    security(("token" = [])))]
async fn escalations_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<CsvQuery>,
) -> Result<Response, AppError> {
    let q = FilterQuery {
        stage: q.stage,
        agency: q.agency,
        category: q.category,
        status: q.status,
        overdue: q.overdue,
        page: None,
        per_page: None,
    };
    let prepared = partnership::prepare(&state, &user, &q).await?;
    if !prepared.problems.is_empty() {
        return Err(refused(&prepared.problems));
    }
    let (name, text) = partnership::csv::csv(&state, prepared).await?;
    Ok(super::reports::download(
        "text/csv; charset=utf-8",
        &name,
        text.into_bytes(),
    ))
}

/// The 422 for filter values that name nothing: one field error per filter.
fn refused(problems: &[FilterProblem]) -> AppError {
    AppError::Invalid(problems.iter().map(FieldError::from).collect())
}
