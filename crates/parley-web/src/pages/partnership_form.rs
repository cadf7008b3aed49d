//! The partnership form page of an escalation (Croydon Appendix A, Sunderland Appendix 1):
//! the raising agency fills it in, and fills it in again to update it; the answers it sent
//! last are filled in.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::render;
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::{AppError, ErrorSummary, FieldErrors};
use crate::route::{Route, Rule, route};
use crate::service::escalation::{self as esc, ActError, EscalationView};
use crate::service::partnership_form::{self as svc, FormAnswer, SendRequest};

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/escalations/{id}/partnership-form",
            Rule::SignedIn,
            get(page),
        ),
        route(
            Method::POST,
            "/escalations/{id}/partnership-form",
            Rule::SignedIn,
            post(submit),
        ),
    ]
}

#[derive(Serialize)]
struct FormPage {
    page_title: String,
    e: EscalationView,
    version: i64,
    guidance: Option<String>,
    /// Each field with what is in it now (sent last, or typed).
    fields: Vec<PageField>,
    /// Why it cannot be sent now, if so.
    not_yet: Option<String>,
    errors: ErrorSummary,
    has_errors: bool,
}

#[derive(Serialize)]
struct PageField {
    name: String,
    label: String,
    hint: Option<String>,
    text: String,
}

/// The page, with `typed` (field id, text) in place of what was sent last where given.
async fn show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    typed: Option<&[(String, String)]>,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let loaded = esc::load(state, user, id).await?;
    let Some(form) = svc::view(&loaded) else {
        return Err(AppError::NotFound);
    };
    if !form.can_send {
        return Err(esc::refusal(
            &loaded,
            parley_core::names::StageAction::SendPartnershipForm,
        ));
    }
    let offered = esc::offered(&loaded, state.now());
    let fields = form
        .fields
        .iter()
        .map(|f: &FormAnswer| PageField {
            name: svc::field_name(&f.id),
            label: f.label.clone(),
            hint: f.hint.clone(),
            text: typed.map_or_else(
                || f.text.clone(),
                |t| {
                    t.iter()
                        .find(|(k, _)| *k == f.id)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                },
            ),
        })
        .collect();
    let page = FormPage {
        page_title: form.title.clone(),
        e: esc::view_without_case(&loaded, offered.actions),
        version: loaded.version(),
        guidance: form.guidance.clone(),
        fields,
        not_yet: form.not_yet,
        has_errors: !errors.is_empty(),
        errors: ErrorSummary::of(&errors),
    };
    let current = format!("/escalations/{id}/partnership-form");
    render(
        state,
        Some(user),
        &current,
        "escalation/partnership_form.html",
        page,
    )
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    show(&state, &user, &id, None, FieldErrors::default()).await
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let version = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::invalid(
                "the form could not be read: reload the page and try again".to_owned(),
            )
        })?;
    let typed: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("answer-")
                .map(|id| (id.to_owned(), v.trim().to_owned()))
        })
        .collect();
    let request = SendRequest {
        version,
        answers: typed.iter().cloned().collect(),
    };
    let mut errors = FieldErrors::default();
    let failed = match svc::send(&state, &user, &id, &request).await {
        Ok(_) => {
            return Ok(Redirect::to(&esc::Done::PartnershipFormSent.href(&id)).into_response());
        }
        Err(ActError::Invalid(e)) => {
            errors.push(*e);
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(ActError::Conflict { seen, current, .. }) => {
            let first = typed.first().map_or("answer", |(k, _)| k.as_str());
            errors.add(svc::field_name(first), esc::conflict_message(seen, current));
            axum::http::StatusCode::CONFLICT
        }
        Err(ActError::Other(e)) => return Err(e),
    };
    let page = show(&state, &user, &id, Some(&typed), errors).await?;
    Ok((failed, page).into_response())
}
