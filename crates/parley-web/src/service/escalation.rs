//! One escalation as its people see it (issue: "An escalation: summary, current stage and who
//! leads it, deadline, the full history as a timeline, the stage record, and the actions the
//! procedure allows now"), its child's details (each reading recorded), and the actions.
//!
//! Length: about 2,700 lines, past the 800 the project keeps to. The action machinery (kinds,
//! offers, inputs, events, refusal fields) is one table per action kind spread over the file;
//! splitting it into `service/escalation/{view,history,actions}.rs` is the structure issue's
//! (16) first task, left for it rather than done at the end of this one.
//!
//! Pages and the API both build their answers here, so the two cannot disagree:
//!
//! - [`load`] finds the escalation and answers 404 unless `access::access` lets the person see
//!   it (never revealing that it exists);
//! - [`view`] is the escalation as shown, with the case as put only for those allowed the
//!   child's details, and never the child's details themselves (they are behind [`child`],
//!   which records the reading first);
//! - [`history`] is the escalation's events in words, with nothing of the child or the case;
//! - [`offered`] says which actions the procedure allows now, by trying each candidate event
//!   against the state machine (pure, no write), so no page offers what would be refused;
//! - [`act`] checks who may act, the version the person saw, and appends the event through
//!   the records.
//!
//! Longer than 800 lines: its banner sections (loading, the view, the child, history, actions)
//! become the files of an `escalation/` folder in issue 16.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use parley_core::WorkingDays;
use parley_core::escalation::{
    Escalation, Event, Rules as CoreRules, StageState, Status, TransitionError, decide,
};
use parley_core::names::{ChildStatus, RedirectionKind, Resolution, RouteKind, StageAction};
use parley_core::procedure::{May, Procedure, StageNumber};
use parley_store::StoreError;
use parley_store::chain::Link;
use parley_store::payload::{ChildDetails, Payload};
use parley_store::projector::ProjectError;
use parley_store::records::Actor;
use parley_store::rows::{AgencyRow, EscalationRow};
use serde::{Deserialize, Serialize};

use super::{Context, Deadline};
use crate::access::{Access, Relation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::permissions;

/// The longest text a stage-record field or a reason may hold.
pub const MAX_TEXT: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// Loading

/// An escalation the signed-in person may see, with what the views are built from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The person's context, its rules replaced by those of the procedure version the
    /// escalation runs under (deadlines are counted on its calendar).
    pub ctx: Context,
    pub row: EscalationRow,
    pub access: Access,
    /// The state rebuilt from the escalation's events: stages, records, status, version.
    pub state: Escalation,
    /// The escalation's events, oldest first (its history).
    pub events: Arc<Vec<Link>>,
    pub agencies: Arc<Vec<AgencyRow>>,
    /// Who is appointed to it in a partnership role (issue 14, item 4).
    pub appointments: Vec<parley_store::rows::EscalationAppointmentRow>,
}

impl Loaded {
    pub(crate) fn procedure(&self) -> &Procedure {
        &self.ctx.rules.procedure
    }

    pub(crate) fn core_rules(&self) -> CoreRules<'_> {
        CoreRules {
            procedure: &self.ctx.rules.procedure,
            calendar: &self.ctx.rules.calendar,
        }
    }

    /// The version forms are based on.
    pub fn version(&self) -> i64 {
        self.state.version as i64
    }
}

/// The escalation `id` if `user` may see it; `NotFound` otherwise (also for another
/// partnership's, so that nobody learns it exists).
pub async fn load(state: &AppState, user: &CurrentUser, id: &str) -> Result<Loaded, AppError> {
    let row = state
        .store
        .escalation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.partnership_id != user.partnership_id() {
        return Err(AppError::NotFound);
    }
    let mut ctx = Context::load(state, user).await?;
    let officers = state.store.escalation_officers(&row.id).await?;
    let appointments = state.store.escalation_appointments(&row.id).await?;
    let base = ctx.access(user, &row, &officers, &appointments);
    ctx.rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    ctx.today = ctx.rules.today(state.now());
    let read = state
        .records
        .escalation_read(&row, ctx.config_version)
        .await?;
    // Issue 14, item 5: the lead of a referral step it went to.
    let access = super::referral::lead_access(
        &user.person,
        &read.state,
        &ctx.rules.procedure,
        &row.partnership_id,
        base,
    )
    .ok_or(AppError::NotFound)?;
    let mut access = access;
    // Issue 14, item 2: the person who made the proposal awaiting an answer answers it not.
    access.proposer = read.state.pending().is_some_and(|p| {
        read.events.iter().any(|l| {
            u64::try_from(l.stream_version).ok() == Some(p.version)
                && l.actor.as_deref() == Some(user.id())
        })
    });
    let agencies = ctx.agencies.clone();
    Ok(Loaded {
        ctx,
        row,
        access,
        state: read.state,
        events: read.events,
        agencies,
        appointments,
    })
}

// ---------------------------------------------------------------------------------------------
// The view

/// An escalation as shown to one person. Nothing here identifies the child: the child's
/// details are only in [`ChildView`], and the case as put only for those allowed them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EscalationView {
    pub id: String,
    /// Human reference, e.g. `SUN-2026-0042`.
    pub reference: String,
    /// The escalation's version: send it back with an action.
    pub version: i64,
    /// The decision, action or inaction challenged (never identifies the child).
    pub summary: String,
    pub category: String,
    pub category_label: String,
    /// `individual`, `thematic` or `strategic`.
    pub route: String,
    pub route_label: String,
    /// Whether it is about one child (`true`) or thematic/strategic (`false`).
    pub about_a_child: bool,
    pub raised_by: PersonRef,
    pub raised_at_us: i64,
    pub raised_on: String,
    /// Where the procedure counts from the date of the decision to raise it (Dorset §4): that
    /// date, and how many working days had gone before it was raised.
    pub day_one: Option<super::day_one::DayOneView>,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub receiving_person: Option<PersonRef>,
    /// `open`, `resolved`, `referred-on`, `withdrawn` or `redirected`.
    pub status: String,
    pub status_label: String,
    /// The status in words with how it closed, e.g. "Resolved by agreement",
    /// "Referred on to Ofsted".
    pub status_text: String,
    /// How it closed, e.g. `agreed`, a referral id or a redirection.
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    pub closed_at_us: Option<i64>,
    /// Resolved by the turn of events but still being seen through (Buckinghamshire 2.4.11).
    pub resolved_by_events_at_us: Option<i64>,
    pub procedure: ProcedureRef,
    pub current_stage: CurrentStage,
    /// The deadline that runs now: the current stage's, or at a referral step with a
    /// timescale, the step's.
    pub stage_deadline: Deadline,
    /// `None` at a referral step: the procedure's overall deadline no longer runs.
    pub overall_deadline: Option<Deadline>,
    /// Every stage entered, in order.
    pub stages: Vec<StageLine>,
    /// The referral steps it went to, oldest first (issue 14, item 5).
    pub referrals: Vec<super::referral::ReferralStepView>,
    /// Whether it is open at a referral step.
    pub at_referral: bool,
    /// The meetings arranged, with their details once recorded (issue 14, item 6).
    pub meetings: Vec<super::meeting::MeetingView>,
    /// The current stage's own meeting and the date by which it must be held, where the
    /// procedure gives one (Solihull stage 4).
    pub stage_meeting: Option<super::meeting::StageMeetingView>,
    /// The case as put, only for those allowed the child's details.
    pub case: Option<CaseView>,
    /// The procedure's prompts that apply to the child (Buckinghamshire 2.4.12), only for
    /// those allowed the child's details.
    pub prompts: Vec<super::prompts::PromptView>,
    /// Whether this person may open the child's details (each opening is recorded).
    pub may_view_child: bool,
    pub access: AccessView,
    /// What this person may do now.
    pub actions: Vec<Offer>,
    /// Who is appointed to it in a partnership role (issue 14, item 4).
    pub appointees: Vec<super::appointment::AppointeeView>,
    /// The form sent to the partnership, where the procedure has one (Croydon Appendix A,
    /// Sunderland Appendix 1): never the child's details, so shown to all who see it.
    pub partnership_form: Option<super::partnership_form::PartnershipFormView>,
    /// The page where the signed-in person appoints, when they may appoint someone now.
    pub appoint_href: Option<String>,
    /// Every agreement proposed, oldest first (issue 14, item 2).
    pub proposals: Vec<super::agreement::ProposalView>,
    /// The proposal awaiting an answer, if any (the last of `proposals`).
    pub proposal: Option<super::agreement::ProposalView>,
    /// The dissent statement, when it was resolved with the disagreement recorded.
    pub dissent: Option<super::agreement::DissentStatement>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EscalationPerson)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub job_title: String,
    pub agency: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EscalationProcedure)]
pub struct ProcedureRef {
    pub name: String,
    pub partnership: String,
    /// The procedure document's own version.
    pub document_version: String,
    /// The partnership's adoption number the escalation runs under.
    pub adopted_version: i64,
}

/// The stage the escalation is at (or ended at), and who leads it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CurrentStage {
    pub number: i64,
    pub title: String,
    /// How the stage is named in a sentence, e.g. "Stage 2: Management finding solutions".
    pub name: String,
    /// The roles the procedure names as leading it.
    pub lead_roles: Vec<String>,
    /// The procedure's own wording of who leads it.
    pub lead_title: Option<String>,
    pub timescale: String,
    /// The named officers for the stage in both agencies.
    pub leads: Vec<AgencyLeads>,
    pub professionals_meeting: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyLeads {
    pub agency: String,
    /// `raising` or `receiving`.
    pub side: String,
    pub officers: Vec<PersonRef>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageLine {
    pub number: i64,
    pub title: String,
    pub name: String,
    pub started_at_us: i64,
    pub started_on: String,
    pub due: String,
    pub agreed_working_days: Option<u32>,
    pub ended_at_us: Option<i64>,
    /// When professionals' meetings were convened at this stage.
    pub meetings_at_us: Vec<i64>,
    pub current: bool,
    /// The stage's record fields, in the procedure's order, with what was written.
    pub record: Vec<RecordEntry>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RecordEntry {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
    /// `None` while nothing is recorded.
    pub text: Option<String>,
}

/// The case as put when raised (may name the child: never for the business team).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub decision: String,
    pub evidence: String,
    pub outcome_wanted: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    pub relations: Vec<Relation>,
    pub child_details: bool,
    pub can_act: bool,
    pub can_withdraw: bool,
}

/// The escalation as `loaded.access` allows.
pub async fn view(
    state: &AppState,
    loaded: &Loaded,
    now: Timestamp,
) -> Result<EscalationView, AppError> {
    let case = if !loaded.access.child_details {
        None
    } else if let Some(case) = case_as_raised(&loaded.events) {
        Some(case)
    } else {
        // The raising event's content was purged: the case table says what is kept.
        state
            .store
            .case(&loaded.row.id)
            .await?
            .map(|(decision, evidence, outcome_wanted)| CaseView {
                decision,
                evidence,
                outcome_wanted,
            })
    };
    let offered = offered(loaded, now);
    let mut view = build_view(loaded, case, offered.actions);
    view.prompts = super::prompts::for_escalation(state, loaded).await?;
    Ok(view)
}

/// The case as put, from the raising event (the first of the stream).
fn case_as_raised(events: &[Link]) -> Option<CaseView> {
    let json = events.first()?.payload.as_deref()?;
    match serde_json::from_str::<Payload>(json).ok()? {
        Payload::EscalationRaised(r) => Some(CaseView {
            decision: r.decision,
            evidence: r.evidence,
            outcome_wanted: r.outcome_wanted,
        }),
        _ => None,
    }
}

/// The escalation without the case as put (no I/O): for the action pages' headings.
pub fn view_without_case(loaded: &Loaded, actions: Vec<Offer>) -> EscalationView {
    build_view(loaded, None, actions)
}

fn build_view(loaded: &Loaded, case: Option<CaseView>, actions: Vec<Offer>) -> EscalationView {
    let Loaded {
        ctx,
        row,
        access,
        state: s,
        agencies,
        ..
    } = loaded;
    let p = loaded.procedure();
    let open = s.status.is_open();
    let person = |id: &str| person_ref(ctx, agencies, id);
    let (outcome, outcome_label) = outcome_of(p, &s.status);
    let current = s.current();
    let proposals = super::agreement::views(loaded);
    EscalationView {
        id: row.id.clone(),
        reference: row.reference.clone(),
        version: loaded.version(),
        summary: row.summary.clone(),
        category: row.category.clone(),
        category_label: p
            .category(&row.category)
            .map_or_else(|| row.category.clone(), |c| c.label.clone()),
        route: s.route.as_str().to_owned(),
        route_label: s.route.label().to_owned(),
        about_a_child: row.subject == "child",
        raised_by: person(&row.raised_by),
        raised_at_us: row.raised_at_us,
        raised_on: s.raised_on.to_string(),
        day_one: super::day_one::view(p, &ctx.rules.calendar, s.day_one, s.raised_on),
        raising_agency: ctx.agency_name(&row.raising_agency_id, agencies),
        receiving_agency: ctx.agency_name(&row.receiving_agency_id, agencies),
        receiving_person: row.receiving_person_id.as_deref().map(person),
        status: s.status.as_str().to_owned(),
        status_label: status_label(&s.status).to_owned(),
        status_text: match (&s.status, &outcome_label) {
            (Status::Open, _) if s.at_referral().is_some() => format!(
                "Open: referred on to {}",
                s.at_referral()
                    .map_or_else(String::new, |r| referral_label(p, &r.referral))
            ),
            (Status::ReferredOn(_), Some(l))
                if s.referrals.last().is_some_and(|r| r.outcome.is_some()) =>
            {
                format!("Referred on to {l}, and what came of it is recorded")
            }
            (Status::Resolved(_), Some(l)) => l.clone(),
            (Status::ReferredOn(_), Some(l)) => format!("Referred on to {l}"),
            (Status::Redirected(_), Some(l)) => {
                format!("Redirected to another procedure: {}", lower_first(l))
            }
            (status, _) => status_label(status).to_owned(),
        },
        outcome,
        outcome_label,
        closed_at_us: s.closed_at.map(|t| t.as_microsecond()),
        resolved_by_events_at_us: s.resolved_by_events_at.map(|t| t.as_microsecond()),
        procedure: ProcedureRef {
            name: p.name.clone(),
            partnership: p.partnership.clone(),
            document_version: p.version.clone(),
            adopted_version: row.procedure_version,
        },
        current_stage: current_stage(loaded, current.number),
        // At a referral step without a timescale, no deadline runs: the stage's is over.
        stage_deadline: if s.at_referral().is_some_and(|r| r.due.is_none()) {
            super::referral::no_deadline(&row.stage_due)
        } else {
            ctx.deadline(&row.stage_due, open)
        },
        overall_deadline: row.overall_due.as_deref().map(|d| ctx.deadline(d, open)),
        stages: s
            .stages
            .iter()
            .map(|st| stage_line(p, st, st.number == current.number))
            .collect(),
        referrals: super::referral::steps(ctx, p, s),
        at_referral: s.at_referral().is_some(),
        meetings: super::meeting::views(ctx, loaded),
        stage_meeting: super::meeting::stage_meeting(ctx, p, s),
        case,
        prompts: Vec::new(),
        may_view_child: access.child_details && row.subject == "child",
        access: AccessView {
            relations: access.relations.clone(),
            child_details: access.child_details,
            can_act: access.can_act,
            can_withdraw: access.can_withdraw,
        },
        actions,
        appointees: super::appointment::appointees(loaded),
        partnership_form: super::partnership_form::view(loaded),
        appoint_href: (!super::appointment::options(loaded).is_empty())
            .then(|| format!("/escalations/{}/appoint", row.id)),
        proposal: proposals.last().filter(|p| p.status == "pending").cloned(),
        proposals,
        dissent: s
            .dissent
            .as_ref()
            .map(super::agreement::DissentStatement::from),
    }
}

fn person_ref(ctx: &Context, agencies: &[AgencyRow], id: &str) -> PersonRef {
    let p = ctx.directory.people.get(id);
    PersonRef {
        id: id.to_owned(),
        name: ctx.directory.name(id),
        job_title: p.map(|p| p.job_title.clone()).unwrap_or_default(),
        agency: p
            .and_then(|p| p.agency_id.as_deref())
            .map(|a| ctx.agency_name(a, agencies)),
    }
}

fn status_label(status: &Status) -> &'static str {
    match status {
        Status::Open => "Open",
        Status::Resolved(_) => "Resolved",
        Status::ReferredOn(_) => "Referred on",
        Status::Withdrawn => "Withdrawn",
        Status::Redirected(_) => "Redirected to another procedure",
    }
}

fn outcome_of(p: &Procedure, status: &Status) -> (Option<String>, Option<String>) {
    match status {
        Status::Resolved(r) => (Some(r.as_str().to_owned()), Some(r.label().to_owned())),
        Status::ReferredOn(id) => (Some(id.clone()), Some(referral_label(p, id))),
        Status::Redirected(k) => (Some(k.as_str().to_owned()), Some(k.label().to_owned())),
        Status::Open | Status::Withdrawn => (None, None),
    }
}

fn referral_label(p: &Procedure, id: &str) -> String {
    p.referral(id)
        .map_or_else(|| id.to_owned(), |r| r.label.clone())
}

/// A reminder's line in the history (issue 15): which deadline, and its date while this is
/// the latest reminder of it (a stage's date moved by an agreed timescale is reminded of
/// again; the state knows only the latest date).
fn reminder_title(
    loaded: &Loaded,
    deadline: &str,
    before: i64,
    later: &[Link],
    referred_to: Option<&str>,
) -> String {
    use parley_core::escalation::Deadline as Due;
    let p = loaded.procedure();
    let which = Due::parse(deadline);
    let what = match which {
        Some(Due::Stage(n)) => format!("the stage {n} deadline"),
        Some(Due::Overall) => "the deadline for the whole escalation".to_owned(),
        Some(Due::Referral(_)) => format!(
            "the deadline of the referral to {}",
            referred_to.map_or_else(|| "it".to_owned(), |r| referral_label(p, r))
        ),
        None => format!("the {deadline} deadline"),
    };
    let reminded_again = later.iter().any(|l| {
        l.payload
            .as_deref()
            .and_then(|j| serde_json::from_str::<Payload>(j).ok())
            .is_some_and(
                |x| matches!(x, Payload::DeadlineApproaching { deadline: d, .. } if d == deadline),
            )
    });
    let state = &loaded.state;
    let due = which.filter(|_| !reminded_again).and_then(|d| match d {
        Due::Stage(n) => state.stages.iter().find(|s| s.number == n).map(|s| s.due),
        Due::Overall => state.overall_due,
        Due::Referral(k) => state.referrals.get(usize::from(k).checked_sub(1)?)?.due,
    });
    match due {
        Some(due) => format!("Reminder: {what} is on {}", due.strftime("%A %-d %B %Y")),
        None => format!(
            "Reminder: {before} working day{} before {what}",
            if before == 1 { "" } else { "s" }
        ),
    }
}

fn stage_title(p: &Procedure, n: StageNumber) -> String {
    p.stage(n)
        .map_or_else(|| format!("Stage {n}"), |s| s.title.clone())
}

/// A stage as named in a sentence (the one rule, in the core: `procedure::stage_name`).
pub fn stage_name(n: StageNumber, title: &str) -> String {
    parley_core::procedure::stage_name(n, title)
}

fn current_stage(loaded: &Loaded, n: StageNumber) -> CurrentStage {
    let Loaded {
        ctx, row, agencies, ..
    } = loaded;
    let p = loaded.procedure();
    let stage = p.stage(n);
    let number = i64::from(n.get());
    let side = |agency_id: &str, side: &str| AgencyLeads {
        agency: ctx.agency_name(agency_id, agencies),
        side: side.to_owned(),
        officers: ctx
            .directory
            .leads_at(row, number)
            .filter(|o| o.agency_id == agency_id)
            .map(|o| person_ref(ctx, agencies, &o.person_id))
            .collect(),
    };
    let mut leads = vec![side(&row.raising_agency_id, "raising")];
    if row.receiving_agency_id != row.raising_agency_id {
        leads.push(side(&row.receiving_agency_id, "receiving"));
    }
    CurrentStage {
        number,
        title: stage_title(p, n),
        name: stage_name(n, &stage_title(p, n)),
        lead_roles: stage
            .map(|s| s.leads.iter().map(|r| r.label().to_owned()).collect())
            .unwrap_or_default(),
        lead_title: stage.and_then(|s| s.lead_title.clone()),
        timescale: stage
            .map(|s| {
                s.timescale_text
                    .clone()
                    .unwrap_or_else(|| sentence(&s.timescale.to_string()))
            })
            .unwrap_or_default(),
        leads,
        professionals_meeting: stage.is_some_and(|s| s.professionals_meeting),
    }
}

fn stage_line(p: &Procedure, st: &StageState, current: bool) -> StageLine {
    StageLine {
        number: i64::from(st.number.get()),
        title: stage_title(p, st.number),
        name: stage_name(st.number, &stage_title(p, st.number)),
        started_at_us: st.started_at.as_microsecond(),
        started_on: st.started_on.to_string(),
        due: st.due.to_string(),
        agreed_working_days: st.agreed.map(WorkingDays::get),
        ended_at_us: st.ended_at.map(|t| t.as_microsecond()),
        meetings_at_us: st.meetings.iter().map(|t| t.as_microsecond()).collect(),
        current,
        record: record_entries(p, st),
    }
}

/// The record fields a stage keeps, in the procedure's order, with what was written (and any
/// field written that the procedure no longer lists, after them).
pub(super) fn record_entries(p: &Procedure, st: &StageState) -> Vec<RecordEntry> {
    let kept = p
        .stage(st.number)
        .map(|s| s.record.clone())
        .unwrap_or_default();
    let written = |id: &str| {
        st.record
            .iter()
            .find(|(f, _)| f == id)
            .map(|(_, t)| t.clone())
    };
    let mut out: Vec<RecordEntry> = kept
        .iter()
        .map(|id| {
            let field = p.record_field(id);
            RecordEntry {
                id: id.clone(),
                label: field.map_or_else(|| id.clone(), |f| f.label.clone()),
                hint: field.and_then(|f| f.hint.clone()),
                text: written(id),
            }
        })
        .collect();
    for (id, text) in &st.record {
        if !kept.contains(id) {
            out.push(RecordEntry {
                id: id.clone(),
                label: p
                    .record_field(id)
                    .map_or_else(|| id.clone(), |f| f.label.clone()),
                hint: None,
                text: Some(text.clone()),
            });
        }
    }
    out
}

/// "Stage 2: ..." -> "stage 2: ..." for use inside a sentence.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Upper-cases the first letter.
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The child

/// The child's details, for those allowed them; each showing is recorded first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChildView {
    pub escalation_id: String,
    pub reference: String,
    /// Name or initials, as the agencies know the child.
    pub name: String,
    pub date_of_birth: Option<String>,
    /// An agency's case number or NHS number, if given.
    pub identifier: Option<String>,
    pub status: Option<String>,
    pub status_label: Option<String>,
    /// When this reading was recorded.
    pub recorded_at_us: i64,
}

/// Escalation `id`, if `user` may read its child's details; `NotFound` otherwise (as
/// [`child`]). Records nothing: this is what a GET may ask (issue 13 item 10: a link on
/// another site must not record a reading in someone's name), and the reading itself is a
/// POST with the form token.
pub async fn child_allowed(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Loaded, AppError> {
    let loaded = load(state, user, id).await?;
    if !loaded.access.child_details || loaded.row.subject != "child" {
        return Err(AppError::NotFound);
    }
    Ok(loaded)
}

/// Records that `user` is shown the child's details of escalation `id`, then returns them.
/// Only ever called for a POST.
/// `NotFound` for anyone not allowed them (the business team, people not involved) and for a
/// thematic escalation, which has no child.
pub async fn child(state: &AppState, user: &CurrentUser, id: &str) -> Result<ChildView, AppError> {
    let loaded = child_allowed(state, user, id).await?;
    let json = state
        .store
        .child_details(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let details: ChildDetails = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("child details of {id}: {e}")))?;
    let now = state.now();
    state
        .records
        .record_child_details_read(id, user.id(), now)
        .await?;
    let status = loaded.row.child_status.clone();
    Ok(ChildView {
        escalation_id: loaded.row.id.clone(),
        reference: loaded.row.reference.clone(),
        name: details.name,
        date_of_birth: details.date_of_birth,
        identifier: details.identifier,
        status_label: status
            .as_deref()
            .and_then(|s| s.parse::<ChildStatus>().ok())
            .map(|s| s.label().to_owned()),
        status,
        recorded_at_us: now.as_microsecond(),
    })
}

// ---------------------------------------------------------------------------------------------
// History

/// One event of the escalation, in words. Never carries the child's details or the case as
/// put: the raise is described without them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    /// The escalation's version after this event.
    pub version: i64,
    pub kind: String,
    pub title: String,
    pub actor_id: Option<String>,
    /// The person's name, or "Parley" for what Parley records itself (deadlines passing).
    pub actor: String,
    pub at_us: i64,
    pub details: Vec<Detail>,
    /// The reason given with the action, if any.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub label: String,
    pub text: String,
}

/// The escalation's history, oldest first.
pub fn history(loaded: &Loaded) -> Vec<HistoryItem> {
    describe_history(loaded, &loaded.events)
}

fn describe_history(loaded: &Loaded, links: &[Link]) -> Vec<HistoryItem> {
    let p = loaded.procedure();
    let Loaded { ctx, agencies, .. } = loaded;
    let mut stage = StageNumber::FIRST;
    let mut referred_to: Option<String> = None;
    let mut proposed = None;
    let mut meetings = 0;
    let mut out = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let payload = link
            .payload
            .as_deref()
            .and_then(|j| serde_json::from_str::<Payload>(j).ok());
        let mut details = Vec::new();
        let mut detail = |label: &str, text: String| {
            details.push(Detail {
                label: label.to_owned(),
                text,
            });
        };
        let title = match &payload {
            Some(Payload::EscalationRaised(r)) => {
                // Only what the escalation row shows anyone who sees it: never `child`,
                // `decision`, `evidence` or `outcome_wanted`.
                stage = r
                    .route
                    .parse::<RouteKind>()
                    .ok()
                    .and_then(|k| p.route(k))
                    .map_or(StageNumber::FIRST, |route| route.entry_stage);
                detail("Summary", r.summary.clone());
                detail(
                    "Category",
                    p.category(&r.category)
                        .map_or_else(|| r.category.clone(), |c| c.label.clone()),
                );
                detail(
                    "Route",
                    r.route
                        .parse::<RouteKind>()
                        .map_or_else(|_| r.route.clone(), |k| k.label().to_owned()),
                );
                detail(
                    "Agencies",
                    format!(
                        "{} to {}",
                        ctx.agency_name(&r.raising_agency_id, agencies),
                        ctx.agency_name(&r.receiving_agency_id, agencies)
                    ),
                );
                if let Some(to) = &r.receiving_person_id {
                    detail("Raised with", ctx.directory.name(to));
                }
                format!(
                    "Raised at {}",
                    lower_first(&stage_name(stage, &stage_title(p, stage)))
                )
            }
            Some(Payload::StageRecordUpdated { stage: n, fields }) => {
                let n = StageNumber::new(*n).unwrap_or(stage);
                for (id, text) in fields {
                    let label = p
                        .record_field(id)
                        .map_or_else(|| id.clone(), |f| f.label.clone());
                    detail(&label, text.clone());
                }
                format!("Stage {n} record updated")
            }
            Some(Payload::TimescaleAgreed { working_days }) => format!(
                "Timescale agreed for stage {stage}: {working_days} working day{}",
                if *working_days == 1 { "" } else { "s" }
            ),
            Some(Payload::Escalated) => {
                stage = stage.next();
                format!(
                    "Escalated to {}",
                    lower_first(&stage_name(stage, &stage_title(p, stage)))
                )
            }
            Some(Payload::ProfessionalsMeetingConvened) => {
                format!("Professionals’ meeting convened at stage {stage}")
            }
            Some(Payload::MeetingArranged {
                held_at_us,
                chair,
                invited_people,
                invited_agencies,
            }) => {
                meetings += 1;
                if let Some(c) = chair {
                    detail("Chair", ctx.directory.name(c));
                }
                let names: Vec<String> = invited_people
                    .iter()
                    .map(|i| ctx.directory.name(i))
                    .collect();
                detail("Invited", names.join(", "));
                if !invited_agencies.is_empty() {
                    let names: Vec<String> = invited_agencies
                        .iter()
                        .map(|a| ctx.agency_name(a, agencies))
                        .collect();
                    detail("Agencies invited", names.join(", "));
                }
                match jiff::Timestamp::from_microsecond(*held_at_us) {
                    Ok(t) => format!(
                        "Meeting {meetings} arranged at stage {stage}, for {}",
                        super::meeting::when(&p.calendar.time_zone, t)
                    ),
                    Err(_) => format!("Meeting {meetings} arranged at stage {stage}"),
                }
            }
            Some(Payload::MeetingRecorded {
                meeting,
                attended_people,
                attended_agencies,
                outcome,
                actions,
            }) => {
                let names: Vec<String> = attended_people
                    .iter()
                    .map(|i| ctx.directory.name(i))
                    .collect();
                if !names.is_empty() {
                    detail("Attended", names.join(", "));
                }
                if !attended_agencies.is_empty() {
                    let names: Vec<String> = attended_agencies
                        .iter()
                        .map(|a| ctx.agency_name(a, agencies))
                        .collect();
                    detail("Agencies attending", names.join(", "));
                }
                detail("Outcome", outcome.clone());
                if !actions.is_empty() {
                    detail("Actions", actions.clone());
                }
                format!("Meeting {meeting} recorded")
            }
            Some(Payload::Resolved { resolution }) => match resolution.parse::<Resolution>() {
                Ok(Resolution::ByEvents) if p.outcomes.see_through_when_resolved_by_events => {
                    "Resolved by the turn of events; the escalation stayed open to be seen through to the end"
                        .to_owned()
                }
                Ok(r) => r.label().to_owned(),
                Err(_) => format!("Resolved ({resolution})"),
            },
            Some(Payload::ReferredOn { referral }) => {
                format!("Referred on to {}", referral_label(p, referral))
            }
            Some(Payload::ReferralMade { referral }) => {
                let lead = p.referral(referral).and_then(|r| r.lead);
                if let Some(lead) = lead {
                    detail("Led by", lead.label().to_owned());
                }
                referred_to = Some(referral.clone());
                format!(
                    "Referred on to {}: it stays open until what came of it is recorded",
                    referral_label(p, referral)
                )
            }
            Some(Payload::ReferralOutcomeRecorded { outcome }) => {
                detail("What came of it", outcome.clone());
                format!(
                    "What came of the referral to {} was recorded, and the escalation closed",
                    referred_to
                        .as_deref()
                        .map_or_else(|| "it".to_owned(), |r| referral_label(p, r))
                )
            }
            Some(
                payload @ (Payload::AgreementProposed { .. }
                | Payload::AgreementConfirmed { .. }
                | Payload::AgreementRefused { .. }
                | Payload::ProposalWithdrawn { .. }
                | Payload::DisagreementRecorded { .. }),
            ) => super::agreement::history_title(p, payload, stage, &mut proposed, &mut detail)
                .unwrap_or_else(|| sentence(&link.kind.replace('-', " "))),
            Some(Payload::Withdrawn) => "Withdrawn".to_owned(),
            Some(Payload::Redirected { redirection }) => {
                let kind = redirection.parse::<RedirectionKind>().ok();
                // The procedure's text on where it goes instead (issue 14, item 7).
                if let Some(r) = kind.and_then(|k| p.redirection(k)) {
                    detail("Where it belongs instead", r.text.clone());
                }
                format!(
                    "Redirected to another procedure: {}",
                    kind.map_or_else(|| redirection.clone(), |k| k.label().to_owned())
                )
            }
            Some(Payload::PartnershipFormSent { answers }) => {
                let form = p.partnership_form.as_ref();
                for (id, text) in answers {
                    let label = form
                        .and_then(|f| f.fields.iter().find(|x| x.id == *id))
                        .map_or(id.as_str(), |x| x.label.as_str());
                    detail(label, text.clone());
                }
                format!(
                    "Sent at stage {stage}: {}",
                    form.map_or("the partnership form", |f| f.title.as_str())
                )
            }
            Some(Payload::DeadlinePassed { deadline }) => {
                if deadline.starts_with("referral-") {
                    format!(
                        "The deadline of the referral to {} passed",
                        referred_to
                            .as_deref()
                            .map_or_else(|| "it".to_owned(), |r| referral_label(p, r))
                    )
                } else if deadline == "overall" {
                    "The deadline for the whole escalation passed".to_owned()
                } else {
                    format!("The stage {deadline} deadline passed")
                }
            }
            Some(Payload::DeadlineApproaching { deadline, before }) => reminder_title(
                loaded,
                deadline,
                *before,
                &links[i + 1..],
                referred_to.as_deref(),
            ),
            _ => sentence(&link.kind.replace('-', " ")),
        };
        out.push(HistoryItem {
            version: link.stream_version,
            kind: link.kind.clone(),
            title,
            actor_id: link.actor.clone(),
            actor: link
                .actor
                .as_deref()
                .map_or_else(|| "Parley".to_owned(), |a| ctx.directory.name(a)),
            at_us: link.at_us,
            details,
            reason: link.reason.clone(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Actions

/// What can be done to an escalation from the page or the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Record,
    AgreeTimescale,
    Escalate,
    Resolve,
    ConveneMeeting,
    ReferOn,
    /// What came of the referral step the escalation is at (issue 14, item 5).
    RecordReferralOutcome,
    /// Arrange a meeting, with its details (issue 14, item 6).
    ArrangeMeeting,
    /// Record an arranged meeting once held.
    RecordMeeting,
    /// Close it as belonging to another procedure the document names (issue 14, item 7).
    Redirect,
    Withdraw,
    /// Confirm the other side's proposal (issue 14, item 2): it takes effect.
    ConfirmAgreement,
    /// Refuse it, with a reason: the stage stays as it was.
    RefuseAgreement,
    /// Withdraw one's own side's proposal.
    WithdrawProposal,
}

impl ActionKind {
    pub const ALL: [ActionKind; 14] = [
        ActionKind::ArrangeMeeting,
        ActionKind::RecordMeeting,
        ActionKind::Record,
        ActionKind::AgreeTimescale,
        ActionKind::Escalate,
        ActionKind::Resolve,
        ActionKind::ConveneMeeting,
        ActionKind::ReferOn,
        ActionKind::RecordReferralOutcome,
        ActionKind::Redirect,
        ActionKind::ConfirmAgreement,
        ActionKind::RefuseAgreement,
        ActionKind::WithdrawProposal,
        ActionKind::Withdraw,
    ];

    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Record => "record",
            ActionKind::AgreeTimescale => "agree-timescale",
            ActionKind::Escalate => "escalate",
            ActionKind::Resolve => "resolve",
            ActionKind::ConveneMeeting => "convene-meeting",
            ActionKind::ReferOn => "refer-on",
            ActionKind::RecordReferralOutcome => "record-referral-outcome",
            ActionKind::ArrangeMeeting => "arrange-meeting",
            ActionKind::RecordMeeting => "record-meeting",
            ActionKind::Redirect => "redirect",
            ActionKind::Withdraw => "withdraw",
            ActionKind::ConfirmAgreement => "confirm-agreement",
            ActionKind::RefuseAgreement => "refuse-agreement",
            ActionKind::WithdrawProposal => "withdraw-proposal",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The last part of the action's page path.
    pub fn slug(self) -> &'static str {
        match self {
            ActionKind::Record => "record",
            ActionKind::AgreeTimescale => "timescale",
            ActionKind::Escalate => "escalate",
            ActionKind::Resolve => "resolve",
            ActionKind::ConveneMeeting => "meeting",
            ActionKind::ReferOn => "refer",
            ActionKind::RecordReferralOutcome => "referral-outcome",
            ActionKind::ArrangeMeeting => "arrange-meeting",
            ActionKind::RecordMeeting => "record-meeting",
            ActionKind::Redirect => "redirect",
            ActionKind::Withdraw => "withdraw",
            ActionKind::ConfirmAgreement => "confirm-agreement",
            ActionKind::RefuseAgreement => "refuse-agreement",
            ActionKind::WithdrawProposal => "withdraw-proposal",
        }
    }

    pub fn href(self, id: &str) -> String {
        format!("/escalations/{id}/{}", self.slug())
    }

    /// The procedure's name of the action (its `may` key).
    pub fn stage_action(self) -> StageAction {
        match self {
            ActionKind::Record | ActionKind::RecordMeeting => StageAction::Record,
            ActionKind::AgreeTimescale => StageAction::AgreeTimescale,
            ActionKind::Escalate => StageAction::Escalate,
            // Issue 14, item 2: answering a proposal to resolve by agreement, or withdrawing
            // one, is part of resolving (`service::agreement` narrows it to the sides).
            ActionKind::Resolve
            | ActionKind::ConfirmAgreement
            | ActionKind::RefuseAgreement
            | ActionKind::WithdrawProposal => StageAction::Resolve,
            ActionKind::ConveneMeeting | ActionKind::ArrangeMeeting => StageAction::ConveneMeeting,
            ActionKind::ReferOn | ActionKind::RecordReferralOutcome => StageAction::ReferOn,
            ActionKind::Redirect => StageAction::Redirect,
            ActionKind::Withdraw => StageAction::Withdraw,
        }
    }

    /// Whether they may take it at the stage whose `may` table is `may` (issue 14, item 3):
    /// withdrawing is for the raising side only; the record for those who act, open or
    /// closed; everything else while it is open; each for those the procedure's list names
    /// (the business team and appointees only where a list names them).
    /// The lead of the referral step it is at records what came of it and refers it on
    /// where the referral allows (issue 14, item 5), beside those the stage's list names.
    pub fn permitted(self, access: &Access, may: &May) -> bool {
        let lead = matches!(
            self,
            ActionKind::ReferOn | ActionKind::RecordReferralOutcome
        ) && access.open
            && access.leads_referral_step;
        lead || permissions::may_act(self.stage_action(), access, may)
    }
}

/// An action offered now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub action: ActionKind,
    pub label: String,
    /// The page with its form.
    pub href: String,
}

/// A choice of a radio question (an outcome, a referral).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ActionChoice)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub hint: Option<String>,
}

/// What the procedure and the state allow this person now, and what the forms need.
#[derive(Clone, Debug, Serialize)]
pub struct Offered {
    pub actions: Vec<Offer>,
    /// Why an action the person may take in general is not possible now.
    pub refused: BTreeMap<&'static str, String>,
    /// The current stage's record fields, with what is recorded.
    pub record: Vec<RecordEntry>,
    /// The most working days that can be agreed at the current stage.
    pub max_working_days: Option<u32>,
    /// The overall deadline, when it allows fewer days than the stage's own maximum.
    pub whole_due: Option<String>,
    pub agreed_working_days: Option<u32>,
    /// Who the current stage's timescale is agreed with, in words, where the procedure says
    /// so (issue 14, item 2: it is proposed, and holds once they confirm it).
    pub agreed_with: Option<String>,
    pub outcomes: Vec<Choice>,
    pub referrals: Vec<Choice>,
    /// The other procedures the document names, each with its text (issue 14, item 7).
    pub redirections: Vec<Choice>,
    /// For meetings: the partnership's people and agencies, and the meetings not yet recorded.
    pub people: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub meetings: Vec<Choice>,
    /// The stage an escalation would go to.
    pub next_stage: Option<NextStage>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NextStage {
    pub number: i64,
    pub title: String,
    pub name: String,
    pub lead_title: Option<String>,
    pub timescale: String,
}

impl Offered {
    pub fn allows(&self, kind: ActionKind) -> bool {
        self.actions.iter().any(|o| o.action == kind)
    }
}

/// Which actions `loaded.access` and the state machine allow at `at`.
pub fn offered(loaded: &Loaded, at: Timestamp) -> Offered {
    let mut o = offer(
        &loaded.row.id,
        loaded.core_rules(),
        &loaded.state,
        &loaded.access,
        at,
    );
    if o.allows(ActionKind::ArrangeMeeting) || o.allows(ActionKind::RecordMeeting) {
        o.people = super::meeting::people_choices(loaded);
        o.agencies = super::meeting::agency_choices(loaded);
        o.meetings = super::meeting::unrecorded(loaded);
    }
    o
}

/// The pure part of [`offered`]: each candidate event is tried against the state with
/// `decide`, which writes nothing; only what it accepts is offered.
pub fn offer(
    id: &str,
    rules: CoreRules<'_>,
    state: &Escalation,
    access: &Access,
    at: Timestamp,
) -> Offered {
    let p = rules.procedure;
    let current = state.current();
    let stage = p.stage(current.number);
    let try_event = |event: Event| {
        decide(Some(state), rules, at, event)
            .map(|_| ())
            .map_err(|e| sentence(&e.to_string()))
    };
    let mut actions = Vec::new();
    let mut refused = BTreeMap::new();
    let defaults = May::defaults();
    let may = stage.map_or(&defaults, |s| &s.may);
    let mut consider = |kind: ActionKind, label: String, result: Result<(), String>| {
        if !super::agreement::allows(kind, access, state, p, may) {
            return;
        }
        match result {
            Ok(()) => actions.push(Offer {
                action: kind,
                label,
                href: kind.href(id),
            }),
            Err(why) => {
                refused.insert(kind.as_str(), why);
            }
        }
    };

    // Issue 14, item 2: the proposal awaiting an answer, for those it awaits or who made it.
    for (kind, label, event) in super::agreement::answers(access, state, may) {
        consider(kind, label, event.and_then(&try_event));
    }

    // Record: the fields the current stage keeps (Sunderland proforma; Solihull §6).
    let record = record_entries(p, current);
    consider(
        ActionKind::Record,
        "Update the stage record".to_owned(),
        match stage.and_then(|s| s.record.first()) {
            Some(f) => try_event(Event::StageRecordUpdated {
                stage: current.number,
                fields: vec![(f.clone(), String::new())],
            }),
            None => Err(format!(
                "Stage {} keeps no record in this procedure",
                current.number
            )),
        },
    );

    // Agree a timescale: only where the stage has one agreed (Sunderland: at most 5 working
    // days), and only as many days as still fit before the overall deadline (issue 14: no
    // stage runs past the overall limit). One day tests the state and the stage.
    // Issue 14, item 2: where it is agreed with a person, it is proposed, for them to confirm.
    let (max_working_days, whole_due) = super::cap::agree_limit(state, rules);
    let agreed_with = super::agreement::agreed_with(p, state);
    let proposing_days = super::agreement::proposing_side(access, may, StageAction::AgreeTimescale);
    consider(
        ActionKind::AgreeTimescale,
        match (agreed_with, current.agreed) {
            (Some(_), _) => "Propose a timescale".to_owned(),
            (None, Some(_)) => "Change the agreed timescale".to_owned(),
            (None, None) => "Agree a timescale".to_owned(),
        },
        match WorkingDays::new(1) {
            Ok(working_days) => try_event(match (agreed_with, proposing_days) {
                (Some(_), Some(by)) => Event::AgreementProposed {
                    proposal: parley_core::agreement::Proposal::Timescale(working_days),
                    by,
                },
                _ => Event::TimescaleAgreed { working_days },
            })
            .and_then(|()| {
                state
                    .check_agreement(rules, working_days)
                    .map_err(|e| sentence(&e.to_string()))
            }),
            Err(e) => Err(e.to_string()),
        },
    );

    let next_stage = (current.number < p.last_stage())
        .then(|| current.number.next())
        .and_then(|n| p.stage(n))
        .map(|s| NextStage {
            number: i64::from(s.number.get()),
            title: s.title.clone(),
            name: stage_name(s.number, &s.title),
            lead_title: s.lead_title.clone(),
            timescale: s
                .timescale_text
                .clone()
                .unwrap_or_else(|| sentence(&s.timescale.to_string())),
        });
    consider(
        ActionKind::Escalate,
        match &next_stage {
            Some(n) => format!("Escalate to stage {}", n.number),
            None => "Escalate".to_owned(),
        },
        try_event(Event::Escalated),
    );

    // Resolve: the outcomes the procedure allows that the state accepts. Issue 14, item 2:
    // agreed is proposed on the person's side (not by someone on neither side), and a recorded
    // disagreement takes a dissent statement.
    let mut outcomes = Vec::new();
    let mut last_refusal = None;
    for r in &p.outcomes.allowed {
        let Some(event) = super::agreement::trial_resolution(*r, access, may) else {
            continue;
        };
        match try_event(event) {
            Ok(()) => outcomes.push(Choice {
                value: r.as_str().to_owned(),
                label: r.label().to_owned(),
                hint: resolution_hint(p, *r),
            }),
            Err(e) => last_refusal = Some(e),
        }
    }
    consider(
        ActionKind::Resolve,
        "Resolve".to_owned(),
        if outcomes.is_empty() {
            Err(last_refusal.unwrap_or_else(|| "The procedure allows no outcome here".to_owned()))
        } else {
            Ok(())
        },
    );

    // Solihull §5: a professionals' meeting can be convened at any stage that provides one.
    consider(
        ActionKind::ConveneMeeting,
        "Convene a professionals’ meeting".to_owned(),
        try_event(Event::ProfessionalsMeetingConvened),
    );

    // Refer on: the referrals open from this stage (Sunderland: step 4), or those the
    // referral step allows after it.
    let mut referrals = Vec::new();
    let mut last_refusal = None;
    let earliest = p.referrals.iter().map(|r| r.from_stage).min();
    for r in &p.referrals {
        match try_event(Event::ReferralMade {
            referral: r.id.clone(),
        }) {
            Ok(()) => referrals.push(Choice {
                value: r.id.clone(),
                label: r.label.clone(),
                hint: Some(r.text.clone()),
            }),
            Err(e) => last_refusal = Some(e),
        }
    }
    consider(
        ActionKind::ReferOn,
        "Refer on".to_owned(),
        if referrals.is_empty() {
            Err(match earliest {
                Some(from) if from > current.number => format!(
                    "The procedure allows a referral from stage {from}; the escalation is at stage {}",
                    current.number
                ),
                _ => last_refusal
                    .unwrap_or_else(|| "The procedure has no referrals beyond it".to_owned()),
            })
        } else {
            Ok(())
        },
    );

    // Issue 14, item 6: a meeting with its details; one arranged is recorded once held.
    consider(
        ActionKind::ArrangeMeeting,
        "Arrange a meeting".to_owned(),
        try_event(Event::MeetingArranged(parley_core::meeting::MeetingPlan {
            held_at: at,
            chair: None,
            invited_people: Vec::new(),
            invited_agencies: Vec::new(),
        })),
    );
    let first_unrecorded = state.meetings.iter().find(|m| m.record.is_none());
    consider(
        ActionKind::RecordMeeting,
        "Record a meeting".to_owned(),
        match first_unrecorded {
            Some(m) => try_event(Event::MeetingRecorded {
                meeting: m.number,
                record: parley_core::meeting::MeetingRecord {
                    attended_people: Vec::new(),
                    attended_agencies: Vec::new(),
                    outcome: "-".to_owned(),
                    actions: String::new(),
                },
            })
            .or(Ok(())),
            None => Err("No meeting has been arranged that is not yet recorded".to_owned()),
        },
    );

    consider(
        ActionKind::RecordReferralOutcome,
        "Record what came of the referral".to_owned(),
        try_event(Event::ReferralOutcomeRecorded {
            outcome: "-".to_owned(),
        }),
    );

    // Issue 14, item 7: to another procedure the document names, with its text.
    consider(
        ActionKind::Redirect,
        "Redirect it to another procedure".to_owned(),
        super::redirect::trial(p).and_then(try_event),
    );

    consider(
        ActionKind::Withdraw,
        "Withdraw it".to_owned(),
        try_event(Event::Withdrawn),
    );

    Offered {
        actions,
        refused,
        record,
        max_working_days,
        whole_due,
        agreed_working_days: current.agreed.map(WorkingDays::get),
        agreed_with: agreed_with.map(|a| a.label().to_owned()),
        outcomes,
        referrals,
        redirections: super::redirect::choices(p),
        people: Vec::new(),
        agencies: Vec::new(),
        meetings: Vec::new(),
        next_stage,
    }
}

fn resolution_hint(p: &Procedure, r: Resolution) -> Option<String> {
    match r {
        // Issue 14, item 2: proposed here, it holds once the other side confirms it.
        Resolution::Agreed => Some(
            "Both agencies agree how the disagreement is settled. This proposes it: it is resolved once someone on the other side confirms it."
                .to_owned(),
        ),
        Resolution::DisagreementRecorded => Some(
            "The agencies still disagree; the disagreement is recorded, with who disagrees, why and what each side will do, and the escalation closes."
                .to_owned(),
        ),
        // Buckinghamshire 2.4.11: "the escalation procedure is still seen through to the end".
        Resolution::ByEvents if p.outcomes.see_through_when_resolved_by_events => Some(
            "Events have settled the disagreement. The procedure says it is still seen through to the end, so the escalation stays open."
                .to_owned(),
        ),
        Resolution::ByEvents => {
            Some("Events have settled the disagreement, so there is nothing left to resolve.".to_owned())
        }
    }
}

/// An action as sent by the API (and built from the page forms). Read through
/// [`ActionWire`]: a member the action does not take is refused, and one it needs is
/// required, with serde's own words so that the API names the field.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "ActionWire")]
pub struct ActionRequest {
    /// The escalation's version the action is based on (from the view).
    pub version: i64,
    #[serde(flatten)]
    pub action: ActionInput,
    /// Why (required to withdraw).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ActionInput {
    /// Write fields of a stage record (the current stage unless `stage` is given). A field
    /// written again supersedes its earlier text.
    Record {
        fields: BTreeMap<String, String>,
        #[serde(default)]
        stage: Option<i64>,
    },
    /// Agree the current stage's timescale, in working days.
    AgreeTimescale {
        working_days: i64,
    },
    /// Move to the next stage.
    Escalate,
    /// `agreed`, `disagreement-recorded` or `by-events`, as the procedure allows. `agreed`
    /// proposes it, for the other side to confirm (issue 14, item 2);
    /// `disagreement-recorded` needs the `dissent` statement, and nothing else takes one.
    Resolve {
        outcome: String,
        #[serde(default)]
        dissent: Option<super::agreement::DissentStatement>,
    },
    ConveneMeeting,
    /// A referral id of the procedure.
    ReferOn {
        referral: String,
    },
    /// What came of the referral step the escalation is at, in words (read by the business
    /// team: it must not identify the child). Closes the escalation as referred on.
    RecordReferralOutcome {
        outcome: String,
    },
    /// Arrange a meeting at the current stage: `held_at` as `YYYY-MM-DDTHH:MM` in the
    /// procedure's time zone, its chair and the people and agencies invited (ids).
    ArrangeMeeting {
        held_at: String,
        #[serde(default)]
        chair: Option<String>,
        invited_people: Vec<String>,
        #[serde(default)]
        invited_agencies: Vec<String>,
    },
    /// Record meeting number `meeting` once held: who attended, its outcome and actions (read
    /// by the business team: they must not identify the child).
    RecordMeeting {
        meeting: i64,
        #[serde(default)]
        attended_people: Vec<String>,
        #[serde(default)]
        attended_agencies: Vec<String>,
        outcome: String,
        #[serde(default)]
        actions: Option<String>,
    },
    /// Close it as belonging to another procedure: one of the procedure's redirections
    /// (`complaint`, `allegation-against-staff`, `whistleblowing`), with a note in `reason`
    /// (required; read by the business team: it must not identify the child).
    Redirect {
        redirection: String,
    },
    Withdraw,
    /// Confirm the proposal awaiting your answer (issue 14, item 2).
    ConfirmAgreement,
    /// Refuse it; `reason` is required. The stage stays as it was.
    RefuseAgreement,
    /// Withdraw your side's proposal.
    WithdrawProposal,
}

/// Every member an action request may have, as sent; [`ActionRequest`] is read from it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionWire {
    version: i64,
    action: ActionKind,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    fields: Option<BTreeMap<String, String>>,
    #[serde(default)]
    stage: Option<i64>,
    #[serde(default)]
    working_days: Option<i64>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    referral: Option<String>,
    #[serde(default)]
    held_at: Option<String>,
    #[serde(default)]
    chair: Option<String>,
    #[serde(default)]
    invited_people: Option<Vec<String>>,
    #[serde(default)]
    invited_agencies: Option<Vec<String>>,
    #[serde(default)]
    meeting: Option<i64>,
    #[serde(default)]
    attended_people: Option<Vec<String>>,
    #[serde(default)]
    attended_agencies: Option<Vec<String>>,
    #[serde(default)]
    actions: Option<String>,
    #[serde(default)]
    redirection: Option<String>,
    dissent: Option<super::agreement::DissentStatement>,
}

impl TryFrom<ActionWire> for ActionRequest {
    type Error = String;

    fn try_from(w: ActionWire) -> Result<ActionRequest, String> {
        // The members this action takes besides `version`, `action` and `reason`.
        let takes: &[&str] = match w.action {
            ActionKind::Record => &["fields", "stage"],
            ActionKind::AgreeTimescale => &["working_days"],
            ActionKind::Resolve => &["outcome", "dissent"],
            ActionKind::ReferOn => &["referral"],
            ActionKind::RecordReferralOutcome => &["outcome"],
            ActionKind::ArrangeMeeting => {
                &["held_at", "chair", "invited_people", "invited_agencies"]
            }
            ActionKind::RecordMeeting => &[
                "meeting",
                "attended_people",
                "attended_agencies",
                "outcome",
                "actions",
            ],
            ActionKind::Redirect => &["redirection"],
            ActionKind::Escalate
            | ActionKind::ConveneMeeting
            | ActionKind::Withdraw
            | ActionKind::ConfirmAgreement
            | ActionKind::RefuseAgreement
            | ActionKind::WithdrawProposal => &[],
        };
        let sent = [
            ("fields", w.fields.is_some()),
            ("stage", w.stage.is_some()),
            ("working_days", w.working_days.is_some()),
            ("outcome", w.outcome.is_some()),
            ("referral", w.referral.is_some()),
            ("held_at", w.held_at.is_some()),
            ("chair", w.chair.is_some()),
            ("invited_people", w.invited_people.is_some()),
            ("invited_agencies", w.invited_agencies.is_some()),
            ("meeting", w.meeting.is_some()),
            ("attended_people", w.attended_people.is_some()),
            ("attended_agencies", w.attended_agencies.is_some()),
            ("actions", w.actions.is_some()),
            ("redirection", w.redirection.is_some()),
            ("dissent", w.dissent.is_some()),
        ];
        if let Some((extra, _)) = sent.iter().find(|(n, s)| *s && !takes.contains(n)) {
            // serde::de::Error::unknown_field's wording.
            let expected = ["version", "action", "reason"]
                .iter()
                .chain(takes)
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(format!("unknown field `{extra}`, expected {expected}"));
        }
        // serde::de::Error::missing_field's wording.
        let missing = |name: &str| format!("missing field `{name}`");
        let action = match w.action {
            ActionKind::Record => ActionInput::Record {
                fields: w.fields.ok_or_else(|| missing("fields"))?,
                stage: w.stage,
            },
            ActionKind::AgreeTimescale => ActionInput::AgreeTimescale {
                working_days: w.working_days.ok_or_else(|| missing("working_days"))?,
            },
            ActionKind::Escalate => ActionInput::Escalate,
            ActionKind::Resolve => ActionInput::Resolve {
                outcome: w.outcome.ok_or_else(|| missing("outcome"))?,
                dissent: w.dissent,
            },
            ActionKind::ConveneMeeting => ActionInput::ConveneMeeting,
            ActionKind::ReferOn => ActionInput::ReferOn {
                referral: w.referral.ok_or_else(|| missing("referral"))?,
            },
            ActionKind::RecordReferralOutcome => ActionInput::RecordReferralOutcome {
                outcome: w.outcome.ok_or_else(|| missing("outcome"))?,
            },
            ActionKind::ArrangeMeeting => ActionInput::ArrangeMeeting {
                held_at: w.held_at.ok_or_else(|| missing("held_at"))?,
                chair: w.chair,
                invited_people: w.invited_people.ok_or_else(|| missing("invited_people"))?,
                invited_agencies: w.invited_agencies.unwrap_or_default(),
            },
            ActionKind::RecordMeeting => ActionInput::RecordMeeting {
                meeting: w.meeting.ok_or_else(|| missing("meeting"))?,
                attended_people: w.attended_people.unwrap_or_default(),
                attended_agencies: w.attended_agencies.unwrap_or_default(),
                outcome: w.outcome.ok_or_else(|| missing("outcome"))?,
                actions: w.actions,
            },
            ActionKind::Redirect => ActionInput::Redirect {
                redirection: w.redirection.ok_or_else(|| missing("redirection"))?,
            },
            ActionKind::Withdraw => ActionInput::Withdraw,
            ActionKind::ConfirmAgreement => ActionInput::ConfirmAgreement,
            ActionKind::RefuseAgreement => ActionInput::RefuseAgreement,
            ActionKind::WithdrawProposal => ActionInput::WithdrawProposal,
        };
        Ok(ActionRequest {
            version: w.version,
            action,
            reason: w.reason,
        })
    }
}

impl ActionInput {
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionInput::Record { .. } => ActionKind::Record,
            ActionInput::AgreeTimescale { .. } => ActionKind::AgreeTimescale,
            ActionInput::Escalate => ActionKind::Escalate,
            ActionInput::Resolve { .. } => ActionKind::Resolve,
            ActionInput::ConveneMeeting => ActionKind::ConveneMeeting,
            ActionInput::ReferOn { .. } => ActionKind::ReferOn,
            ActionInput::RecordReferralOutcome { .. } => ActionKind::RecordReferralOutcome,
            ActionInput::ArrangeMeeting { .. } => ActionKind::ArrangeMeeting,
            ActionInput::RecordMeeting { .. } => ActionKind::RecordMeeting,
            ActionInput::Redirect { .. } => ActionKind::Redirect,
            ActionInput::Withdraw => ActionKind::Withdraw,
            ActionInput::ConfirmAgreement => ActionKind::ConfirmAgreement,
            ActionInput::RefuseAgreement => ActionKind::RefuseAgreement,
            ActionInput::WithdrawProposal => ActionKind::WithdrawProposal,
        }
    }
}

/// Why an action was not taken.
#[derive(Debug)]
pub enum ActError {
    /// Someone acted meanwhile: the escalation is at `current`, the person saw `seen`.
    Conflict {
        seen: i64,
        current: i64,
    },
    /// The input, or the state machine, refuses it: `field` is the form field at fault (its
    /// id on the page), `message` a sentence.
    Invalid {
        field: String,
        message: String,
    },
    Other(AppError),
}

impl From<AppError> for ActError {
    fn from(e: AppError) -> Self {
        ActError::Other(e)
    }
}

impl ActError {
    /// The error as the API reports it.
    pub fn into_app_error(self) -> AppError {
        match self {
            ActError::Conflict { seen, current } => {
                AppError::Conflict(conflict_message(seen, current))
            }
            ActError::Invalid { message, .. } => AppError::BadRequest(message),
            ActError::Other(e) => e,
        }
    }
}

pub fn conflict_message(seen: i64, current: i64) -> String {
    format!(
        "someone else changed this escalation meanwhile: it is at version {current}, your change was based on version {seen}. Reload it, check what changed and try again."
    )
}

fn invalid(field: &str, message: impl Into<String>) -> ActError {
    ActError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The page field ids of each action's inputs.
pub mod field {
    pub const WORKING_DAYS: &str = "working-days";
    pub const OUTCOME: &str = "outcome";
    pub const REFERRAL: &str = "referral";
    pub const REFERRAL_OUTCOME: &str = "referral-outcome";
    pub const HELD_AT: &str = "held-at-day";
    pub const CHAIR: &str = "chair";
    pub const INVITED_PEOPLE: &str = "invited-people";
    pub const MEETING: &str = "meeting";
    pub const ATTENDED_PEOPLE: &str = "attended-people";
    pub const MEETING_OUTCOME: &str = "meeting-outcome";
    pub const MEETING_ACTIONS: &str = "meeting-actions";
    pub const REASON: &str = "reason";
    pub const REDIRECTION: &str = super::super::redirect::FIELD;
    /// The parts of a dissent statement (issue 14, item 2).
    pub const DISSENT_WHO: &str = "dissent-who";
    pub const DISSENT_WHY: &str = "dissent-why";
    pub const DISSENT_RAISING: &str = "dissent-raising";
    pub const DISSENT_RECEIVING: &str = "dissent-receiving";
    /// The confirmation button of actions without inputs.
    pub const CONFIRM: &str = "confirm";

    /// A stage-record field's input.
    pub fn record(id: &str) -> String {
        format!("record-{id}")
    }
}

/// Line endings as `\n` and no trailing white space: what a textarea sends, kept the same
/// however the browser sends it.
pub fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

/// The fields of a stage's record that `submitted` changes: only those whose text differs
/// from what is recorded (an empty field never written is no change).
pub fn record_changes(
    state: &StageState,
    kept: &[String],
    submitted: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    kept.iter()
        .filter_map(|id| {
            let text = normalise(submitted.get(id)?);
            let before = state
                .record
                .iter()
                .find(|(f, _)| f == id)
                .map(|(_, t)| t.as_str());
            match before {
                Some(b) if b == text => None,
                None if text.is_empty() => None,
                _ => Some((id.clone(), text)),
            }
        })
        .collect()
}

/// The state-machine event for an input, with the reason to record; the page's form field at
/// fault when the input is not one.
fn to_event(
    p: &Procedure,
    state: &Escalation,
    access: &Access,
    input: &ActionInput,
    reason: Option<&str>,
) -> Result<(Event, Option<String>), ActError> {
    let defaults = May::defaults();
    let may = p.stage(state.current_stage()).map_or(&defaults, |s| &s.may);
    let reason = reason.map(normalise).filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_TEXT)
    {
        return Err(invalid(
            field::REASON,
            format!("The reason must be {MAX_TEXT} characters or fewer"),
        ));
    }
    let event = match input {
        ActionInput::Record { fields, stage } => {
            let number = match stage {
                None => state.current_stage(),
                Some(n) => StageNumber::new(*n)
                    .ok_or_else(|| invalid("record", format!("There is no stage {n}")))?,
            };
            let first = p
                .stage(number)
                .and_then(|s| s.record.first())
                .map_or_else(|| "record".to_owned(), |f| field::record(f));
            for (id, text) in fields {
                if text.chars().count() > MAX_TEXT {
                    let label = p.record_field(id).map_or(id.as_str(), |f| f.label.as_str());
                    return Err(invalid(
                        &field::record(id),
                        format!("{label} must be {MAX_TEXT} characters or fewer"),
                    ));
                }
            }
            if fields.is_empty() {
                return Err(invalid(
                    &first,
                    "Change at least one field of the record before saving it",
                ));
            }
            Event::StageRecordUpdated {
                stage: number,
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.clone(), normalise(v)))
                    .collect(),
            }
        }
        ActionInput::AgreeTimescale { working_days } => {
            let working_days = WorkingDays::new(*working_days).map_err(|_| {
                invalid(
                    field::WORKING_DAYS,
                    "Enter a number of working days of 1 or more",
                )
            })?;
            // Issue 14, item 2: agreed with a person, it is proposed for them to confirm.
            match super::agreement::agreed_with(p, state) {
                Some(_) => super::agreement::propose_timescale(access, may, working_days)?,
                None => Event::TimescaleAgreed { working_days },
            }
        }
        ActionInput::Escalate => Event::Escalated,
        ActionInput::Resolve { outcome, dissent } => super::agreement::resolution(
            outcome
                .parse::<Resolution>()
                .map_err(|_| invalid(field::OUTCOME, "Select how it was resolved"))?,
            dissent.as_ref(),
            access,
            may,
        )?,
        ActionInput::ConveneMeeting => Event::ProfessionalsMeetingConvened,
        ActionInput::ReferOn { referral } => {
            if referral.is_empty() {
                return Err(invalid(field::REFERRAL, "Select who it is referred to"));
            }
            Event::ReferralMade {
                referral: referral.clone(),
            }
        }
        ActionInput::RecordReferralOutcome { outcome } => {
            let outcome = normalise(outcome);
            if outcome.trim().is_empty() {
                return Err(invalid(
                    field::REFERRAL_OUTCOME,
                    "Enter what came of the referral",
                ));
            }
            if outcome.chars().count() > MAX_TEXT {
                return Err(invalid(
                    field::REFERRAL_OUTCOME,
                    format!("What came of the referral must be {MAX_TEXT} characters or fewer"),
                ));
            }
            Event::ReferralOutcomeRecorded { outcome }
        }
        ActionInput::ArrangeMeeting {
            held_at,
            chair,
            invited_people,
            invited_agencies,
        } => {
            let held_at = super::meeting::parse_local(&p.calendar.time_zone, held_at)
                .ok_or_else(|| invalid(field::HELD_AT, "Enter the date and time of the meeting"))?;
            if invited_people.is_empty() {
                return Err(invalid(
                    field::INVITED_PEOPLE,
                    "Select at least one person invited to the meeting",
                ));
            }
            Event::MeetingArranged(parley_core::meeting::MeetingPlan {
                held_at,
                chair: chair.clone().filter(|c| !c.is_empty()),
                invited_people: dedup(invited_people),
                invited_agencies: dedup(invited_agencies),
            })
        }
        ActionInput::RecordMeeting {
            meeting,
            attended_people,
            attended_agencies,
            outcome,
            actions,
        } => {
            let number = u32::try_from(*meeting)
                .ok()
                .filter(|m| state.meetings.iter().any(|x| x.number == *m))
                .ok_or_else(|| invalid(field::MEETING, "Select the meeting to record"))?;
            let outcome = normalise(outcome);
            let actions = actions.as_deref().map(normalise).unwrap_or_default();
            if outcome.trim().is_empty() {
                return Err(invalid(
                    field::MEETING_OUTCOME,
                    "Enter the outcome of the meeting",
                ));
            }
            for (f, text, what) in [
                (field::MEETING_OUTCOME, &outcome, "The outcome"),
                (field::MEETING_ACTIONS, &actions, "The actions"),
            ] {
                if text.chars().count() > MAX_TEXT {
                    return Err(invalid(
                        f,
                        format!("{what} must be {MAX_TEXT} characters or fewer"),
                    ));
                }
            }
            Event::MeetingRecorded {
                meeting: number,
                record: parley_core::meeting::MeetingRecord {
                    attended_people: dedup(attended_people),
                    attended_agencies: dedup(attended_agencies),
                    outcome,
                    actions,
                },
            }
        }
        ActionInput::Redirect { redirection } => {
            super::redirect::event(p, redirection, reason.as_deref())?
        }
        ActionInput::Withdraw => {
            if reason.is_none() {
                return Err(invalid(field::REASON, "Enter why you are withdrawing it"));
            }
            Event::Withdrawn
        }
        ActionInput::RefuseAgreement if reason.is_none() => {
            return Err(invalid(field::REASON, "Enter why you refuse the proposal"));
        }
        ActionInput::ConfirmAgreement
        | ActionInput::RefuseAgreement
        | ActionInput::WithdrawProposal => {
            super::agreement::answer(input.kind(), access, state, may)?
        }
    };
    Ok((event, reason))
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !id.is_empty() && !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// The form field a refusal of the state machine is about.
fn refusal_field(
    p: &Procedure,
    state: &Escalation,
    kind: ActionKind,
    e: &TransitionError,
) -> String {
    match e {
        TransitionError::AgreedTimescaleTooLong { .. }
        | TransitionError::AgreedTimescalePastOverall { .. } => field::WORKING_DAYS.to_owned(),
        TransitionError::OutcomeNotAllowed { .. } | TransitionError::AlreadyResolvedByEvents => {
            field::OUTCOME.to_owned()
        }
        TransitionError::UnknownReferral { .. }
        | TransitionError::ReferralTooEarly { .. }
        | TransitionError::ReferralNotAfter { .. } => field::REFERRAL.to_owned(),
        TransitionError::UnknownRecordField { field: f, .. } => field::record(f),
        TransitionError::NoSuchRedirection(_) => field::REDIRECTION.to_owned(),
        TransitionError::Agreement(parley_core::agreement::AgreementError::IncompleteDissent(
            what,
        )) => match *what {
            "who disagrees" => field::DISSENT_WHO,
            "why" => field::DISSENT_WHY,
            "what the raising side will do" => field::DISSENT_RAISING,
            _ => field::DISSENT_RECEIVING,
        }
        .to_owned(),
        _ => match kind {
            ActionKind::Record => p
                .stage(state.current_stage())
                .and_then(|s| s.record.first())
                .map_or_else(|| field::CONFIRM.to_owned(), |f| field::record(f)),
            ActionKind::AgreeTimescale => field::WORKING_DAYS.to_owned(),
            ActionKind::Resolve => field::OUTCOME.to_owned(),
            ActionKind::ReferOn => field::REFERRAL.to_owned(),
            ActionKind::RecordReferralOutcome => field::REFERRAL_OUTCOME.to_owned(),
            ActionKind::ArrangeMeeting => field::HELD_AT.to_owned(),
            ActionKind::RecordMeeting => field::MEETING.to_owned(),
            ActionKind::Redirect => field::REDIRECTION.to_owned(),
            ActionKind::Withdraw | ActionKind::RefuseAgreement => field::REASON.to_owned(),
            ActionKind::Escalate
            | ActionKind::ConveneMeeting
            | ActionKind::ConfirmAgreement
            | ActionKind::WithdrawProposal => field::CONFIRM.to_owned(),
        },
    }
}

/// Issue 13, item 3: the stage record and the reason given with an action are read by the
/// partnership business team, who never see the child: neither may identify the child of the
/// escalation, and neither may be invisible or hold bidirectional controls (item 11). The
/// form field at fault is named, by its label in the message.
async fn check_free_text(
    state: &AppState,
    loaded: &Loaded,
    event: &Event,
    reason: Option<&str>,
) -> Result<(), ActError> {
    use super::free_text::{self, Whose};
    let record = matches!(
        event,
        Event::StageRecordUpdated { .. }
            | Event::ReferralOutcomeRecorded { .. }
            | Event::MeetingRecorded { .. }
            | Event::DisagreementRecorded(_)
    );
    if !record && reason.is_none() {
        // No text to check: the child's details are not read (most actions carry none).
        return Ok(());
    }
    let child: Vec<_> = free_text::child_of(state, &loaded.row)
        .await?
        .into_iter()
        .collect();
    if let Event::StageRecordUpdated { fields, .. } = event {
        for (id, text) in fields {
            let label = loaded
                .procedure()
                .record_field(id)
                .map_or(id.as_str(), |f| f.label.as_str());
            free_text::check(&child, Whose::TheChild, &format!("“{label}”"), text)
                .map_err(|m| invalid(&field::record(id), m))?;
        }
    }
    if let Event::MeetingRecorded { record, .. } = event {
        free_text::check(&child, Whose::TheChild, "The outcome", &record.outcome)
            .map_err(|m| invalid(field::MEETING_OUTCOME, m))?;
        if !record.actions.is_empty() {
            free_text::check(&child, Whose::TheChild, "The actions", &record.actions)
                .map_err(|m| invalid(field::MEETING_ACTIONS, m))?;
        }
    }
    if let Event::ReferralOutcomeRecorded { outcome } = event {
        free_text::check(
            &child,
            Whose::TheChild,
            "What came of the referral",
            outcome,
        )
        .map_err(|m| invalid(field::REFERRAL_OUTCOME, m))?;
    }
    // Issue 14, item 2: the dissent statement, each part.
    if let Event::DisagreementRecorded(d) = event {
        super::agreement::check_dissent(&child, d)?;
    }
    if let Some(r) = reason {
        free_text::check(&child, Whose::TheChild, "The reason", r)
            .map_err(|m| invalid(field::REASON, m))?;
    }
    Ok(())
}

/// `Forbidden` for someone who takes no part in the escalation now; `NotPermitted`, saying who
/// may, for someone who does but whom the procedure does not give this action at its stage.
pub fn permitted(loaded: &Loaded, kind: ActionKind) -> Result<(), AppError> {
    let p = loaded.procedure();
    let n = loaded.state.current_stage();
    let defaults = May::defaults();
    let may = p.stage(n).map_or(&defaults, |s| &s.may);
    if super::agreement::allows(kind, &loaded.access, &loaded.state, p, may) {
        return Ok(());
    }
    // An answer to a proposal says whose answer it awaits (issue 14, item 2).
    Err(match refusal(loaded, kind.stage_action()) {
        AppError::NotPermitted(general) => AppError::NotPermitted(
            super::agreement::who_may(p, &loaded.state, kind).unwrap_or(general),
        ),
        other => other,
    })
}

/// Why someone who may not take `action` at the current stage is refused: `NotPermitted`
/// (saying who may) when they take part in any capacity and it is open (or it is the record),
/// also for the raising side's actions, so that the receiving side learns it is not theirs
/// (issue 14, item 7); `Forbidden` otherwise.
pub fn refusal(loaded: &Loaded, action: StageAction) -> AppError {
    let takes_part = !loaded.access.acting.is_empty();
    if takes_part && (loaded.access.open || action == StageAction::Record) {
        AppError::NotPermitted(permissions::who_may(
            loaded.procedure(),
            loaded.state.current_stage(),
            action,
        ))
    } else {
        AppError::Forbidden
    }
}

/// Takes an action on escalation `id` for `user`, based on the version they saw. Returns the
/// new version.
///
/// `NotFound` unless they may see it, `Forbidden` unless they may take this action, a
/// conflict when someone acted since `version`, `Invalid` when the input or the procedure
/// refuses it. Nothing is written unless every check passes.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &ActionRequest,
) -> Result<i64, ActError> {
    let loaded = load(state, user, id).await?;
    let kind = request.action.kind();
    // Issue 14, item 8: the record of a stage that has ended, also by those who led it;
    // item 3: anything else as the procedure's `may` list for the current stage says.
    let ended =
        |n: StageNumber| n != loaded.state.current_stage() || !loaded.state.status.is_open();
    match &request.action {
        ActionInput::Record { stage: Some(n), .. } => match StageNumber::new(*n) {
            Some(n) if ended(n) && loaded.state.stages.iter().any(|s| s.number == n) => {
                if !super::stage_record::may_record(state, user, &loaded, n).await? {
                    return Err(ActError::Other(AppError::Forbidden));
                }
            }
            // The current stage, or one never reached (the state machine says so, to
            // whoever may record).
            _ => permitted(&loaded, kind)?,
        },
        _ => permitted(&loaded, kind)?,
    }
    let current = loaded.version();
    if request.version != current {
        return Err(ActError::Conflict {
            seen: request.version,
            current,
        });
    }
    let p = loaded.procedure();
    let (event, reason) = to_event(
        p,
        &loaded.state,
        &loaded.access,
        &request.action,
        request.reason.as_deref(),
    )?;
    super::cap::check_new(&loaded.state, loaded.core_rules(), &event)?;
    // Issue 14, item 6: the people and agencies a meeting names are the partnership's.
    match &event {
        Event::MeetingArranged(plan) => {
            let people: Vec<&String> = plan.chair.iter().chain(&plan.invited_people).collect();
            let agencies: Vec<&String> = plan.invited_agencies.iter().collect();
            super::meeting::check_names(&loaded, &people, &agencies)
                .map_err(|m| invalid(field::INVITED_PEOPLE, m))?;
        }
        Event::MeetingRecorded { record, .. } => {
            let people: Vec<&String> = record.attended_people.iter().collect();
            let agencies: Vec<&String> = record.attended_agencies.iter().collect();
            super::meeting::check_names(&loaded, &people, &agencies)
                .map_err(|m| invalid(field::ATTENDED_PEOPLE, m))?;
        }
        _ => {}
    }
    check_free_text(state, &loaded, &event, reason.as_deref()).await?;
    let result = state
        .records
        .act(
            state.now(),
            &Actor::person(user.id()),
            id,
            request.version,
            &event,
            reason.as_deref(),
        )
        .await;
    match result {
        Ok(v) => Ok(v),
        Err(StoreError::Conflict {
            expected, actual, ..
        }) => Err(ActError::Conflict {
            seen: expected,
            current: actual,
        }),
        Err(StoreError::Project(ProjectError::Transition(e))) => Err(ActError::Invalid {
            field: refusal_field(p, &loaded.state, kind, &e),
            message: sentence(&e.to_string()),
        }),
        Err(e) => Err(ActError::Other(e.into())),
    }
}

/// The message shown after an action succeeded (`done` is the action's API name).
pub fn done_message(done: &str, view: &EscalationView) -> Option<String> {
    match done {
        // The appoint page (issue 14, item 4) comes back here too, with `done=appointed`.
        "appointed" => {
            return Some(view.appointees.iter().max_by_key(|a| a.at_us).map_or_else(
                || "The appointment was made".to_owned(),
                |a| {
                    format!(
                        "{} was appointed to this escalation: {}",
                        a.name, a.role_label
                    )
                },
            ));
        }
        "partnership-form-sent" => {
            return Some(match &view.partnership_form {
                Some(f) => format!("{} was sent", f.title),
                None => "The partnership form was sent".to_owned(),
            });
        }
        _ => {}
    }
    let kind = ActionKind::parse(done)?;
    if let Some(message) = super::agreement::done_message(kind, view) {
        return Some(message);
    }
    Some(match kind {
        ActionKind::Record => "The stage record was saved".to_owned(),
        ActionKind::AgreeTimescale => format!(
            "The timescale was agreed: stage {} is now due on {}",
            view.current_stage.number,
            view.stage_deadline
                .due
                .parse::<jiff::civil::Date>()
                .map_or_else(
                    |_| view.stage_deadline.due.clone(),
                    |d| d.strftime("%A %-d %B %Y").to_string()
                )
        ),
        ActionKind::Escalate => format!(
            "The escalation moved to {}",
            lower_first(&view.current_stage.name)
        ),
        ActionKind::Resolve => match &view.outcome_label {
            Some(l) => format!("The escalation was closed: {}", l.to_lowercase()),
            None => "The resolution was recorded".to_owned(),
        },
        ActionKind::ConveneMeeting => "The professionals’ meeting was recorded".to_owned(),
        ActionKind::ReferOn => match view.referrals.last() {
            Some(r) => format!(
                "The escalation was referred on to {}: it stays open until what came of it is recorded",
                r.label
            ),
            None => "The escalation was referred on".to_owned(),
        },
        ActionKind::RecordReferralOutcome => {
            "What came of the referral was recorded, and the escalation closed".to_owned()
        }
        ActionKind::ArrangeMeeting => "The meeting was arranged".to_owned(),
        ActionKind::RecordMeeting => "The meeting was recorded".to_owned(),
        ActionKind::Redirect => super::redirect::done_message(view.outcome_label.as_deref()),
        ActionKind::Withdraw => "The escalation was withdrawn".to_owned(),
        ActionKind::ConfirmAgreement
        | ActionKind::RefuseAgreement
        | ActionKind::WithdrawProposal => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::deadline::calendar_for;
    use parley_core::escalation::Subject;
    use parley_core::{BankHolidays, Calendar};

    fn rules(id: &str) -> (Procedure, Calendar) {
        let p = parley_core::seeds::get(id).unwrap().unwrap();
        let c = calendar_for(&p, &BankHolidays::built_in()).unwrap();
        (p, c)
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn raised(r: CoreRules<'_>, route: RouteKind, category: &str) -> Escalation {
        let subject = match route {
            RouteKind::Individual => Subject::Child {
                status: ChildStatus::ChildInNeed,
            },
            _ => Subject::Thematic,
        };
        decide(
            None,
            r,
            at("2026-03-02T10:00:00Z"),
            Event::Raised {
                route,
                subject,
                category: category.to_owned(),
                decided_on: None,
            },
        )
        .unwrap()
        .state
    }

    fn then(r: CoreRules<'_>, s: &Escalation, when: &str, e: Event) -> Escalation {
        decide(Some(s), r, at(when), e).unwrap().state
    }

    fn all_access() -> Access {
        Access {
            relations: vec![Relation::Raiser],
            child_details: true,
            can_act: true,
            can_record: true,
            can_withdraw: true,
            open: true,
            acting: vec![parley_core::names::Actor::Raiser],
            leads_referral_step: false,
            raising_side: vec![parley_core::names::Actor::Raiser],
            sides: vec![(
                parley_core::names::Side::Raising,
                parley_core::names::Actor::Raiser,
            )],
            proposer: false,
        }
    }

    fn kinds(o: &Offered) -> Vec<&'static str> {
        o.actions.iter().map(|a| a.action.as_str()).collect()
    }

    #[test]
    fn sunderland_step_one_offers_what_its_rules_allow() {
        let (p, c) = rules("sunderland");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let s = raised(r, RouteKind::Individual, "other");
        let o = offer("e1", r, &s, &all_access(), at("2026-03-03T10:00:00Z"));
        // Step 1 has an agreed timescale (at most 5 working days), no professionals' meeting,
        // and the referrals open only at step 4.
        assert_eq!(
            kinds(&o),
            [
                "record",
                "agree-timescale",
                "escalate",
                "resolve",
                "redirect",
                "withdraw"
            ]
        );
        // Sunderland's introduction: whistle-blowing is each organisation's own policy.
        let redirections: Vec<&str> = o.redirections.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(redirections, ["whistleblowing"]);
        assert_eq!(o.max_working_days, Some(5));
        assert_eq!(o.referrals.len(), 0);
        assert_eq!(
            o.refused["refer-on"],
            "The procedure allows a referral from stage 4; the escalation is at stage 1"
        );
        assert!(o.refused.contains_key("convene-meeting"));
        let outcomes: Vec<&str> = o.outcomes.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(outcomes, ["agreed", "by-events"]);
        assert_eq!(o.record.len(), 5);
        assert_eq!(o.next_stage.as_ref().map(|n| n.number), Some(2));
        assert_eq!(o.actions[2].label, "Escalate to stage 2");
        assert_eq!(o.actions[0].href, "/escalations/e1/record");
    }

    #[test]
    fn the_last_stage_offers_referrals_and_no_escalation() {
        let (p, c) = rules("sunderland");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let mut s = raised(r, RouteKind::Individual, "other");
        for day in ["2026-03-03", "2026-03-04", "2026-03-05"] {
            s = then(r, &s, &format!("{day}T10:00:00Z"), Event::Escalated);
        }
        assert_eq!(s.current_stage().get(), 4);
        // Step 4: the Heads of Service (the step's officers) refer on, not the raiser.
        let o = offer("e1", r, &s, &all_access(), at("2026-03-06T10:00:00Z"));
        assert!(!o.allows(ActionKind::ReferOn));
        let lead = Access {
            acting: vec![parley_core::names::Actor::StageLeads],
            ..all_access()
        };
        let o = offer("e1", r, &s, &lead, at("2026-03-06T10:00:00Z"));
        assert!(!o.allows(ActionKind::Escalate));
        assert!(o.refused["escalate"].contains("last stage"));
        assert!(o.allows(ActionKind::ReferOn));
        let referrals: Vec<&str> = o.referrals.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            referrals,
            ["independent-scrutineer", "ofsted", "cqc", "hmicfrs"]
        );
    }

    #[test]
    fn nothing_is_offered_once_closed_or_without_the_right() {
        let (p, c) = rules("sunderland");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let s = raised(r, RouteKind::Individual, "other");
        let watcher = Access {
            relations: vec![Relation::BusinessTeam],
            child_details: false,
            can_act: false,
            can_record: false,
            can_withdraw: false,
            open: true,
            acting: vec![],
            leads_referral_step: false,
            raising_side: vec![],
            sides: Vec::new(),
            proposer: false,
        };
        let o = offer("e1", r, &s, &watcher, at("2026-03-03T10:00:00Z"));
        assert!(o.actions.is_empty());
        assert!(
            o.refused.is_empty(),
            "nothing to explain to someone who may not act"
        );

        let receiver = Access {
            can_withdraw: false,
            acting: vec![parley_core::names::Actor::Receiver],
            sides: vec![(
                parley_core::names::Side::Receiving,
                parley_core::names::Actor::Receiver,
            )],
            leads_referral_step: false,
            raising_side: vec![],
            ..all_access()
        };
        let o = offer("e1", r, &s, &receiver, at("2026-03-03T10:00:00Z"));
        assert!(
            !o.allows(ActionKind::Withdraw),
            "only the raising side withdraws"
        );
        assert!(
            !o.allows(ActionKind::Redirect),
            "only the raising side redirects"
        );
        assert!(o.allows(ActionKind::Escalate));

        let closed = then(r, &s, "2026-03-03T10:00:00Z", Event::Withdrawn);
        let o = offer("e1", r, &closed, &all_access(), at("2026-03-04T10:00:00Z"));
        // The stage record stays writable after closing (Solihull §6; Dorset §10): the
        // access rule decides whether this person may still write it.
        assert_eq!(kinds(&o), ["record"]);
        // As `access` has it for someone involved once it has closed: the record only.
        let involved_after = Access {
            can_act: false,
            can_withdraw: false,
            open: false,
            ..all_access()
        };
        let o = offer(
            "e1",
            r,
            &closed,
            &involved_after,
            at("2026-03-04T10:00:00Z"),
        );
        assert_eq!(kinds(&o), ["record"]);
        let watcher_after = Access {
            can_record: false,
            acting: vec![],
            leads_referral_step: false,
            raising_side: vec![],
            ..involved_after
        };
        let o = offer("e1", r, &closed, &watcher_after, at("2026-03-04T10:00:00Z"));
        assert!(o.actions.is_empty());
    }

    #[test]
    fn buckinghamshire_sees_through_a_resolution_by_events() {
        let (p, c) = rules("buckinghamshire");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        assert!(p.outcomes.see_through_when_resolved_by_events);
        let s = raised(r, RouteKind::Individual, &p.categories[0].id);
        let s = then(
            r,
            &s,
            "2026-03-03T10:00:00Z",
            Event::Resolved {
                resolution: Resolution::ByEvents,
            },
        );
        assert!(
            s.status.is_open(),
            "Buckinghamshire 2.4.11: still seen through"
        );
        let o = offer("e1", r, &s, &all_access(), at("2026-03-04T10:00:00Z"));
        assert!(o.allows(ActionKind::Resolve));
        assert!(
            o.outcomes.iter().all(|c| c.value != "by-events"),
            "it cannot be resolved by events twice"
        );
        // A fixed timescale cannot be agreed.
        assert!(!o.allows(ActionKind::AgreeTimescale));
        assert_eq!(o.max_working_days, None);
    }

    #[test]
    fn solihull_offers_a_professionals_meeting_where_its_stages_provide_one() {
        let (p, c) = rules("solihull");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let route = p.routes[0].kind;
        let s = raised(r, route, &p.categories[0].id);
        let o = offer("e1", r, &s, &all_access(), at("2026-03-03T10:00:00Z"));
        let provided = p
            .stage(s.current_stage())
            .is_some_and(|st| st.professionals_meeting);
        assert_eq!(o.allows(ActionKind::ConveneMeeting), provided);
    }

    #[test]
    fn only_changed_record_fields_are_written() {
        let (p, c) = rules("sunderland");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let s = raised(r, RouteKind::Individual, "other");
        let s = then(
            r,
            &s,
            "2026-03-03T10:00:00Z",
            Event::StageRecordUpdated {
                stage: s.current_stage(),
                fields: vec![("discussion".into(), "We talked.".into())],
            },
        );
        let kept = &p.stages[0].record;
        let sent: BTreeMap<String, String> = [
            ("discussion", "We talked.\r\n"),
            ("actions", "Visit on Monday.\r\nCall after."),
            ("outcome", ""),
            ("unknown", "ignored"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            record_changes(s.current(), kept, &sent),
            [(
                "actions".to_owned(),
                "Visit on Monday.\nCall after.".to_owned()
            )]
        );
        let cleared: BTreeMap<String, String> = [("discussion".to_owned(), "  ".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            record_changes(s.current(), kept, &cleared),
            [("discussion".to_owned(), String::new())],
            "clearing a written field is a change"
        );
    }

    #[test]
    fn inputs_become_events_or_name_the_field_at_fault() {
        let (p, c) = rules("sunderland");
        let r = CoreRules {
            procedure: &p,
            calendar: &c,
        };
        let s = raised(r, RouteKind::Individual, "other");
        let field_of = |input: ActionInput, reason: Option<&str>| match to_event(
            &p,
            &s,
            &all_access(),
            &input,
            reason,
        ) {
            Err(ActError::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        };
        assert_eq!(field_of(ActionInput::Withdraw, Some("  ")), "reason");
        assert_eq!(
            field_of(ActionInput::AgreeTimescale { working_days: 0 }, None),
            "working-days"
        );
        assert_eq!(
            field_of(
                ActionInput::Resolve {
                    outcome: "maybe".into(),
                    dissent: None,
                },
                None
            ),
            "outcome"
        );
        assert_eq!(
            field_of(
                ActionInput::Record {
                    fields: BTreeMap::new(),
                    stage: None
                },
                None
            ),
            "record-involved"
        );
        let (event, reason) = to_event(
            &p,
            &s,
            &all_access(),
            &ActionInput::Withdraw,
            Some("Sorted out.\r\n"),
        )
        .unwrap();
        assert_eq!(event, Event::Withdrawn);
        assert_eq!(reason.as_deref(), Some("Sorted out."));

        // The state machine's refusal is put on the field it is about.
        let too_long = TransitionError::AgreedTimescaleTooLong {
            given: WorkingDays::new(6).unwrap(),
            max: WorkingDays::new(5).unwrap(),
        };
        assert_eq!(
            refusal_field(&p, &s, ActionKind::AgreeTimescale, &too_long),
            "working-days"
        );
        assert_eq!(
            sentence(&too_long.to_string()),
            "6 working days is longer than the 5 this stage allows"
        );
    }

    #[test]
    fn api_actions_read_as_documented() {
        let r: ActionRequest = serde_json::from_str(
            r#"{"version": 3, "action": "agree-timescale", "working_days": 4}"#,
        )
        .unwrap();
        assert_eq!(r.version, 3);
        assert!(matches!(
            r.action,
            ActionInput::AgreeTimescale { working_days: 4 }
        ));
        let r: ActionRequest = serde_json::from_str(
            r#"{"version": 1, "action": "record", "fields": {"discussion": "x"}}"#,
        )
        .unwrap();
        assert_eq!(r.action.kind(), ActionKind::Record);
        let r: ActionRequest =
            serde_json::from_str(r#"{"version": 1, "action": "withdraw", "reason": "done"}"#)
                .unwrap();
        assert_eq!(r.reason.as_deref(), Some("done"));
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()), Some(k));
        }
    }
}
