//! The inbox pages (issue 15, items 3 to 5): `/notifications` (a page at a time, newest
//! first), following one to its escalation (which marks it read), marking one or all read
//! (forms with the session's token), the person's e-mail setting (`/account/notifications`),
//! and the administrators' list of deliveries with Retry (`/admin/notifications`).
//!
//! A notification of anyone else, or one that does not exist, is a 404, whoever asks.

use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::render;
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::deliveries::{self, AdminDeliveries, DeliveryShown, Retried};
use crate::service::notifications::{self as svc, EmailMode, EmailSettings, Inbox};

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/notifications", Rule::SignedIn, get(inbox)),
        route(
            Method::POST,
            "/notifications/read-all",
            Rule::SignedIn,
            post(read_all),
        ),
        // Following a notification marks it read. A GET changes this much only: the read
        // mark is the person's own inbox state, not a record (no event), and the id is an
        // unguessable one of their own notifications (anyone else's is a 404).
        route(
            Method::GET,
            "/notifications/{id}",
            Rule::SignedIn,
            get(open),
        ),
        route(
            Method::POST,
            "/notifications/{id}/read",
            Rule::SignedIn,
            post(read),
        ),
        route(
            Method::GET,
            "/account/notifications",
            Rule::SignedIn,
            get(settings_page),
        ),
        route(
            Method::POST,
            "/account/notifications",
            Rule::SignedIn,
            post(settings_save),
        ),
        route(Method::GET, "/admin/notifications", ADMIN, get(admin_page)),
        route(
            Method::POST,
            "/admin/notifications/{id}/retry",
            ADMIN,
            post(admin_retry),
        ),
    ]
}

/// The page asked for; anything but a positive number is the first.
fn page_number(page: Option<&str>) -> i64 {
    page.and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

#[derive(Deserialize)]
struct InboxQuery {
    page: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct InboxPage {
    page_title: &'static str,
    inbox: Inbox,
    banner: Option<&'static str>,
}

async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<InboxQuery>,
) -> Result<Html<String>, AppError> {
    let inbox = svc::inbox(
        &state,
        &user,
        "/notifications",
        page_number(q.page.as_deref()),
    )
    .await?;
    let banner = match q.done.as_deref() {
        Some("all-read") => Some("All your notifications are marked as read"),
        Some("read") => Some("Notification marked as read"),
        _ => None,
    };
    // The count in the header was read before anything on this page: show the one the page
    // itself read, so that the two agree.
    let user = CurrentUser {
        unread: Some(inbox.unread),
        ..user
    };
    render(
        &state,
        Some(&user),
        "/notifications",
        "notifications.html",
        InboxPage {
            page_title: "Notifications",
            inbox,
            banner,
        },
    )
}

async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    Ok(Redirect::to(&svc::open(&state, &user, &id).await?))
}

#[derive(Deserialize)]
struct ReadForm {
    page: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<ReadForm>,
) -> Result<Redirect, AppError> {
    svc::mark_read(&state, &user, &id).await?;
    let page = page_number(form.page.as_deref());
    Ok(Redirect::to(&format!(
        "/notifications?page={page}&done=read"
    )))
}

#[derive(Deserialize)]
struct Empty {}

async fn read_all(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> Result<Redirect, AppError> {
    svc::mark_all_read(&state, &user).await?;
    Ok(Redirect::to("/notifications?done=all-read"))
}

// ---------------------------------------------------------------------------------------------
// The person's e-mail setting

#[derive(Deserialize)]
struct SettingsQuery {
    saved: Option<String>,
}

#[derive(Serialize)]
struct SettingsPage {
    page_title: &'static str,
    settings: EmailSettings,
    banner: Option<&'static str>,
}

async fn settings_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SettingsQuery>,
) -> Result<Html<String>, AppError> {
    let settings = svc::email_settings(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/account/notifications",
        "account_notifications.html",
        SettingsPage {
            page_title: "How do you want e-mails about your notifications?",
            banner: q.saved.is_some().then_some(match settings.mode {
                EmailMode::Each => "Saved: you get one e-mail for each notification",
                EmailMode::Daily => "Saved: you get a daily summary",
            }),
            settings,
        },
    )
}

#[derive(Deserialize)]
struct SettingsForm {
    mode: Option<String>,
}

async fn settings_save(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<SettingsForm>,
) -> Result<Response, AppError> {
    // Only the two radios can send anything; nothing chosen keeps the setting.
    let Some(mode) = form.mode.as_deref().and_then(EmailMode::parse) else {
        return Ok(Redirect::to("/account/notifications").into_response());
    };
    svc::set_email_mode(&state, &user, mode).await?;
    Ok(Redirect::to("/account/notifications?saved=1").into_response())
}

// ---------------------------------------------------------------------------------------------
// Administrators: every delivery of the partnership

#[derive(Deserialize)]
struct AdminQuery {
    filter: Option<String>,
    page: Option<String>,
    retried: Option<String>,
}

#[derive(Serialize)]
struct Crumb {
    text: &'static str,
    href: Option<&'static str>,
}

#[derive(Serialize)]
struct FilterItem {
    value: &'static str,
    text: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct AdminPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    v: AdminDeliveries,
    filters: Vec<FilterItem>,
    filter_words: String,
    banner: Option<&'static str>,
}

async fn admin_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AdminQuery>,
) -> Result<Html<String>, AppError> {
    let filter = DeliveryShown::parse(q.filter.as_deref());
    let v = deliveries::deliveries(
        &state,
        &user,
        filter,
        page_number(q.page.as_deref()),
        "/admin/notifications",
    )
    .await?;
    // A fixed sentence per outcome (never text from the address).
    let banner = q.retried.as_deref().and_then(|r| match r {
        "queued" => Some("The notification will be sent again in the next round of sending"),
        "replaced" => {
            Some("The notification was resolved again: it goes to whoever holds that part now")
        }
        "nobody" => {
            Some("The notification still reaches nobody: give someone that part, then try again")
        }
        "not-failed" => Some("The notification is not failed: there was nothing to send again"),
        _ => None,
    });
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/notifications.html",
        AdminPage {
            page_title: "Notifications sent",
            breadcrumbs: vec![
                Crumb {
                    text: "Administration",
                    href: Some("/admin"),
                },
                Crumb {
                    text: "Notifications sent",
                    href: None,
                },
            ],
            filters: DeliveryShown::ALL
                .into_iter()
                .map(|f| FilterItem {
                    value: f.as_str(),
                    text: f.label(),
                    selected: f == filter,
                })
                .collect(),
            filter_words: filter.label().to_lowercase(),
            v,
            banner,
        },
    )
}

#[derive(Deserialize)]
struct RetryForm {
    filter: Option<String>,
    page: Option<String>,
}

async fn admin_retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<RetryForm>,
) -> Result<Redirect, AppError> {
    let found = state.records.delivery(&id).await?;
    let said = match deliveries::retry(&state, &user, &id).await? {
        Retried::Queued(r) => {
            tracing::info!(by = %user.id(), delivery = %id, "notification to be sent again");
            if r.delivery.is_some() {
                "queued"
            } else {
                "replaced"
            }
        }
        Retried::Refused(_)
            if found.is_some_and(|d| d.mail == parley_store::notify::MailState::Undeliverable) =>
        {
            "nobody"
        }
        Retried::Refused(_) => "not-failed",
    };
    let filter = DeliveryShown::parse(form.filter.as_deref());
    let query = serde_urlencoded::to_string([
        ("filter", filter.as_str()),
        ("page", &page_number(form.page.as_deref()).to_string()),
        ("retried", said),
    ])
    .unwrap_or_default();
    Ok(Redirect::to(&format!("/admin/notifications?{query}")))
}
