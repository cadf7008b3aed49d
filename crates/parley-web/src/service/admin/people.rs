//! People: their accounts, roles and agencies.

use crate::access::{self, ADMINISTRATOR, MANAGER, PRACTITIONER, ROLES, SENIOR_MANAGER};
use crate::app::AppState;
use crate::auth::{self, AccountSaved, CurrentUser};
use crate::error::AppError;
use parley_store::StoreError;
use parley_store::records::PersonInput;
use parley_store::rows::{AccountRow, AgencyRow, NamedOfficerRow, PersonRow};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use super::*;

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
pub(super) fn required_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
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
pub(super) struct Setup {
    pub(super) people: Vec<PersonRow>,
    pub(super) agencies: Vec<AgencyRow>,
    pub(super) officers: Vec<NamedOfficerRow>,
}

impl Setup {
    pub(super) async fn load(state: &AppState, partnership: &str) -> Result<Setup, AppError> {
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

    pub(super) fn person(&self, id: &str) -> Option<&PersonRow> {
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
pub(super) fn validate_person(
    f: &PersonFields,
    editing: Option<&PersonRow>,
    me: &str,
    setup: &Setup,
) -> Result<CheckedPerson, Vec<FieldError>> {
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
        errors.push(FieldError::new("email", "Enter an email address"));
    } else if !valid_email(&email) {
        errors.push(FieldError::new(
            "email",
            "Enter an email address in the correct format, like name@example.org",
        ));
    } else if others().any(|p| p.email.trim().eq_ignore_ascii_case(&email)) {
        errors.push(FieldError::new(
            "email",
            "Another person in the partnership already has this email address",
        ));
    }

    let job_title = text(&mut errors, "job_title", &f.job_title, None, "Job title");

    let agency_id = blank_to_none(f.agency_id.as_deref());
    if let Some(a) = &agency_id
        && !setup.agencies.iter().any(|x| &x.id == a)
    {
        errors.push(FieldError::new(
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
        errors.push(FieldError::new(
            "roles",
            "Select access roles from the list",
        ));
    } else if roles.is_empty() {
        errors.push(FieldError::new("roles", "Select at least one access role"));
    }
    // Practitioners and managers raise and answer challenges for their agency.
    if agency_id.is_none()
        && roles
            .iter()
            .any(|r| [PRACTITIONER, MANAGER, SENIOR_MANAGER].contains(&r.as_str()))
    {
        errors.push(FieldError::new(
            "agency_id",
            "Select the person’s agency: practitioners and managers work for an agency",
        ));
    }

    let line_manager_id = blank_to_none(f.line_manager_id.as_deref());
    if let Some(m) = &line_manager_id {
        match setup.person(m) {
            None => errors.push(FieldError::new(
                "line_manager_id",
                "Select a line manager from the list",
            )),
            Some(_) if Some(m.as_str()) == editing_id => errors.push(FieldError::new(
                "line_manager_id",
                "Select someone else: a person cannot be their own line manager",
            )),
            Some(manager) => {
                let unchanged = editing.and_then(|p| p.line_manager_id.as_deref()) == Some(m);
                if !manager.active && !unchanged {
                    errors.push(FieldError::new(
                        "line_manager_id",
                        "Select a line manager who is active",
                    ));
                } else if let Some(me_id) = editing_id
                    && manages(setup, me_id, m)
                {
                    errors.push(FieldError::new(
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
                errors.push(FieldError::new(
                    "roles",
                    "You cannot remove your own administrator role: ask another administrator",
                ));
            }
            if !f.active {
                errors.push(FieldError::new(
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
                errors.push(FieldError::new(
                    "active",
                    format!(
                        "This person is {agency}’s named officer for stage {}: name someone else on the named officers page first",
                        o.stage
                    ),
                ));
            }
            if agency_id.as_deref() != Some(o.agency_id.as_str()) {
                errors.push(FieldError::new(
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
        errors.push(FieldError::new("password", weak.to_string()));
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
pub(super) fn dedupe(errors: Vec<FieldError>) -> Vec<FieldError> {
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
) -> Result<AdminPerson, AppError> {
    admin(user)?;
    let partnership = user.partnership_id();
    let setup = Setup::load(state, partnership).await?;
    let editing = match id {
        Some(id) => Some(setup.person(id).ok_or(AppError::NotFound)?.clone()),
        None => None,
    };
    let checked =
        validate_person(f, editing.as_ref(), user.id(), &setup).map_err(AppError::Invalid)?;
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
