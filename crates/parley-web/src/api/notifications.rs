//! API: the caller's notifications (issue 15, item 3) and how they get e-mail about them
//! (item 4); who was told what about an escalation; and for administrators, every delivery of
//! their partnership with a retry (item 5). The same service as the pages. A caller only ever
//! sees and marks their own notifications: anyone else's id is a 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use utoipa::OpenApi;

use super::Problem;
use super::body::{ApiJson, ApiQuery, NoBody};
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::deliveries::{
    self, AdminDeliveries, AdminDelivery, DeliveryShown, Retried, RetriedDelivery, Told, ToldEntry,
};
use crate::service::escalation as esc;
use crate::service::notifications::{
    self as svc, EmailMode, EmailSettings, EmailSettingsFields, Inbox, InboxEntry, InboxEscalation,
    NoticeRead, NoticesRead,
};

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/api/notifications", Rule::SignedIn, get(list)),
        route(
            Method::POST,
            "/api/notifications/read-all",
            Rule::SignedIn,
            post(read_all),
        ),
        route(
            Method::POST,
            "/api/notifications/{id}/read",
            Rule::SignedIn,
            post(read),
        ),
        route(
            Method::GET,
            "/api/account/notifications",
            Rule::SignedIn,
            get(settings),
        ),
        route(
            Method::PUT,
            "/api/account/notifications",
            Rule::SignedIn,
            put(set_settings),
        ),
        route(
            Method::GET,
            "/api/escalations/{id}/notifications",
            Rule::SignedIn,
            get(told),
        ),
        route(
            Method::GET,
            "/api/admin/notifications",
            ADMIN,
            get(admin_list),
        ),
        route(
            Method::POST,
            "/api/admin/notifications/{id}/retry",
            ADMIN,
            post(admin_retry),
        ),
    ]
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        read,
        read_all,
        settings,
        set_settings,
        told,
        admin_list,
        admin_retry
    ),
    components(schemas(
        Inbox,
        InboxEntry,
        InboxEscalation,
        NoticeRead,
        NoticesRead,
        EmailMode,
        EmailSettings,
        EmailSettingsFields,
        Told,
        ToldEntry,
        AdminDeliveries,
        AdminDelivery,
        RetriedDelivery,
        DeliveryShown
    )),
    tags((name = "notifications", description = "The caller's notifications (their inbox), how they get e-mail about them, who was told what about an escalation, and for administrators every notification sent in their partnership."))
)]
struct Doc;

/// This area's part of the OpenAPI document.
pub fn doc() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// `?page=N` of the inbox.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InboxQuery {
    /// The page, from 1 (20 notifications a page; past the last, the last). Anything but a
    /// positive number is the first.
    page: Option<String>,
}

fn page_number(page: Option<&str>) -> i64 {
    page.and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// A page of the caller's notifications, newest first, with how many are unread. Each says
/// what happened, what is needed and by when, and names the escalation; never the child's
/// details (`child_href` names the page that shows them, where the caller may see them
/// anyway).
#[utoipa::path(get, path = "/api/notifications", tag = "notifications",
    params(InboxQuery),
    responses((status = 200, body = Inbox), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Inbox>, AppError> {
    Ok(Json(
        svc::inbox(
            &state,
            &user,
            "/api/notifications",
            page_number(q.page.as_deref()),
        )
        .await?,
    ))
}

/// Marks one of the caller's notifications read (one already read stays as it was). No body.
#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, body = NoticeRead),
        (status = 401, body = Problem),
        (status = 404, description = "Not one of the caller's notifications", body = Problem)),
    security(("token" = [])))]
async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Json<NoticeRead>, AppError> {
    Ok(Json(svc::mark_read(&state, &user, &id).await?))
}

/// Marks every one of the caller's notifications read. No body.
#[utoipa::path(post, path = "/api/notifications/read-all", tag = "notifications",
    responses((status = 200, body = NoticesRead), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn read_all(
    State(state): State<AppState>,
    user: CurrentUser,
    _: NoBody,
) -> Result<Json<NoticesRead>, AppError> {
    Ok(Json(svc::mark_all_read(&state, &user).await?))
}

/// How the caller gets e-mail about their notifications: `each` (one e-mail per
/// notification, the default) or `daily` (a summary a day).
#[utoipa::path(get, path = "/api/account/notifications", tag = "notifications",
    responses((status = 200, body = EmailSettings), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<EmailSettings>, AppError> {
    Ok(Json(svc::email_settings(&state, &user).await?))
}

/// Changes how the caller gets e-mail about their notifications.
#[utoipa::path(put, path = "/api/account/notifications", tag = "notifications",
    request_body = EmailSettingsFields,
    responses(
        (status = 200, body = EmailSettings),
        (status = 401, body = Problem),
        (status = 422, description = "`mode` missing, or not `each` or `daily` (`errors`)", body = Problem)),
    security(("token" = [])))]
async fn set_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(f): ApiJson<EmailSettingsFields>,
) -> Result<Response, AppError> {
    let Some(mode) = EmailMode::parse(&f.mode) else {
        return Err(AppError::invalid_field(
            "mode",
            "Choose each (one e-mail for each notification) or daily (a daily summary)",
        ));
    };
    Ok(Json(svc::set_email_mode(&state, &user, mode).await?).into_response())
}

/// Who was told what about an escalation, and when, newest first: each person or address
/// a notification went to, whether they have read it in Parley, and its e-mail's state.
/// Everyone who sees the escalation sees this; it holds no child's details.
#[utoipa::path(get, path = "/api/escalations/{id}/notifications", tag = "notifications",
    params(("id" = String, Path, description = "The escalation's id")),
    responses(
        (status = 200, body = Told),
        (status = 401, body = Problem),
        (status = 404, description = "No such escalation, or not one the caller may see", body = Problem)),
    security(("token" = [])))]
async fn told(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Told>, AppError> {
    let loaded = esc::load(&state, &user, &id).await?;
    Ok(Json(deliveries::told(&state, &loaded).await?))
}

/// `?filter=...&page=N` of the administrators' list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// Which to list: `all` (the default), `pending` (waiting to be sent), `sent`, or
    /// `failed` (failed or undeliverable).
    filter: Option<DeliveryShown>,
    /// The page, from 1 (25 a page; past the last, the last). Anything but a positive number
    /// is the first.
    page: Option<String>,
}

/// Every notification of the caller's partnership, once per person or address it went to,
/// newest first: its e-mail's state, attempts, last error (for an undeliverable one, who was
/// looked for), when sent. Administrators only.
#[utoipa::path(get, path = "/api/admin/notifications", tag = "notifications",
    params(DeliveriesQuery),
    responses(
        (status = 200, body = AdminDeliveries),
        (status = 401, body = Problem),
        (status = 403, body = Problem)),
    security(("token" = [])))]
async fn admin_list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<AdminDeliveries>, AppError> {
    Ok(Json(
        deliveries::deliveries(
            &state,
            &user,
            q.filter.unwrap_or_default(),
            page_number(q.page.as_deref()),
            "/api/admin/notifications",
        )
        .await?,
    ))
}

/// Sends a failed notification again now, to the same person or address; an undeliverable
/// one is resolved again, to whoever holds the part now (replacing it). No body.
/// Administrators only, within their partnership.
#[utoipa::path(post, path = "/api/admin/notifications/{id}/retry", tag = "notifications",
    params(("id" = String, Path, description = "The delivery's id")),
    responses(
        (status = 200, body = RetriedDelivery, description = "To be sent again"),
        (status = 401, body = Problem),
        (status = 403, body = Problem),
        (status = 404, description = "No such notification in the caller's partnership", body = Problem),
        (status = 409, description = "Nothing to send again: it is not failed, or it is undeliverable and still reaches nobody (`detail` says which)", body = Problem)),
    security(("token" = [])))]
async fn admin_retry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, AppError> {
    match deliveries::retry(&state, &user, &id).await? {
        Retried::Queued(r) => {
            tracing::info!(by = %user.id(), delivery = %id, "notification to be sent again");
            Ok((StatusCode::OK, Json(*r)).into_response())
        }
        Retried::Refused(why) => Err(AppError::Conflict(why)),
    }
}
