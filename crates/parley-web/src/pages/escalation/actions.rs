//! The action pages of an escalation: each action's form, its answer, and the page re-shown with what was wrong.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::{AppError, ErrorSummary, FieldErrors};
use crate::pages::render;
use crate::service::escalation::{
    self as svc, ActError, ActionInput, ActionKind, ActionRequest, Choice, Detail, EscalationView,
    HistoryItem, Loaded, Offered, field,
};
use crate::service::{redirect, stage_record};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parley_core::names::Resolution;
use parley_core::procedure::StageNumber;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a form holds, kept as typed so that it can be shown back.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Values {
    /// Stage-record field id -> text.
    pub(crate) record: BTreeMap<String, String>,
    pub(crate) working_days: String,
    pub(crate) outcome: String,
    pub(crate) referral: String,
    pub(crate) referral_outcome: String,
    /// The other procedure it is redirected to (issue 14, item 7).
    pub(crate) redirection: String,
    pub(crate) reason: String,
    /// The stage whose record the form writes, when it names one (`?stage=`).
    #[serde(skip)]
    pub(crate) stage: Option<i64>,
    // A meeting (issue 14, item 6).
    pub(crate) held_day: String,
    pub(crate) held_month: String,
    pub(crate) held_year: String,
    pub(crate) held_hour: String,
    pub(crate) held_minute: String,
    pub(crate) chair: String,
    pub(crate) invited_people: Vec<String>,
    pub(crate) invited_agencies: Vec<String>,
    pub(crate) meeting: String,
    pub(crate) attended_people: Vec<String>,
    pub(crate) attended_agencies: Vec<String>,
    pub(crate) meeting_outcome: String,
    pub(crate) meeting_actions: String,
    /// The dissent statement (issue 14, item 2).
    pub(crate) dissent: crate::pages::agreement::DissentValues,
}

impl Values {
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> (Values, Option<String>) {
        let mut v = Values::default();
        let mut version = None;
        for (k, val) in pairs {
            match k.as_str() {
                "version" => version = Some(val.clone()),
                "working-days" => v.working_days = val.clone(),
                "outcome" => v.outcome = val.clone(),
                "referral" => v.referral = val.clone(),
                "referral-outcome" => v.referral_outcome = val.clone(),
                "redirection" => v.redirection = val.clone(),
                "held-at-day" => v.held_day = val.clone(),
                "held-at-month" => v.held_month = val.clone(),
                "held-at-year" => v.held_year = val.clone(),
                "held-at-hour" => v.held_hour = val.clone(),
                "held-at-minute" => v.held_minute = val.clone(),
                "chair" => v.chair = val.clone(),
                "invited-people" => v.invited_people.push(val.clone()),
                "invited-agencies" => v.invited_agencies.push(val.clone()),
                "meeting" => v.meeting = val.clone(),
                "attended-people" => v.attended_people.push(val.clone()),
                "attended-agencies" => v.attended_agencies.push(val.clone()),
                "meeting-outcome" => v.meeting_outcome = val.clone(),
                "meeting-actions" => v.meeting_actions = val.clone(),
                "reason" => v.reason = val.clone(),
                other if v.dissent.take(other, val) => {}
                other => {
                    if let Some(id) = other.strip_prefix("record-") {
                        v.record.insert(id.to_owned(), val.clone());
                    }
                }
            }
        }
        (v, version)
    }

    /// A fresh form: the stage record as recorded, the timescale as agreed.
    pub(crate) fn initial(offered: &Offered) -> Values {
        Values {
            record: offered
                .record
                .iter()
                .map(|r| (r.id.clone(), r.text.clone().unwrap_or_default()))
                .collect(),
            working_days: offered
                .agreed_working_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            ..Values::default()
        }
    }

    /// What was typed, in words, for the conflict page.
    pub(crate) fn typed(&self, kind: ActionKind, offered: &Offered) -> Vec<Detail> {
        let mut out = Vec::new();
        let mut add = |label: &str, text: &str| {
            if !text.trim().is_empty() {
                out.push(Detail {
                    label: label.to_owned(),
                    text: text.to_owned(),
                });
            }
        };
        match kind {
            // Only what differs from the record as it now is: the rest is not lost.
            ActionKind::Record => {
                for r in &offered.record {
                    if let Some(text) = self.record.get(&r.id)
                        && svc::normalise(text) != r.text.clone().unwrap_or_default()
                    {
                        add(&r.label, text);
                    }
                }
            }
            ActionKind::AgreeTimescale => add("Working days", &self.working_days),
            ActionKind::Resolve => {
                add("Outcome", choice_label(&offered.outcomes, &self.outcome));
                self.dissent.typed(&mut add);
            }
            ActionKind::ReferOn => add(
                "Referred to",
                choice_label(&offered.referrals, &self.referral),
            ),
            ActionKind::RecordReferralOutcome => {
                add("What came of the referral", &self.referral_outcome);
            }
            ActionKind::ArrangeMeeting => {
                add(
                    "Date and time",
                    &format!(
                        "{}/{}/{} {}:{}",
                        self.held_day,
                        self.held_month,
                        self.held_year,
                        self.held_hour,
                        self.held_minute
                    ),
                );
                add("Chair", choice_label(&offered.people, &self.chair));
                let names: Vec<&str> = self
                    .invited_people
                    .iter()
                    .map(|p| choice_label(&offered.people, p))
                    .collect();
                add("Invited", &names.join(", "));
            }
            ActionKind::RecordMeeting => {
                add("Outcome", &self.meeting_outcome);
                add("Actions", &self.meeting_actions);
            }
            ActionKind::Redirect => add(
                "Redirected to",
                choice_label(&offered.redirections, &self.redirection),
            ),
            ActionKind::Withdraw
            | ActionKind::Escalate
            | ActionKind::ConveneMeeting
            | ActionKind::ConfirmAgreement
            | ActionKind::RefuseAgreement
            | ActionKind::WithdrawProposal => {}
        }
        add("Reason", &self.reason);
        out
    }
}

pub(crate) fn choice_label<'a>(choices: &'a [Choice], value: &'a str) -> &'a str {
    choices
        .iter()
        .find(|c| c.value == value)
        .map_or(value, |c| c.label.as_str())
}

pub(crate) fn title(kind: ActionKind, offered: &Offered) -> String {
    if let Some(t) = crate::pages::agreement::title(kind) {
        return t.to_owned();
    }
    match kind {
        ActionKind::Record => "Update the stage record".to_owned(),
        ActionKind::AgreeTimescale => "Agree a timescale for this stage".to_owned(),
        ActionKind::Escalate => match &offered.next_stage {
            Some(n) => format!("Escalate to stage {}", n.number),
            None => "Escalate to the next stage".to_owned(),
        },
        ActionKind::Resolve => "Resolve the escalation".to_owned(),
        ActionKind::ConveneMeeting => "Convene a professionals’ meeting".to_owned(),
        ActionKind::ReferOn => "Refer the escalation on".to_owned(),
        ActionKind::RecordReferralOutcome => "Record what came of the referral".to_owned(),
        ActionKind::ArrangeMeeting => "Arrange a meeting".to_owned(),
        ActionKind::RecordMeeting => "Record a meeting".to_owned(),
        ActionKind::Redirect => "Redirect the escalation to another procedure".to_owned(),
        ActionKind::Withdraw => "Withdraw the escalation".to_owned(),
        ActionKind::ConfirmAgreement
        | ActionKind::RefuseAgreement
        | ActionKind::WithdrawProposal => String::new(),
    }
}

#[derive(Serialize)]
pub(crate) struct ActionPage {
    pub(crate) page_title: String,
    pub(crate) has_errors: bool,
    pub(crate) errors: ErrorSummary,
    pub(crate) action: &'static str,
    pub(crate) form_action: String,
    pub(crate) e: EscalationView,
    pub(crate) version: i64,
    /// Whether the procedure allows this now; if not, `refused` says why and no form shows.
    pub(crate) available: bool,
    pub(crate) refused: Option<String>,
    pub(crate) offered: Offered,
    pub(crate) values: Values,
}

pub(crate) fn action_view(
    loaded: &Loaded,
    kind: ActionKind,
    offered: Offered,
    values: Values,
    errors: &FieldErrors,
) -> ActionPage {
    let e = svc::view_without_case(loaded, offered.actions.clone());
    ActionPage {
        page_title: title(kind, &offered),
        has_errors: !errors.is_empty(),
        errors: ErrorSummary::of(errors),
        action: kind.as_str(),
        form_action: kind.href(&loaded.row.id),
        version: loaded.version(),
        available: offered.allows(kind),
        refused: offered.refused.get(kind.as_str()).cloned(),
        e,
        offered,
        values,
    }
}

pub(crate) fn render_action(
    state: &AppState,
    user: &CurrentUser,
    page: ActionPage,
) -> Result<Html<String>, AppError> {
    let current = page.form_action.clone();
    render(state, Some(user), &current, "escalation/action.html", page)
}

/// `?stage=N` on the record form: the record of a stage the escalation went through.
#[derive(Deserialize)]
pub(crate) struct StageQuery {
    pub(crate) stage: Option<String>,
}

/// The stage a record form is about when `?stage=` names one (issue 14, item 8), after
/// checking that the person may write it.
pub(crate) async fn given_stage(
    state: &AppState,
    user: &CurrentUser,
    loaded: &svc::Loaded,
    kind: ActionKind,
    q: &StageQuery,
) -> Result<Option<StageNumber>, AppError> {
    let Some(text) = q.stage.as_deref().filter(|_| kind == ActionKind::Record) else {
        svc::permitted(loaded, kind)?;
        return Ok(None);
    };
    let n: i64 = text.trim().parse().map_err(|_| {
        AppError::invalid_field("stage", format!("“{text}” is not a stage number, like 1"))
    })?;
    let stage = stage_record::stage_of(loaded, Some(n))?;
    if !stage_record::may_record(state, user, loaded, stage).await? {
        return Err(AppError::Forbidden);
    }
    Ok(Some(stage))
}

/// The record form for `stage` instead of the current one.
pub(crate) fn for_stage(page: &mut ActionPage, loaded: &svc::Loaded, stage: StageNumber) {
    page.offered.record = stage_record::entries(loaded, stage);
    page.values.record = page
        .offered
        .record
        .iter()
        .map(|r| (r.id.clone(), r.text.clone().unwrap_or_default()))
        .chain(std::mem::take(&mut page.values.record))
        .collect();
    page.form_action = format!("{}?stage={stage}", ActionKind::Record.href(&loaded.row.id));
    let current = stage == loaded.state.current_stage() && loaded.state.status.is_open();
    page.page_title = match loaded.ctx.rules.procedure.stage(stage) {
        _ if current => page.page_title.clone(),
        Some(s) => format!("Update the record of {}", lower_stage(&s.name())),
        None => format!("Update the record of stage {stage}"),
    };
    page.available = !page.offered.record.is_empty();
    page.refused = (!page.available).then(|| format!("Stage {stage} keeps no record"));
}

pub(crate) fn lower_stage(name: &str) -> String {
    let mut c = name.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_lowercase().collect::<String>() + c.as_str()
    })
}

pub(crate) async fn action_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<StageQuery>,
    kind: ActionKind,
) -> Result<Html<String>, AppError> {
    let loaded = svc::load(&state, &user, &id).await?;
    let stage = given_stage(&state, &user, &loaded, kind, &q).await?;
    let offered = svc::offered(&loaded, state.now());
    let values = Values::initial(&offered);
    let mut page = action_view(&loaded, kind, offered, values, &FieldErrors::default());
    match stage {
        Some(n) => {
            page.values.record.clear();
            for_stage(&mut page, &loaded, n);
        }
        // The form names the stage it writes, so that it (and the conflict page's link)
        // keeps to it if the escalation moves on meanwhile.
        None if kind == ActionKind::Record => {
            page.form_action = format!(
                "{}?stage={}",
                kind.href(&loaded.row.id),
                loaded.state.current_stage()
            );
        }
        None => {}
    }
    render_action(&state, &user, page)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StageQuery>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
    kind: ActionKind,
) -> Result<Response, AppError> {
    let (values, version) = Values::from_pairs(&pairs);
    let version: i64 = version
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            AppError::invalid(
                "the form could not be read: reload the page and try again".to_owned(),
            )
        })?;
    let loaded = svc::load(&state, &user, &id).await?;
    let stage = given_stage(&state, &user, &loaded, kind, &q).await?;
    let mut offered = svc::offered(&loaded, state.now());
    if let Some(n) = stage {
        offered.record = stage_record::entries(&loaded, n);
    }
    let mut values = values;
    values.stage = stage.map(|n| i64::from(n.get()));
    if loaded.based_on(version).is_err() {
        return conflict(&state, &user, &loaded, kind, &offered, &values, version).await;
    }
    // The form's own checks, in the GOV.UK wording; the state machine checks the rest.
    let mut errors = FieldErrors::default();
    let input = match kind {
        ActionKind::Record => {
            let kept: Vec<String> = offered.record.iter().map(|r| r.id.clone()).collect();
            let number = stage.unwrap_or_else(|| loaded.state.current_stage());
            let written = loaded
                .state
                .stages
                .iter()
                .find(|s| s.number == number)
                .unwrap_or_else(|| loaded.state.current());
            let fields = svc::record_changes(written, &kept, &values.record);
            ActionInput::Record {
                fields: fields.into_iter().collect(),
                stage: stage.map(|n| i64::from(n.get())),
            }
        }
        ActionKind::AgreeTimescale => {
            let text = values.working_days.trim();
            let days = if text.is_empty() {
                errors.add(
                    field::WORKING_DAYS,
                    "Enter the number of working days agreed",
                );
                0
            } else {
                match text.parse::<i64>() {
                    Ok(d) if d >= 1 => d,
                    Ok(_) => {
                        errors.add(
                            field::WORKING_DAYS,
                            "The number of working days must be 1 or more",
                        );
                        0
                    }
                    Err(_) => {
                        errors.add(
                            field::WORKING_DAYS,
                            "The number of working days must be a whole number, like 5",
                        );
                        0
                    }
                }
            };
            ActionInput::AgreeTimescale { working_days: days }
        }
        ActionKind::Escalate => ActionInput::Escalate,
        ActionKind::Resolve => {
            if values.outcome.is_empty() {
                errors.add(field::OUTCOME, "Select how the disagreement was resolved");
            }
            // Issue 14, item 2: the statement goes with a recorded disagreement only.
            let recorded = values.outcome.parse() == Ok(Resolution::DisagreementRecorded);
            let dissent = recorded.then(|| values.dissent.input(&mut errors));
            ActionInput::Resolve {
                outcome: values.outcome.clone(),
                dissent,
            }
        }
        ActionKind::ConveneMeeting => ActionInput::ConveneMeeting,
        ActionKind::ReferOn => {
            if values.referral.is_empty() {
                errors.add(field::REFERRAL, "Select who the escalation is referred to");
            }
            ActionInput::ReferOn {
                referral: values.referral.clone(),
            }
        }
        ActionKind::ArrangeMeeting => {
            let num = |t: &str| t.trim().parse::<u32>().ok();
            let held_at = match (
                num(&values.held_day),
                num(&values.held_month),
                num(&values.held_year),
                num(&values.held_hour),
                num(&values.held_minute),
            ) {
                (Some(d), Some(m), Some(y), Some(h), Some(mi))
                    if (1000..=9999).contains(&y) && h < 24 && mi < 60 =>
                {
                    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}")
                }
                _ => {
                    errors.add(
                        field::HELD_AT,
                        "Enter the date of the meeting, like 27 3 2027, and its time, like 14 30",
                    );
                    String::new()
                }
            };
            if values.invited_people.is_empty() {
                errors.add(
                    field::INVITED_PEOPLE,
                    "Select at least one person invited to the meeting",
                );
            }
            ActionInput::ArrangeMeeting {
                held_at,
                chair: Some(values.chair.clone()).filter(|c| !c.is_empty()),
                invited_people: values.invited_people.clone(),
                invited_agencies: values.invited_agencies.clone(),
            }
        }
        ActionKind::RecordMeeting => {
            let meeting = values.meeting.trim().parse::<i64>().unwrap_or_else(|_| {
                errors.add(field::MEETING, "Select the meeting to record");
                0
            });
            if values.meeting_outcome.trim().is_empty() {
                errors.add(field::MEETING_OUTCOME, "Enter the outcome of the meeting");
            }
            ActionInput::RecordMeeting {
                meeting,
                attended_people: values.attended_people.clone(),
                attended_agencies: values.attended_agencies.clone(),
                outcome: values.meeting_outcome.clone(),
                actions: Some(values.meeting_actions.clone()),
            }
        }
        ActionKind::RecordReferralOutcome => {
            if values.referral_outcome.trim().is_empty() {
                errors.add(field::REFERRAL_OUTCOME, "Enter what came of the referral");
            }
            ActionInput::RecordReferralOutcome {
                outcome: values.referral_outcome.clone(),
            }
        }
        ActionKind::Redirect => {
            redirect::form_problems(&values.redirection, &values.reason, &mut errors);
            ActionInput::Redirect {
                redirection: values.redirection.clone(),
            }
        }
        ActionKind::Withdraw => {
            if values.reason.trim().is_empty() {
                errors.add(
                    field::REASON,
                    "Enter why you are withdrawing the escalation",
                );
            }
            ActionInput::Withdraw
        }
        ActionKind::ConfirmAgreement
        | ActionKind::RefuseAgreement
        | ActionKind::WithdrawProposal => {
            crate::pages::agreement::input(kind, &values.reason, &mut errors)
        }
    };
    if errors.is_empty() {
        let request = ActionRequest {
            version,
            action: input,
            reason: Some(values.reason.clone()).filter(|r| !r.trim().is_empty()),
        };
        match svc::act(&state, &user, &id, &request).await {
            Ok(_) => {
                return Ok(Redirect::to(&svc::Done::Action(kind).href(&id)).into_response());
            }
            Err(ActError::Conflict { .. }) => {
                let loaded = svc::load(&state, &user, &id).await?;
                let mut offered_now = svc::offered(&loaded, state.now());
                if let Some(n) = stage {
                    offered_now.record = stage_record::entries(&loaded, n);
                }
                return conflict(&state, &user, &loaded, kind, &offered_now, &values, version)
                    .await;
            }
            Err(ActError::Invalid(e)) => errors.push(*e),
            Err(ActError::Other(e)) => return Err(e),
        }
    }
    let mut page = action_view(&loaded, kind, offered, values, &errors);
    if let Some(n) = stage {
        for_stage(&mut page, &loaded, n);
    }
    Ok(crate::pages::invalid(render_action(&state, &user, page)?))
}

#[derive(Serialize)]
pub(crate) struct ConflictPage {
    pub(crate) page_title: &'static str,
    pub(crate) e: EscalationView,
    pub(crate) seen: i64,
    pub(crate) current: i64,
    pub(crate) action_title: String,
    pub(crate) form_action: String,
    /// What happened since the version the person saw, oldest first.
    pub(crate) changes: Vec<HistoryItem>,
    /// What they typed, to copy into the form again.
    pub(crate) typed: Vec<Detail>,
}

/// 409: someone acted since `seen`. Says what changed and shows back what was typed.
pub(crate) async fn conflict(
    state: &AppState,
    user: &CurrentUser,
    loaded: &Loaded,
    kind: ActionKind,
    offered: &Offered,
    values: &Values,
    seen: i64,
) -> Result<Response, AppError> {
    // A stage's record form keeps to its stage (issue 14, item 8).
    let form_action = values
        .stage
        .map(|n| format!("{}?stage={n}", kind.href(&loaded.row.id)));
    let changes: Vec<HistoryItem> = svc::history(loaded)
        .into_iter()
        .filter(|h| h.version > seen)
        .collect();
    let page = ConflictPage {
        page_title: "Someone else changed this escalation",
        e: svc::view_without_case(loaded, offered.actions.clone()),
        seen,
        current: loaded.version(),
        action_title: title(kind, offered),
        form_action: form_action.unwrap_or_else(|| kind.href(&loaded.row.id)),
        changes,
        typed: values.typed(kind, offered),
    };
    let html = render(
        state,
        Some(user),
        &kind.href(&loaded.row.id),
        "escalation/conflict.html",
        page,
    )?;
    Ok((StatusCode::CONFLICT, html).into_response())
}
