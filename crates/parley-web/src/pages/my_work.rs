//! My work.

use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;

use super::render;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::routes::{Route, Rule, route};
use crate::service::my_work::{MyWork, my_work};

pub fn routes() -> Vec<Route> {
    vec![route(Method::GET, "/my-work", Rule::SignedIn, get(page))]
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    work: MyWork,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    let work = my_work(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/my-work",
        "my_work.html",
        Page {
            page_title: "My work",
            work,
        },
    )
}
