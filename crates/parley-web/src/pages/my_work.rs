//! My work.

use crate::service::my_work::PageQuery;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;

use super::render;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::Context;
use crate::service::my_work::{MyWork, my_work, stamp};

pub fn routes() -> Vec<Route> {
    vec![route(Method::GET, "/my-work", Rule::SignedIn, get(page))]
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    work: MyWork,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let number = q.number();
    // The page as last rendered for this session (its forms carry the session's token), while
    // the list it shows stands.
    let ctx = Context::load(&state, &user).await?;
    let kept = user
        .session
        .as_ref()
        .zip(stamp(&ctx, &user))
        .map(|(s, stamp)| (format!("{}|/my-work|{number}", s.token_hash), stamp));
    if let Some(html) = kept.as_ref().and_then(|(k, v)| state.pages.get(k, v)) {
        return Ok(Html(html));
    }
    let work = my_work(&state, &user, &ctx, "/my-work", number).await?;
    let html = render(
        &state,
        Some(&user),
        "/my-work",
        "my_work.html",
        Page {
            page_title: "My work",
            work,
        },
    )?;
    if let Some((key, stamp)) = kept {
        state.pages.put(key, stamp, &html.0);
    }
    Ok(html)
}
