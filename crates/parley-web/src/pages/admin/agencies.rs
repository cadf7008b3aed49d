//! The agencies page: the list and the form to add one.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::{invalid, render};
use crate::service::admin::{self as svc, AdminAgency, AgencyFields, Choice};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::*;

#[derive(Serialize)]
struct AgenciesPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    agencies: Vec<AdminAgency>,
    sectors: Vec<Choice>,
    form: AgencyFields,
    errors: ErrorSummary,
    has_errors: bool,
    banner: Option<String>,
}

async fn agencies_view(
    state: &AppState,
    user: &CurrentUser,
    form: AgencyFields,
    errors: ErrorSummary,
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let agencies = svc::agencies(state, user).await?;
    render(
        state,
        Some(user),
        "/admin",
        "admin/agencies.html",
        AgenciesPage {
            page_title: "Agencies",
            breadcrumbs: crumbs("Agencies", None),
            agencies,
            sectors: svc::SECTORS
                .iter()
                .map(|(v, t)| Choice {
                    value: (*v).to_owned(),
                    text: (*t).to_owned(),
                })
                .collect(),
            form,
            has_errors: !errors.is_empty(),
            errors,
            banner,
        },
    )
}

pub(super) async fn agencies_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = match done.added {
        Some(id) => svc::agencies(&state, &user)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .map(|a| format!("{} has been added", a.name)),
        None => None,
    };
    agencies_view(
        &state,
        &user,
        AgencyFields::default(),
        ErrorSummary::default(),
        banner,
    )
    .await
}

/// The add-agency form as a browser sends it (with its `csrf` field, and an empty field for
/// anything left out); the API's `AgencyFields` refuses both.
#[derive(Deserialize)]
pub(super) struct AgencyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sector: String,
}

pub(super) async fn agencies_add(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<AgencyForm>,
) -> Result<Response, AppError> {
    let form = AgencyFields {
        name: form.name,
        sector: form.sector,
    };
    match svc::add_agency(&state, &user, &form).await {
        Ok(a) => {
            Ok(Redirect::to(&format!("/admin/agencies?added={}", encode(&a.id))).into_response())
        }
        Err(AppError::Invalid(list)) => {
            let errors = ErrorSummary::of(&list);
            Ok(invalid(
                agencies_view(&state, &user, form, errors, None).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
