//! The actions the procedure allows now, each tried against the state machine first.

use crate::access::Access;
use crate::permissions;
use jiff::Timestamp;
use parley_core::WorkingDays;
use parley_core::escalation::{Escalation, Event, Rules as CoreRules, decide};
use parley_core::names::{Resolution, StageAction};
use parley_core::procedure::{May, Procedure};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::*;

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
        o.people = crate::service::meeting::people_choices(loaded);
        o.agencies = crate::service::meeting::agency_choices(loaded);
        o.meetings = crate::service::meeting::unrecorded(loaded);
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
        if !crate::service::agreement::allows(kind, access, state, p, may) {
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
    for (kind, label, event) in crate::service::agreement::answers(access, state, may) {
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
    let (max_working_days, whole_due) = crate::service::cap::agree_limit(state, rules);
    let agreed_with = crate::service::agreement::agreed_with(p, state);
    let proposing_days =
        crate::service::agreement::proposing_side(access, may, StageAction::AgreeTimescale);
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
        let Some(event) = crate::service::agreement::trial_resolution(*r, access, may) else {
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
        crate::service::redirect::trial(p).and_then(try_event),
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
        redirections: crate::service::redirect::choices(p),
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
