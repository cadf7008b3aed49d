//! Named officers (Buckinghamshire 2.4.15 and Appendix B: each agency names its contact for each
//! stage of the procedure)

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use parley_core::procedure::Procedure;
use serde::{Deserialize, Serialize};

use super::*;

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
pub(super) fn validate_named_officer(
    f: &NamedOfficerFields,
    setup: &Setup,
    procedure: &Procedure,
) -> Result<(String, i64, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let agency = setup.agencies.iter().find(|a| a.id == f.agency_id.trim());
    if agency.is_none() {
        errors.push(FieldError::new(
            "agency_id",
            "Select an agency from the list",
        ));
    }
    if !procedure
        .stages
        .iter()
        .any(|s| i64::from(s.number.get()) == f.stage)
    {
        errors.push(FieldError::new(
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
                errors.push(FieldError::new(
                    "person_id",
                    format!("Select someone active: {} is not", p.name),
                ));
            }
            _ => errors.push(FieldError::new(
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
) -> Result<(), AppError> {
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
        return Err(AppError::Invalid(dedupe(errors)));
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
