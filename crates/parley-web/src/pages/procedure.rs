//! The procedure: the signed-in person's partnership's current procedure in full (identity,
//! counting rule, limits, calendar, routes, stages, notifications, categories, outcomes,
//! referrals and what belongs elsewhere) with its flow diagram inline, and the diagram alone
//! as an SVG image.

use axum::extract::State;
use axum::http::{Method, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::render;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::procedure::{self, DIAGRAM_PATH, ProcedureView};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/procedure", Rule::SignedIn, get(page)),
        route(Method::GET, DIAGRAM_PATH, Rule::SignedIn, get(diagram)),
    ]
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    procedure: ProcedureView,
    /// The flow diagram: markup made by `parley_core::describe::svg`, which escapes every
    /// text it draws from the procedure.
    diagram_svg: String,
    /// The procedure as plain text (`parley procedure show`).
    summary_text: String,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    let current = procedure::current(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/procedure",
        "procedure.html",
        Page {
            page_title: "Procedure",
            procedure: current.view,
            diagram_svg: current.svg,
            summary_text: current.text,
        },
    )
}

async fn diagram(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let svg = procedure::diagram(&state, &user).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        svg,
    )
        .into_response())
}
