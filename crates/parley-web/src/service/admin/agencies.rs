//! Agencies: the list, and adding one after checking what was sent.

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use parley_store::rows::{AgencyRow, PersonRow};
use serde::{Deserialize, Serialize};

use super::*;

/// An agency of the partnership.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdminAgency {
    pub id: String,
    pub name: String,
    /// One of `local-authority`, `police`, `health`, `education`, `early-help`,
    /// `adult-services`, `probation`, `housing`, `voluntary`, `other`.
    pub sector: String,
    pub sector_label: String,
    /// Active people in the agency.
    pub people: usize,
}

/// A new agency. Both fields are required; any other is refused.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyFields {
    pub name: String,
    /// See `AdminAgency.sector`.
    pub sector: String,
}

fn agency_view(a: &AgencyRow, people: &[PersonRow]) -> AdminAgency {
    AdminAgency {
        id: a.id.clone(),
        name: a.name.clone(),
        sector: a.sector.clone(),
        sector_label: sector_label(&a.sector).to_owned(),
        people: people
            .iter()
            .filter(|p| p.active && p.agency_id.as_deref() == Some(a.id.as_str()))
            .count(),
    }
}

pub async fn agencies(state: &AppState, user: &CurrentUser) -> Result<Vec<AdminAgency>, AppError> {
    admin(user)?;
    let p = user.partnership_id();
    let people = state.store.people(p).await?;
    let mut list: Vec<AdminAgency> = state
        .store
        .agencies(p)
        .await?
        .iter()
        .map(|a| agency_view(a, &people))
        .collect();
    list.sort_by_key(|a| a.name.to_lowercase());
    Ok(list)
}

/// Checks a new agency: a name no other agency of the partnership has, and a known sector.
pub fn validate_agency(
    f: &AgencyFields,
    existing: &[AgencyRow],
) -> Result<(String, &'static str), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = text(
        &mut errors,
        "name",
        &f.name,
        Some("Enter the agency’s name"),
        "Agency name",
    );
    if !name.is_empty()
        && existing
            .iter()
            .any(|a| a.name.trim().to_lowercase() == name.to_lowercase())
    {
        errors.push(FieldError::new(
            "name",
            "There is already an agency with this name",
        ));
    }
    let sector = SECTORS
        .iter()
        .find(|(s, _)| *s == f.sector.trim())
        .map(|(s, _)| *s);
    if sector.is_none() {
        errors.push(FieldError::new(
            "sector",
            if f.sector.trim().is_empty() {
                "Select the agency’s sector"
            } else {
                "Select a sector from the list"
            },
        ));
    }
    match sector {
        Some(s) if errors.is_empty() => Ok((name, s)),
        _ => Err(errors),
    }
}

pub async fn add_agency(
    state: &AppState,
    user: &CurrentUser,
    f: &AgencyFields,
) -> Result<AdminAgency, AppError> {
    admin(user)?;
    let p = user.partnership_id();
    let existing = state.store.agencies(p).await?;
    let (name, sector) = validate_agency(f, &existing).map_err(AppError::Invalid)?;
    let id = state
        .records
        .add_agency(state.now(), &actor(user), p, &name, sector)
        .await?;
    tracing::info!(agency = %id, by = %user.id(), "agency added");
    Ok(AdminAgency {
        id,
        name,
        sector: sector.to_owned(),
        sector_label: sector_label(sector).to_owned(),
        people: 0,
    })
}
