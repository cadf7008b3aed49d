//! Agreement takes both sides (issue 14, item 2).
//!
//! - Resolving by agreement is proposed by one side and confirmed by the other: the raising
//!   side confirms what the receiving side proposes, and the other way round. Until then the
//!   escalation stays open. Sunderland: records "must include written confirmation between the
//!   parties about agreed resolutions"; Buckinghamshire 2.4.10 and Croydon stages 1 to 4 seek a
//!   resolution both agencies accept.
//! - A timescale the procedure says is agreed with a person (`agreed_with`; Sunderland step 2:
//!   "within an agreed timescale with the practitioner raising the concern") is proposed, and
//!   takes effect only when that person confirms it. Elsewhere a timescale is agreed at once,
//!   as before.
//! - A refusal leaves the stage as it was (the reason is the refusing event's). The side that
//!   proposed may withdraw its proposal. A proposal still open when its stage ends (escalated,
//!   referred on, closed another way) lapses.
//! - Resolving with the disagreement recorded takes a dissent statement: who disagrees, why,
//!   and what each side will do (Dorset §7: "a note made that disagreement to the plan
//!   remains"; Buckinghamshire 2.4.13: "any views to the contrary will be recorded").
//!
//! Who a person is (which side, whether the raiser) is the web layer's to say; the machine
//! checks that the party answering is the one the proposal awaits.

use jiff::Timestamp;

use crate::calendar::WorkingDays;
use crate::deadline::stage_due;
use crate::escalation::{
    Deadline, Escalation, Event, Notification, Rules, Status, TransitionError,
};
use crate::names::{Actor, Party, Resolution, Side};
use crate::procedure::{Procedure, StageNumber, Timescale};

/// What one side proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposal {
    /// That the disagreement is resolved by agreement: closes it once confirmed.
    Resolution,
    /// A timescale for the current stage, at a stage whose timescale is agreed with a person.
    Timescale(WorkingDays),
}

/// How a proposal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    Refused,
    Withdrawn,
    /// Its stage ended first (escalated, referred on, or closed another way).
    Lapsed,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Confirmed => "confirmed",
            Answer::Refused => "refused",
            Answer::Withdrawn => "withdrawn",
            Answer::Lapsed => "lapsed",
        }
    }
}

/// One proposal made on an escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalState {
    pub proposal: Proposal,
    /// The side that proposed it.
    pub by: Side,
    /// Who must confirm it.
    pub answerer: Party,
    /// The stage it was made at.
    pub stage: StageNumber,
    pub proposed_at: Timestamp,
    /// The escalation's version after the proposal (its event's).
    pub version: u64,
    /// How and when it ended, and the version after that event; `None` while it awaits.
    pub answer: Option<(Answer, Timestamp, u64)>,
}

/// A dissent statement: resolved with the disagreement recorded (Dorset §7; Buckinghamshire
/// 2.4.13). Free texts that everyone who sees the escalation reads, the business team too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dissent {
    /// Who still disagrees: the people, posts or agencies.
    pub who: String,
    /// Why: what remains in dispute.
    pub why: String,
    /// What the raising side will do now.
    pub raising_side_will: String,
    /// What the receiving side will do now.
    pub receiving_side_will: String,
}

impl Dissent {
    /// The parts of the statement, with the words that name them, in order.
    pub fn parts(&self) -> [(&'static str, &str); 4] {
        [
            ("who disagrees", &self.who),
            ("why", &self.why),
            ("what the raising side will do", &self.raising_side_will),
            ("what the receiving side will do", &self.receiving_side_will),
        ]
    }
}

/// Why the machine refuses a proposal, an answer or a dissent statement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error(
        "resolving by agreement takes both sides: one side proposes it and the other confirms it"
    )]
    TakesBothSides,
    #[error(
        "resolving with the disagreement recorded takes a dissent statement: who disagrees, why, and what each side will do"
    )]
    DissentRequired,
    #[error("the dissent statement must say {0}")]
    IncompleteDissent(&'static str),
    #[error("a proposal already awaits the answer of {}; it must be confirmed, refused or withdrawn first", .0.label())]
    Pending(Party),
    #[error("no proposal is awaiting an answer")]
    NoProposal,
    #[error("the proposal awaits the answer of {}", .0.label())]
    NotTheAnswerer(Party),
    #[error("only {}, which made the proposal, can withdraw it", Party::side(*.0).label())]
    NotTheProposer(Side),
    #[error(
        "at stage {stage} the timescale is agreed with {}: propose it, and it takes effect when they confirm it",
        .with.label()
    )]
    AgreedWith { stage: StageNumber, with: Actor },
    #[error(
        "at stage {0} the timescale is agreed at the stage, not proposed to someone to confirm"
    )]
    NotAgreedWith(StageNumber),
}

impl Escalation {
    /// The proposal awaiting an answer, if any.
    pub fn pending(&self) -> Option<&ProposalState> {
        self.proposals.last().filter(|p| p.answer.is_none())
    }
}

/// Refuses what one side can no longer do alone: a new `Resolved` that is agreed (it takes a
/// proposal and a confirmation) or records the disagreement (it takes a dissent statement).
pub(crate) fn refuse_one_sided(event: &Event) -> Result<(), AgreementError> {
    match event {
        Event::Resolved {
            resolution: Resolution::Agreed,
        } => Err(AgreementError::TakesBothSides),
        Event::Resolved {
            resolution: Resolution::DisagreementRecorded,
        } => Err(AgreementError::DissentRequired),
        _ => Ok(()),
    }
}

/// The agreed timescale of the current stage: its maximum and whom it is agreed with.
fn agreed_timescale(
    p: &Procedure,
    current: StageNumber,
) -> Result<(WorkingDays, Option<Actor>), TransitionError> {
    let stage = p.stage(current).ok_or(TransitionError::StageNotReached {
        stage: current,
        current,
    })?;
    match stage.timescale {
        Timescale::Agreed { max } => Ok((max, stage.agreed_with)),
        Timescale::Fixed { .. } => Err(TransitionError::TimescaleNotAgreed { stage: current }),
    }
}

/// A timescale agreed at once (`Event::TimescaleAgreed`): only where the procedure does not
/// say it is agreed with someone.
pub(crate) fn agree_directly(
    next: &mut Escalation,
    rules: Rules<'_>,
    working_days: WorkingDays,
) -> Result<(), TransitionError> {
    let current = next.current_stage();
    if let (_, Some(with)) = agreed_timescale(rules.procedure, current)? {
        return Err(AgreementError::AgreedWith {
            stage: current,
            with,
        }
        .into());
    }
    set_timescale(next, rules, working_days)
}

/// Sets the current stage's agreed timescale and its due date.
fn set_timescale(
    next: &mut Escalation,
    rules: Rules<'_>,
    working_days: WorkingDays,
) -> Result<(), TransitionError> {
    let p = rules.procedure;
    let current = next.current_stage();
    let (max, _) = agreed_timescale(p, current)?;
    if working_days > max {
        return Err(TransitionError::AgreedTimescaleTooLong {
            given: working_days,
            max,
        });
    }
    let stage = p.stage(current).ok_or(TransitionError::StageNotReached {
        stage: current,
        current,
    })?;
    let day_one = next.day_one;
    let state = next.current_mut();
    let was_due = state.due;
    state.agreed = Some(working_days);
    state.due = stage_due(
        p,
        rules.calendar,
        stage,
        state.started_on,
        day_one,
        Some(working_days),
    )?;
    // A new deadline: an earlier "passed" record for this stage no longer applies.
    next.deadlines_passed
        .retain(|d| *d != Deadline::Stage(current));
    // Nor, where the date moved, an earlier reminder of it (issue 15: the reminder is sent
    // again before the new date).
    if next.current().due != was_due {
        next.reminders_sent
            .retain(|(d, _)| *d != Deadline::Stage(current));
    }
    Ok(())
}

/// Applies a proposal, an answer to one, or a recorded disagreement to `next` (a copy of the
/// state, already moved on to this event's version); the notifications it calls for.
pub(crate) fn apply(
    next: &mut Escalation,
    rules: Rules<'_>,
    at: Timestamp,
    event: Event,
) -> Result<Vec<Notification>, TransitionError> {
    let p = rules.procedure;
    let current = next.current_stage();
    match event {
        Event::AgreementProposed { proposal, by } => {
            if let Some(pending) = next.pending() {
                return Err(AgreementError::Pending(pending.answerer).into());
            }
            let answerer = match proposal {
                Proposal::Resolution => {
                    allowed(p, Resolution::Agreed)?;
                    Party::side(by.other())
                }
                Proposal::Timescale(working_days) => {
                    let (max, with) = agreed_timescale(p, current)?;
                    if working_days > max {
                        return Err(TransitionError::AgreedTimescaleTooLong {
                            given: working_days,
                            max,
                        });
                    }
                    with.and_then(Party::person)
                        .ok_or(AgreementError::NotAgreedWith(current))?
                }
            };
            let version = next.version;
            next.proposals.push(ProposalState {
                proposal,
                by,
                answerer,
                stage: current,
                proposed_at: at,
                version,
                answer: None,
            });
            Ok(Vec::new())
        }
        Event::AgreementConfirmed { by } => {
            let proposal = answer(next, at, Some(by), None, Answer::Confirmed)?;
            match proposal {
                Proposal::Resolution => {
                    allowed(p, Resolution::Agreed)?;
                    Ok(next.close(rules, at, Status::Resolved(Resolution::Agreed)))
                }
                Proposal::Timescale(working_days) => {
                    set_timescale(next, rules, working_days)?;
                    Ok(Vec::new())
                }
            }
        }
        Event::AgreementRefused { by } => {
            answer(next, at, Some(by), None, Answer::Refused)?;
            Ok(Vec::new())
        }
        Event::ProposalWithdrawn { by } => {
            answer(next, at, None, Some(by), Answer::Withdrawn)?;
            Ok(Vec::new())
        }
        Event::DisagreementRecorded(dissent) => {
            allowed(p, Resolution::DisagreementRecorded)?;
            if let Some((what, _)) = dissent
                .parts()
                .into_iter()
                .find(|(_, t)| t.trim().is_empty())
            {
                return Err(AgreementError::IncompleteDissent(what).into());
            }
            next.dissent = Some(dissent);
            Ok(next.close(
                rules,
                at,
                Status::Resolved(Resolution::DisagreementRecorded),
            ))
        }
        _ => Ok(Vec::new()),
    }
}

/// Ends the pending proposal with `answer`, when `answerer` (or `proposer`) is the party it
/// awaits (or made it); what was proposed.
fn answer(
    next: &mut Escalation,
    at: Timestamp,
    answerer: Option<Party>,
    proposer: Option<Side>,
    answer: Answer,
) -> Result<Proposal, AgreementError> {
    let version = next.version;
    let Some(pending) = next.proposals.last_mut().filter(|p| p.answer.is_none()) else {
        return Err(AgreementError::NoProposal);
    };
    if let Some(party) = answerer
        && party != pending.answerer
    {
        return Err(AgreementError::NotTheAnswerer(pending.answerer));
    }
    if let Some(side) = proposer
        && side != pending.by
    {
        return Err(AgreementError::NotTheProposer(pending.by));
    }
    pending.answer = Some((answer, at, version));
    Ok(pending.proposal)
}

fn allowed(p: &Procedure, resolution: Resolution) -> Result<(), TransitionError> {
    if p.outcomes.allowed.contains(&resolution) {
        Ok(())
    } else {
        Err(TransitionError::OutcomeNotAllowed {
            given: resolution,
            allowed: p.outcomes.allowed.iter().map(|r| r.as_str()).collect(),
        })
    }
}

/// A proposal still awaiting an answer lapses when its stage ends: `next` left `before`'s
/// stage, went to a referral step, or closed.
pub(crate) fn lapse_if_ended(before: &Escalation, next: &mut Escalation, at: Timestamp) {
    let ended = next.stages.len() != before.stages.len()
        || !next.status.is_open()
        || next.at_referral().is_some();
    if !ended {
        return;
    }
    let version = next.version;
    if let Some(pending) = next.proposals.last_mut().filter(|p| p.answer.is_none()) {
        pending.answer = Some((Answer::Lapsed, at, version));
    }
}
