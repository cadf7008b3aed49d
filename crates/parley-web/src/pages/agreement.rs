//! The pages' part of agreement taking both sides (issue 14, item 2): the dissent statement on
//! the resolve form (shown with the outcome "Resolved with the disagreement recorded"), and the
//! forms that confirm, refuse (with a reason) or withdraw a proposal. The forms themselves are
//! `escalation/action.html`'s; what is allowed is `service::agreement`'s.

use serde::Serialize;

use crate::error::FieldErrors;
use crate::service::agreement::{DISSENT_FIELDS, DissentStatement};
use crate::service::escalation::{ActionInput, ActionKind, field};

/// The dissent statement as typed.
#[derive(Clone, Debug, Default, Serialize)]
pub(super) struct DissentValues {
    pub who: String,
    pub why: String,
    pub raising: String,
    pub receiving: String,
}

impl DissentValues {
    /// Keeps a form field of the statement; `false` for any other field.
    pub(super) fn take(&mut self, key: &str, value: &str) -> bool {
        let slot = match key {
            field::DISSENT_WHO => &mut self.who,
            field::DISSENT_WHY => &mut self.why,
            field::DISSENT_RAISING => &mut self.raising,
            field::DISSENT_RECEIVING => &mut self.receiving,
            _ => return false,
        };
        value.clone_into(slot);
        true
    }

    fn parts(&self) -> [&str; 4] {
        [&self.who, &self.why, &self.raising, &self.receiving]
    }

    /// The statement for the service, each empty part an error beside its box.
    pub(super) fn input(&self, errors: &mut FieldErrors) -> DissentStatement {
        for ((id, label), text) in DISSENT_FIELDS.iter().zip(self.parts()) {
            if text.trim().is_empty() {
                errors.add(id, format!("Enter {}", label.to_lowercase()));
            }
        }
        DissentStatement {
            who: self.who.clone(),
            why: self.why.clone(),
            raising_side_will: self.raising.clone(),
            receiving_side_will: self.receiving.clone(),
        }
    }

    /// What was typed, for the conflict page.
    pub(super) fn typed(&self, add: &mut dyn FnMut(&str, &str)) {
        for ((_, label), text) in DISSENT_FIELDS.iter().zip(self.parts()) {
            add(label, text);
        }
    }
}

/// The heading of an agreement form.
pub(super) fn title(kind: ActionKind) -> Option<&'static str> {
    Some(match kind {
        ActionKind::ConfirmAgreement => "Confirm the proposal",
        ActionKind::RefuseAgreement => "Refuse the proposal",
        ActionKind::WithdrawProposal => "Withdraw the proposal",
        _ => return None,
    })
}

/// The input of an agreement form; a refusal needs its reason.
pub(super) fn input(kind: ActionKind, reason: &str, errors: &mut FieldErrors) -> ActionInput {
    match kind {
        ActionKind::ConfirmAgreement => ActionInput::ConfirmAgreement,
        ActionKind::RefuseAgreement => {
            if reason.trim().is_empty() {
                errors.add(field::REASON, "Enter why you refuse the proposal");
            }
            ActionInput::RefuseAgreement
        }
        _ => ActionInput::WithdrawProposal,
    }
}
