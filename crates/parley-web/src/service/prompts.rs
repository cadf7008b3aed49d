//! The procedure's prompts on an escalation (`[[prompt]]`; issue 14, item 7): Buckinghamshire
//! 2.4.12, legal advice where a young person of 16 or 17 lacks capacity. A prompt is about the
//! child, so it is shown only to those who may see the child's details, never to the
//! partnership business team or others who see the escalation without the child.
//!
//! The child's age is worked out from the date of birth given when raising, on the day it was
//! raised. Only whether a prompt applies is shown: the date of birth itself stays behind the
//! recorded reading of the child's details.

use parley_core::procedure::age_on;
use parley_store::payload::{ChildDetails, Payload};
use serde::Serialize;

use super::escalation::Loaded;
use crate::app::AppState;
use crate::error::AppError;

/// A prompt as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PromptView {
    /// Where in the procedure's document, e.g. `2.4.12 Mental Capacity Act`.
    pub reference: String,
    pub text: String,
}

/// The prompts that apply to the escalation, for those who may see its child; none for
/// anyone else, and none for an escalation with no child.
pub async fn for_escalation(
    state: &AppState,
    loaded: &Loaded,
) -> Result<Vec<PromptView>, AppError> {
    let p = loaded.procedure();
    if p.prompts.is_empty() || !loaded.access.child_details || loaded.row.subject != "child" {
        return Ok(Vec::new());
    }
    let born = match date_of_birth(state, loaded).await? {
        Some(d) => d.parse::<jiff::civil::Date>().ok(),
        None => None,
    };
    let age = born.and_then(|b| age_on(b, loaded.state.raised_on));
    Ok(p.prompts
        .iter()
        .filter(|x| x.applies(age))
        .map(|x| PromptView {
            reference: x.reference.clone(),
            text: x.text.clone(),
        })
        .collect())
}

/// The date of birth given when raising: from the raising event, which the escalation's
/// reading already holds; from the child's table when that event's content was purged.
async fn date_of_birth(state: &AppState, loaded: &Loaded) -> Result<Option<String>, AppError> {
    let raised = loaded
        .events
        .first()
        .and_then(|l| l.payload.as_deref())
        .and_then(|j| serde_json::from_str::<Payload>(j).ok());
    if let Some(Payload::EscalationRaised(r)) = raised {
        return Ok(r.child.and_then(|c| c.date_of_birth));
    }
    let Some(json) = state.store.child_details(&loaded.row.id).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<ChildDetails>(&json)
        .ok()
        .and_then(|c| c.date_of_birth))
}
