//! Raising: the checked answers become the first event, and the deadlines ahead are shown.

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::service::Context;
use jiff::civil::Date;
use parley_core::deadline;
use parley_core::names::{Role, RouteKind};
use parley_store::StoreError;
use parley_store::projector::ProjectError;
use parley_store::records::{Actor, RaiseInput};
use parley_store::rows::{AgencyRow, EscalationRow};
use serde::Serialize;

use super::*;

/// A raised challenge and its deadlines.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Raised {
    pub id: String,
    /// E.g. `DOR-2026-0042`.
    pub reference: String,
    /// The escalation's version, for the first action on it.
    pub version: i64,
    pub deadlines: Deadlines,
}

/// The deadlines of an escalation if every stage runs to its deadline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Deadlines {
    /// `YYYY-MM-DD`: the day it was raised, from which the timescales count (unless `day_one`
    /// says otherwise).
    pub raised_on: String,
    /// Where the procedure counts from the date of the decision to raise it (Dorset §4): that
    /// date, and how many working days had gone before it was raised.
    pub day_one: Option<crate::service::day_one::DayOneView>,
    pub route: String,
    pub stages: Vec<StageDeadline>,
    /// `YYYY-MM-DD`, when the procedure caps the whole escalation.
    pub overall_due: Option<String>,
    /// The cap in words, e.g. `15 working days` or `one month`.
    pub overall_limit: Option<String>,
    /// Whether a stage that ends sooner brings a later deadline forward: true when a later
    /// stage counts from its own start; false when every one counts from Day One (Dorset §4:
    /// "The date of this decision is Day One").
    pub sooner_moves_later: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageDeadline {
    pub number: i64,
    pub title: String,
    /// The stage as named (never "Stage 1: Stage 1").
    pub name: String,
    /// `YYYY-MM-DD`.
    pub starts: String,
    /// `YYYY-MM-DD`: by the end of that working day.
    pub due: String,
    /// The stage's timescale in words.
    pub timescale: String,
    /// Who leads the stage, in the procedure's words.
    pub led_by: String,
    /// The named officers of both agencies for the stage.
    pub named_officers: Vec<NamedOfficer>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NamedOfficer {
    pub name: String,
    pub agency: String,
}

/// The deadlines ahead of an escalation, under the procedure version it runs under.
pub async fn deadlines(
    state: &AppState,
    ctx: &Context,
    row: &EscalationRow,
    agencies: &[AgencyRow],
) -> Result<Deadlines, AppError> {
    let rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    let p = &rules.procedure;
    let raised_on: Date = row
        .raised_on
        .parse()
        .map_err(|e| AppError::Internal(format!("raised_on {}: {e}", row.raised_on)))?;
    let route: RouteKind = row
        .route
        .parse()
        .map_err(|e| AppError::Internal(format!("route {}: {e}", row.route)))?;
    // The timescales count from its Day One (the decision date, where the procedure says so).
    let day_one = state
        .records
        .escalation_read(row, ctx.config_version)
        .await?
        .state
        .day_one;
    let timeline = deadline::timeline(p, &rules.calendar, day_one, route)
        .map_err(|e| AppError::Internal(format!("timeline of {}: {e}", row.id)))?;
    let stages = timeline
        .stages
        .iter()
        .map(|t| {
            let stage = p.stage(t.number);
            let number = i64::from(t.number.get());
            let mut named_officers: Vec<NamedOfficer> = ctx
                .directory
                .leads_at(row, number)
                .map(|o| NamedOfficer {
                    name: ctx.directory.name(&o.person_id),
                    agency: ctx.agency_name(&o.agency_id, agencies),
                })
                .collect();
            named_officers.sort_by(|a, b| (&a.agency, &a.name).cmp(&(&b.agency, &b.name)));
            StageDeadline {
                number,
                title: t.title.clone(),
                name: parley_core::procedure::stage_name(t.number, &t.title),
                starts: t.starts.to_string(),
                due: t.due.to_string(),
                timescale: stage.map_or_else(String::new, |s| {
                    s.timescale_text
                        .clone()
                        .unwrap_or_else(|| s.timescale.to_string())
                }),
                led_by: stage.map_or_else(String::new, |s| {
                    s.lead_title.clone().unwrap_or_else(|| {
                        s.leads
                            .iter()
                            .map(|r: &Role| r.label())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                }),
                named_officers,
            }
        })
        .collect();
    let sooner_moves_later = timeline.stages.iter().skip(1).any(|t| {
        p.stage(t.number).is_some_and(|s| {
            !matches!(
                s.timescale,
                parley_core::procedure::Timescale::Fixed {
                    from: parley_core::names::Anchor::DayOne,
                    ..
                }
            )
        })
    });
    Ok(Deadlines {
        sooner_moves_later,
        raised_on: raised_on.to_string(),
        day_one: crate::service::day_one::view(p, &rules.calendar, day_one, raised_on),
        route: route.as_str().to_owned(),
        stages,
        overall_due: timeline.overall_due.map(|d| d.to_string()),
        overall_limit: p.overall.as_ref().map(|o| o.limit.to_string()),
    })
}

/// Raises a challenge for the signed-in person: [`AppError::Invalid`] naming each field when
/// the request does not pass the checks (nothing is recorded), 403 for someone who cannot
/// raise.
pub async fn raise(
    state: &AppState,
    user: &CurrentUser,
    req: &RaiseRequest,
) -> Result<Raised, AppError> {
    raising_agency(&user.person).ok_or(AppError::Forbidden)?;
    let ctx = Context::load(state, user).await?;
    let agencies = ctx.agencies.clone();
    let opts = options_from(&ctx, &agencies, &user.person)?;
    // A route of the procedure the person may not raise: refused with who may (the form
    // never offers it; only an API client can send it).
    let p = &ctx.rules.procedure;
    if let Some(kind) = req
        .route
        .as_deref()
        .and_then(|r| r.trim().parse::<RouteKind>().ok())
        .filter(|k| p.route(*k).is_some())
        && !crate::permissions::may_raise(p, kind, &user.person.roles)
    {
        return Err(AppError::NotPermitted(crate::permissions::who_may_raise(
            p, kind,
        )));
    }
    let valid = validate(&opts, req, ctx.today)?;
    let (child, child_status) = match valid.child {
        Some((c, s)) => (Some(c), Some(s.as_str().to_owned())),
        None => (None, None),
    };
    let input = RaiseInput {
        route: valid.route.as_str().to_owned(),
        child_status,
        child,
        category: valid.category,
        raised_by: user.id().to_owned(),
        raising_agency_id: opts.raising_agency.id.clone(),
        receiving_agency_id: valid.receiving_agency_id,
        receiving_person_id: valid.receiving_person_id,
        summary: valid.summary,
        decision: valid.decision,
        evidence: valid.evidence,
        outcome_wanted: valid.outcome_wanted,
        decided_on: valid.decided_on,
    };
    let raised = state
        .records
        .raise(
            state.now(),
            &Actor::person(user.id()),
            &ctx.partnership.id,
            input,
        )
        .await
        .map_err(|e| match e {
            // The procedure changed between the checks and the raise.
            StoreError::Project(ProjectError::Transition(t)) => AppError::invalid(t.to_string()),
            other => AppError::from(other),
        })?;
    tracing::info!(escalation = %raised.id, reference = %raised.reference, "challenge raised");
    let row =
        state.store.escalation(&raised.id).await?.ok_or_else(|| {
            AppError::Internal(format!("raised {} is not in the store", raised.id))
        })?;
    let deadlines = deadlines(state, &ctx, &row, &agencies).await?;
    Ok(Raised {
        id: raised.id,
        reference: raised.reference,
        version: raised.version,
        deadlines,
    })
}

/// What the confirmation page shows: nothing that identifies a child, and not the case as
/// put, so everyone who may see the escalation may see this.
#[derive(Clone, Debug, Serialize)]
pub struct Confirmation {
    pub id: String,
    pub reference: String,
    pub summary: String,
    pub route_label: String,
    pub category: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub receiving_person: Option<String>,
    /// Whether the signed-in person raised it (the page thanks them).
    pub raised_by_me: bool,
    pub entry_stage_guidance: Option<String>,
    pub deadlines: Deadlines,
}

/// 404 for anyone who may not see the escalation.
pub async fn confirmation(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Confirmation, AppError> {
    let row = state
        .store
        .escalation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ctx = Context::load(state, user).await?;
    let officers = state.store.escalation_officers(&row.id).await?;
    let appointments = state.store.escalation_appointments(&row.id).await?;
    ctx.access(user, &row, &officers, &appointments)
        .ok_or(AppError::NotFound)?;
    let agencies = ctx.agencies.clone();
    let deadlines = deadlines(state, &ctx, &row, &agencies).await?;
    let rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    let p = &rules.procedure;
    let route = row.route.parse::<RouteKind>().ok();
    Ok(Confirmation {
        id: row.id.clone(),
        reference: row.reference.clone(),
        summary: row.summary.clone(),
        route_label: route.map_or_else(|| row.route.clone(), |r| r.label().to_owned()),
        category: p
            .category(&row.category)
            .map_or_else(|| row.category.clone(), |c| c.label.clone()),
        raising_agency: ctx.agency_name(&row.raising_agency_id, &agencies),
        receiving_agency: ctx.agency_name(&row.receiving_agency_id, &agencies),
        receiving_person: row
            .receiving_person_id
            .as_deref()
            .map(|p| ctx.directory.name(p)),
        raised_by_me: row.raised_by == user.id(),
        entry_stage_guidance: route
            .and_then(|r| p.route(r))
            .and_then(|r| p.stage(r.entry_stage))
            .map(|s| s.guidance.clone())
            .filter(|g| !g.trim().is_empty()),
        deadlines,
    })
}
