//! Compliments: those given to and by the signed-in person (and, for the partnership business
//! team, all of them), and a form to give one to a colleague in another agency.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{invalid, render};
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::{AppError, ErrorSummary};
use crate::route::{Route, Rule, route};
use crate::service::compliments::{self, ComplimentView, Compliments, GiveCompliment, MESSAGE_MAX};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/compliments", Rule::SignedIn, get(page)),
        route(Method::POST, "/compliments", Rule::SignedIn, post(submit)),
    ]
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    compliments: Compliments,
    /// The compliment just given (after the redirect), for the success banner.
    given: Option<ComplimentView>,
    form: FormValues,
    /// The options of the "who" select.
    recipient_items: Vec<SelectItem>,
    errors: ErrorSummary,
    has_errors: bool,
    message_max: usize,
}

#[derive(Serialize)]
struct SelectItem {
    value: String,
    text: String,
    selected: bool,
}

#[derive(Default, Serialize)]
struct FormValues {
    to: String,
    message: String,
}

#[derive(Deserialize)]
struct PageQuery {
    given: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let compliments = compliments::compliments(&state, &user).await?;
    // Only a compliment the person gave themselves can be named in the banner.
    let given = q
        .given
        .and_then(|id| compliments.given.iter().find(|c| c.id == id).cloned());
    view(
        &state,
        &user,
        compliments,
        given,
        FormValues::default(),
        ErrorSummary::default(),
    )
}

fn view(
    state: &AppState,
    user: &CurrentUser,
    compliments: Compliments,
    given: Option<ComplimentView>,
    form: FormValues,
    errors: ErrorSummary,
) -> Result<Html<String>, AppError> {
    let mut recipient_items = vec![SelectItem {
        value: String::new(),
        text: "Select a person".to_owned(),
        selected: form.to.is_empty(),
    }];
    recipient_items.extend(compliments.recipients.iter().map(|r| {
        let mut text = r.name.clone();
        if !r.job_title.is_empty() {
            text = format!("{text}, {}", r.job_title);
        }
        if let Some(agency) = &r.agency {
            text = format!("{text} ({agency})");
        }
        SelectItem {
            selected: r.id == form.to,
            value: r.id.clone(),
            text,
        }
    }));
    render(
        state,
        Some(user),
        "/compliments",
        "compliments.html",
        Page {
            page_title: "Compliments",
            compliments,
            given,
            form,
            recipient_items,
            has_errors: !errors.is_empty(),
            errors,
            message_max: MESSAGE_MAX,
        },
    )
}

#[derive(Deserialize)]
struct GiveForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    message: String,
}

async fn submit(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<GiveForm>,
) -> Result<Response, AppError> {
    let input = GiveCompliment {
        to_person_id: form.to.clone(),
        message: form.message.clone(),
    };
    match compliments::give(&state, &user, &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/compliments?given={}", c.id)).into_response()),
        Err(AppError::Invalid(problems)) => {
            // The form calls the person field `to`.
            let errors = ErrorSummary::with_ids(&problems, |f| {
                if f == compliments::TO { "to" } else { f }.to_owned()
            });
            let compliments = compliments::compliments(&state, &user).await?;
            let values = FormValues {
                to: form.to,
                message: form.message,
            };
            Ok(invalid(view(
                &state,
                &user,
                compliments,
                None,
                values,
                errors,
            )?))
        }
        Err(e) => Err(e),
    }
}
