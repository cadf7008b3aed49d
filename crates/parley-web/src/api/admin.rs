//! API: administration (the pages' twin: same service, same checks). Administrators only
//! (403 for anyone else), always within their own partnership (404 for anything outside it).
//! A refused change answers 422 with a problem body whose `errors` list each field's problem;
//! for a procedure file, with the line and column of each.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Serialize;
use utoipa::OpenApi;

use super::Problem;
use super::body::ApiJson;
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::admin::{
    self as svc, AdminAgency, AdminPerson, AgencyFields, AgencyOfficers, ClosureDay, ClosureDays,
    ClosureDaysFields, NamedOfficerFields, NamedOfficers, OfficerCell, OfficerStage, PersonFields,
    ProcedureFields, ProcedureSource, ProcedureVersion, ProcedureVersions, ReportThreshold,
    ReportThresholdFields,
};

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/api/agencies", ADMIN, get(list_agencies)),
        route(Method::POST, "/api/agencies", ADMIN, post(add_agency)),
        route(Method::GET, "/api/people", ADMIN, get(list_people)),
        route(Method::POST, "/api/people", ADMIN, post(add_person)),
        route(Method::GET, "/api/people/{id}", ADMIN, get(get_person)),
        route(Method::PUT, "/api/people/{id}", ADMIN, put(change_person)),
        route(
            Method::GET,
            "/api/named-officers",
            ADMIN,
            get(list_named_officers),
        ),
        route(
            Method::PUT,
            "/api/named-officers",
            ADMIN,
            put(set_named_officer),
        ),
        route(
            Method::GET,
            "/api/procedure/versions",
            ADMIN,
            get(list_versions),
        ),
        route(
            Method::POST,
            "/api/procedure/versions",
            ADMIN,
            post(adopt_version),
        ),
        route(
            Method::GET,
            "/api/procedure/versions/{version}",
            ADMIN,
            get(get_version),
        ),
        route(
            Method::GET,
            "/api/closure-days",
            ADMIN,
            get(get_closure_days),
        ),
        route(
            Method::PUT,
            "/api/closure-days",
            ADMIN,
            put(set_closure_days),
        ),
        route(
            Method::GET,
            "/api/report-threshold",
            ADMIN,
            get(get_report_threshold),
        ),
        route(
            Method::PUT,
            "/api/report-threshold",
            ADMIN,
            put(set_report_threshold),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_agencies,
        add_agency,
        list_people,
        add_person,
        get_person,
        change_person,
        list_named_officers,
        set_named_officer,
        list_versions,
        adopt_version,
        get_version,
        get_closure_days,
        set_closure_days,
        get_report_threshold,
        set_report_threshold
    ),
    components(schemas(
        AdminAgency,
        AgencyFields,
        AdminPerson,
        PersonFields,
        NamedOfficers,
        OfficerStage,
        AgencyOfficers,
        OfficerCell,
        NamedOfficerFields,
        ProcedureVersions,
        ProcedureVersion,
        ProcedureSource,
        ProcedureFields,
        ClosureDays,
        ClosureDay,
        ClosureDaysFields,
        ReportThreshold,
        ReportThresholdFields,
        crate::error::FieldError
    )),
    tags((name = "administration", description = "A partnership's set-up: agencies, people, named officers, procedure versions, closure days and the threshold of published reports. Administrators only."))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// A change's answer: `status` with the result. A refused change is the error's 422 problem
/// listing each field's problem.
fn answer<T: Serialize>(
    result: Result<T, AppError>,
    status: StatusCode,
) -> Result<Response, AppError> {
    Ok((status, Json(result?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Agencies

/// The partnership's agencies, by name.
#[utoipa::path(get, path = "/api/agencies", tag = "administration",
    responses((status = 200, body = [AdminAgency]), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn list_agencies(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<AdminAgency>>, AppError> {
    Ok(Json(svc::agencies(&state, &user).await?))
}

/// Adds an agency: a name no other agency of the partnership has, and a sector.
#[utoipa::path(post, path = "/api/agencies", tag = "administration",
    request_body = AgencyFields,
    responses((status = 201, body = AdminAgency), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn add_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<AgencyFields>,
) -> Result<Response, AppError> {
    answer(
        svc::add_agency(&state, &user, &f).await,
        StatusCode::CREATED,
    )
}

// ---------------------------------------------------------------------------------------------
// People

/// The partnership's people: active first, by agency and name.
#[utoipa::path(get, path = "/api/people", tag = "administration",
    responses((status = 200, body = [AdminPerson]), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn list_people(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<AdminPerson>>, AppError> {
    Ok(Json(svc::people(&state, &user).await?))
}

/// Adds a person. With a `password` (at least 12 characters, not easy to guess, not their name
/// or email address) they can sign in straight away.
#[utoipa::path(post, path = "/api/people", tag = "administration",
    request_body = PersonFields,
    responses((status = 201, body = AdminPerson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn add_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<PersonFields>,
) -> Result<Response, AppError> {
    answer(
        svc::save_person(&state, &user, None, &f).await,
        StatusCode::CREATED,
    )
}

/// One person of the partnership.
#[utoipa::path(get, path = "/api/people/{id}", tag = "administration",
    params(("id" = String, Path, description = "The person's id")),
    responses((status = 200, body = AdminPerson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AdminPerson>, AppError> {
    Ok(Json(svc::person(&state, &user, &id).await?))
}

/// Replaces a person's details (every field; `active` is true unless sent false). A new
/// `password` signs them out everywhere: their sessions end and their API tokens are revoked
/// for good. Making them inactive does the same, and reactivating them brings no token back.
#[utoipa::path(put, path = "/api/people/{id}", tag = "administration",
    params(("id" = String, Path, description = "The person's id")),
    request_body = PersonFields,
    responses((status = 200, body = AdminPerson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<PersonFields>,
) -> Result<Response, AppError> {
    answer(
        svc::save_person(&state, &user, Some(&id), &f).await,
        StatusCode::OK,
    )
}

// ---------------------------------------------------------------------------------------------
// Named officers

/// Each agency's named officer for each stage of the current procedure.
#[utoipa::path(get, path = "/api/named-officers", tag = "administration",
    responses((status = 200, body = NamedOfficers), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn list_named_officers(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<NamedOfficers>, AppError> {
    Ok(Json(svc::named_officers(&state, &user).await?))
}

/// Names an agency's officer for a stage (an active person of that agency), or with
/// `person_id` null stops naming one. Answers with every named officer.
#[utoipa::path(put, path = "/api/named-officers", tag = "administration",
    request_body = NamedOfficerFields,
    responses((status = 200, body = NamedOfficers), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_named_officer(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<NamedOfficerFields>,
) -> Result<Response, AppError> {
    svc::set_named_officers(&state, &user, std::slice::from_ref(&f)).await?;
    answer(svc::named_officers(&state, &user).await, StatusCode::OK)
}

// ---------------------------------------------------------------------------------------------
// Procedure versions

/// Every version of the partnership's procedure, newest first.
#[utoipa::path(get, path = "/api/procedure/versions", tag = "administration",
    responses((status = 200, body = ProcedureVersions), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn list_versions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ProcedureVersions>, AppError> {
    Ok(Json(svc::procedure_versions(&state, &user).await?))
}

/// Checks a procedure file (its TOML text in `source`) and adopts it as the partnership's next
/// version. New escalations follow it; those already raised keep theirs. A file with problems
/// answers 422, each problem with its line and column.
#[utoipa::path(post, path = "/api/procedure/versions", tag = "administration",
    request_body = ProcedureFields,
    responses((status = 201, body = ProcedureVersion), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn adopt_version(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<ProcedureFields>,
) -> Result<Response, AppError> {
    answer(
        svc::adopt_procedure(&state, &user, &f.source).await,
        StatusCode::CREATED,
    )
}

/// One version with its file.
#[utoipa::path(get, path = "/api/procedure/versions/{version}", tag = "administration",
    params(("version" = i64, Path, description = "The partnership's version number")),
    responses((status = 200, body = ProcedureSource), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version): Path<String>,
) -> Result<Json<ProcedureSource>, AppError> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    Ok(Json(svc::procedure_version(&state, &user, version).await?))
}

// ---------------------------------------------------------------------------------------------
// Closure days

/// The partnership's own closure days, and the dates the calendar covers.
#[utoipa::path(get, path = "/api/closure-days", tag = "administration",
    responses((status = 200, body = ClosureDays), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn get_closure_days(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ClosureDays>, AppError> {
    Ok(Json(svc::closure_days(&state, &user).await?))
}

/// Replaces the partnership's closure days: weekdays the calendar covers, not bank holidays.
#[utoipa::path(put, path = "/api/closure-days", tag = "administration",
    request_body = ClosureDaysFields,
    responses((status = 200, body = ClosureDays), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_closure_days(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<ClosureDaysFields>,
) -> Result<Response, AppError> {
    answer(
        svc::set_closure_days(&state, &user, &f).await,
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_for_administrators_and_documented() {
        let doc = serde_json::to_value(doc()).unwrap();
        for r in routes() {
            assert_eq!(r.rule, ADMIN, "{r:?}");
            let method = r.method.as_str().to_lowercase();
            assert!(
                doc["paths"][r.path][&method].is_object(),
                "{} {} is not in the OpenAPI document",
                r.method,
                r.path
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The threshold of published reports

/// The threshold below which a count in a report for publication (PDF and CSV) shows as
/// "fewer than" it (issue 17), and what it may be.
#[utoipa::path(get, path = "/api/report-threshold", tag = "administration",
    responses((status = 200, body = ReportThreshold), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
async fn get_report_threshold(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ReportThreshold>, AppError> {
    Ok(Json(svc::report_threshold(&state, &user).await?))
}

/// Sets the threshold of published reports: a whole number from 2 to 20 (a 422 naming
/// `threshold` otherwise). Recorded as an event on the partnership's stream.
#[utoipa::path(put, path = "/api/report-threshold", tag = "administration",
    request_body = ReportThresholdFields,
    responses((status = 200, body = ReportThreshold), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_report_threshold(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<ReportThresholdFields>,
) -> Result<Response, AppError> {
    answer(
        svc::set_report_threshold(&state, &user, svc::threshold_of(&f)).await,
        StatusCode::OK,
    )
}
