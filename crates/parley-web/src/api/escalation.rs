//! API: one escalation, its child's details (a POST: each reading recorded), its history, and its
//! actions. The same rules as the pages: 404 for an escalation the caller may not see, 403 for
//! an action they may not take, 409 when someone changed it since the version sent (not the
//! deadline monitor's reminders and deadlines recorded as passed), 422 when
//! the procedure refuses the action (problem `code` `invalid`, with the state machine's
//! reason in `errors`, on the member at fault: `reason`, `fields.discussion`, ... or `body`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::Problem;
use super::body::{ApiJson, NoBody};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::escalation::{
    self as svc, AccessView, ActionInput, ActionKind, ActionRequest, AgencyLeads, CaseView,
    ChildView, CurrentStage, Detail, EscalationView, HistoryItem, Offer, PersonRef, ProcedureRef,
    RecordEntry, StageLine,
};

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/api/escalations/{id}",
            Rule::SignedIn,
            get(escalation),
        ),
        // A POST: reading the details is recorded, and a GET may be asked for by anything
        // that follows a link (issue 13 item 10).
        route(
            Method::POST,
            "/api/escalations/{id}/child",
            Rule::SignedIn,
            post(child),
        ),
        route(
            Method::GET,
            "/api/escalations/{id}/history",
            Rule::SignedIn,
            get(history),
        ),
        route(
            Method::POST,
            "/api/escalations/{id}/actions",
            Rule::SignedIn,
            post(action),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(escalation, child, history, action),
    components(schemas(
        EscalationView,
        crate::service::referral::ReferralStepView,
        crate::service::meeting::MeetingView,
        crate::service::meeting::StageMeetingView,
        crate::service::day_one::DayOneView,
        crate::service::prompts::PromptView,
        crate::service::agreement::ProposalView,
        crate::service::agreement::ProposalKind,
        crate::service::agreement::ProposalStatus,
        crate::service::agreement::DissentStatement,
        PersonRef,
        ProcedureRef,
        CurrentStage,
        AgencyLeads,
        StageLine,
        RecordEntry,
        CaseView,
        AccessView,
        Offer,
        ActionKind,
        ChildView,
        HistoryItem,
        Detail,
        ActionRequest,
        ActionInput,
        crate::access::Relation,
    ))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// An escalation: summary, current stage and who leads it, deadlines, stages and their
/// records, and the actions the caller may take now. The case as put only for those allowed
/// the child's details; the child's details never (see `/child`).
#[utoipa::path(get, path = "/api/escalations/{id}", tag = "escalations",
    params(("id" = String, Path, description = "The escalation's id")),
    responses(
        (status = 200, body = EscalationView),
        (status = 401, body = Problem),
        (status = 404, description = "No such escalation, or not one the caller may see", body = Problem)),
    security(("token" = [])))]
async fn escalation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<EscalationView>, AppError> {
    let loaded = svc::load(&state, &user, &id).await?;
    Ok(Json(svc::view(&state, &loaded, state.now()).await?))
}

/// The child's details. Each call is recorded as a reading (who, when) before the details are
/// returned, so it is a POST (no body). 404 for anyone not allowed them, the partnership
/// business team included, and for an escalation with no child.
#[utoipa::path(post, path = "/api/escalations/{id}/child", tag = "escalations", operation_id = "read_child",
    params(("id" = String, Path, description = "The escalation's id")),
    responses(
        (status = 200, body = ChildView),
        (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = [])))]
async fn child(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Json<ChildView>, AppError> {
    Ok(Json(svc::child(&state, &user, &id).await?))
}

/// The escalation's history, oldest first, in words. Never the child's details or the case
/// as put.
#[utoipa::path(get, path = "/api/escalations/{id}/history", tag = "escalations",
    params(("id" = String, Path, description = "The escalation's id")),
    responses(
        (status = 200, body = Vec<HistoryItem>),
        (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = [])))]
async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryItem>>, AppError> {
    let loaded = svc::load(&state, &user, &id).await?;
    Ok(Json(svc::history(&loaded)))
}

/// Takes an action, based on the escalation's `version` the caller saw:
/// `record` (`fields`, optional `stage`), `agree-timescale` (`working_days`; at a stage whose
/// timescale is agreed with a person, a proposal for them to confirm), `escalate`,
/// `resolve` (`outcome`; `agreed` proposes it for the other side to confirm,
/// `disagreement-recorded` takes the `dissent` statement), `confirm-agreement`,
/// `refuse-agreement` (`reason`: the stage stays as it was) and `withdraw-proposal` (the
/// proposal awaiting an answer), `convene-meeting`, `refer-on` (`referral`: the escalation stays open
/// at the referral step), `record-referral-outcome` (`outcome`: what came of the referral step
/// it is at, in words; closes it as referred on), `arrange-meeting` (`held_at`, `chair`,
/// `invited_people`, `invited_agencies`), `record-meeting` (`meeting`, `attended_people`,
/// `attended_agencies`, `outcome`, `actions`), `redirect` (`redirection`: one of the
/// procedure's other procedures, and `reason`, a note; closes it as redirected), `withdraw`
/// (`reason`).
/// Answers with the escalation as it now is.
#[utoipa::path(post, path = "/api/escalations/{id}/actions", tag = "escalations",
    params(("id" = String, Path, description = "The escalation's id")),
    request_body = ActionRequest,
    responses(
        (status = 200, body = EscalationView),
        (status = 401, body = Problem),
        (status = 403, description = "The caller may see the escalation but not take this action: code `forbidden` when they take no part in it now, `not-permitted` when the procedure gives this action at the current stage to others (the `detail` says who, in the procedure's words), or when a proposal awaits another party's answer than theirs (the other side's, or the person a timescale is agreed with)", body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Someone else changed the escalation since `version` (the deadline monitor's reminders and deadlines recorded as passed are no conflict)", body = Problem),
        (status = 422, description = "The input, or the procedure, refuses the action (`code` `invalid`; `errors` names the member at fault)", body = Problem)),
    security(("token" = [])))]
async fn action(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<EscalationView>, AppError> {
    svc::act(&state, &user, &id, &request)
        .await
        .map_err(svc::ActError::into_app_error)?;
    let loaded = svc::load(&state, &user, &id).await?;
    Ok(Json(svc::view(&state, &loaded, state.now()).await?))
}
