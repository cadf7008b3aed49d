//! The learning log page (issue 14, item 8): the learning identified at every stage, for the
//! partnership business team, without child details and without links into escalations.

use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;

use super::render;
use crate::access::BUSINESS_TEAM;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::learning::{self, LearningLog};

pub fn routes() -> Vec<Route> {
    vec![route(
        Method::GET,
        "/partnership/learning",
        Rule::Roles(&[BUSINESS_TEAM]),
        get(page),
    )]
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    log: LearningLog,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    let log = learning::log(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/partnership/learning",
        "learning.html",
        Page {
            page_title: "Learning log",
            log,
        },
    )
}
