//! API: the reports the partnership's procedure calls for (`[[report]]`; issue 17, item 1),
//! for the business team and administrators: which there are, each with the period due now,
//! and each report as JSON and CSV for the period due or the one asked for. A report the
//! procedure does not declare is a 404; a bad date the one 422 problem naming `from` or `to`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiQuery;
use super::reports::{READERS, download};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::route::{Route, route};
use crate::service::Context;
use crate::service::reports::own::{
    self, OwnReport, ProcedureReport, ProcedureReportInfo, ReachedEscalation, ReachedStage,
};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/api/reports/procedure", READERS, get(list)),
        route(
            Method::GET,
            "/api/reports/procedure/{report}",
            READERS,
            get(one),
        ),
        route(
            Method::GET,
            "/api/reports/procedure/{report}/csv",
            READERS,
            get(csv),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(list, one, csv),
    components(schemas(
        ProcedureReports,
        ProcedureReportInfo,
        ProcedureReport,
        ReachedEscalation,
        ReachedStage
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The reports the procedure calls for.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureReports {
    /// In the procedure file's order; none when it calls for none.
    pub reports: Vec<ProcedureReportInfo>,
}

/// The period of a procedure's report: both days, or neither for the period due now.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnQuery {
    /// The first day, `YYYY-MM-DD`.
    from: Option<String>,
    /// The last day, `YYYY-MM-DD`, on or after `from`.
    to: Option<String>,
    /// The JSON of a report of figures: lines of each list left out from its start
    /// (default 0). The CSV gives every line.
    offset: Option<u64>,
    /// The JSON of a report of figures: the most lines of each list given, 1 to 5000
    /// (default 500).
    limit: Option<u64>,
}

/// The reports the partnership's procedure calls for (`[[report]]`), each with the last
/// whole period, which it is due for now, and where to read it.
#[utoipa::path(get, path = "/api/reports/procedure", tag = "reports",
    responses(
        (status = 200, body = ProcedureReports),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator")
    ),
    security(("token" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ProcedureReports>, AppError> {
    let ctx = Context::load(&state, &user).await?;
    Ok(Json(ProcedureReports {
        reports: own::offered(&ctx.rules.procedure, ctx.today),
    }))
}

/// The report, or the 422 problem naming the field.
async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    q: &OwnQuery,
) -> Result<OwnReport, AppError> {
    let ctx = Context::load(state, user).await?;
    let spec = own::spec(&ctx.rules.procedure, id)?.clone();
    let period = own::period_for(&spec, q.from.as_deref(), q.to.as_deref(), ctx.today)
        .map_err(|(field, message)| FieldError::coded(field, "wrong-type", message))?;
    own::make(
        state.records.as_ref(),
        &ctx.partnership,
        &spec,
        period,
        ctx.today,
    )
    .await
}

/// A report the procedure calls for, for the period due now (without `from` and `to`) or
/// the one given: for a list, the escalations that reached its stage in the period (no
/// child's details); for figures, the period's report.
#[utoipa::path(get, path = "/api/reports/procedure/{report}", tag = "reports",
    params(("report" = String, Path, description = "The report's id in the procedure file"), OwnQuery),
    responses(
        (status = 200, body = ProcedureReport),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator"),
        (status = 404, body = Problem, description = "The procedure calls for no such report"),
        (status = 422, body = Problem, description = "A date that is not YYYY-MM-DD, a period that ends before it starts, or a limit outside 1 to 5000")
    ),
    security(("token" = [])))]
async fn one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(report): Path<String>,
    ApiQuery(q): ApiQuery<OwnQuery>,
) -> Result<Response, AppError> {
    let part = super::reports::lines_of(q.offset, q.limit)?;
    let r = load(&state, &user, &report, &q).await?;
    Ok(Json(own::json(&r, part)).into_response())
}

/// A report the procedure calls for as CSV (UTF-8, a header row of the column names shown,
/// ISO dates, cells a spreadsheet would take for a formula neutralised): the list, one row
/// per escalation, or the key figures beside the period before's.
#[utoipa::path(get, path = "/api/reports/procedure/{report}/csv", tag = "reports",
    params(("report" = String, Path, description = "The report's id in the procedure file"), OwnQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator"),
        (status = 404, body = Problem, description = "The procedure calls for no such report"),
        (status = 422, body = Problem, description = "A date that is not YYYY-MM-DD, or a period that ends before it starts")
    ),
    security(("token" = [])))]
async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(report): Path<String>,
    ApiQuery(q): ApiQuery<OwnQuery>,
) -> Result<Response, AppError> {
    let r = load(&state, &user, &report, &q).await?;
    let text = own::csv(&r)?;
    Ok(download(
        "text/csv; charset=utf-8",
        &r.file_name("csv"),
        text.into_bytes(),
    ))
}
