//! The named officers page: each agency's contact for each stage.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::{invalid, render};
use crate::service::admin::{
    self as svc, AgencyOfficers, Choice, NamedOfficerFields, NamedOfficers, OfficerStage,
};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use super::*;

#[derive(Serialize)]
struct OfficersPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    officers: NamedOfficers,
    banner: Option<String>,
}

pub(super) async fn officers_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let officers = svc::named_officers(&state, &user).await?;
    let banner = done.saved.and_then(|id| {
        officers
            .agencies
            .iter()
            .find(|a| a.agency_id == id)
            .map(|a| format!("{}’s named officers have been saved", a.agency))
    });
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/named_officers.html",
        OfficersPage {
            page_title: "Named officers",
            breadcrumbs: crumbs("Named officers", None),
            officers,
            banner,
        },
    )
}

/// One select per stage.
#[derive(Serialize)]
struct StageSelect {
    stage: OfficerStage,
    id: String,
    /// The person chosen (`""`: nobody).
    value: String,
    items: Vec<Choice>,
}

#[derive(Serialize)]
struct OfficersAgencyPage {
    page_title: String,
    breadcrumbs: Vec<Crumb>,
    action: String,
    agency: String,
    selects: Vec<StageSelect>,
    errors: ErrorSummary,
    has_errors: bool,
}

async fn officers_agency_view(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
    chosen: Option<&[(String, String)]>,
    errors: ErrorSummary,
) -> Result<Html<String>, AppError> {
    let all = svc::named_officers(state, user).await?;
    let agency: AgencyOfficers = all
        .agencies
        .into_iter()
        .find(|a| a.agency_id == agency_id)
        .ok_or(AppError::NotFound)?;
    let selects = all
        .stages
        .into_iter()
        .zip(&agency.officers)
        .map(|(stage, cell)| {
            let id = format!("stage-{}", stage.number);
            let mut items = vec![Choice {
                value: String::new(),
                text: "Nobody named".to_owned(),
            }];
            items.extend(agency.choices.iter().cloned());
            // Someone named who has since left stays visible until replaced.
            if let (Some(pid), Some(name)) = (&cell.person_id, &cell.person)
                && !items.iter().any(|c| &c.value == pid)
            {
                items.push(Choice {
                    value: pid.clone(),
                    text: format!("{name} (no longer active)"),
                });
            }
            let value = match chosen {
                Some(pairs) => value(pairs, &id),
                None => cell.person_id.clone().unwrap_or_default(),
            };
            StageSelect {
                stage,
                id,
                value,
                items,
            }
        })
        .collect();
    render(
        state,
        Some(user),
        "/admin",
        "admin/named_officers_agency.html",
        OfficersAgencyPage {
            page_title: format!("Named officers for {}", agency.agency),
            breadcrumbs: crumbs(
                &agency.agency,
                Some(("Named officers", "/admin/named-officers")),
            ),
            action: format!("/admin/named-officers/{}", encode(agency_id)),
            agency: agency.agency.clone(),
            selects,
            has_errors: !errors.is_empty(),
            errors,
        },
    )
}

pub(super) async fn officers_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(agency): Path<String>,
) -> Result<Html<String>, AppError> {
    officers_agency_view(&state, &user, &agency, None, ErrorSummary::default()).await
}

pub(super) async fn officers_save(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let all = svc::named_officers(&state, &user).await?;
    if !all.agencies.iter().any(|a| a.agency_id == agency) {
        return Err(AppError::NotFound);
    }
    let changes: Vec<NamedOfficerFields> = all
        .stages
        .iter()
        .filter_map(|s| {
            let id = format!("stage-{}", s.number);
            values(&pairs, &id).next().map(|v| NamedOfficerFields {
                agency_id: agency.clone(),
                stage: s.number,
                person_id: Some(v.to_owned()).filter(|v| !v.is_empty()),
            })
        })
        .collect();
    let single = changes.len() == 1;
    match svc::set_named_officers(&state, &user, &changes).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/named-officers?saved={}", encode(&agency)))
                .into_response(),
        ),
        Err(AppError::Invalid(list)) => {
            let stage_of_single = changes.first().map(|c| c.stage).unwrap_or(1);
            let errors = ErrorSummary::with_ids(&list, |f| {
                if single && !f.starts_with("stage-") {
                    format!("stage-{stage_of_single}")
                } else {
                    f.to_owned()
                }
            });
            Ok(invalid(
                officers_agency_view(&state, &user, &agency, Some(&pairs), errors).await?,
            ))
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
