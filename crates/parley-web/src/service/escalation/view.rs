//! The escalation as one person is shown it: summary, stages, deadlines, the stage record.

use crate::access::Relation;
use crate::app::AppState;
use crate::error::AppError;
use crate::service::{Context, Deadline};
use jiff::Timestamp;
use parley_core::WorkingDays;
use parley_core::escalation::{StageState, Status};
use parley_core::procedure::{Procedure, StageNumber};
use parley_store::chain::Link;
use parley_store::payload::Payload;
use parley_store::rows::AgencyRow;
use serde::Serialize;

use super::*;

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
    pub day_one: Option<crate::service::day_one::DayOneView>,
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
    pub referrals: Vec<crate::service::referral::ReferralStepView>,
    /// Whether it is open at a referral step.
    pub at_referral: bool,
    /// The meetings arranged, with their details once recorded (issue 14, item 6).
    pub meetings: Vec<crate::service::meeting::MeetingView>,
    /// The current stage's own meeting and the date by which it must be held, where the
    /// procedure gives one (Solihull stage 4).
    pub stage_meeting: Option<crate::service::meeting::StageMeetingView>,
    /// The case as put, only for those allowed the child's details.
    pub case: Option<CaseView>,
    /// The procedure's prompts that apply to the child (Buckinghamshire 2.4.12), only for
    /// those allowed the child's details.
    pub prompts: Vec<crate::service::prompts::PromptView>,
    /// Whether this person may open the child's details (each opening is recorded).
    pub may_view_child: bool,
    pub access: AccessView,
    /// What this person may do now.
    pub actions: Vec<Offer>,
    /// Who is appointed to it in a partnership role (issue 14, item 4).
    pub appointees: Vec<crate::service::appointment::AppointeeView>,
    /// The form sent to the partnership, where the procedure has one (Croydon Appendix A,
    /// Sunderland Appendix 1): never the child's details, so shown to all who see it.
    pub partnership_form: Option<crate::service::partnership_form::PartnershipFormView>,
    /// The procedure's forms that apply now, each a PDF to download (issue 17, item 4).
    pub forms: Vec<crate::service::forms::FormLink>,
    /// The page where the signed-in person appoints, when they may appoint someone now.
    pub appoint_href: Option<String>,
    /// Every agreement proposed, oldest first (issue 14, item 2).
    pub proposals: Vec<crate::service::agreement::ProposalView>,
    /// The proposal awaiting an answer, if any (the last of `proposals`).
    pub proposal: Option<crate::service::agreement::ProposalView>,
    /// The dissent statement, when it was resolved with the disagreement recorded.
    pub dissent: Option<crate::service::agreement::DissentStatement>,
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
    view.prompts = crate::service::prompts::for_escalation(state, loaded).await?;
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
    let proposals = crate::service::agreement::views(loaded);
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
        day_one: crate::service::day_one::view(p, &ctx.rules.calendar, s.day_one, s.raised_on),
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
            crate::service::referral::no_deadline(&row.stage_due)
        } else {
            ctx.deadline(loaded.stage_due, open)
        },
        overall_deadline: loaded.overall_due.map(|d| ctx.deadline(d, open)),
        stages: s
            .stages
            .iter()
            .map(|st| stage_line(p, st, st.number == current.number))
            .collect(),
        referrals: crate::service::referral::steps(ctx, p, s),
        at_referral: s.at_referral().is_some(),
        meetings: crate::service::meeting::views(ctx, loaded),
        stage_meeting: crate::service::meeting::stage_meeting(ctx, p, s),
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
        appointees: crate::service::appointment::appointees(loaded),
        partnership_form: crate::service::partnership_form::view(loaded),
        forms: crate::service::forms::links(loaded),
        appoint_href: (!crate::service::appointment::options(loaded).is_empty())
            .then(|| format!("/escalations/{}/appoint", row.id)),
        proposal: proposals
            .last()
            .filter(|p| p.status == crate::service::agreement::ProposalStatus::Pending)
            .cloned(),
        proposals,
        dissent: s
            .dissent
            .as_ref()
            .map(crate::service::agreement::DissentStatement::from),
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

pub(super) fn referral_label(p: &Procedure, id: &str) -> String {
    p.referral(id)
        .map_or_else(|| id.to_owned(), |r| r.label.clone())
}

/// A reminder's line in the history (issue 15): which deadline, and its date while this is
/// the latest reminder of it (a stage's date moved by an agreed timescale is reminded of
/// again; the state knows only the latest date).
pub(super) fn reminder_title(
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

pub(super) fn stage_title(p: &Procedure, n: StageNumber) -> String {
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
pub(in crate::service) fn record_entries(p: &Procedure, st: &StageState) -> Vec<RecordEntry> {
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
pub(super) fn lower_first(s: &str) -> String {
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
