//! API tokens: everyone sees and revokes their own (`/account/tokens`); administrators see
//! and revoke those of their partnership's people (`/admin/tokens`). Each row shows the label,
//! when the token was made, last used and expires. Revoking is a form post with the session's
//! CSRF token; a token the asker may not revoke is a 404 (nobody learns of it). Tokens are made
//! with `parley user token`; a new password or a deactivation revokes them all.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use parley_store::rows::ApiTokenRow;
use serde::{Deserialize, Serialize};

use super::render;
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::tokens::{self, TokenView};
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::route::{Route, Rule, route};

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/account/tokens",
            Rule::SignedIn,
            get(own_page),
        ),
        route(
            Method::POST,
            "/account/tokens/revoke",
            Rule::SignedIn,
            post(own_revoke),
        ),
        route(Method::GET, "/admin/tokens", ADMIN, get(admin_page)),
        route(
            Method::POST,
            "/admin/tokens/revoke",
            ADMIN,
            post(admin_revoke),
        ),
    ]
}

#[derive(Deserialize)]
struct Done {
    revoked: Option<String>,
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct Crumb {
    text: &'static str,
    href: Option<&'static str>,
}

#[derive(Serialize)]
struct TokensPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    tokens: Vec<TokenView>,
    active: usize,
    banner: Option<String>,
    /// Where the revoke buttons post.
    action: &'static str,
    /// The administrators' list names each token's holder.
    show_person: bool,
}

/// "Token ‘label’ revoked", for the token `id` names among `rows`.
fn banner(rows: &[ApiTokenRow], done: &Done) -> Option<String> {
    let row = tokens::find(rows, done.revoked.as_deref()?)?;
    Some(format!("API token ‘{}’ revoked", row.label))
}

fn views(rows: &[ApiTokenRow], names: &HashMap<&str, &str>, now_us: i64) -> Vec<TokenView> {
    rows.iter()
        .map(|r| {
            let name = names.get(r.person_id.as_str()).copied().unwrap_or("");
            TokenView::new(r, name, now_us)
        })
        .collect()
}

async fn own_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let rows = state.store.person_api_tokens(user.id()).await?;
    let names = HashMap::from([(user.id(), user.person.name.as_str())]);
    let list = views(&rows, &names, state.now().as_microsecond());
    let page = TokensPage {
        page_title: "Your API tokens",
        breadcrumbs: Vec::new(),
        active: list.iter().filter(|t| t.active).count(),
        tokens: list,
        banner: banner(&rows, &done),
        action: "/account/tokens/revoke",
        show_person: false,
    };
    Ok(render(&state, Some(&user), "/account/tokens", "tokens.html", page)?.into_response())
}

/// The id the form sent, when it can name a token at all (422 otherwise).
fn wanted(form: &RevokeForm) -> Result<&str, AppError> {
    let id = form.token.trim();
    if id.len() < tokens::ID_LENGTH || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::invalid(
            "choose a token to revoke from the list".to_owned(),
        ));
    }
    Ok(id)
}

async fn own_revoke(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<RevokeForm>,
) -> Result<Response, AppError> {
    let id = wanted(&form)?;
    let rows = state.store.person_api_tokens(user.id()).await?;
    let row = tokens::revoke(&state, &rows, id).await?;
    tracing::info!(person = %user.id(), token = %tokens::token_id(&row), "API token revoked by its holder");
    Ok(Redirect::to(&format!(
        "/account/tokens?revoked={}",
        tokens::token_id(&row)
    ))
    .into_response())
}

async fn admin_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let rows = state
        .store
        .partnership_api_tokens(user.partnership_id())
        .await?;
    let config = state.configuration(user.partnership_id()).await?;
    let names: HashMap<&str, &str> = config
        .directory
        .people
        .iter()
        .map(|(id, p)| (id.as_str(), p.name.as_str()))
        .collect();
    let list = views(&rows, &names, state.now().as_microsecond());
    let page = TokensPage {
        page_title: "API tokens",
        breadcrumbs: vec![
            Crumb {
                text: "Administration",
                href: Some("/admin"),
            },
            Crumb {
                text: "API tokens",
                href: None,
            },
        ],
        active: list.iter().filter(|t| t.active).count(),
        tokens: list,
        banner: banner(&rows, &done),
        action: "/admin/tokens/revoke",
        show_person: true,
    };
    Ok(render(&state, Some(&user), "/admin", "admin/tokens.html", page)?.into_response())
}

async fn admin_revoke(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<RevokeForm>,
) -> Result<Response, AppError> {
    let id = wanted(&form)?;
    // Only the tokens of the administrator's own partnership's people.
    let rows = state
        .store
        .partnership_api_tokens(user.partnership_id())
        .await?;
    let row = tokens::revoke(&state, &rows, id).await?;
    tracing::info!(by = %user.id(), person = %row.person_id, token = %tokens::token_id(&row), "API token revoked by an administrator");
    Ok(Redirect::to(&format!("/admin/tokens?revoked={}", tokens::token_id(&row))).into_response())
}
