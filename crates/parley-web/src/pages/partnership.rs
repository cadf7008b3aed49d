//! The partnership view, for the partnership business team: every escalation from the stage
//! the procedure first tells the partnership, filtered by a form sent by GET (so it works
//! without JavaScript and a filtered list can be shared by its address), 50 to a page, with
//! simple totals. No child details and no case text: only `EscalationLine` fields.
//!
//! A filter value that names nothing is left out and the page says so (see
//! `service::partnership`); the API refuses it instead.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{Html, Response};
use axum::routing::get;
use serde::Serialize;

use super::render;
use crate::access::BUSINESS_TEAM;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorSummary, FieldError};
use crate::route::{Route, Rule, route};
use crate::service::partnership::{self, FilterOption, FilterQuery, PartnershipView, StatusFilter};

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/partnership",
            Rule::Roles(&[BUSINESS_TEAM]),
            get(page),
        ),
        // The list as CSV, with the page's filters (issue 17, item 5).
        route(
            Method::GET,
            "/partnership/escalations.csv",
            Rule::Roles(&[BUSINESS_TEAM]),
            get(csv),
        ),
    ]
}

/// Every escalation that passes the filters as CSV. As on the page, a filter value that
/// names nothing is left out (the page's own link carries only those it applied).
async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut q): Query<FilterQuery>,
) -> Result<Response, AppError> {
    q.page = None;
    q.per_page = None;
    let prepared = partnership::prepare(&state, &user, &q).await?;
    let (name, text) = partnership::csv::csv(&state, prepared).await?;
    Ok(crate::api::reports::download(
        "text/csv; charset=utf-8",
        &name,
        text.into_bytes(),
    ))
}

#[derive(Serialize)]
struct SelectItem {
    value: String,
    text: String,
    selected: bool,
}

/// The options of a select, "any" first.
fn items(options: &[FilterOption], selected: Option<&str>, any: &str) -> Vec<SelectItem> {
    let mut items = vec![SelectItem {
        value: String::new(),
        text: any.to_owned(),
        selected: selected.is_none(),
    }];
    items.extend(options.iter().map(|o| SelectItem {
        value: o.value.clone(),
        text: o.text.clone(),
        selected: selected == Some(o.value.as_str()),
    }));
    items
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    view: PartnershipView,
    stage_items: Vec<SelectItem>,
    agency_items: Vec<SelectItem>,
    category_items: Vec<SelectItem>,
    status_items: Vec<SelectItem>,
    errors: ErrorSummary,
    has_errors: bool,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut q): Query<FilterQuery>,
) -> Result<Html<String>, AppError> {
    // The page always shows 50 at a time; `per_page` is for the API.
    q.per_page = None;
    let prepared = partnership::prepare(&state, &user, &q).await?;
    let view = partnership::view(&state, prepared, "/partnership", false).await?;
    let ignored: Vec<FieldError> = view.ignored.iter().map(FieldError::from).collect();
    // The page number has no field: its message links to the list.
    let errors = ErrorSummary::with_ids(&ignored, |f| {
        if f == "page" { "escalations" } else { f }.to_owned()
    });
    let f = &view.filters;
    let stage = f.stage.map(|s| s.to_string());
    let page = Page {
        page_title: "Partnership view",
        stage_items: items(&view.options.stages, stage.as_deref(), "Any stage"),
        agency_items: items(&view.options.agencies, f.agency.as_deref(), "Any agency"),
        category_items: items(
            &view.options.categories,
            f.category.as_deref(),
            "Any category",
        ),
        status_items: items(
            &view.options.statuses,
            f.status.map(StatusFilter::as_str),
            "Any status",
        ),
        has_errors: !errors.is_empty(),
        errors,
        view,
    };
    render(
        &state,
        Some(&user),
        "/partnership",
        "partnership.html",
        page,
    )
}
