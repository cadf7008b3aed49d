//! API: the caller's partnership's current procedure (the same view as the page).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use utoipa::OpenApi;

use super::Problem;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::not_carried::{NotCarriedEntry, NotCarriedSection};
use crate::service::procedure::{
    self, Adoption, CalendarView, FieldView, FormView, Labelled, NotificationView, OutcomesView,
    OverallView, ProcedureView, PromptRule, RedirectionView, ReferralView, RouteView,
    ScreeningView, StageView, TimescaleView,
};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::GET,
        "/api/procedure",
        Rule::SignedIn,
        get(current),
    )]
}

#[derive(OpenApi)]
#[openapi(
    paths(current),
    components(schemas(
        ProcedureView,
        PromptRule,
        Labelled,
        Adoption,
        CalendarView,
        OverallView,
        ScreeningView,
        RouteView,
        StageView,
        TimescaleView,
        NotificationView,
        FieldView,
        FormView,
        OutcomesView,
        ReferralView,
        RedirectionView,
        NotCarriedSection,
        NotCarriedEntry
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// The caller's partnership's current procedure: stages, leads, timescales, who is told when,
/// categories, outcomes, referrals, redirections, and what the document asks of people that
/// Parley does not do (`not_carried`, by the document's section). The flow diagram is at
/// `/procedure/diagram.svg`.
#[utoipa::path(get, path = "/api/procedure", tag = "procedure",
    responses((status = 200, body = ProcedureView), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn current(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ProcedureView>, AppError> {
    Ok(Json(procedure::procedure(&state, &user).await?))
}
