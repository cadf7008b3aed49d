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
//! Longer than 800 lines: its banner sections (agencies, people, officers, procedure, closure
//! days) become the files of an `admin/` folder in issue 16.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::{Date, Weekday};
use parley_core::calendar::Calendar;
use parley_core::procedure::{self, Procedure};
use parley_store::StoreError;
use parley_store::records::{Actor, PersonInput};
use parley_store::rows::{AccountRow, AgencyRow, NamedOfficerRow, PersonRow, ProcedureRow};
use serde::{Deserialize, Serialize};

use crate::access::{self, ADMINISTRATOR, MANAGER, PRACTITIONER, ROLES, SENIOR_MANAGER};
use crate::app::AppState;
use crate::auth::{self, AccountSaved, CurrentUser};
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
        partnership: partnership.name,
    })
}

// ---------------------------------------------------------------------------------------------
// Agencies

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
) -> Result<(String, &'static str), Vec<InputError>> {
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
        errors.push(InputError::new(
            "name",
            "There is already an agency with this name",
        ));
    }
    let sector = SECTORS
        .iter()
        .find(|(s, _)| *s == f.sector.trim())
        .map(|(s, _)| *s);
    if sector.is_none() {
        errors.push(InputError::new(
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
) -> Result<AdminAgency, AdminError> {
    admin(user)?;
    let p = user.partnership_id();
    let existing = state.store.agencies(p).await?;
    let (name, sector) = validate_agency(f, &existing).map_err(AdminError::Invalid)?;
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

// ---------------------------------------------------------------------------------------------
// People

/// A person of the partnership, as administrators see them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AdminPerson {
    pub id: String,
    pub name: String,
    pub email: String,
    pub job_title: String,
    /// `None` for the partnership's own staff (business team, administrators).
    pub agency_id: Option<String>,
    pub agency: Option<String>,
    /// Access roles: `practitioner`, `manager`, `senior-manager`,
    /// `partnership-business-team`, `administrator`.
    pub roles: Vec<String>,
    pub roles_text: String,
    pub line_manager_id: Option<String>,
    pub line_manager: Option<String>,
    /// An inactive person cannot sign in and is offered nowhere.
    pub active: bool,
    /// The stages this person is their agency's named officer for.
    pub named_officer_stages: Vec<i64>,
}

/// A person's details as sent by the form or the API. `password`, when given, replaces the
/// person's password (at least 12 characters) and signs them out everywhere. Every field but
/// `active` and `password` is required (`agency_id` and `line_manager_id` may be `null`), so
/// that a field left out or misspelt is never taken for an empty one; any other is refused.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonFields {
    pub name: String,
    pub email: String,
    pub job_title: String,
    /// `null` for the partnership's own staff.
    #[serde(deserialize_with = "required_or_null")]
    #[schema(required = true)]
    pub agency_id: Option<String>,
    pub roles: Vec<String>,
    #[serde(deserialize_with = "required_or_null")]
    #[schema(required = true)]
    pub line_manager_id: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// A new password (at least 12 characters); leave it out to keep theirs. Never shown back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(write_only)]
    pub password: Option<String>,
}

fn yes() -> bool {
    true
}

/// A field that must be sent, though it may be `null` (serde takes a missing `Option` for
/// `None` unless it is read with a function of its own).
fn required_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::deserialize(d)
}

impl Default for PersonFields {
    fn default() -> Self {
        PersonFields {
            name: String::new(),
            email: String::new(),
            job_title: String::new(),
            agency_id: None,
            roles: Vec::new(),
            line_manager_id: None,
            active: true,
            password: None,
        }
    }
}

impl PersonFields {
    pub fn from_row(p: &PersonRow) -> PersonFields {
        PersonFields {
            name: p.name.clone(),
            email: p.email.clone(),
            job_title: p.job_title.clone(),
            agency_id: p.agency_id.clone(),
            roles: p.roles.clone(),
            line_manager_id: p.line_manager_id.clone(),
            active: p.active,
            password: None,
        }
    }
}

/// What a person's form offers.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonChoices {
    pub agencies: Vec<Choice>,
    /// Active people other than the one edited (and their current manager, active or not).
    pub line_managers: Vec<Choice>,
    pub roles: Vec<Choice>,
}

/// The partnership's people, agencies and named officers.
struct Setup {
    people: Vec<PersonRow>,
    agencies: Vec<AgencyRow>,
    officers: Vec<NamedOfficerRow>,
}

impl Setup {
    async fn load(state: &AppState, partnership: &str) -> Result<Setup, AppError> {
        Ok(Setup {
            people: state.store.people(partnership).await?,
            agencies: state.store.agencies(partnership).await?,
            officers: state.store.named_officers(partnership).await?,
        })
    }

    fn agency_name(&self, id: &str) -> Option<String> {
        self.agencies
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
    }

    fn person(&self, id: &str) -> Option<&PersonRow> {
        self.people.iter().find(|p| p.id == id)
    }

    fn view(&self, p: &PersonRow) -> AdminPerson {
        let mut stages: Vec<i64> = self
            .officers
            .iter()
            .filter(|o| o.person_id == p.id)
            .map(|o| o.stage)
            .collect();
        stages.sort_unstable();
        AdminPerson {
            id: p.id.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            job_title: p.job_title.clone(),
            agency_id: p.agency_id.clone(),
            agency: p.agency_id.as_deref().and_then(|a| self.agency_name(a)),
            roles: p.roles.clone(),
            roles_text: p
                .roles
                .iter()
                .map(|r| access::role_label(r))
                .collect::<Vec<_>>()
                .join(", "),
            line_manager_id: p.line_manager_id.clone(),
            line_manager: p
                .line_manager_id
                .as_deref()
                .and_then(|m| self.person(m))
                .map(|m| m.name.clone()),
            active: p.active,
            named_officer_stages: stages,
        }
    }

    /// "Name (Agency)" for lists where names repeat across agencies.
    fn label(&self, p: &PersonRow) -> String {
        match p.agency_id.as_deref().and_then(|a| self.agency_name(a)) {
            Some(agency) => format!("{} ({agency})", p.name),
            None => format!("{} (partnership)", p.name),
        }
    }
}

pub async fn people(state: &AppState, user: &CurrentUser) -> Result<Vec<AdminPerson>, AppError> {
    admin(user)?;
    let setup = Setup::load(state, user.partnership_id()).await?;
    let mut list: Vec<AdminPerson> = setup.people.iter().map(|p| setup.view(p)).collect();
    list.sort_by(|a, b| {
        (
            !a.active,
            a.agency.is_none(),
            &a.agency,
            a.name.to_lowercase(),
        )
            .cmp(&(
                !b.active,
                b.agency.is_none(),
                &b.agency,
                b.name.to_lowercase(),
            ))
    });
    Ok(list)
}

/// One person of the administrator's partnership (404 for anyone else's).
pub async fn person(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<AdminPerson, AppError> {
    admin(user)?;
    let setup = Setup::load(state, user.partnership_id()).await?;
    setup
        .person(id)
        .map(|p| setup.view(p))
        .ok_or(AppError::NotFound)
}

pub async fn person_choices(
    state: &AppState,
    user: &CurrentUser,
    editing: Option<&str>,
) -> Result<PersonChoices, AppError> {
    admin(user)?;
    let setup = Setup::load(state, user.partnership_id()).await?;
    let mut agencies: Vec<Choice> = setup
        .agencies
        .iter()
        .map(|a| Choice {
            value: a.id.clone(),
            text: a.name.clone(),
        })
        .collect();
    agencies.sort_by_key(|c| c.text.to_lowercase());
    let current_manager = editing
        .and_then(|id| setup.person(id))
        .and_then(|p| p.line_manager_id.clone());
    let mut line_managers: Vec<Choice> = setup
        .people
        .iter()
        .filter(|p| Some(p.id.as_str()) != editing)
        .filter(|p| p.active || current_manager.as_deref() == Some(p.id.as_str()))
        .map(|p| Choice {
            value: p.id.clone(),
            text: setup.label(p),
        })
        .collect();
    line_managers.sort_by_key(|c| c.text.to_lowercase());
    Ok(PersonChoices {
        agencies,
        line_managers,
        roles: ROLES
            .iter()
            .map(|r| Choice {
                value: (*r).to_owned(),
                text: access::role_label(r).to_owned(),
            })
            .collect(),
    })
}

/// An e-mail address that can be delivered to: one `@`, something before it, a domain with a
/// dot after it, no spaces. (Whether it exists is only known by writing to it.)
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= MAX_EMAIL
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
}

/// A checked person: what the records take, and the new password if one was given.
#[derive(Debug)]
pub struct CheckedPerson {
    pub input: PersonInput,
    pub password: Option<String>,
}

/// Checks a person's details against the partnership's people, agencies and named officers.
/// `editing` is the person being changed (`None` for a new one); `me` the administrator.
fn validate_person(
    f: &PersonFields,
    editing: Option<&PersonRow>,
    me: &str,
    setup: &Setup,
) -> Result<CheckedPerson, Vec<InputError>> {
    let mut errors = Vec::new();
    let editing_id = editing.map(|p| p.id.as_str());
    let others = || {
        setup
            .people
            .iter()
            .filter(|p| Some(p.id.as_str()) != editing_id)
    };

    let name = text(
        &mut errors,
        "name",
        &f.name,
        Some("Enter the person’s full name"),
        "Full name",
    );

    let email = f.email.trim().to_owned();
    if email.is_empty() {
        errors.push(InputError::new("email", "Enter an email address"));
    } else if !valid_email(&email) {
        errors.push(InputError::new(
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ));
    } else if others().any(|p| p.email.trim().eq_ignore_ascii_case(&email)) {
        errors.push(InputError::new(
            "email",
            "Another person in the partnership already has this email address",
        ));
    }

    let job_title = text(&mut errors, "job_title", &f.job_title, None, "Job title");

    let agency_id = blank_to_none(f.agency_id.as_deref());
    if let Some(a) = &agency_id
        && !setup.agencies.iter().any(|x| &x.id == a)
    {
        errors.push(InputError::new(
            "agency_id",
            "Select an agency from the list",
        ));
    }

    let mut roles = Vec::new();
    let mut unknown = false;
    for r in &f.roles {
        match ROLES.iter().find(|k| **k == r.trim()) {
            Some(k) => roles.push(*k),
            None => unknown = true,
        }
    }
    // In the order of `ROLES`, each once.
    let roles: Vec<String> = ROLES
        .iter()
        .filter(|r| roles.contains(r))
        .map(|r| (*r).to_owned())
        .collect();
    if unknown {
        errors.push(InputError::new(
            "roles",
            "Select access roles from the list",
        ));
    } else if roles.is_empty() {
        errors.push(InputError::new("roles", "Select at least one access role"));
    }
    // Practitioners and managers raise and answer challenges for their agency.
    if agency_id.is_none()
        && roles
            .iter()
            .any(|r| [PRACTITIONER, MANAGER, SENIOR_MANAGER].contains(&r.as_str()))
    {
        errors.push(InputError::new(
            "agency_id",
            "Select the person’s agency: practitioners and managers work for an agency",
        ));
    }

    let line_manager_id = blank_to_none(f.line_manager_id.as_deref());
    if let Some(m) = &line_manager_id {
        match setup.person(m) {
            None => errors.push(InputError::new(
                "line_manager_id",
                "Select a line manager from the list",
            )),
            Some(_) if Some(m.as_str()) == editing_id => errors.push(InputError::new(
                "line_manager_id",
                "Select someone else: a person cannot be their own line manager",
            )),
            Some(manager) => {
                let unchanged = editing.and_then(|p| p.line_manager_id.as_deref()) == Some(m);
                if !manager.active && !unchanged {
                    errors.push(InputError::new(
                        "line_manager_id",
                        "Select a line manager who is active",
                    ));
                } else if let Some(me_id) = editing_id
                    && manages(setup, me_id, m)
                {
                    errors.push(InputError::new(
                        "line_manager_id",
                        format!(
                            "Select someone else: {} reports to this person, directly or through others",
                            manager.name
                        ),
                    ));
                }
            }
        }
    }

    if let Some(p) = editing {
        if p.id == me {
            if !roles.iter().any(|r| r == ADMINISTRATOR) {
                errors.push(InputError::new(
                    "roles",
                    "You cannot remove your own administrator role: ask another administrator",
                ));
            }
            if !f.active {
                errors.push(InputError::new(
                    "active",
                    "You cannot deactivate yourself: ask another administrator",
                ));
            }
        }
        // A named officer leads a stage for their agency: name someone else first.
        let leads: Vec<&NamedOfficerRow> = setup
            .officers
            .iter()
            .filter(|o| o.person_id == p.id)
            .collect();
        if let Some(o) = leads.first() {
            let agency = setup
                .agency_name(&o.agency_id)
                .unwrap_or_else(|| "their agency".to_owned());
            if !f.active {
                errors.push(InputError::new(
                    "active",
                    format!(
                        "This person is {agency}’s named officer for stage {}: name someone else on the named officers page first",
                        o.stage
                    ),
                ));
            }
            if agency_id.as_deref() != Some(o.agency_id.as_str()) {
                errors.push(InputError::new(
                    "agency_id",
                    format!(
                        "This person is {agency}’s named officer for stage {}: name someone else on the named officers page before changing their agency",
                        o.stage
                    ),
                ));
            }
        }
    }

    let password = f.password.as_deref().filter(|p| !p.is_empty());
    if let Some(pw) = password
        && let Err(weak) = crate::auth::check_password(pw, &f.name, &f.email)
    {
        errors.push(InputError::new("password", weak.to_string()));
    }

    if !errors.is_empty() {
        // In the order of the form.
        const ORDER: [&str; 8] = [
            "name",
            "email",
            "job_title",
            "agency_id",
            "roles",
            "line_manager_id",
            "active",
            "password",
        ];
        errors.sort_by_key(|e| ORDER.iter().position(|f| *f == e.field));
        return Err(dedupe(errors));
    }
    Ok(CheckedPerson {
        input: PersonInput {
            agency_id,
            name,
            email,
            job_title,
            roles,
            line_manager_id,
            active: f.active,
        },
        password: password.map(str::to_owned),
    })
}

/// Whether `manager` is on `person`'s line-management chain (stopping at a loop).
fn manages(setup: &Setup, manager: &str, person: &str) -> bool {
    let by_id: HashMap<&str, &PersonRow> =
        setup.people.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut at = Some(person);
    let mut seen = HashSet::new();
    while let Some(p) = at {
        if p == manager {
            return true;
        }
        if !seen.insert(p) {
            return false;
        }
        at = by_id.get(p).and_then(|r| r.line_manager_id.as_deref());
    }
    false
}

/// The first message for each field (GOV.UK shows one per field).
fn dedupe(errors: Vec<InputError>) -> Vec<InputError> {
    let mut seen = HashSet::new();
    errors
        .into_iter()
        .filter(|e| seen.insert(e.field.clone()))
        .collect()
}

/// Adds a person (`id` `None`) or changes one. Keeps their sign-in in step: a changed email
/// address moves their account, a new password replaces theirs and signs them out, and
/// deactivating someone signs them out everywhere.
pub async fn save_person(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    f: &PersonFields,
) -> Result<AdminPerson, AdminError> {
    admin(user)?;
    let partnership = user.partnership_id();
    let setup = Setup::load(state, partnership).await?;
    let editing = match id {
        Some(id) => Some(setup.person(id).ok_or(AppError::NotFound)?.clone()),
        None => None,
    };
    let checked =
        validate_person(f, editing.as_ref(), user.id(), &setup).map_err(AdminError::Invalid)?;
    // Sign-in is by email address across every partnership on this server, one account per
    // address. Within the partnership the administrator sees everyone, so a clash is named
    // (`validate_person`); an address that signs in to another partnership is never revealed:
    // the person is saved and the answer is the same as for any other address, but the
    // account that has the address keeps it (nobody can take over another partnership's
    // sign-in by adding its address), and this person gets no sign-in with it until the
    // address is free. The operator is told in the log.
    if let Some(account) = state.store.account_by_email(&checked.input.email).await?
        && Some(account.person_id.as_str()) != id
        && account.partnership_id == partnership
    {
        return invalid(
            "email",
            "Another person in the partnership already has this email address",
        );
    }
    let saved_id = state
        .records
        .save_person(
            state.now(),
            &actor(user),
            partnership,
            id,
            checked.input.clone(),
        )
        .await?;
    let row = state
        .store
        .person(&saved_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("person {saved_id} not saved")))?;
    let account = state.store.account(&saved_id).await?;
    let taken = if let Some(pw) = &checked.password {
        // Also ends their sessions and revokes their API tokens.
        auth::set_password(state, &row, pw).await? == AccountSaved::AddressTaken
    } else if let Some(a) = account
        && a.email != row.email.to_lowercase()
    {
        let moved = AccountRow {
            email: row.email.to_lowercase(),
            updated_at_us: state.now().as_microsecond(),
            ..a
        };
        match state.store.upsert_account(&moved).await {
            Ok(()) => false,
            Err(StoreError::Invalid(_)) => true,
            Err(e) => return Err(e.into()),
        }
    } else {
        false
    };
    if taken {
        tracing::warn!(
            person = %row.id,
            "the person's email address signs in to another partnership: they have no sign-in with it"
        );
    }
    // Deactivated, or coming back: every session ends and every API token is revoked for good,
    // so that reactivating someone never brings an old token back.
    let was_active = editing.as_ref().is_none_or(|p| p.active);
    if !row.active || !was_active {
        auth::end_sign_ins(state, &row.id).await?;
    }
    tracing::info!(person = %row.id, by = %user.id(), new = id.is_none(), "person saved");
    let setup = Setup::load(state, partnership).await?;
    Ok(setup.view(&row))
}

// ---------------------------------------------------------------------------------------------
// Named officers (Buckinghamshire 2.4.15 and Appendix B: each agency names its contact for each
// stage of the procedure)

/// A stage of the current procedure.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OfficerStage {
    pub number: i64,
    pub title: String,
    /// Who the procedure says leads it.
    pub lead: String,
}

/// An agency's named officer for one stage.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OfficerCell {
    pub stage: i64,
    pub person_id: Option<String>,
    pub person: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyOfficers {
    pub agency_id: String,
    pub agency: String,
    /// One per stage, in stage order.
    pub officers: Vec<OfficerCell>,
    /// People of the agency who can be named (active), for forms.
    #[serde(skip)]
    pub choices: Vec<Choice>,
}

/// Every agency's named officers for the current procedure's stages.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NamedOfficers {
    pub stages: Vec<OfficerStage>,
    pub agencies: Vec<AgencyOfficers>,
}

/// Names (or, with `person_id` `null`, stops naming) an agency's officer for a stage. Every
/// field is required; any other is refused.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedOfficerFields {
    pub agency_id: String,
    pub stage: i64,
    #[serde(deserialize_with = "required_or_null")]
    #[schema(required = true)]
    pub person_id: Option<String>,
}

fn stages_of(procedure: &Procedure) -> Vec<OfficerStage> {
    procedure
        .stages
        .iter()
        .map(|s| OfficerStage {
            number: i64::from(s.number.get()),
            title: s.title.clone(),
            lead: s.lead_title.clone().unwrap_or_else(|| {
                s.leads
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        })
        .collect()
}

pub async fn named_officers(
    state: &AppState,
    user: &CurrentUser,
) -> Result<NamedOfficers, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let setup = Setup::load(state, &partnership.id).await?;
    let stages = stages_of(&rules.procedure);
    let mut agencies: Vec<AgencyOfficers> = setup
        .agencies
        .iter()
        .map(|a| {
            let officers = stages
                .iter()
                .map(|s| {
                    let person = setup
                        .officers
                        .iter()
                        .find(|o| o.agency_id == a.id && o.stage == s.number)
                        .and_then(|o| setup.person(&o.person_id));
                    OfficerCell {
                        stage: s.number,
                        person_id: person.map(|p| p.id.clone()),
                        person: person.map(|p| p.name.clone()),
                        active: person.is_some_and(|p| p.active),
                    }
                })
                .collect();
            let mut choices: Vec<Choice> = setup
                .people
                .iter()
                .filter(|p| p.active && p.agency_id.as_deref() == Some(a.id.as_str()))
                .map(|p| Choice {
                    value: p.id.clone(),
                    text: if p.job_title.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{} ({})", p.name, p.job_title)
                    },
                })
                .collect();
            choices.sort_by_key(|c| c.text.to_lowercase());
            AgencyOfficers {
                agency_id: a.id.clone(),
                agency: a.name.clone(),
                officers,
                choices,
            }
        })
        .collect();
    agencies.sort_by_key(|a| a.agency.to_lowercase());
    Ok(NamedOfficers { stages, agencies })
}

/// Checks one named officer: an agency of the partnership, a stage of the current procedure,
/// and (unless the place is being emptied) an active person of that agency.
fn validate_named_officer(
    f: &NamedOfficerFields,
    setup: &Setup,
    procedure: &Procedure,
) -> Result<(String, i64, Option<String>), Vec<InputError>> {
    let mut errors = Vec::new();
    let agency = setup.agencies.iter().find(|a| a.id == f.agency_id.trim());
    if agency.is_none() {
        errors.push(InputError::new(
            "agency_id",
            "Select an agency from the list",
        ));
    }
    if !procedure
        .stages
        .iter()
        .any(|s| i64::from(s.number.get()) == f.stage)
    {
        errors.push(InputError::new(
            "stage",
            format!(
                "Select a stage of the current procedure ({})",
                procedure
                    .stages
                    .iter()
                    .map(|s| s.number.get().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let person_id = blank_to_none(f.person_id.as_deref());
    if let (Some(p), Some(a)) = (&person_id, agency) {
        match setup.person(p) {
            Some(p) if p.agency_id.as_deref() == Some(a.id.as_str()) && p.active => {}
            Some(p) if p.agency_id.as_deref() == Some(a.id.as_str()) => {
                errors.push(InputError::new(
                    "person_id",
                    format!("Select someone active: {} is not", p.name),
                ));
            }
            _ => errors.push(InputError::new(
                "person_id",
                format!("Select a person who works for {}", a.name),
            )),
        }
    }
    match agency {
        Some(a) if errors.is_empty() => Ok((a.id.clone(), f.stage, person_id)),
        _ => Err(errors),
    }
}

/// Sets several named officers of the partnership; only those that change are recorded.
/// Nothing is recorded unless every one is valid.
pub async fn set_named_officers(
    state: &AppState,
    user: &CurrentUser,
    changes: &[NamedOfficerFields],
) -> Result<(), AdminError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let setup = Setup::load(state, &partnership.id).await?;
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for f in changes {
        // Leaving a place as it is needs no check (its officer may have left since).
        let current = setup
            .officers
            .iter()
            .find(|o| o.agency_id == f.agency_id && o.stage == f.stage)
            .map(|o| o.person_id.as_str());
        if current.is_some() && current == f.person_id.as_deref() {
            continue;
        }
        match validate_named_officer(f, &setup, &rules.procedure) {
            Ok(c) => checked.push(c),
            Err(mut e) => {
                if changes.len() > 1 {
                    // Tell the fields of each stage apart (pages: `stage-N`).
                    for x in &mut e {
                        x.field = format!("stage-{}", f.stage);
                    }
                }
                errors.extend(e);
            }
        }
    }
    if !errors.is_empty() {
        return Err(AdminError::Invalid(dedupe(errors)));
    }
    for (agency, stage, person) in checked {
        let current = setup
            .officers
            .iter()
            .find(|o| o.agency_id == agency && o.stage == stage)
            .map(|o| o.person_id.as_str());
        if current == person.as_deref() {
            continue;
        }
        state
            .records
            .set_named_officer(
                state.now(),
                &actor(user),
                &partnership.id,
                &agency,
                stage,
                person.as_deref(),
            )
            .await?;
        tracing::info!(%agency, stage, by = %user.id(), "named officer set");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Procedure versions

/// A version of the partnership's procedure.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureVersion {
    /// The partnership's version number (1, 2, ...).
    pub version: i64,
    pub procedure_id: String,
    pub name: String,
    /// The document's own version and date, as the file gives them.
    pub edition: String,
    pub date: String,
    pub stages: usize,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Microseconds since the Unix epoch.
    pub adopted_at_us: i64,
    /// The version new escalations are raised under.
    pub current: bool,
}

/// Every version, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureVersions {
    pub current: i64,
    pub versions: Vec<ProcedureVersion>,
}

/// A version with its file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureSource {
    #[serde(flatten)]
    pub version: ProcedureVersion,
    /// The TOML file.
    pub source: String,
}

/// A procedure file to adopt (the TOML text).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureFields {
    pub source: String,
}

fn version_view(row: &ProcedureRow, current: i64) -> ProcedureVersion {
    let parsed = procedure::parse(&row.source).ok();
    ProcedureVersion {
        version: row.version,
        procedure_id: row.procedure_id.clone(),
        name: parsed
            .as_ref()
            .map_or_else(|| row.procedure_id.clone(), |p| p.name.clone()),
        edition: parsed
            .as_ref()
            .map_or_else(String::new, |p| p.version.clone()),
        date: parsed
            .as_ref()
            .map_or_else(String::new, |p| p.date.to_string()),
        stages: parsed.as_ref().map_or(0, |p| p.stages.len()),
        sha256: row.sha256.clone(),
        adopted_at_us: row.adopted_at_us,
        current: row.version == current,
    }
}

pub async fn procedure_versions(
    state: &AppState,
    user: &CurrentUser,
) -> Result<ProcedureVersions, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let mut rows = state.store.procedures(&partnership.id).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.version));
    Ok(ProcedureVersions {
        current: partnership.procedure_version,
        versions: rows
            .iter()
            .map(|r| version_view(r, partnership.procedure_version))
            .collect(),
    })
}

pub async fn procedure_version(
    state: &AppState,
    user: &CurrentUser,
    version: i64,
) -> Result<ProcedureSource, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let row = state
        .store
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|r| r.version == version)
        .ok_or(AppError::NotFound)?;
    Ok(ProcedureSource {
        version: version_view(&row, partnership.procedure_version),
        source: row.source,
    })
}

/// Reads and checks a procedure file: every problem with its line and column.
pub fn check_procedure(source: &str) -> Result<Procedure, Vec<InputError>> {
    if source.trim().is_empty() {
        return Err(vec![InputError::new(
            "source",
            "Select a procedure file or paste its text",
        )]);
    }
    if source.len() > MAX_PROCEDURE {
        return Err(vec![InputError::new(
            "source",
            format!(
                "The procedure file must be smaller than {} KB",
                MAX_PROCEDURE / 1024
            ),
        )]);
    }
    procedure::parse(source).map_err(|errors| {
        errors
            .diagnostics
            .iter()
            .map(|d| {
                let (line, column) = d.span.as_ref().map_or((None, None), |s| {
                    let (l, c) = procedure::line_col(source, s.start);
                    (Some(l), Some(c))
                });
                InputError {
                    field: "source".to_owned(),
                    message: d.message.clone(),
                    line,
                    column,
                    help: d.help.clone(),
                    source_line: line.and_then(|l| {
                        source.lines().nth(l - 1).map(|t| {
                            let t = t.trim_end();
                            if t.chars().count() > 160 {
                                t.chars().take(160).collect::<String>() + "…"
                            } else {
                                t.to_owned()
                            }
                        })
                    }),
                    code: None,
                }
            })
            .collect()
    })
}

/// Checks a procedure file and makes it the partnership's current procedure. Escalations
/// already raised keep the version they were raised under.
pub async fn adopt_procedure(
    state: &AppState,
    user: &CurrentUser,
    source: &str,
) -> Result<ProcedureVersion, AdminError> {
    admin(user)?;
    check_procedure(source).map_err(AdminError::Invalid)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rows = state.store.procedures(&partnership.id).await?;
    if let Some(current) = rows
        .iter()
        .find(|r| r.version == partnership.procedure_version)
        && current.source == source
    {
        return invalid(
            "source",
            format!(
                "This file is the same as the current procedure (version {}): there is nothing new to adopt",
                current.version
            ),
        );
    }
    let version = match state
        .records
        .adopt_procedure(state.now(), &actor(user), &partnership.id, source)
        .await
    {
        Ok(v) => v,
        Err(StoreError::Invalid(m)) => return invalid("source", m),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(partnership = %partnership.id, version, by = %user.id(), "procedure adopted");
    let row = state
        .store
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|r| r.version == version)
        .ok_or_else(|| AppError::Internal(format!("procedure version {version} not saved")))?;
    Ok(version_view(&row, version))
}

// ---------------------------------------------------------------------------------------------
// Closure days (DESIGN.md §5: a working day is not one of the partnership's own closure days)

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClosureDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// e.g. `Friday 24 December 2027`.
    pub text: String,
}

/// The partnership's own closure days, in date order, and the dates the calendar covers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClosureDays {
    pub days: Vec<ClosureDay>,
    /// The first and last dates a closure day can be on (the bank-holiday data's years).
    pub first: String,
    pub last: String,
}

/// The whole list of closure days (it replaces the current one). `days` is required, so
/// that `{}` or a misspelt `dayz` is refused rather than taken for an empty list (issue 13
/// item 9: it cleared every closure day and moved every deadline).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureDaysFields {
    /// `YYYY-MM-DD` each.
    pub days: Vec<String>,
}

fn long(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

fn closure_view(days: &[Date], calendar: &Calendar) -> ClosureDays {
    let (first, last) = calendar.covers();
    ClosureDays {
        days: days
            .iter()
            .map(|d| ClosureDay {
                date: d.to_string(),
                text: long(*d),
            })
            .collect(),
        first: first.to_string(),
        last: last.to_string(),
    }
}

/// The partnership's closure days as dates (unreadable ones, which the records never hold,
/// are left out), sorted.
fn stored_days(days: &[String]) -> Vec<Date> {
    let set: BTreeSet<Date> = days.iter().filter_map(|d| d.parse().ok()).collect();
    set.into_iter().collect()
}

pub async fn closure_days(state: &AppState, user: &CurrentUser) -> Result<ClosureDays, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    Ok(closure_view(
        &stored_days(&partnership.closure_days),
        &rules.calendar,
    ))
}

/// Reads a date from the three boxes of a GOV.UK date input (the message says what is wrong).
pub fn date_from_parts(day: &str, month: &str, year: &str) -> Result<Date, String> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    let e = |m: &str| Err(m.to_owned());
    match (day.is_empty(), month.is_empty(), year.is_empty()) {
        (true, true, true) => return e("Enter the date of the closure day"),
        (true, _, _) => return e("The date must include a day"),
        (_, true, _) => return e("The date must include a month"),
        (_, _, true) => return e("The date must include a year"),
        _ => {}
    }
    let number = |s: &str| s.parse::<i16>().ok().filter(|_| s.len() <= 4);
    let (Some(d), Some(m), Some(y)) = (number(day), number(month), number(year)) else {
        return e("The date must be a real date, with the day, month and year as numbers");
    };
    if year.len() != 4 {
        return e("The year must include 4 numbers");
    }
    let (Ok(d), Ok(m)) = (i8::try_from(d), i8::try_from(m)) else {
        return e("The date must be a real date");
    };
    Date::new(y, m, d).or_else(|_| e("The date must be a real date"))
}

/// Checks a closure day against the calendar: within its years, a weekday, and not already
/// closed (a bank holiday, or already in `existing`). The message says what is wrong.
pub fn check_closure_day(date: Date, existing: &[Date], calendar: &Calendar) -> Result<(), String> {
    let (first, last) = calendar.covers();
    if date < first || date > last {
        return Err(format!(
            "Enter a date between {} and {}: Parley’s calendar covers those years",
            long(first),
            long(last)
        ));
    }
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err(format!(
            "Enter a weekday: {} is not a working day anyway",
            long(date)
        ));
    }
    if existing.contains(&date) {
        return Err(format!("{} is already a closure day", long(date)));
    }
    if let Ok(closed) = calendar.closed_days_in_year(date.year())
        && let Some(h) = closed
            .iter()
            .find(|h| h.date == date && h.title != CLOSURE_TITLE)
    {
        return Err(format!(
            "{} is already a bank holiday ({})",
            long(date),
            h.title
        ));
    }
    Ok(())
}

/// Checks a whole list of closure days (the API replaces the list): each a `YYYY-MM-DD` date
/// the calendar covers, on a weekday, not a bank holiday. Repeated dates count once.
pub fn check_closure_days(
    days: &[String],
    calendar: &Calendar,
) -> Result<Vec<Date>, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut dates = BTreeSet::new();
    for (i, d) in days.iter().enumerate() {
        let field = format!("days[{i}]");
        match d.trim().parse::<Date>() {
            Ok(date) if d.trim().len() == 10 => {
                if dates.contains(&date) {
                    continue;
                }
                match check_closure_day(date, &[], calendar) {
                    Ok(()) => {
                        dates.insert(date);
                    }
                    Err(m) => errors.push(InputError::new(&field, m)),
                }
            }
            _ => errors.push(InputError::new(
                &field,
                format!(
                    "Enter the date as YYYY-MM-DD, like 2027-12-24 (not “{}”)",
                    d.trim()
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(dates.into_iter().collect())
    } else {
        Err(errors)
    }
}

async fn record_closure_days(
    state: &AppState,
    user: &CurrentUser,
    partnership: &str,
    days: &[Date],
) -> Result<(), AdminError> {
    state
        .records
        .set_closure_days(
            state.now(),
            &actor(user),
            partnership,
            days.iter().map(ToString::to_string).collect(),
        )
        .await?;
    tracing::info!(%partnership, days = days.len(), by = %user.id(), "closure days set");
    Ok(())
}

/// Replaces the partnership's closure days.
pub async fn set_closure_days(
    state: &AppState,
    user: &CurrentUser,
    f: &ClosureDaysFields,
) -> Result<ClosureDays, AdminError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let days = check_closure_days(&f.days, &rules.calendar).map_err(AdminError::Invalid)?;
    if days != stored_days(&partnership.closure_days) {
        record_closure_days(state, user, &partnership.id, &days).await?;
    }
    Ok(closure_view(&days, &rules.calendar))
}

/// Adds one closure day.
pub async fn add_closure_day(
    state: &AppState,
    user: &CurrentUser,
    date: Date,
) -> Result<(), AdminError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let mut days = stored_days(&partnership.closure_days);
    check_closure_day(date, &days, &rules.calendar)
        .map_err(|m| AdminError::Invalid(vec![InputError::new("date", m)]))?;
    days.push(date);
    days.sort_unstable();
    record_closure_days(state, user, &partnership.id, &days).await
}

/// Removes one closure day (404 if it is not one).
pub async fn remove_closure_day(
    state: &AppState,
    user: &CurrentUser,
    date: &str,
) -> Result<Date, AdminError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let mut days = stored_days(&partnership.closure_days);
    let date: Date = date.trim().parse().map_err(|_| AppError::NotFound)?;
    let before = days.len();
    days.retain(|d| *d != date);
    if days.len() == before {
        return Err(AppError::NotFound.into());
    }
    record_closure_days(state, user, &partnership.id, &days).await?;
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::calendar::{BankHolidays, Region};

    fn bucks() -> &'static str {
        parley_core::seeds::source("buckinghamshire").expect("a seed")
    }

    fn agency(id: &str, name: &str) -> AgencyRow {
        AgencyRow {
            id: id.into(),
            partnership_id: "p".into(),
            name: name.into(),
            sector: "police".into(),
        }
    }

    fn person(id: &str, agency: Option<&str>, manager: Option<&str>, roles: &[&str]) -> PersonRow {
        PersonRow {
            id: id.into(),
            partnership_id: "p".into(),
            agency_id: agency.map(str::to_owned),
            name: format!("Person {id}"),
            email: format!("{id}@example.org"),
            job_title: String::new(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            line_manager_id: manager.map(str::to_owned),
            active: true,
        }
    }

    fn setup() -> Setup {
        Setup {
            agencies: vec![agency("a1", "Thames Valley Police"), agency("a2", "School")],
            people: vec![
                person("admin", None, None, &[ADMINISTRATOR]),
                person("head", Some("a1"), None, &[SENIOR_MANAGER]),
                person("lead", Some("a1"), Some("head"), &[MANAGER]),
                person("worker", Some("a1"), Some("lead"), &[PRACTITIONER]),
                person("teacher", Some("a2"), None, &[PRACTITIONER]),
                PersonRow {
                    active: false,
                    ..person("gone", Some("a2"), None, &[MANAGER])
                },
            ],
            officers: vec![NamedOfficerRow {
                partnership_id: "p".into(),
                agency_id: "a1".into(),
                stage: 2,
                person_id: "lead".into(),
            }],
        }
    }

    fn fields(name: &str, email: &str, agency: Option<&str>, roles: &[&str]) -> PersonFields {
        PersonFields {
            name: name.into(),
            email: email.into(),
            agency_id: agency.map(str::to_owned),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..PersonFields::default()
        }
    }

    fn messages(r: Result<CheckedPerson, Vec<InputError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    fn fields_of(r: Result<CheckedPerson, Vec<InputError>>) -> Vec<String> {
        messages(r).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn agencies_need_a_new_name_and_a_known_sector() {
        let existing = [agency("a1", "Thames Valley Police")];
        let ok = AgencyFields {
            name: "  Oakfield Academy ".into(),
            sector: "education".into(),
        };
        assert_eq!(
            validate_agency(&ok, &existing).unwrap(),
            ("Oakfield Academy".to_owned(), "education")
        );
        let errors = validate_agency(&AgencyFields::default(), &existing).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["name", "sector"]
        );
        let dup = AgencyFields {
            name: "thames valley police".into(),
            sector: "spies".into(),
        };
        let errors = validate_agency(&dup, &existing).unwrap_err();
        assert_eq!(
            errors[0].message,
            "There is already an agency with this name"
        );
        assert_eq!(errors[1].message, "Select a sector from the list");
        let long = AgencyFields {
            name: "x".repeat(201),
            sector: "other".into(),
        };
        assert!(validate_agency(&long, &existing).is_err());
        for (s, _) in SECTORS {
            assert_ne!(sector_label(s), "", "{s}");
        }
    }

    #[test]
    fn email_addresses_are_checked_for_shape() {
        for good in ["a@b.org", "first.last+tag@police.example.org.uk"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.org",
            "a@@b.org",
            "a b@c.org",
            "a@b..org",
            ".a@b.org",
            "a@-b.org",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_new_person_is_checked_and_normalised() {
        let s = setup();
        let f = PersonFields {
            job_title: " Detective Constable ".into(),
            line_manager_id: Some("lead".into()),
            password: Some(String::new()),
            roles: vec![MANAGER.into(), PRACTITIONER.into(), PRACTITIONER.into()],
            ..fields(" New Person ", " new@police.example.org ", Some("a1"), &[])
        };
        let c = validate_person(&f, None, "admin", &s).unwrap();
        assert_eq!(c.input.name, "New Person");
        assert_eq!(c.input.email, "new@police.example.org");
        assert_eq!(c.input.job_title, "Detective Constable");
        assert_eq!(
            c.input.roles,
            [PRACTITIONER, MANAGER],
            "in the usual order, once each"
        );
        assert_eq!(c.password, None, "an empty password sets none");
        assert!(c.input.active);

        let empty = validate_person(&PersonFields::default(), None, "admin", &s);
        assert_eq!(fields_of(empty), ["name", "email", "roles"]);

        let bad = PersonFields {
            line_manager_id: Some("nobody".into()),
            password: Some("short".into()),
            ..fields("A", "not-an-email", Some("zz"), &["chief"])
        };
        assert_eq!(
            fields_of(validate_person(&bad, None, "admin", &s)),
            ["email", "agency_id", "roles", "line_manager_id", "password"]
        );
    }

    #[test]
    fn email_addresses_are_unique_in_the_partnership() {
        let s = setup();
        let f = fields("B", "WORKER@example.org", Some("a1"), &[PRACTITIONER]);
        assert_eq!(
            messages(validate_person(&f, None, "admin", &s)),
            [(
                "email".to_owned(),
                "Another person in the partnership already has this email address".to_owned()
            )]
        );
        // Their own address is theirs to keep.
        let worker = s.person("worker").unwrap().clone();
        let f = PersonFields {
            line_manager_id: Some("lead".into()),
            ..fields("Worker", "worker@example.org", Some("a1"), &[PRACTITIONER])
        };
        assert!(validate_person(&f, Some(&worker), "admin", &s).is_ok());
    }

    #[test]
    fn practitioners_and_managers_belong_to_an_agency() {
        let s = setup();
        let f = fields("C", "c@example.org", None, &[MANAGER]);
        assert_eq!(
            fields_of(validate_person(&f, None, "admin", &s)),
            ["agency_id"]
        );
        let f = fields("D", "d@example.org", None, &[access::BUSINESS_TEAM]);
        assert!(validate_person(&f, None, "admin", &s).is_ok());
    }

    #[test]
    fn line_management_has_no_loops() {
        let s = setup();
        let head = s.person("head").unwrap().clone();
        // head manages lead manages worker: neither can become head's manager.
        for below in ["lead", "worker"] {
            let f = PersonFields {
                line_manager_id: Some(below.into()),
                ..PersonFields::from_row(&head)
            };
            assert_eq!(
                fields_of(validate_person(&f, Some(&head), "admin", &s)),
                ["line_manager_id"],
                "{below}"
            );
        }
        let f = PersonFields {
            line_manager_id: Some("head".into()),
            ..PersonFields::from_row(&head)
        };
        assert_eq!(
            fields_of(validate_person(&f, Some(&head), "admin", &s)),
            ["line_manager_id"],
            "not their own manager"
        );
        let f = PersonFields {
            line_manager_id: Some("gone".into()),
            ..PersonFields::from_row(&head)
        };
        assert_eq!(
            messages(validate_person(&f, Some(&head), "admin", &s))[0].1,
            "Select a line manager who is active"
        );
        let f = PersonFields {
            line_manager_id: Some("teacher".into()),
            ..PersonFields::from_row(&head)
        };
        assert!(validate_person(&f, Some(&head), "admin", &s).is_ok());
    }

    #[test]
    fn administrators_cannot_lock_themselves_out() {
        let s = setup();
        let me = s.person("admin").unwrap().clone();
        let f = PersonFields {
            active: false,
            roles: vec![access::BUSINESS_TEAM.into()],
            ..PersonFields::from_row(&me)
        };
        assert_eq!(
            fields_of(validate_person(&f, Some(&me), "admin", &s)),
            ["roles", "active"]
        );
        // Another administrator may.
        assert!(validate_person(&f, Some(&me), "someone-else", &s).is_ok());
    }

    #[test]
    fn named_officers_stay_until_replaced() {
        let s = setup();
        let lead = s.person("lead").unwrap().clone();
        let f = PersonFields {
            active: false,
            agency_id: Some("a2".into()),
            ..PersonFields::from_row(&lead)
        };
        let m = messages(validate_person(&f, Some(&lead), "admin", &s));
        assert_eq!(
            m.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
            ["agency_id", "active"]
        );
        assert!(
            m[0].1
                .contains("Thames Valley Police’s named officer for stage 2"),
            "{m:?}"
        );
    }

    #[test]
    fn passwords_are_long_enough() {
        let s = setup();
        let mut f = fields("E", "e@example.org", Some("a2"), &[PRACTITIONER]);
        f.password = Some("eleven-char".into());
        assert_eq!(
            fields_of(validate_person(&f, None, "admin", &s)),
            ["password"]
        );
        // Long enough but guessable, or the person's own name or address: refused.
        for weak in [
            "twelvetwelve",
            "aaaaaaaaaaaa",
            "password1234",
            "e@example.org",
            "qwertyuiop[]",
        ] {
            f.password = Some(weak.into());
            assert_eq!(
                messages(validate_person(&f, None, "admin", &s))
                    .iter()
                    .map(|(field, _)| field.as_str())
                    .collect::<Vec<_>>(),
                ["password"],
                "{weak}"
            );
        }
        f.password = Some("vK8#qPz!2mW$rT".into());
        let c = validate_person(&f, None, "admin", &s).unwrap();
        assert_eq!(c.password.as_deref(), Some("vK8#qPz!2mW$rT"));
    }

    #[test]
    fn named_officers_are_active_people_of_their_agency() {
        let s = setup();
        let procedure = procedure::parse(bucks()).expect("the seed parses");
        let set = |agency: &str, stage: i64, person: Option<&str>| {
            validate_named_officer(
                &NamedOfficerFields {
                    agency_id: agency.into(),
                    stage,
                    person_id: person.map(str::to_owned),
                },
                &s,
                &procedure,
            )
            .map_err(|e| e.into_iter().map(|e| e.field).collect::<Vec<_>>())
        };
        assert_eq!(
            set("a1", 1, Some("worker")),
            Ok(("a1".to_owned(), 1, Some("worker".to_owned())))
        );
        assert_eq!(
            set("a1", 3, None),
            Ok(("a1".to_owned(), 3, None)),
            "emptied"
        );
        assert_eq!(set("a1", 3, Some("")), Ok(("a1".to_owned(), 3, None)));
        assert_eq!(
            set("a1", 1, Some("teacher")),
            Err(vec!["person_id".to_owned()])
        );
        assert_eq!(
            set("a2", 1, Some("gone")),
            Err(vec!["person_id".to_owned()])
        );
        assert_eq!(set("a1", 4, Some("worker")), Err(vec!["stage".to_owned()]));
        assert_eq!(
            set("zz", 0, Some("worker")),
            Err(vec!["agency_id".to_owned(), "stage".to_owned()])
        );
    }

    #[test]
    fn procedure_problems_have_lines_and_columns() {
        assert!(check_procedure(bucks()).is_ok());
        let empty = check_procedure("  \n").unwrap_err();
        assert_eq!(
            empty[0].message,
            "Select a procedure file or paste its text"
        );
        let broken = bucks().replacen("format = 1", "format = 7", 1);
        let errors = check_procedure(&broken).unwrap_err();
        assert!(!errors.is_empty());
        let e = &errors[0];
        let line = e.line.expect("a line");
        assert_eq!(
            broken.lines().nth(line - 1).map(str::trim_end),
            e.source_line.as_deref()
        );
        assert!(
            e.source_line
                .as_deref()
                .unwrap_or("")
                .contains("format = 7"),
            "{e:?}"
        );
        assert!(
            e.text().starts_with(&format!("Line {line}, column ")),
            "{}",
            e.text()
        );
        let syntax = check_procedure("format = 1\n[procedure\n").unwrap_err();
        assert_eq!(syntax[0].line, Some(2), "{syntax:?}");
        let huge = "#".repeat(MAX_PROCEDURE + 1);
        assert!(
            check_procedure(&huge).unwrap_err()[0]
                .message
                .contains("smaller than")
        );
    }

    #[test]
    fn an_error_reads_with_its_place_and_help() {
        let e = InputError {
            line: Some(3),
            column: Some(7),
            help: Some("use one of: a, b".into()),
            ..InputError::new("source", "unknown role")
        };
        assert_eq!(
            e.text(),
            "Line 3, column 7: unknown role (use one of: a, b)"
        );
        assert_eq!(
            InputError::new("name", "Enter a name").text(),
            "Enter a name"
        );
    }

    fn calendar(closed: &[Date]) -> Calendar {
        Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), closed).unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn dates_are_read_from_three_boxes() {
        assert_eq!(
            date_from_parts(" 24", "12 ", "2027"),
            Ok(date("2027-12-24"))
        );
        let msg = |d: &str, m: &str, y: &str| date_from_parts(d, m, y).unwrap_err();
        assert_eq!(msg("", "", ""), "Enter the date of the closure day");
        assert_eq!(msg("", "12", "2027"), "The date must include a day");
        assert_eq!(msg("1", "", "2027"), "The date must include a month");
        assert_eq!(msg("1", "2", ""), "The date must include a year");
        assert_eq!(msg("31", "2", "2027"), "The date must be a real date");
        assert_eq!(msg("1", "13", "2027"), "The date must be a real date");
        assert_eq!(msg("1", "2", "27"), "The year must include 4 numbers");
        assert!(msg("a", "2", "2027").starts_with("The date must be a real date"));
        assert!(msg("99999", "2", "2027").starts_with("The date must be a real date"));
    }

    #[test]
    fn closure_days_are_working_days_the_calendar_covers() {
        let cal = calendar(&[date("2027-12-29")]);
        let (first, last) = cal.covers();
        let ok = date("2027-12-24"); // a Friday
        assert_eq!(check_closure_day(ok, &[], &cal), Ok(()));
        let msg =
            |d: &str, existing: &[Date]| check_closure_day(date(d), existing, &cal).unwrap_err();
        assert!(
            msg("2027-12-25", &[]).starts_with("Enter a weekday"),
            "a Saturday"
        );
        assert!(
            msg("2027-12-27", &[]).contains("already a bank holiday"),
            "{}",
            msg("2027-12-27", &[])
        );
        assert!(msg("2027-12-24", &[ok]).contains("already a closure day"));
        assert!(
            check_closure_day(date("2027-12-29"), &[], &cal).is_ok(),
            "a closure day removed from the list is not a bank holiday"
        );
        let before = first.yesterday().unwrap().to_string();
        let after = last.tomorrow().unwrap().to_string();
        assert!(msg(&before, &[]).starts_with("Enter a date between"));
        assert!(msg(&after, &[]).starts_with("Enter a date between"));
    }

    #[test]
    fn a_list_of_closure_days_is_checked_whole() {
        let cal = calendar(&[]);
        let days = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_closure_days(&days(&["2027-12-29", "2027-12-24", "2027-12-24"]), &cal),
            Ok(vec![date("2027-12-24"), date("2027-12-29")]),
            "sorted, once each"
        );
        let errors = check_closure_days(&days(&["24/12/2027", "2027-12-25", "2027-12-24"]), &cal)
            .unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["days[0]", "days[1]"]
        );
        assert_eq!(check_closure_days(&[], &cal), Ok(vec![]));
    }
}
