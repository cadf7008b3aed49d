//! The "Appoint" page of an escalation (issue 14, item 4): whoever the procedure's
//! `[[appointment]]` names (the business team, mostly) appoints one of the partnership's people
//! holding the role.

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
use crate::service::appointment::{self as svc, AppointOption, AppointRequest, field};
use crate::service::escalation::{self as esc, ActError, EscalationView};

pub fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/escalations/{id}/appoint",
            Rule::SignedIn,
            get(page),
        ),
        route(
            Method::POST,
            "/escalations/{id}/appoint",
            Rule::SignedIn,
            post(submit),
        ),
    ]
}

#[derive(Serialize)]
struct AppointPage {
    page_title: String,
    e: EscalationView,
    version: i64,
    options: Vec<AppointOption>,
    /// The radio chosen, `ROLE:PERSON`.
    chosen: String,
    errors: ErrorSummary,
    has_errors: bool,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    chosen: String,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let loaded = esc::load(state, user, id).await?;
    let options = svc::options(&loaded);
    if options.is_empty() {
        return Err(AppError::Forbidden);
    }
    let offered = esc::offered(&loaded, state.now());
    let page = AppointPage {
        page_title: "Appoint someone to this escalation".to_owned(),
        e: esc::view_without_case(&loaded, offered.actions),
        version: loaded.version(),
        options,
        chosen,
        has_errors: !errors.is_empty(),
        errors: ErrorSummary::of(&errors),
    };
    let current = format!("/escalations/{id}/appoint");
    render(state, Some(user), &current, "escalation/appoint.html", page)
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    show(&state, &user, &id, String::new(), FieldErrors::default()).await
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let version = value("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::invalid(
                "the form could not be read: reload the page and try again".to_owned(),
            )
        })?;
    let chosen = value(field::APPOINTEE).unwrap_or_default();
    let mut errors = FieldErrors::default();
    let Some((role, person_id)) = chosen.split_once(':') else {
        errors.add(field::APPOINTEE, "Select who to appoint");
        let page = show(&state, &user, &id, chosen, errors).await?;
        return Ok(super::invalid(page));
    };
    let request = AppointRequest {
        version,
        role: role.to_owned(),
        person_id: person_id.to_owned(),
    };
    match svc::appoint(&state, &user, &id, &request).await {
        Ok(_) => Ok(Redirect::to(&esc::Done::Appointed.href(&id)).into_response()),
        Err(ActError::Invalid(e)) => {
            errors.add(field::APPOINTEE, e.message);
            let page = show(&state, &user, &id, chosen, errors).await?;
            Ok(super::invalid(page))
        }
        Err(ActError::Conflict { seen, current, .. }) => {
            errors.add(field::APPOINTEE, svc::conflict(seen, current));
            let page = show(&state, &user, &id, chosen, errors).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(ActError::Other(e)) => Err(e),
    }
}
