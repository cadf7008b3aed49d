//! API: period reports (issue 17), for the partnership business team and administrators: the
//! figures as JSON, each table as CSV and the report as PDF, exact or for publication. A date
//! that does not parse, or a period that ends before it starts, is the API's one 422 problem
//! (`errors[]` naming `from` or `to`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiQuery;
use crate::access::{ADMINISTRATOR, BUSINESS_TEAM};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::error::FieldError;
use crate::route::{Route, Rule, route};
use crate::service::Context;
use crate::service::reports::json::{
    Lines, PeriodReport, ReportCount, ReportDeadline, ReportFigures, ReportLearning, ReportLines,
    ReportMatrix, ReportMonth, ReportNamed, ReportOpen, ReportOpenLine, ReportPeriod, ReportSpread,
};
use crate::service::reports::{self, Report};

/// Who may read reports: the business team, whose job they are, and administrators.
pub const READERS: Rule = Rule::Roles(&[BUSINESS_TEAM, ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/api/reports", READERS, get(figures)),
        route(Method::GET, "/api/reports/csv", READERS, get(csv)),
        route(Method::GET, "/api/reports/pdf", READERS, get(pdf)),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(figures, csv, pdf),
    components(schemas(
        PeriodReport,
        ReportFigures,
        ReportPeriod,
        ReportCount,
        ReportNamed,
        ReportMatrix,
        ReportMonth,
        ReportDeadline,
        ReportSpread,
        ReportOpen,
        ReportOpenLine,
        ReportLearning,
        ReportLines
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// A period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodQuery {
    /// The first day, `YYYY-MM-DD`.
    from: String,
    /// The last day, `YYYY-MM-DD`, on or after `from`.
    to: String,
    /// Lines of each list (`open_at_end.lines`, `learning`) left out from its start
    /// (default 0): with `limit`, a page of them.
    offset: Option<u64>,
    /// The most lines of each list given, 1 to 5000 (default 500).
    limit: Option<u64>,
}

/// The part of a report's lists a request asks for, or the 422 problem naming the parameter.
pub(crate) fn lines_of(offset: Option<u64>, limit: Option<u64>) -> Result<Lines, AppError> {
    let limit = match limit {
        None => Lines::DEFAULT_LIMIT,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=Lines::MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                FieldError::coded(
                    "limit",
                    "out-of-range",
                    format!("limit must be from 1 to {}", Lines::MAX_LIMIT),
                )
            })?,
    };
    let offset = usize::try_from(offset.unwrap_or(0))
        .map_err(|_| FieldError::coded("offset", "out-of-range", "offset is too large"))?;
    Ok(Lines {
        offset,
        limit: Some(limit),
    })
}

/// A table of a period's report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvQuery {
    /// The first day, `YYYY-MM-DD`.
    from: String,
    /// The last day, `YYYY-MM-DD`, on or after `from`.
    to: String,
    /// The table's id (`raised-by-route`, `raised-by-category` ..., `open-at-end`,
    /// `learning-log`), as the page links to it.
    table: String,
    /// `true` for the form for publication: small numbers suppressed (not the lists that
    /// name escalations, which are never published).
    publish: Option<bool>,
}

/// A period's report as a document.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PdfQuery {
    /// The first day, `YYYY-MM-DD`.
    from: String,
    /// The last day, `YYYY-MM-DD`, on or after `from`.
    to: String,
    /// `true` for the form for publication: small numbers suppressed, no lists.
    publish: Option<bool>,
}

/// The report of the period, or the 422 problem naming the field.
async fn load(
    state: &AppState,
    user: &CurrentUser,
    from: &str,
    to: &str,
) -> Result<Report, AppError> {
    let ctx = Context::load(state, user).await?;
    let period = reports::period_of(Some(from), Some(to), None, None, ctx.today)
        .map_err(|(field, message)| FieldError::coded(field, "wrong-type", message))?;
    reports::make(state.records.as_ref(), &ctx.partnership, period, ctx.today).await
}

pub(crate) fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The name is made of dates and ids of our own: ASCII letters, digits and hyphens.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The exact figures of a period and of the period of the same length before it: raised by
/// route, category and agency, the agencies' matrix, the highest stage, deadlines met and
/// missed, outcomes, time to close, what was open at the end, meetings, referrals,
/// compliments and the learning log. No child's details. The two lists (what was open at
/// the end, the learning log) come a page at a time (`offset`, `limit`); their counts are
/// the whole.
#[utoipa::path(get, path = "/api/reports", tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, body = PeriodReport),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator"),
        (status = 422, body = Problem, description = "A date that is not YYYY-MM-DD, a period that ends before it starts, or a limit outside 1 to 5000")
    ),
    security(("token" = [])))]
async fn figures(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, AppError> {
    let part = lines_of(q.offset, q.limit)?;
    let report = load(&state, &user, &q.from, &q.to).await?;
    Ok(Json(reports::json::of(&report, part)).into_response())
}

/// One table of a period's report as CSV (UTF-8, a header row of the column names shown, ISO
/// dates, cells that a spreadsheet would take for a formula neutralised). With
/// `publish=true`, small numbers are suppressed.
#[utoipa::path(get, path = "/api/reports/csv", tag = "reports",
    params(CsvQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator"),
        (status = 404, body = Problem, description = "No such table (the lists are never published)"),
        (status = 422, body = Problem, description = "A date that is not YYYY-MM-DD, or a period that ends before it starts")
    ),
    security(("token" = [])))]
async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<CsvQuery>,
) -> Result<Response, AppError> {
    let report = load(&state, &user, &q.from, &q.to).await?;
    let publish = q.publish.unwrap_or(false);
    let text = reports::csv(&report, &q.table, publish)?.ok_or(AppError::NotFound)?;
    let name = reports::file_name(&report, &q.table, publish, "csv");
    Ok(download(
        "text/csv; charset=utf-8",
        &name,
        text.into_bytes(),
    ))
}

/// A period's report as PDF (tagged, A4): exact figures for the business team, or with
/// `publish=true` the form for publication.
#[utoipa::path(get, path = "/api/reports/pdf", tag = "reports",
    params(PdfQuery),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Not in the partnership business team or an administrator"),
        (status = 422, body = Problem, description = "A date that is not YYYY-MM-DD, or a period that ends before it starts")
    ),
    security(("token" = [])))]
async fn pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PdfQuery>,
) -> Result<Response, AppError> {
    let report = load(&state, &user, &q.from, &q.to).await?;
    let publish = q.publish.unwrap_or(false);
    // Laying out a year's report takes a while: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || {
        let name = reports::file_name(&report, "report", publish, "pdf");
        reports::pdf(&report, publish).map(|b| (name, b))
    })
    .await
    .map_err(|e| AppError::Internal(format!("report PDF: {e}")))??;
    Ok(download("application/pdf", &bytes.0, bytes.1))
}
