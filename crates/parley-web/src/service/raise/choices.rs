//! What a person may choose when raising: routes, categories, agencies, redirections.

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::service::Context;
use parley_core::names::{ChildStatus, RedirectionKind, RouteKind};
use parley_store::rows::{AgencyRow, PersonRow};
use serde::Serialize;

use super::*;

/// Everything a form for raising a challenge offers, from the partnership's current
/// procedure and directory: an API client can build the same form from it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RaiseOptions {
    pub procedure: ProcedureRef,
    /// The caller's own agency, which raises the challenge.
    pub raising_agency: AgencyRef,
    /// What the procedure says to do when a child is at immediate risk. Answering yes to
    /// `immediate_risk` stops there: nothing is recorded.
    pub immediate_risk: String,
    /// What the procedure asks of people before they raise a challenge, if it says.
    pub before_raising: Option<String>,
    /// The matters that belong to another procedure, with where to take them.
    pub redirections: Vec<RedirectionOption>,
    /// The ways in, in the procedure's order.
    pub routes: Vec<RouteOption>,
    /// Where the procedure counts its timescales from the date of the decision to raise the
    /// challenge (Dorset §4: "The date of this decision is Day One"): the dates `decided_on`
    /// may take today. `null` where they count from the day it is raised.
    pub decision_date: Option<crate::service::day_one::DecisionDateQuestion>,
    pub categories: Vec<CategoryOption>,
    pub child_statuses: Vec<Choice>,
    /// The other agencies of the partnership, by name, with the people who can be named as
    /// the receiving person.
    pub agencies: Vec<AgencyOption>,
    pub limits: Limits,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RaiseProcedure)]
pub struct ProcedureRef {
    pub name: String,
    pub partnership: String,
    /// The procedure's own version label.
    pub version: String,
    /// The partnership's procedure version number the challenge would run under.
    pub procedure_version: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RedirectionOption {
    /// `complaint`, `allegation-against-staff` or `whistleblowing`.
    pub kind: String,
    pub label: String,
    /// Where to take it instead.
    pub text: String,
    /// Whether `text` is the procedure's own; otherwise it is Parley's common wording for a
    /// procedure that does not say.
    pub from_procedure: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RouteOption {
    /// `individual`, `thematic` or `strategic`.
    pub kind: String,
    pub label: String,
    pub description: Option<String>,
    /// The stage a challenge on this route starts at.
    pub entry_stage: i64,
    pub entry_stage_title: String,
    /// Whether a challenge on this route is about a child (and needs the child's details).
    pub child_required: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryOption {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RaiseChoice)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyOption {
    pub id: String,
    pub name: String,
    pub sector: String,
    /// Active people of the agency with a case role, by name.
    pub people: Vec<PersonOption>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonOption {
    pub id: String,
    pub name: String,
    pub job_title: String,
}

/// The longest answers accepted, in characters.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Limits {
    pub summary: usize,
    pub text: usize,
    pub child_name: usize,
    pub child_identifier: usize,
}

impl RaiseOptions {
    pub fn route(&self, kind: &str) -> Option<&RouteOption> {
        self.routes.iter().find(|r| r.kind == kind)
    }

    /// Whether the procedure offers this route.
    pub fn has_route(&self, kind: RouteKind) -> bool {
        self.route(kind.as_str()).is_some()
    }

    pub fn agency(&self, id: &str) -> Option<&AgencyOption> {
        self.agencies.iter().find(|a| a.id == id)
    }

    pub fn redirection(&self, kind: RedirectionKind) -> Option<&RedirectionOption> {
        self.redirections.iter().find(|r| r.kind == kind.as_str())
    }

    /// The route when the procedure has only one (nothing to ask).
    pub fn only_route(&self) -> Option<&RouteOption> {
        match self.routes.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// Parley's wording where a procedure does not say where a matter goes. These are not
/// disagreements between agencies whatever the procedure (DESIGN.md §3, outcomes:
/// "redirected (complaint, LADO allegation, whistleblowing: not this procedure)").
pub(super) fn common_redirection_text(kind: RedirectionKind) -> &'static str {
    match kind {
        RedirectionKind::Complaint => {
            "This procedure is for professional disagreements between agencies, not complaints. Use the complaints procedure of the agency concerned."
        }
        RedirectionKind::AllegationAgainstStaff => {
            "This procedure is not for concerns that someone who works with children may have harmed a child or may not be suitable to work with children. Tell your designated safeguarding lead now: they will contact the Local Authority Designated Officer (LADO)."
        }
        RedirectionKind::Whistleblowing => {
            "This procedure is not for concerns about malpractice or wrongdoing in an organisation. Use your organisation's whistleblowing procedure."
        }
        RedirectionKind::ImmediateRisk => {
            "If you think a child may be at immediate risk of harm, tell your designated safeguarding lead now. If a child is in imminent danger, call 999."
        }
    }
}

/// What a person may choose, or 403 for someone who cannot raise.
pub async fn options(state: &AppState, user: &CurrentUser) -> Result<RaiseOptions, AppError> {
    let ctx = Context::load(state, user).await?;
    let agencies = ctx.agencies.clone();
    options_from(&ctx, &agencies, &user.person)
}

pub fn options_from(
    ctx: &Context,
    agencies: &[AgencyRow],
    person: &PersonRow,
) -> Result<RaiseOptions, AppError> {
    let own_id = raising_agency(person).ok_or(AppError::Forbidden)?;
    let own = agencies
        .iter()
        .find(|a| a.id == own_id && a.partnership_id == person.partnership_id)
        .ok_or(AppError::Forbidden)?;
    let p = &ctx.rules.procedure;
    let decision_date = crate::service::day_one::question(p, &ctx.rules.calendar, ctx.today)?;
    let mut others: Vec<AgencyOption> = agencies
        .iter()
        .filter(|a| a.id != own.id && a.partnership_id == person.partnership_id)
        .map(|a| {
            let mut people: Vec<PersonOption> = ctx
                .directory
                .people
                .values()
                .filter(|x| {
                    x.active
                        && x.id != person.id
                        && x.agency_id.as_deref() == Some(a.id.as_str())
                        && x.roles.iter().any(|r| RAISING_ROLES.contains(&r.as_str()))
                })
                .map(|x| PersonOption {
                    id: x.id.clone(),
                    name: x.name.clone(),
                    job_title: x.job_title.clone(),
                })
                .collect();
            people.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.id.cmp(&y.id)));
            AgencyOption {
                id: a.id.clone(),
                name: a.name.clone(),
                sector: a.sector.clone(),
                people,
            }
        })
        .collect();
    others.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.id.cmp(&y.id)));
    Ok(RaiseOptions {
        procedure: ProcedureRef {
            name: p.name.clone(),
            partnership: p.partnership.clone(),
            version: p.version.clone(),
            procedure_version: ctx.partnership.procedure_version,
        },
        raising_agency: AgencyRef {
            id: own.id.clone(),
            name: own.name.clone(),
        },
        immediate_risk: p.screening.immediate_risk.clone(),
        before_raising: p.screening.before_raising.clone(),
        redirections: OTHER_PROCEDURES
            .iter()
            .map(|&kind| {
                let own = p.redirection(kind);
                RedirectionOption {
                    kind: kind.as_str().to_owned(),
                    label: kind.label().to_owned(),
                    text: own.map_or_else(
                        || common_redirection_text(kind).to_owned(),
                        |r| r.text.clone(),
                    ),
                    from_procedure: own.is_some(),
                }
            })
            .collect(),
        // Only the routes the person's roles may raise (issue 14, item 3: Dorset §1, strategic
        // concerns are raised by senior leaders).
        routes: p
            .routes
            .iter()
            .filter(|r| crate::permissions::may_raise(p, r.kind, &person.roles))
            .map(|r| RouteOption {
                kind: r.kind.as_str().to_owned(),
                label: r.kind.label().to_owned(),
                description: r.description.clone(),
                entry_stage: i64::from(r.entry_stage.get()),
                entry_stage_title: p
                    .stage(r.entry_stage)
                    .map_or_else(String::new, |s| s.title.clone()),
                child_required: r.kind == RouteKind::Individual,
            })
            .collect(),
        decision_date,
        categories: p
            .categories
            .iter()
            .map(|c| CategoryOption {
                id: c.id.clone(),
                label: c.label.clone(),
                hint: c.hint.clone(),
            })
            .collect(),
        child_statuses: ChildStatus::ALL
            .iter()
            .map(|s| Choice {
                id: s.as_str().to_owned(),
                label: s.label().to_owned(),
            })
            .collect(),
        agencies: others,
        limits: Limits {
            summary: SUMMARY_MAX,
            text: TEXT_MAX,
            child_name: CHILD_NAME_MAX,
            child_identifier: IDENTIFIER_MAX,
        },
    })
}
