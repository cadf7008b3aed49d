//! The form an escalation sends to the partnership (Croydon Appendix A: "submitted at Stage 3
//! and subsequently updated if Stage 4 and 5 are used. Do not include details of any child or
//! family"; Sunderland Appendix 1, the referral proforma at step 4). Each sending is kept; the
//! latest is what the partnership reads. A filled `meeting_request` field asks the partnership
//! for a meeting it leads (Croydon: "this section must be completed to request a CSCB led
//! Dispute Resolution Meeting").

use jiff::Timestamp;

use crate::escalation::TransitionError;
use crate::procedure::{Procedure, StageNumber};

/// One sending of the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentForm {
    pub sent_at: Timestamp,
    /// The stage the escalation was at.
    pub stage: StageNumber,
    /// (field id, text), in the form's order; fields left empty are not kept.
    pub answers: Vec<(String, String)>,
}

impl SentForm {
    /// The text given for `field`, if any.
    pub fn answer(&self, field: &str) -> Option<&str> {
        self.answers
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, t)| t.as_str())
    }

    /// Whether this sending asks the partnership for the meeting it leads.
    pub fn requests_meeting(&self, p: &Procedure) -> bool {
        p.partnership_form
            .as_ref()
            .and_then(|f| f.meeting_request.as_deref())
            .and_then(|field| self.answer(field))
            .is_some_and(|t| !t.trim().is_empty())
    }
}

/// The answers as kept: checked against the procedure's form at stage `current`, empty ones
/// dropped, in the form's order.
pub fn check(
    p: &Procedure,
    current: StageNumber,
    answers: &[(String, String)],
) -> Result<Vec<(String, String)>, TransitionError> {
    let Some(form) = &p.partnership_form else {
        return Err(TransitionError::NoPartnershipForm);
    };
    if current < form.from_stage {
        return Err(TransitionError::PartnershipFormTooEarly {
            from: form.from_stage,
            current,
        });
    }
    for (field, _) in answers {
        if !form.fields.iter().any(|f| f.id == *field) {
            return Err(TransitionError::UnknownFormField {
                field: field.clone(),
                allowed: form.fields.iter().map(|f| f.id.clone()).collect(),
            });
        }
    }
    let kept: Vec<(String, String)> = form
        .fields
        .iter()
        .filter_map(|f| {
            answers
                .iter()
                .rev()
                .find(|(id, text)| *id == f.id && !text.trim().is_empty())
                .map(|(id, text)| (id.clone(), text.trim().to_owned()))
        })
        .collect();
    if kept.is_empty() {
        return Err(TransitionError::EmptyPartnershipForm);
    }
    Ok(kept)
}
