//! Referral steps (issue 14, item 5): a referral no longer closes an escalation; it stays
//! open at the step until what came of it is recorded, or it is referred on again where the
//! procedure file's `then` allows (Sunderland: the Independent Scrutineer, then an
//! inspectorate).
//!
//! Who acts at a step: the parties who may act today (`access::access`), plus the people of
//! the partnership holding the step's `lead` role ([`lead_access`]). A lead sees the escalation
//! from the first step they lead on, without the child's details: the documents give the
//! scrutineer and the BSCP the dispute between agencies, not the child's record (Sunderland,
//! introduction: the Independent Scrutineer "will facilitate the resolution" between "the
//! strategic safeguarding partners"; Buckinghamshire 2.4.24: the BSCP is told "to help monitor
//! interagency safeguarding activity"), and the business team never sees a child
//! (Croydon Appendix A: "Do not include details of any child or family"). What a lead writes
//! is checked like every text the business team reads (`free_text`).

use jiff::Timestamp;
use parley_core::escalation::Escalation;
use parley_core::names::ReferralLead;
use parley_core::procedure::Procedure;
use parley_store::backend::EscalationFilter;
use parley_store::rows::{EscalationRow, PersonRow};
use serde::Serialize;

use super::{Context, Deadline};
use crate::access::{Access, Relation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The most escalations at a referral step My work looks through for one lead.
const MY_WORK_LIMIT: i64 = 500;

/// Whether `person` leads a referral step `state` went to, and whether they lead the one it
/// is at now: `(sees, acts)`. The one rule of who leads a referral step, kept small so that a
/// per-stage table of who may act can take it in.
pub fn leads(person: &PersonRow, state: &Escalation, p: &Procedure) -> (bool, bool) {
    let holds = |id: &str| {
        p.referral(id)
            .and_then(|r| r.lead)
            .is_some_and(|lead| person.roles.iter().any(|r| r == lead.as_str()))
    };
    let sees = state.referrals.iter().any(|s| holds(&s.referral));
    let acts = state.at_referral().is_some_and(|s| holds(&s.referral));
    (sees, acts)
}

/// `base` (what `access::access` allows from the escalation's row) with the referral lead's
/// part added: they see it without the child's details, and act while it is at their step
/// (record what came of it, refer on where allowed). `None` when neither allows anything.
pub fn lead_access(
    person: &PersonRow,
    state: &Escalation,
    p: &Procedure,
    partnership_id: &str,
    base: Option<Access>,
) -> Option<Access> {
    if person.partnership_id != partnership_id || !person.active {
        return base;
    }
    let (sees, acts) = leads(person, state, p);
    if !sees {
        return base;
    }
    let mut access = base.unwrap_or(Access {
        relations: Vec::new(),
        child_details: false,
        can_act: false,
        can_record: false,
        can_withdraw: false,
        open: state.status.is_open(),
        acting: Vec::new(),
        leads_referral_step: false,
        raising_side: Vec::new(),
        sides: Vec::new(),
        proposer: false,
    });
    access.relations.push(Relation::ReferralLead);
    access.can_act |= acts;
    access.leads_referral_step = acts;
    if acts {
        // At their step they act in the capacity the stage's `may` lists name.
        let lead = state
            .at_referral()
            .and_then(|s| p.referral(&s.referral))
            .and_then(|r| r.lead);
        if let Some(actor) = lead.map(ReferralLead::actor)
            && !access.acting.contains(&actor)
        {
            access.acting.push(actor);
        }
    }
    Some(access)
}

/// A referral step as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralStepView {
    /// The procedure's referral id.
    pub referral: String,
    pub label: String,
    /// The role that leads it in Parley, if any.
    pub lead: Option<String>,
    pub lead_label: Option<String>,
    pub started_at_us: i64,
    pub started_on: String,
    /// Where the referral has a timescale.
    pub deadline: Option<Deadline>,
    pub ended_at_us: Option<i64>,
    /// What came of it, once recorded.
    pub outcome: Option<String>,
    /// Whether the escalation is at this step now.
    pub current: bool,
}

/// The referral steps of an escalation, oldest first.
pub fn steps(ctx: &Context, p: &Procedure, state: &Escalation) -> Vec<ReferralStepView> {
    let at = state.at_referral().map(|s| s.started_at);
    state
        .referrals
        .iter()
        .map(|s| {
            let r = p.referral(&s.referral);
            let current = at == Some(s.started_at) && s.ended_at.is_none();
            ReferralStepView {
                referral: s.referral.clone(),
                label: r.map_or_else(|| s.referral.clone(), |r| r.label.clone()),
                lead: r.and_then(|r| r.lead).map(|l| l.as_str().to_owned()),
                lead_label: r.and_then(|r| r.lead).map(|l| l.label().to_owned()),
                started_at_us: s.started_at.as_microsecond(),
                started_on: s.started_on.to_string(),
                deadline: s.due.map(|d| ctx.deadline(d, current)),
                ended_at_us: s.ended_at.map(Timestamp::as_microsecond),
                outcome: s.outcome.clone(),
                current,
            }
        })
        .collect()
}

/// The open escalations at a referral step `user` leads (for My work), each with whether the
/// step has a deadline: those at or past the
/// first stage a referral they could lead starts from, whose state shows them leading the
/// step it is at. At most [`MY_WORK_LIMIT`] are looked through.
pub async fn led_by(
    state: &AppState,
    ctx: &Context,
    user: &CurrentUser,
) -> Result<Vec<(EscalationRow, bool)>, AppError> {
    let p = &ctx.rules.procedure;
    let from = p
        .referrals
        .iter()
        .filter(|r| {
            r.lead
                .is_some_and(|l| user.person.roles.iter().any(|x| x == l.as_str()))
        })
        .map(|r| i64::from(r.from_stage.get()))
        .min();
    let Some(from) = from else {
        return Ok(Vec::new());
    };
    let filter = EscalationFilter {
        min_stage: Some(from),
        status: Some("open".to_owned()),
        ..EscalationFilter::default()
    };
    let (rows, _) = state
        .store
        .escalation_page(&ctx.partnership.id, &filter, MY_WORK_LIMIT, 0)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let read = state
            .records
            .escalation_read(&row, ctx.config_version)
            .await?;
        if leads(&user.person, &read.state, p).1 {
            let timed = read.state.at_referral().is_some_and(|s| s.due.is_some());
            out.push((row, timed));
        }
    }
    Ok(out)
}

/// A list line's deadline at a referral step without a timescale: none runs (the stage's is
/// over), so it is neither due nor overdue.
pub fn untimed(line: &mut super::EscalationLine) {
    line.stage_deadline = no_deadline(&line.stage_deadline.due);
    line.overall_deadline = None;
    line.overdue = false;
}

/// The deadline shown at a referral step without a timescale (`due` is the ended stage's).
pub fn no_deadline(due: &str) -> Deadline {
    Deadline {
        due: due.to_owned(),
        working_days_left: None,
        state: super::DeadlineState::None,
        text: "No timescale for the referral".to_owned(),
    }
}
