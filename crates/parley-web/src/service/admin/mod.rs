//! Administration (issue: "Administration: agencies, people, named officers, upload a
//! procedure (validation errors shown on the page with their line numbers), the partnership's
//! closure days").
//!
//! Only administrators, and only within their own partnership: every function here takes the
//! signed-in administrator and reads and writes nothing outside their partnership (a person,
//! agency or version of another partnership is "not found"). Every check of what an
//! administrator sends lives here, so that the pages and the API refuse the same things with
//! the same words.
//!
//! This file holds the vocabularies, the shared error and the overview; each area has its own
//! file: `agencies`, `people`, `named_officers`, `versions` (procedure versions),
//! `closure_days` and `report_threshold` (small numbers in published reports).

use std::collections::HashSet;

use parley_store::records::Actor;
use serde::Serialize;

use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};

// ---------------------------------------------------------------------------------------------
// Vocabularies and limits

/// The sectors an agency can belong to: the kinds of agency the seed procedures name (local
/// authority children's social care, police, health, schools, early help, adult services,
/// probation, housing) and the demo data uses, plus the voluntary sector and "other".
pub const SECTORS: [(&str, &str); 10] = [
    (
        "local-authority",
        "Children's social care (local authority)",
    ),
    ("police", "Police"),
    ("health", "Health"),
    ("education", "Education"),
    ("early-help", "Early help"),
    ("adult-services", "Adult social care"),
    ("probation", "Probation"),
    ("housing", "Housing"),
    ("voluntary", "Voluntary and community sector"),
    ("other", "Other"),
];

pub fn sector_label(sector: &str) -> &'static str {
    SECTORS
        .iter()
        .find(|(s, _)| *s == sector)
        .map_or("Other", |(_, label)| *label)
}

/// Names, job titles and agency names.
const MAX_TEXT: usize = 200;
/// RFC 5321's limit on a forward path.
const MAX_EMAIL: usize = 254;
/// Passwords an administrator sets: see `auth::password_policy`.
pub use crate::auth::password_policy::MIN_PASSWORD;

mod agencies;
pub use agencies::*;

mod people;
pub use people::*;

mod named_officers;
pub use named_officers::*;

mod versions;
pub use versions::*;

mod closure_days;
pub use closure_days::*;

mod report_threshold;
pub use report_threshold::*;

#[cfg(test)]
mod tests;
/// The largest procedure file accepted (the seeds are under 40 KB).
pub const MAX_PROCEDURE: usize = 512 * 1024;

/// The title the calendar gives the partnership's own closure days (anything else closed on a
/// weekday is a bank holiday).
const CLOSURE_TITLE: &str = "Partnership closure day";

// ---------------------------------------------------------------------------------------------
// Errors: a refused change is `AppError::Invalid`, each field's problem a `FieldError`.

fn invalid<T>(field: &str, message: impl Into<String>) -> Result<T, AppError> {
    Err(AppError::invalid_field(field, message))
}

/// Only administrators: the route table says so too, and this keeps the service safe
/// whoever calls it.
fn admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.has(ADMINISTRATOR) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn actor(user: &CurrentUser) -> Actor {
    Actor::person(user.id())
}

/// A trimmed text: an error when empty (`missing`) or too long.
fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    missing: Option<&str>,
    what: &str,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        if let Some(m) = missing {
            errors.push(FieldError::new(field, m));
        }
    } else if value.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            field,
            format!("{what} must be {MAX_TEXT} characters or fewer"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("{what} must be on one line, without special characters"),
        ));
    } else if let Err(m) = super::free_text::check_shown(what, value) {
        // Issue 13, item 11: names and job titles are shown to everyone.
        errors.push(FieldError::new(field, m));
    }
    value.to_owned()
}

fn blank_to_none(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Overview

/// The administration start page: what the partnership has set up.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub partnership: String,
    pub agencies: usize,
    pub people: usize,
    pub active_people: usize,
    /// Named officers set for the current procedure's stages, and how many there could be.
    pub named_officers: usize,
    pub named_officer_places: usize,
    pub procedure_name: String,
    pub procedure_version: i64,
    pub closure_days: usize,
    /// The threshold of published reports ("fewer than 5").
    pub report_threshold: u32,
}

pub async fn overview(state: &AppState, user: &CurrentUser) -> Result<Overview, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let agencies = state.store.agencies(&partnership.id).await?;
    let people = state.store.people(&partnership.id).await?;
    let officers = state.store.named_officers(&partnership.id).await?;
    let stages: HashSet<i64> = rules
        .procedure
        .stages
        .iter()
        .map(|s| i64::from(s.number.get()))
        .collect();
    let agency_ids: HashSet<&str> = agencies.iter().map(|a| a.id.as_str()).collect();
    Ok(Overview {
        agencies: agencies.len(),
        people: people.len(),
        active_people: people.iter().filter(|p| p.active).count(),
        named_officers: officers
            .iter()
            .filter(|o| stages.contains(&o.stage) && agency_ids.contains(o.agency_id.as_str()))
            .count(),
        named_officer_places: agencies.len() * stages.len(),
        procedure_name: rules.procedure.name.clone(),
        procedure_version: partnership.procedure_version,
        closure_days: partnership.closure_days.len(),
        report_threshold: state.records.report_threshold(&partnership.id).await?.get(),
        partnership: partnership.name,
    })
}
