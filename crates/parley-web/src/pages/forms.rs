//! The escalation's forms as PDF downloads (issue 17, item 4): `GET
//! /escalations/{id}/forms/{form}.pdf` makes the form without the child's details, for anyone
//! who sees the escalation; `POST` on the same path, with the form token, makes the stage
//! record with them for someone who may see the child, and records that reading first (like
//! `POST /escalations/{id}/child`: a link on another site must not record a reading in
//! someone's name).

use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::forms::{self as svc, Pdf, Reading};

/// The path's last segment is `FORM.pdf` (the router's parameters take whole segments).
pub const PATH: &str = "/escalations/{id}/forms/{file}";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, PATH, Rule::SignedIn, get(download)),
        route(
            Method::POST,
            PATH,
            Rule::SignedIn,
            post(download_with_child),
        ),
    ]
}

/// The form id of a `FORM.pdf` segment; anything else names no form.
fn form_of(file: &str) -> Result<&str, AppError> {
    file.strip_suffix(".pdf").ok_or(AppError::NotFound)
}

async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Pdf, AppError> {
    svc::pdf(&state, &user, &id, form_of(&file)?, Reading::WithoutChild).await
}

/// The form has no fields but its token.
#[derive(Deserialize)]
struct NoFields {}

async fn download_with_child(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    CsrfForm(user, _): CsrfForm<NoFields>,
) -> Result<Pdf, AppError> {
    svc::pdf(&state, &user, &id, form_of(&file)?, Reading::WithChild).await
}
