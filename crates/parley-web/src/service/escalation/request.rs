//! An action as the API and the page forms send it, read strictly: a member the action
//! does not take is refused, one it needs is required.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::*;

/// An action as sent by the API (and built from the page forms). Read through
/// [`ActionWire`]: a member the action does not take is refused, and one it needs is
/// required, with serde's own words so that the API names the field.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "ActionWire")]
pub struct ActionRequest {
    /// The escalation's version the action is based on (from the view). Only the deadline
    /// monitor's records may have come after it (`Loaded::based_on`).
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
        dissent: Option<crate::service::agreement::DissentStatement>,
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
    dissent: Option<crate::service::agreement::DissentStatement>,
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
