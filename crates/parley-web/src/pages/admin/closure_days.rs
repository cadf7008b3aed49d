//! The closure days page: the partnership's own days off, added and removed.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::{invalid, render};
use crate::service::admin::{self as svc, ClosureDays};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::*;

#[derive(Serialize)]
struct ClosurePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    closure: ClosureDays,
    first_text: String,
    last_text: String,
    form: ClosureForm,
    errors: ErrorSummary,
    has_errors: bool,
    banner: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ClosureForm {
    #[serde(rename(deserialize = "date-day"), default)]
    day: String,
    #[serde(rename(deserialize = "date-month"), default)]
    month: String,
    #[serde(rename(deserialize = "date-year"), default)]
    year: String,
}

fn long_date(s: &str) -> Option<String> {
    s.parse::<jiff::civil::Date>()
        .ok()
        .map(|d| d.strftime("%A %-d %B %Y").to_string())
}

async fn closure_view(
    state: &AppState,
    user: &CurrentUser,
    form: ClosureForm,
    errors: ErrorSummary,
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let closure = svc::closure_days(state, user).await?;
    render(
        state,
        Some(user),
        "/admin",
        "admin/closure_days.html",
        ClosurePage {
            page_title: "Closure days",
            breadcrumbs: crumbs("Closure days", None),
            first_text: long_date(&closure.first).unwrap_or_default(),
            last_text: long_date(&closure.last).unwrap_or_default(),
            closure,
            form,
            has_errors: !errors.is_empty(),
            errors,
            banner,
        },
    )
}

pub(super) async fn closure_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = if let Some(d) = done.added.as_deref().and_then(long_date) {
        Some(format!("{d} has been added as a closure day"))
    } else {
        done.removed
            .as_deref()
            .and_then(long_date)
            .map(|d| format!("{d} is no longer a closure day"))
    };
    closure_view(
        &state,
        &user,
        ClosureForm::default(),
        ErrorSummary::default(),
        banner,
    )
    .await
}

pub(super) async fn closure_add(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<ClosureForm>,
) -> Result<Response, AppError> {
    let result = match svc::date_from_parts(&form.day, &form.month, &form.year) {
        Ok(date) => svc::add_closure_day(&state, &user, date)
            .await
            .map(|()| date),
        Err(m) => Err(AppError::Invalid(vec![FieldError::new("date", m)])),
    };
    match result {
        Ok(date) => Ok(Redirect::to(&format!("/admin/closure-days?added={date}")).into_response()),
        Err(AppError::Invalid(list)) => {
            let errors = ErrorSummary::with_ids(&list, |f| {
                if f == "date" {
                    "date-day".to_owned()
                } else {
                    f.to_owned()
                }
            });
            Ok(invalid(
                closure_view(&state, &user, form, errors, None).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    #[serde(default)]
    date: String,
}

pub(super) async fn closure_remove(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<RemoveForm>,
) -> Result<Response, AppError> {
    match svc::remove_closure_day(&state, &user, &form.date).await {
        Ok(date) => {
            Ok(Redirect::to(&format!("/admin/closure-days?removed={date}")).into_response())
        }
        Err(AppError::Invalid(list)) => {
            let errors = ErrorSummary::of(&list);
            Ok(invalid(
                closure_view(&state, &user, ClosureForm::default(), errors, None).await?,
            ))
        }
        Err(e) => Err(e),
    }
}
