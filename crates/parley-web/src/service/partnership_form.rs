//! The partnership form of an escalation: Croydon's Appendix A escalation notification ("It
//! should be submitted at Stage 3 and subsequently updated if Stage 4 and 5 are used. Do not
//! include details of any child or family") and Sunderland's Appendix 1 referral proforma
//! (step 4). The raising agency sends it, and sends it again updated; everyone who sees the
//! escalation reads the latest, the business team included, so no answer may identify the
//! child. Croydon's last section requests a CSCB-led dispute resolution meeting: the page says
//! so to the business team, who arrange it where the procedure lets them.

use std::collections::BTreeMap;

use parley_core::escalation::{Event, decide};
use parley_core::names::StageAction;
use parley_core::procedure::{Form, May};
use serde::{Deserialize, Serialize};

use super::escalation::{ActError, Loaded, decide_and_append, load, refusal, retrying, sentence};
use super::free_text::{self, Whose};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::permissions;

/// The form as shown on the escalation: what was last sent, and whether this person may send
/// it now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnershipFormView {
    pub title: String,
    pub guidance: Option<String>,
    /// The stage from which it is sent.
    pub from_stage: i64,
    /// Each field with the latest answer (empty where none).
    pub fields: Vec<FormAnswer>,
    /// Each sending, oldest first.
    pub sent: Vec<SentView>,
    /// Whether the latest sending asks for the meeting the partnership leads.
    pub meeting_requested: bool,
    /// The label of the field that asks for it, where the form has one.
    pub meeting_request_label: Option<String>,
    /// Whether the person may send it now.
    pub can_send: bool,
    /// Why it cannot be sent now, for those who may send it.
    pub not_yet: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FormAnswer {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SentView {
    pub at_us: i64,
    pub stage: i64,
    pub answers: Vec<FormAnswer>,
}

/// The form as the API and the page send it: answers by field id; an empty answer is left
/// out.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The escalation's version the form is based on (from the view).
    pub version: i64,
    /// Field id to text, for the fields of the procedure's `[partnership_form]`.
    pub answers: BTreeMap<String, String>,
}

/// The page's field name of a form field.
pub fn field_name(id: &str) -> String {
    format!("answer-{id}")
}

fn answers_of(form: &Form, given: &[(String, String)]) -> Vec<FormAnswer> {
    form.fields
        .iter()
        .map(|f| FormAnswer {
            id: f.id.clone(),
            label: f.label.clone(),
            hint: f.hint.clone(),
            text: given
                .iter()
                .find(|(id, _)| *id == f.id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// Whether the person may send the form at the escalation's current stage.
fn may_send(loaded: &Loaded) -> bool {
    let p = loaded.procedure();
    let defaults = May::defaults();
    let may = p
        .stage(loaded.state.current_stage())
        .map_or(&defaults, |s| &s.may);
    permissions::may_act(StageAction::SendPartnershipForm, &loaded.access, may)
}

/// The form of `loaded`, if its procedure has one.
pub fn view(loaded: &Loaded) -> Option<PartnershipFormView> {
    let p = loaded.procedure();
    let form = p.partnership_form.as_ref()?;
    let latest = loaded.state.partnership_forms.last();
    let can_send = may_send(loaded);
    let not_yet = match decide(
        Some(&loaded.state),
        loaded.core_rules(),
        loaded.state.last_event_at,
        probe(form),
    ) {
        Ok(_) => None,
        Err(e) => Some(sentence(&e.to_string())),
    };
    Some(PartnershipFormView {
        title: form.title.clone(),
        guidance: form.guidance.clone(),
        from_stage: i64::from(form.from_stage.get()),
        fields: answers_of(form, latest.map_or(&[], |s| s.answers.as_slice())),
        sent: loaded
            .state
            .partnership_forms
            .iter()
            .map(|s| SentView {
                at_us: s.sent_at.as_microsecond(),
                stage: i64::from(s.stage.get()),
                answers: answers_of(form, &s.answers)
                    .into_iter()
                    .filter(|a| !a.text.is_empty())
                    .collect(),
            })
            .collect(),
        meeting_requested: latest.is_some_and(|s| s.requests_meeting(p)),
        meeting_request_label: form
            .meeting_request
            .as_deref()
            .and_then(|id| form.fields.iter().find(|f| f.id == id))
            .map(|f| f.label.clone()),
        can_send,
        not_yet: if can_send { not_yet } else { None },
    })
}

/// A sending with one answer, to ask the state machine whether the form can be sent now.
fn probe(form: &Form) -> Event {
    Event::PartnershipFormSent {
        answers: form
            .fields
            .first()
            .map(|f| (f.id.clone(), "-".to_owned()))
            .into_iter()
            .collect(),
    }
}

/// Sends the form on `id` for `user`. `NotFound` unless they see it or where the procedure
/// has no form; `Forbidden`/`NotPermitted` unless the procedure lets them send it at this
/// stage; `Invalid` (naming the field) for an answer that identifies the child or shows
/// nothing, or what the state machine refuses (too early, no answers, unknown field).
pub async fn send(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &SendRequest,
) -> Result<i64, ActError> {
    retrying(|| send_once(state, user, id, request)).await
}

async fn send_once(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &SendRequest,
) -> Result<i64, ActError> {
    let loaded = load(state, user, id).await?;
    let p = loaded.procedure();
    let Some(form) = p.partnership_form.as_ref() else {
        return Err(ActError::Other(AppError::NotFound));
    };
    if !may_send(&loaded) {
        return Err(ActError::Other(refusal(
            &loaded,
            StageAction::SendPartnershipForm,
        )));
    }
    let version = loaded.based_on(request.version)?;
    let first_field = form
        .fields
        .first()
        .map_or_else(String::new, |f| field_name(&f.id));
    let invalid = |field: String, message: String| ActError::invalid(&field, message);
    // Croydon Appendix A: "Do not include details of any child or family." The business team
    // reads every answer.
    let child: Vec<_> = free_text::child_of(state, &loaded.row)
        .await?
        .into_iter()
        .collect();
    for (field, text) in &request.answers {
        let Some(f) = form.fields.iter().find(|f| f.id == *field) else {
            return Err(invalid(
                first_field,
                format!(
                    "The form has no field “{field}”; its fields: {}",
                    form.fields
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if text.trim().is_empty() {
            continue;
        }
        free_text::check(&child, Whose::TheChild, &format!("“{}”", f.label), text)
            .map_err(|m| invalid(field_name(field), m))?;
    }
    let event = Event::PartnershipFormSent {
        answers: request
            .answers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    decide_and_append(state, user, &loaded, id, version, event, &first_field).await
}
