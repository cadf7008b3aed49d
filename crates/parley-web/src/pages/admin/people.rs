//! The people pages: the list, adding a person and editing one.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::{invalid, render};
use crate::service::admin::{self as svc, AdminPerson, PersonChoices, PersonFields};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use super::*;

#[derive(Serialize)]
struct PeoplePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    people: Vec<AdminPerson>,
    active: usize,
    banner: Option<String>,
}

pub(super) async fn people_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let people = svc::people(&state, &user).await?;
    let find = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| people.iter().find(|p| &p.id == id))
            .map(|p| p.name.clone())
    };
    let banner = find(&done.added)
        .map(|n| format!("{n} has been added"))
        .or_else(|| find(&done.saved).map(|n| format!("{n}’s details have been saved")));
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/people.html",
        PeoplePage {
            page_title: "People",
            breadcrumbs: crumbs("People", None),
            active: people.iter().filter(|p| p.active).count(),
            people,
            banner,
        },
    )
}

#[derive(Serialize)]
struct PersonPage {
    page_title: String,
    breadcrumbs: Vec<Crumb>,
    /// `None` for a new person.
    id: Option<String>,
    action: String,
    form: PersonFields,
    choices: PersonChoices,
    named_officer_stages: Vec<i64>,
    editing_self: bool,
    errors: ErrorSummary,
    has_errors: bool,
}

async fn person_view(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: Option<PersonFields>,
    errors: ErrorSummary,
) -> Result<Html<String>, AppError> {
    let (title, form, stages) = match id {
        Some(id) => {
            let p = svc::person(state, user, id).await?;
            let form = form.unwrap_or_else(|| PersonFields {
                name: p.name.clone(),
                email: p.email.clone(),
                job_title: p.job_title.clone(),
                agency_id: p.agency_id.clone(),
                roles: p.roles.clone(),
                line_manager_id: p.line_manager_id.clone(),
                active: p.active,
                password: None,
            });
            (
                format!("Change {}’s details", p.name),
                form,
                p.named_officer_stages,
            )
        }
        None => (
            "Add a person".to_owned(),
            form.unwrap_or_default(),
            Vec::new(),
        ),
    };
    let choices = svc::person_choices(state, user, id).await?;
    let here = if id.is_some() {
        "Change details"
    } else {
        "Add a person"
    };
    render(
        state,
        Some(user),
        "/admin",
        "admin/person.html",
        PersonPage {
            breadcrumbs: crumbs(here, Some(("People", "/admin/people"))),
            page_title: title,
            action: id.map_or_else(
                || "/admin/people/new".to_owned(),
                |id| format!("/admin/people/{}", encode(id)),
            ),
            editing_self: id == Some(user.id()),
            id: id.map(str::to_owned),
            form,
            choices,
            named_officer_stages: stages,
            has_errors: !errors.is_empty(),
            errors,
        },
    )
}

/// The person form's fields (roles repeat, so the pairs are read by hand).
fn person_fields(pairs: &[(String, String)]) -> PersonFields {
    let optional = |name: &str| Some(value(pairs, name)).filter(|v| !v.trim().is_empty());
    PersonFields {
        name: value(pairs, "name"),
        email: value(pairs, "email"),
        job_title: value(pairs, "job_title"),
        agency_id: optional("agency_id"),
        roles: values(pairs, "roles").map(str::to_owned).collect(),
        line_manager_id: optional("line_manager_id"),
        active: value(pairs, "active") != "no",
        password: optional("password"),
    }
}

pub(super) async fn person_new(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Html<String>, AppError> {
    person_view(&state, &user, None, None, ErrorSummary::default()).await
}

pub(super) async fn person_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    person_view(&state, &user, Some(&id), None, ErrorSummary::default()).await
}

async fn person_save(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let form = person_fields(pairs);
    match svc::save_person(state, user, id, &form).await {
        Ok(p) => {
            let key = if id.is_some() { "saved" } else { "added" };
            Ok(Redirect::to(&format!("/admin/people?{key}={}", encode(&p.id))).into_response())
        }
        Err(AppError::Invalid(list)) => {
            let errors = ErrorSummary::of(&list);
            // The password is never sent back.
            let form = PersonFields {
                password: None,
                ..form
            };
            Ok(invalid(
                person_view(state, user, id, Some(form), errors).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn person_create(
    State(state): State<AppState>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    person_save(&state, &user, None, &pairs).await
}

pub(super) async fn person_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // 404 before anything else for someone not in the partnership.
    svc::person(&state, &user, &id).await?;
    person_save(&state, &user, Some(&id), &pairs).await
}

// ---------------------------------------------------------------------------------------------
