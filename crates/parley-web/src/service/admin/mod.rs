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

use parley_store::StoreError;
use parley_store::records::Actor;
use serde::Serialize;

use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

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
// Errors

/// One thing wrong with what was sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InputError {
    /// The field: the JSON member's name, which pages also use as the input's id.
    pub field: String,
    pub message: String,
    /// For a procedure file: where the problem is (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is allowed instead, when that helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The text of that line of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// For a body the API could not read: `malformed-json`, `not-json`, `unknown-field`,
    /// `missing-field`, `duplicate-field` or `wrong-type` (see `api::body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl InputError {
    pub fn new(field: &str, message: impl Into<String>) -> InputError {
        InputError {
            field: field.to_owned(),
            message: message.into(),
            line: None,
            column: None,
            help: None,
            source_line: None,
            code: None,
        }
    }

    /// "line L, column C: message (help)": how a procedure file's problem is shown.
    pub fn text(&self) -> String {
        let mut out = match (self.line, self.column) {
            (Some(l), Some(c)) => format!("Line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("Line {l}: {}", self.message),
            _ => self.message.clone(),
        };
        if let Some(help) = &self.help {
            out.push_str(&format!(" ({help})"));
        }
        out
    }
}

/// Why an administrator's change was not made.
#[derive(Debug)]
pub enum AdminError {
    /// What was sent is wrong: show it again with these messages (422).
    Invalid(Vec<InputError>),
    /// Anything else (not found, conflict, the store).
    Failed(AppError),
}

impl From<AppError> for AdminError {
    fn from(e: AppError) -> Self {
        AdminError::Failed(e)
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Failed(e.into())
    }
}

fn invalid<T>(field: &str, message: impl Into<String>) -> Result<T, AdminError> {
    Err(AdminError::Invalid(vec![InputError::new(field, message)]))
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
    errors: &mut Vec<InputError>,
    field: &str,
    value: &str,
    missing: Option<&str>,
    what: &str,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        if let Some(m) = missing {
            errors.push(InputError::new(field, m));
        }
    } else if value.chars().count() > MAX_TEXT {
        errors.push(InputError::new(
            field,
            format!("{what} must be {MAX_TEXT} characters or fewer"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(InputError::new(
            field,
            format!("{what} must be on one line, without special characters"),
        ));
    } else if let Err(m) = super::free_text::check_shown(what, value) {
        // Issue 13, item 11: names and job titles are shown to everyone.
        errors.push(InputError::new(field, m));
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
