//! Appointing people of the final stages to an escalation (issue 14, item 4): an independent
//! chair (Solihull stage 4: "allocate a Chair of sufficient seniority, who is independent of
//! the case"), the Safeguarding Partners Executive (Croydon stage 5), an Independent
//! Scrutineer (Sunderland) ... The procedure's `[[appointment]]` says which appointments
//! exist, from which stage, who makes them and whether the appointee sees the child.

use parley_core::escalation::Event;
use parley_core::names::Actor as ProcedureActor;
use parley_core::procedure::Procedure;
use parley_store::rows::{EscalationAppointmentRow, EscalationRow};
use serde::{Deserialize, Serialize};

use super::escalation::{ActError, Loaded, conflict_message, decide_and_append, load, retrying};
use crate::access::{Access, Appointed};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// `person`'s appointments to `e`, as `access::access` takes them: roles the procedure provides
/// an appointment for, each with whether it shows the child. Rows of another escalation or
/// partnership, or in a role the procedure no longer has, count for nothing.
pub fn appointed(
    p: &Procedure,
    e: &EscalationRow,
    person: &str,
    rows: &[EscalationAppointmentRow],
) -> Vec<Appointed> {
    rows.iter()
        .filter(|a| {
            a.escalation_id == e.id && a.partnership_id == e.partnership_id && a.person_id == person
        })
        .filter_map(|a| {
            let role: ProcedureActor = a.role.parse().ok()?;
            let appointment = p.appointment(role)?;
            Some(Appointed {
                role,
                child_details: appointment.child_details,
            })
        })
        .collect()
}

/// Whether someone with `access` may make the appointment of `role`: the procedure provides it,
/// the escalation is open and has reached its stage, and one of the capacities in which they
/// act is in its `by` list.
pub fn may_appoint(p: &Procedure, stage: i64, access: &Access, role: ProcedureActor) -> bool {
    p.appointment(role).is_some_and(|a| {
        access.open
            && i64::from(a.stage.get()) <= stage
            && a.by.iter().any(|b| access.acting.contains(b))
    })
}

/// An appointment the person may make now, with the people who may be appointed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppointOption {
    /// The partnership role, e.g. `independent-chair`.
    pub role: String,
    pub label: String,
    /// What the appointment is for, in the procedure's words.
    pub text: Option<String>,
    /// Whether the person appointed sees the child's details.
    pub child_details: bool,
    /// The partnership's active people holding the role, not yet appointed in it.
    pub people: Vec<Candidate>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub job_title: String,
}

/// Someone appointed, as shown on the case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppointeeView {
    pub role: String,
    pub role_label: String,
    pub person_id: String,
    pub name: String,
    pub job_title: String,
    pub stage: i64,
    pub at_us: i64,
}

/// The appointments the signed-in person may make on `loaded` now.
pub fn options(loaded: &Loaded) -> Vec<AppointOption> {
    let p = loaded.procedure();
    p.appointments
        .iter()
        .filter(|a| may_appoint(p, loaded.row.current_stage, &loaded.access, a.role))
        .map(|a| {
            let mut people: Vec<Candidate> = loaded
                .ctx
                .directory
                .people
                .values()
                .filter(|x| {
                    x.active
                        && x.partnership_id == loaded.row.partnership_id
                        && x.roles.iter().any(|r| r == a.role.as_str())
                        && !loaded
                            .appointments
                            .iter()
                            .any(|y| y.role == a.role.as_str() && y.person_id == x.id)
                })
                .map(|x| Candidate {
                    id: x.id.clone(),
                    name: x.name.clone(),
                    job_title: x.job_title.clone(),
                })
                .collect();
            people.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.id.cmp(&y.id)));
            AppointOption {
                role: a.role.as_str().to_owned(),
                label: crate::access::role_label(a.role.as_str()).to_owned(),
                text: a.text.clone(),
                child_details: a.child_details,
                people,
            }
        })
        .collect()
}

/// Who is appointed to `loaded`, for the case page and the API.
pub fn appointees(loaded: &Loaded) -> Vec<AppointeeView> {
    loaded
        .appointments
        .iter()
        .map(|a| {
            let person = loaded.ctx.directory.people.get(&a.person_id);
            AppointeeView {
                role: a.role.clone(),
                role_label: crate::access::role_label(&a.role).to_owned(),
                person_id: a.person_id.clone(),
                name: loaded.ctx.directory.name(&a.person_id),
                job_title: person.map(|p| p.job_title.clone()).unwrap_or_default(),
                stage: a.stage,
                at_us: a.at_us,
            }
        })
        .collect()
}

/// An appointment as the API and the page's form send it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointRequest {
    /// The escalation's version the appointment is based on (from the view).
    pub version: i64,
    /// The partnership role, e.g. `independent-chair`.
    pub role: String,
    /// The person appointed: one of the partnership's people holding the role.
    pub person_id: String,
}

/// The page's form fields.
pub mod field {
    pub const APPOINTEE: &str = "appointee";
}

/// Appoints a person on `id` for `user`. `NotFound` unless they see it; `Forbidden` unless
/// the procedure lets them make some appointment now; `NotPermitted` (saying who may) for an
/// appointment of the procedure that is others' to make; `Invalid` for a person who does not
/// hold the role, or what the state machine refuses.
pub async fn appoint(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &AppointRequest,
) -> Result<i64, ActError> {
    retrying(|| appoint_once(state, user, id, request)).await
}

async fn appoint_once(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &AppointRequest,
) -> Result<i64, ActError> {
    let loaded = load(state, user, id).await?;
    let p = loaded.procedure();
    let invalid = |message: String| ActError::invalid(field::APPOINTEE, message);
    if options(&loaded).is_empty() {
        return Err(ActError::Other(AppError::Forbidden));
    }
    let role: ProcedureActor = match request.role.parse() {
        Ok(r) if p.appointment(r).is_some() => r,
        _ => {
            return Err(invalid(format!(
                "Select who to appoint: this procedure's appointments are {}",
                p.appointments
                    .iter()
                    .map(|a| a.role.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    if !may_appoint(p, loaded.row.current_stage, &loaded.access, role) {
        let (from, who) = p.appointment(role).map_or((0, Vec::new()), |a| {
            (a.stage.get(), a.by.iter().map(|b| b.label()).collect())
        });
        return Err(ActError::Other(AppError::NotPermitted(format!(
            "The {} procedure has {} appoint the {} from stage {from}.",
            p.partnership_short(),
            who.join(" or "),
            crate::access::role_label(role.as_str()),
        ))));
    }
    let version = loaded.based_on(request.version)?;
    let holds = loaded
        .ctx
        .directory
        .people
        .get(&request.person_id)
        .is_some_and(|x| {
            x.active
                && x.partnership_id == loaded.row.partnership_id
                && x.roles.iter().any(|r| r == role.as_str())
        });
    if !holds {
        return Err(invalid(format!(
            "Select one of the partnership's people who hold the role of {}",
            crate::access::role_label(role.as_str())
        )));
    }
    let event = Event::Appointed {
        role,
        person: request.person_id.clone(),
    };
    // The state machine's own checks first, so that its refusal is an input error.
    decide_and_append(state, user, &loaded, id, version, event, field::APPOINTEE).await
}

/// The message of a conflict, for the page.
pub fn conflict(seen: i64, current: i64) -> String {
    conflict_message(seen, current)
}
