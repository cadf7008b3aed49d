//! Agreement takes both sides (issue 14, item 2), as the pages and the API run it. The state
//! machine (`parley_core::agreement`) checks that the party answering is the one a proposal
//! awaits; here is who a person is:
//!
//! - resolving by agreement is proposed by someone on one side who may `resolve` at the stage,
//!   and confirmed or refused by someone on the other side who may `resolve` (never by the
//!   person who proposed it, should they stand on both sides);
//! - at a stage whose timescale is agreed with a person (`agreed_with`; Sunderland step 2), a
//!   timescale is proposed by someone who may `agree-timescale` there, stands on a side and is
//!   not that person; that person confirms or refuses it;
//! - the proposing side's people who may take the proposal's action withdraw it;
//! - resolving with the disagreement recorded takes a dissent statement (Dorset §7;
//!   Buckinghamshire 2.4.13), each part checked like every text the business team reads.
//!
//! Sides are `access::side`'s; the case page and the history show every proposal and what
//! came of it, with the reason given for a refusal.

use parley_core::agreement::{Answer, Dissent, Proposal, ProposalState};
use parley_core::escalation::{Escalation, Event};
use parley_core::names::{Actor, Party, Resolution, Side, StageAction};
use parley_core::procedure::{May, Procedure};
use parley_store::chain::Link;
use parley_store::payload::Payload;
use serde::{Deserialize, Serialize};

use super::escalation::{ActError, ActionKind, Loaded, MAX_TEXT, field, normalise, sentence};
use crate::access::Access;
use crate::error::AppError;
use crate::permissions;

/// A dissent statement: who still disagrees, why, and what each side will do now. Sent with
/// `resolve` and the outcome `disagreement-recorded`, and shown on the escalation. Everyone
/// who sees the escalation reads it, the partnership business team too: it must not
/// identify the child.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DissentStatement {
    /// Who still disagrees: the people, posts or agencies.
    pub who: String,
    /// Why: what remains in dispute.
    pub why: String,
    /// What the raising side will do now.
    pub raising_side_will: String,
    /// What the receiving side will do now.
    pub receiving_side_will: String,
}

impl From<&Dissent> for DissentStatement {
    fn from(d: &Dissent) -> Self {
        DissentStatement {
            who: d.who.clone(),
            why: d.why.clone(),
            raising_side_will: d.raising_side_will.clone(),
            receiving_side_will: d.receiving_side_will.clone(),
        }
    }
}

/// The page field of each part of a dissent statement, with its label.
pub const DISSENT_FIELDS: [(&str, &str); 4] = [
    (field::DISSENT_WHO, "Who still disagrees"),
    (field::DISSENT_WHY, "Why they disagree"),
    (field::DISSENT_RAISING, "What the raising side will do"),
    (field::DISSENT_RECEIVING, "What the receiving side will do"),
];

impl DissentStatement {
    /// The parts, in the order of [`DISSENT_FIELDS`].
    fn parts(&self) -> [&str; 4] {
        [
            &self.who,
            &self.why,
            &self.raising_side_will,
            &self.receiving_side_will,
        ]
    }

    /// The statement as the machine takes it: each part normalised, none empty or too long.
    pub fn check(&self) -> Result<Dissent, ActError> {
        for ((id, label), text) in DISSENT_FIELDS.iter().zip(self.parts()) {
            let text = normalise(text);
            if text.trim().is_empty() {
                return Err(invalid(id, format!("Enter {}", lower(label))));
            }
            if text.chars().count() > MAX_TEXT {
                return Err(invalid(
                    id,
                    format!("{label} must be {MAX_TEXT} characters or fewer"),
                ));
            }
        }
        Ok(Dissent {
            who: normalise(&self.who),
            why: normalise(&self.why),
            raising_side_will: normalise(&self.raising_side_will),
            receiving_side_will: normalise(&self.receiving_side_will),
        })
    }
}

fn lower(label: &str) -> String {
    let mut c = label.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn invalid(field: &str, message: impl Into<String>) -> ActError {
    ActError::invalid(field, message)
}

/// The `may` action a proposal is made and answered under.
pub fn action_of(proposal: Proposal) -> StageAction {
    match proposal {
        Proposal::Resolution => StageAction::Resolve,
        Proposal::Timescale(_) => StageAction::AgreeTimescale,
    }
}

/// The side someone proposes on: the first (raising, then receiving) on which they hold a
/// capacity `may` lists for `action`. `None` for someone on neither side (an appointee, the
/// business team) or who may not take it.
pub fn proposing_side(access: &Access, may: &May, action: StageAction) -> Option<Side> {
    if !access.open {
        return None;
    }
    Side::ALL
        .iter()
        .copied()
        .find(|s| may.allows(action, &access.on(*s)))
}

/// The person the current stage's timescale is agreed with, where the procedure says so.
pub fn agreed_with(p: &Procedure, state: &Escalation) -> Option<Actor> {
    p.stage(state.current_stage()).and_then(|s| s.agreed_with)
}

/// The party in which someone answers `pending`, if it awaits them: not its proposer; for a
/// side, a capacity on that side that `may` lists for the proposal's action; for a person
/// (`agreed_with`), being them.
pub fn answering_party(access: &Access, pending: &ProposalState, may: &May) -> Option<Party> {
    if access.proposer || !access.open {
        return None;
    }
    let action = action_of(pending.proposal);
    let theirs = match pending.answerer {
        Party::RaisingSide => may.allows(action, &access.on(Side::Raising)),
        Party::ReceivingSide => may.allows(action, &access.on(Side::Receiving)),
        Party::Raiser => access.acting.contains(&Actor::Raiser),
        Party::Receiver => access.acting.contains(&Actor::Receiver),
    };
    theirs.then_some(pending.answerer)
}

/// Whether `kind` is the person's to take now. The three answers to a proposal follow it:
/// with none pending, those who may resolve (the machine then says nothing awaits); a timescale
/// at a stage agreed with a person is proposed by others on a side. Everything else as
/// [`ActionKind::permitted`] says.
pub fn allows(
    kind: ActionKind,
    access: &Access,
    state: &Escalation,
    p: &Procedure,
    may: &May,
) -> bool {
    let pending = state.pending().filter(|_| access.open);
    match (kind, pending) {
        (ActionKind::ConfirmAgreement | ActionKind::RefuseAgreement, Some(pending)) => {
            answering_party(access, pending, may).is_some()
        }
        (ActionKind::WithdrawProposal, Some(pending)) => {
            may.allows(action_of(pending.proposal), &access.on(pending.by))
                && !matches!(
                    answering_party(access, pending, may),
                    Some(Party::Raiser | Party::Receiver)
                )
        }
        (ActionKind::AgreeTimescale, _) => match agreed_with(p, state) {
            Some(with) => {
                kind.permitted(access, may)
                    && !access.acting.contains(&with)
                    && proposing_side(access, may, StageAction::AgreeTimescale).is_some()
            }
            None => kind.permitted(access, may),
        },
        _ => kind.permitted(access, may),
    }
}

/// The sentence saying who may take `kind` now, for someone who takes part but may not.
pub fn who_may(p: &Procedure, state: &Escalation, kind: ActionKind) -> Option<String> {
    let n = state.current_stage();
    let pending = state.pending();
    match (kind, pending) {
        (ActionKind::ConfirmAgreement | ActionKind::RefuseAgreement, Some(pending)) => {
            Some(match pending.answerer {
                Party::Raiser | Party::Receiver => format!(
                    "The proposal awaits the answer of {}: only they confirm or refuse it.",
                    pending.answerer.label()
                ),
                side => format!(
                    "The proposal awaits the answer of {}, not the side that made it. {}",
                    side.label(),
                    permissions::who_may(p, n, action_of(pending.proposal))
                ),
            })
        }
        (ActionKind::WithdrawProposal, Some(pending)) => Some(format!(
            "Only {}, which made the proposal, can withdraw it. {}",
            Party::side(pending.by).label(),
            permissions::who_may(p, n, action_of(pending.proposal))
        )),
        (ActionKind::AgreeTimescale, _) => agreed_with(p, state).map(|with| {
            format!(
                "At stage {n} the timescale is agreed with {}: someone else at the stage proposes it, and it holds once they confirm it.",
                with.label()
            )
        }),
        _ => None,
    }
}

/// The event an outcome of the resolve action records: agreed is proposed on the person's
/// side; a recorded disagreement takes its dissent statement, which goes with nothing else.
pub fn resolution(
    outcome: Resolution,
    dissent: Option<&DissentStatement>,
    access: &Access,
    may: &May,
) -> Result<Event, ActError> {
    match (outcome, dissent) {
        (Resolution::DisagreementRecorded, Some(d)) => Ok(Event::DisagreementRecorded(d.check()?)),
        (Resolution::DisagreementRecorded, None) => Err(invalid(
            field::DISSENT_WHO,
            "Resolving with the disagreement recorded takes a dissent statement: who disagrees, why, and what each side will do",
        )),
        (_, Some(_)) => Err(invalid(
            field::OUTCOME,
            "A dissent statement goes only with the outcome “Resolved with the disagreement recorded”",
        )),
        (Resolution::Agreed, None) => propose_resolution(access, may),
        (Resolution::ByEvents, None) => Ok(Event::Resolved {
            resolution: outcome,
        }),
    }
}

/// The event that tries whether `outcome` is possible now, for the resolve form's choices:
/// `None` for agreed when the person stands on no side that may resolve.
pub fn trial_resolution(outcome: Resolution, access: &Access, may: &May) -> Option<Event> {
    Some(match outcome {
        Resolution::Agreed => Event::AgreementProposed {
            proposal: Proposal::Resolution,
            by: proposing_side(access, may, StageAction::Resolve)?,
        },
        Resolution::DisagreementRecorded => Event::DisagreementRecorded(Dissent {
            who: "-".to_owned(),
            why: "-".to_owned(),
            raising_side_will: "-".to_owned(),
            receiving_side_will: "-".to_owned(),
        }),
        Resolution::ByEvents => Event::Resolved {
            resolution: outcome,
        },
    })
}

/// The answers to the pending proposal (and its withdrawal) as the escalation page offers
/// them: each with its label and the event it would record, or why not.
pub fn answers(
    access: &Access,
    state: &Escalation,
    may: &May,
) -> Vec<(ActionKind, String, Result<Event, String>)> {
    let confirm = match state.pending().map(|p| p.proposal) {
        Some(Proposal::Timescale(_)) => "Confirm the timescale",
        _ => "Confirm the agreement",
    };
    [
        (ActionKind::ConfirmAgreement, confirm),
        (ActionKind::RefuseAgreement, "Refuse the proposal"),
        (ActionKind::WithdrawProposal, "Withdraw the proposal"),
    ]
    .into_iter()
    .map(|(kind, label)| {
        let event = answer(kind, access, state, may).map_err(|e| match e {
            ActError::Invalid(e) => e.message,
            _ => "You cannot answer this proposal".to_owned(),
        });
        (kind, label.to_owned(), event)
    })
    .collect()
}

/// Each part of a dissent statement is read by the business team: none may identify the
/// child (`free_text::check`), the part at fault named.
pub fn check_dissent(
    child: &[parley_core::identifiers::ChildIdentifiers],
    d: &Dissent,
) -> Result<(), ActError> {
    let parts = [&d.who, &d.why, &d.raising_side_will, &d.receiving_side_will];
    for ((id, label), text) in DISSENT_FIELDS.iter().zip(parts) {
        super::free_text::check(
            child,
            super::free_text::Whose::TheChild,
            &format!("“{label}”"),
            text,
        )
        .map_err(|m| invalid(id, m))?;
    }
    Ok(())
}

/// The proposal to resolve by agreement, on the person's side; `NotPermitted` for someone on
/// neither side who may resolve (an appointee).
pub fn propose_resolution(access: &Access, may: &May) -> Result<Event, ActError> {
    let by = proposing_side(access, may, StageAction::Resolve).ok_or_else(|| {
        ActError::Other(AppError::NotPermitted(
            "Resolving by agreement is proposed by one side of the disagreement and confirmed by the other; you stand on neither side, so you cannot propose it.".to_owned(),
        ))
    })?;
    Ok(Event::AgreementProposed {
        proposal: Proposal::Resolution,
        by,
    })
}

/// A timescale at a stage agreed with a person: proposed on the person's side.
pub fn propose_timescale(
    access: &Access,
    may: &May,
    working_days: parley_core::WorkingDays,
) -> Result<Event, ActError> {
    let by = proposing_side(access, may, StageAction::AgreeTimescale).ok_or_else(|| {
        ActError::Other(AppError::NotPermitted(
            "A timescale agreed with someone is proposed by one side of the disagreement; you stand on neither side.".to_owned(),
        ))
    })?;
    Ok(Event::AgreementProposed {
        proposal: Proposal::Timescale(working_days),
        by,
    })
}

/// The answer to the pending proposal, or its withdrawal, as the event the person's part
/// calls for; 422 when nothing awaits an answer.
pub fn answer(
    kind: ActionKind,
    access: &Access,
    state: &Escalation,
    may: &May,
) -> Result<Event, ActError> {
    let pending = state
        .pending()
        .ok_or_else(|| invalid(field::CONFIRM, "No proposal is awaiting an answer"))?;
    let party = || {
        answering_party(access, pending, may).ok_or_else(|| {
            invalid(
                field::CONFIRM,
                sentence(&format!(
                    "the proposal awaits the answer of {}",
                    pending.answerer.label()
                )),
            )
        })
    };
    Ok(match kind {
        ActionKind::ConfirmAgreement => Event::AgreementConfirmed { by: party()? },
        ActionKind::RefuseAgreement => Event::AgreementRefused { by: party()? },
        _ => Event::ProposalWithdrawn { by: pending.by },
    })
}

// ---------------------------------------------------------------------------------------------
// The view

/// What a proposal proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProposalKind {
    Resolution,
    Timescale,
}

/// Where a proposal stands: awaiting its answer, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProposalStatus {
    Pending,
    Confirmed,
    Refused,
    Withdrawn,
    Lapsed,
}

impl From<Option<Answer>> for ProposalStatus {
    fn from(answer: Option<Answer>) -> Self {
        match answer {
            None => ProposalStatus::Pending,
            Some(Answer::Confirmed) => ProposalStatus::Confirmed,
            Some(Answer::Refused) => ProposalStatus::Refused,
            Some(Answer::Withdrawn) => ProposalStatus::Withdrawn,
            Some(Answer::Lapsed) => ProposalStatus::Lapsed,
        }
    }
}

/// A proposal made on the escalation, and what came of it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AgreementProposal)]
pub struct ProposalView {
    /// `resolution` or `timescale`.
    pub proposal: ProposalKind,
    /// What was proposed, in words.
    pub text: String,
    /// The working days proposed, for a timescale.
    pub working_days: Option<u32>,
    pub stage: i64,
    /// `raising` or `receiving`.
    pub by_side: String,
    /// Who proposed it (a person's name).
    pub by: String,
    pub proposed_at_us: i64,
    /// `raising-side`, `receiving-side`, `raiser` or `receiver`: whose answer it awaits.
    pub answerer: String,
    pub answerer_label: String,
    /// `pending`, `confirmed`, `refused`, `withdrawn` or `lapsed`.
    pub status: ProposalStatus,
    /// Who answered (confirmed, refused or withdrew), and when.
    pub answered_by: Option<String>,
    pub answered_at_us: Option<i64>,
    /// The reason given with a refusal (or a withdrawal).
    pub reason: Option<String>,
}

/// Every proposal, oldest first.
pub fn views(loaded: &Loaded) -> Vec<ProposalView> {
    let name = |version: u64| {
        link(&loaded.events, version)
            .and_then(|l| l.actor.as_deref())
            .map_or_else(|| "Parley".to_owned(), |a| loaded.ctx.directory.name(a))
    };
    loaded
        .state
        .proposals
        .iter()
        .map(|p| {
            let answered = p.answer.filter(|(a, ..)| *a != Answer::Lapsed);
            ProposalView {
                proposal: match p.proposal {
                    Proposal::Resolution => ProposalKind::Resolution,
                    Proposal::Timescale(_) => ProposalKind::Timescale,
                },
                text: proposal_text(p.proposal, i64::from(p.stage.get())),
                working_days: match p.proposal {
                    Proposal::Timescale(n) => Some(n.get()),
                    Proposal::Resolution => None,
                },
                stage: i64::from(p.stage.get()),
                by_side: p.by.as_str().to_owned(),
                by: name(p.version),
                proposed_at_us: p.proposed_at.as_microsecond(),
                answerer: p.answerer.as_str().to_owned(),
                answerer_label: sentence(p.answerer.label()),
                status: p.answer.map(|(a, ..)| a).into(),
                answered_by: answered.map(|(_, _, v)| name(v)),
                answered_at_us: p.answer.map(|(_, t, _)| t.as_microsecond()),
                reason: answered
                    .and_then(|(_, _, v)| link(&loaded.events, v))
                    .and_then(|l| l.reason.clone()),
            }
        })
        .collect()
}

/// The escalation's event that brought it to `version`.
fn link(events: &[Link], version: u64) -> Option<&Link> {
    events
        .iter()
        .find(|l| u64::try_from(l.stream_version).ok() == Some(version))
}

fn proposal_text(p: Proposal, stage: i64) -> String {
    match p {
        Proposal::Resolution => "To resolve the disagreement by agreement".to_owned(),
        Proposal::Timescale(n) => format!(
            "A timescale of {n} working day{} for stage {stage}",
            if n.get() == 1 { "" } else { "s" }
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// History

/// What the history says of an agreement event; `last` is the proposal seen last (kept
/// between events, as the history is read oldest first).
pub fn history_title(
    p: &Procedure,
    payload: &Payload,
    stage: parley_core::StageNumber,
    last: &mut Option<Proposal>,
    detail: &mut dyn FnMut(&str, String),
) -> Option<String> {
    let side = |s: &str| {
        s.parse::<Side>()
            .map_or_else(|_| s.to_owned(), |s| Party::side(s).label().to_owned())
    };
    let party = |s: &str| {
        s.parse::<Party>()
            .map_or_else(|_| s.to_owned(), |p| p.label().to_owned())
    };
    Some(match payload {
        Payload::AgreementProposed {
            working_days, by, ..
        } => {
            let proposal = match working_days.map(parley_core::WorkingDays::new) {
                Some(Ok(n)) => Proposal::Timescale(n),
                _ => Proposal::Resolution,
            };
            *last = Some(proposal);
            detail("Proposed by", sentence(&side(by)));
            match proposal {
                Proposal::Resolution => {
                    "Resolution by agreement proposed; it awaits the other side’s confirmation"
                        .to_owned()
                }
                Proposal::Timescale(n) => format!(
                    "Timescale of {n} working day{} proposed for stage {stage}; it awaits the confirmation of {}",
                    if n.get() == 1 { "" } else { "s" },
                    p.stage(stage)
                        .and_then(|s| s.agreed_with)
                        .map_or("the person it is agreed with", Actor::label)
                ),
            }
        }
        Payload::AgreementConfirmed { by } => {
            detail("Confirmed by", sentence(&party(by)));
            match last {
                Some(Proposal::Timescale(n)) => format!(
                    "Timescale of {n} working day{} for stage {stage} confirmed: it holds",
                    if n.get() == 1 { "" } else { "s" }
                ),
                _ => "Agreement confirmed by the other side: resolved by agreement".to_owned(),
            }
        }
        Payload::AgreementRefused { by } => {
            detail("Refused by", sentence(&party(by)));
            "Proposal refused; the stage stays as it was".to_owned()
        }
        Payload::ProposalWithdrawn { by } => {
            detail("Withdrawn by", sentence(&side(by)));
            "Proposal withdrawn".to_owned()
        }
        Payload::DisagreementRecorded {
            who,
            why,
            raising_side_will,
            receiving_side_will,
        } => {
            for ((_, label), text) in
                DISSENT_FIELDS
                    .iter()
                    .zip([who, why, raising_side_will, receiving_side_will])
            {
                detail(label, text.clone());
            }
            "Resolved with the disagreement recorded".to_owned()
        }
        _ => return None,
    })
}

/// The message after an agreement action succeeded, from what the escalation now shows.
pub fn done_message(
    kind: ActionKind,
    loaded: &Loaded,
    view: &super::escalation::EscalationView,
) -> Option<String> {
    let pending = view.proposal.as_ref();
    Some(match (kind, pending) {
        (ActionKind::Resolve | ActionKind::AgreeTimescale, Some(p)) => format!(
            "Your proposal was recorded: {} It takes effect once {} confirms it.",
            lower(&format!("{}.", p.text)),
            lower(&p.answerer_label)
        ),
        (ActionKind::ConfirmAgreement, _) => match view.proposals.last() {
            Some(p) if p.proposal == ProposalKind::Timescale => format!(
                "The timescale was confirmed: stage {} is now due on {}",
                view.current_stage.number,
                loaded.stage_due.strftime("%A %-d %B %Y")
            ),
            _ => "The agreement was confirmed: the escalation was closed, resolved by agreement"
                .to_owned(),
        },
        (ActionKind::RefuseAgreement, _) => {
            "The proposal was refused, with your reason; the stage stays as it was".to_owned()
        }
        (ActionKind::WithdrawProposal, _) => "The proposal was withdrawn".to_owned(),
        _ => return None,
    })
}
