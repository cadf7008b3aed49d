//! Taking an action: who may, the version seen, free text checked for the child, the event
//! appended through the records.

use crate::access::Access;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::permissions;
use parley_core::WorkingDays;
use parley_core::escalation::{Escalation, Event, StageState, TransitionError};
use parley_core::names::{Resolution, StageAction};
use parley_core::procedure::{May, Procedure, StageNumber};
use parley_store::StoreError;
use parley_store::projector::ProjectError;
use parley_store::records::Actor;
use std::collections::BTreeMap;

use super::*;

/// Why an action was not taken: more than a field error, as a page shows someone's change
/// that met another on a page of its own.
#[derive(Debug)]
pub enum ActError {
    /// Someone acted meanwhile: the escalation is at `current`, the person saw `seen`.
    Conflict {
        seen: i64,
        current: i64,
        /// The store refused the append because something was written between this
        /// attempt's reading of the escalation and its append: reading it again may find
        /// only the deadline monitor's records there ([`super::retrying`]). `false` when the
        /// reading itself found another's change after `seen` ([`super::Loaded::based_on`]):
        /// final.
        raced: bool,
    },
    /// The input, or the state machine, refuses it: the error's field is the form's input at
    /// fault (its id on the page; [`field::api_member`] names it for the API).
    Invalid(Box<FieldError>),
    Other(AppError),
}

impl From<AppError> for ActError {
    fn from(e: AppError) -> Self {
        ActError::Other(e)
    }
}

impl ActError {
    /// A refusal on the page input `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> ActError {
        ActError::Invalid(Box::new(FieldError::new(field, message)))
    }

    /// The error as the API reports it: a refusal names the request's member.
    pub fn into_app_error(self) -> AppError {
        match self {
            ActError::Conflict { seen, current, .. } => {
                AppError::Conflict(conflict_message(seen, current))
            }
            ActError::Invalid(e) => AppError::Invalid(vec![FieldError {
                field: field::api_member(&e.field),
                ..*e
            }]),
            ActError::Other(e) => e,
        }
    }
}

pub fn conflict_message(seen: i64, current: i64) -> String {
    format!(
        "someone else changed this escalation meanwhile: it is at version {current}, your change was based on version {seen}. Reload it, check what changed and try again."
    )
}

fn invalid(field: &str, message: impl Into<String>) -> ActError {
    ActError::invalid(field, message)
}

/// The page field ids of each action's inputs.
pub mod field {
    pub const WORKING_DAYS: &str = "working-days";
    pub const OUTCOME: &str = "outcome";
    pub const REFERRAL: &str = "referral";
    pub const REFERRAL_OUTCOME: &str = "referral-outcome";
    pub const HELD_AT: &str = "held-at-day";
    pub const CHAIR: &str = "chair";
    pub const INVITED_PEOPLE: &str = "invited-people";
    pub const MEETING: &str = "meeting";
    pub const ATTENDED_PEOPLE: &str = "attended-people";
    pub const MEETING_OUTCOME: &str = "meeting-outcome";
    pub const MEETING_ACTIONS: &str = "meeting-actions";
    pub const REASON: &str = "reason";
    pub const REDIRECTION: &str = crate::service::redirect::FIELD;
    /// The parts of a dissent statement (issue 14, item 2).
    pub const DISSENT_WHO: &str = "dissent-who";
    pub const DISSENT_WHY: &str = "dissent-why";
    pub const DISSENT_RAISING: &str = "dissent-raising";
    pub const DISSENT_RECEIVING: &str = "dissent-receiving";
    /// The confirmation button of actions without inputs.
    pub const CONFIRM: &str = "confirm";

    /// A stage-record field's input.
    pub fn record(id: &str) -> String {
        format!("record-{id}")
    }

    /// The request member the API names for a page input: `working_days` for
    /// `working-days`, `fields.summary` for a record field's input, `answers.concern` for a
    /// partnership form's; `body` where the input stands for more than one member (the
    /// appointee is a role and a person) or none (a confirmation button).
    pub fn api_member(id: &str) -> String {
        if let Some(f) = id.strip_prefix("record-") {
            return format!("fields.{f}");
        }
        if let Some(f) = id.strip_prefix("answer-") {
            return format!("answers.{f}");
        }
        match id {
            WORKING_DAYS => "working_days",
            OUTCOME | REFERRAL_OUTCOME | MEETING_OUTCOME => "outcome",
            REFERRAL => "referral",
            HELD_AT => "held_at",
            CHAIR => "chair",
            INVITED_PEOPLE => "invited_people",
            MEETING => "meeting",
            ATTENDED_PEOPLE => "attended_people",
            MEETING_ACTIONS => "actions",
            REASON => "reason",
            REDIRECTION => "redirection",
            DISSENT_WHO => "dissent.who",
            DISSENT_WHY => "dissent.why",
            DISSENT_RAISING => "dissent.raising_side_will",
            DISSENT_RECEIVING => "dissent.receiving_side_will",
            "record" => "stage",
            _ => crate::error::field::WHOLE,
        }
        .to_owned()
    }
}

/// Line endings as `\n` and no trailing white space: what a textarea sends, kept the same
/// however the browser sends it.
pub fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

/// The fields of a stage's record that `submitted` changes: only those whose text differs
/// from what is recorded (an empty field never written is no change).
pub fn record_changes(
    state: &StageState,
    kept: &[String],
    submitted: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    kept.iter()
        .filter_map(|id| {
            let text = normalise(submitted.get(id)?);
            let before = state
                .record
                .iter()
                .find(|(f, _)| f == id)
                .map(|(_, t)| t.as_str());
            match before {
                Some(b) if b == text => None,
                None if text.is_empty() => None,
                _ => Some((id.clone(), text)),
            }
        })
        .collect()
}

/// The state-machine event for an input, with the reason to record; the page's form field at
/// fault when the input is not one.
pub(super) fn to_event(
    p: &Procedure,
    state: &Escalation,
    access: &Access,
    input: &ActionInput,
    reason: Option<&str>,
) -> Result<(Event, Option<String>), ActError> {
    let defaults = May::defaults();
    let may = p.stage(state.current_stage()).map_or(&defaults, |s| &s.may);
    let reason = reason.map(normalise).filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_TEXT)
    {
        return Err(invalid(
            field::REASON,
            format!("The reason must be {MAX_TEXT} characters or fewer"),
        ));
    }
    let event = match input {
        ActionInput::Record { fields, stage } => {
            let number = match stage {
                None => state.current_stage(),
                Some(n) => StageNumber::new(*n)
                    .ok_or_else(|| invalid("record", format!("There is no stage {n}")))?,
            };
            let first = p
                .stage(number)
                .and_then(|s| s.record.first())
                .map_or_else(|| "record".to_owned(), |f| field::record(f));
            for (id, text) in fields {
                if text.chars().count() > MAX_TEXT {
                    let label = p.record_field(id).map_or(id.as_str(), |f| f.label.as_str());
                    return Err(invalid(
                        &field::record(id),
                        format!("{label} must be {MAX_TEXT} characters or fewer"),
                    ));
                }
            }
            if fields.is_empty() {
                return Err(invalid(
                    &first,
                    "Change at least one field of the record before saving it",
                ));
            }
            Event::StageRecordUpdated {
                stage: number,
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.clone(), normalise(v)))
                    .collect(),
            }
        }
        ActionInput::AgreeTimescale { working_days } => {
            let working_days = WorkingDays::new(*working_days).map_err(|_| {
                invalid(
                    field::WORKING_DAYS,
                    "Enter a number of working days of 1 or more",
                )
            })?;
            // Issue 14, item 2: agreed with a person, it is proposed for them to confirm.
            match crate::service::agreement::agreed_with(p, state) {
                Some(_) => crate::service::agreement::propose_timescale(access, may, working_days)?,
                None => Event::TimescaleAgreed { working_days },
            }
        }
        ActionInput::Escalate => Event::Escalated,
        ActionInput::Resolve { outcome, dissent } => crate::service::agreement::resolution(
            outcome
                .parse::<Resolution>()
                .map_err(|_| invalid(field::OUTCOME, "Select how it was resolved"))?,
            dissent.as_ref(),
            access,
            may,
        )?,
        ActionInput::ConveneMeeting => Event::ProfessionalsMeetingConvened,
        ActionInput::ReferOn { referral } => {
            if referral.is_empty() {
                return Err(invalid(field::REFERRAL, "Select who it is referred to"));
            }
            Event::ReferralMade {
                referral: referral.clone(),
            }
        }
        ActionInput::RecordReferralOutcome { outcome } => {
            let outcome = normalise(outcome);
            if outcome.trim().is_empty() {
                return Err(invalid(
                    field::REFERRAL_OUTCOME,
                    "Enter what came of the referral",
                ));
            }
            if outcome.chars().count() > MAX_TEXT {
                return Err(invalid(
                    field::REFERRAL_OUTCOME,
                    format!("What came of the referral must be {MAX_TEXT} characters or fewer"),
                ));
            }
            Event::ReferralOutcomeRecorded { outcome }
        }
        ActionInput::ArrangeMeeting {
            held_at,
            chair,
            invited_people,
            invited_agencies,
        } => {
            let held_at = crate::service::meeting::parse_local(&p.calendar.time_zone, held_at)
                .ok_or_else(|| invalid(field::HELD_AT, "Enter the date and time of the meeting"))?;
            if invited_people.is_empty() {
                return Err(invalid(
                    field::INVITED_PEOPLE,
                    "Select at least one person invited to the meeting",
                ));
            }
            Event::MeetingArranged(parley_core::meeting::MeetingPlan {
                held_at,
                chair: chair.clone().filter(|c| !c.is_empty()),
                invited_people: dedup(invited_people),
                invited_agencies: dedup(invited_agencies),
            })
        }
        ActionInput::RecordMeeting {
            meeting,
            attended_people,
            attended_agencies,
            outcome,
            actions,
        } => {
            let number = u32::try_from(*meeting)
                .ok()
                .filter(|m| state.meetings.iter().any(|x| x.number == *m))
                .ok_or_else(|| invalid(field::MEETING, "Select the meeting to record"))?;
            let outcome = normalise(outcome);
            let actions = actions.as_deref().map(normalise).unwrap_or_default();
            if outcome.trim().is_empty() {
                return Err(invalid(
                    field::MEETING_OUTCOME,
                    "Enter the outcome of the meeting",
                ));
            }
            for (f, text, what) in [
                (field::MEETING_OUTCOME, &outcome, "The outcome"),
                (field::MEETING_ACTIONS, &actions, "The actions"),
            ] {
                if text.chars().count() > MAX_TEXT {
                    return Err(invalid(
                        f,
                        format!("{what} must be {MAX_TEXT} characters or fewer"),
                    ));
                }
            }
            Event::MeetingRecorded {
                meeting: number,
                record: parley_core::meeting::MeetingRecord {
                    attended_people: dedup(attended_people),
                    attended_agencies: dedup(attended_agencies),
                    outcome,
                    actions,
                },
            }
        }
        ActionInput::Redirect { redirection } => {
            crate::service::redirect::event(p, redirection, reason.as_deref())?
        }
        ActionInput::Withdraw => {
            if reason.is_none() {
                return Err(invalid(field::REASON, "Enter why you are withdrawing it"));
            }
            Event::Withdrawn
        }
        ActionInput::RefuseAgreement if reason.is_none() => {
            return Err(invalid(field::REASON, "Enter why you refuse the proposal"));
        }
        ActionInput::ConfirmAgreement
        | ActionInput::RefuseAgreement
        | ActionInput::WithdrawProposal => {
            crate::service::agreement::answer(input.kind(), access, state, may)?
        }
    };
    Ok((event, reason))
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !id.is_empty() && !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// The form field a refusal of the state machine is about.
pub(super) fn refusal_field(
    p: &Procedure,
    state: &Escalation,
    kind: ActionKind,
    e: &TransitionError,
) -> String {
    match e {
        TransitionError::AgreedTimescaleTooLong { .. }
        | TransitionError::AgreedTimescalePastOverall { .. } => field::WORKING_DAYS.to_owned(),
        TransitionError::OutcomeNotAllowed { .. } | TransitionError::AlreadyResolvedByEvents => {
            field::OUTCOME.to_owned()
        }
        TransitionError::UnknownReferral { .. }
        | TransitionError::ReferralTooEarly { .. }
        | TransitionError::ReferralNotAfter { .. } => field::REFERRAL.to_owned(),
        TransitionError::UnknownRecordField { field: f, .. } => field::record(f),
        TransitionError::NoSuchRedirection(_) => field::REDIRECTION.to_owned(),
        TransitionError::Agreement(parley_core::agreement::AgreementError::IncompleteDissent(
            what,
        )) => match *what {
            "who disagrees" => field::DISSENT_WHO,
            "why" => field::DISSENT_WHY,
            "what the raising side will do" => field::DISSENT_RAISING,
            _ => field::DISSENT_RECEIVING,
        }
        .to_owned(),
        _ => match kind {
            ActionKind::Record => p
                .stage(state.current_stage())
                .and_then(|s| s.record.first())
                .map_or_else(|| field::CONFIRM.to_owned(), |f| field::record(f)),
            ActionKind::AgreeTimescale => field::WORKING_DAYS.to_owned(),
            ActionKind::Resolve => field::OUTCOME.to_owned(),
            ActionKind::ReferOn => field::REFERRAL.to_owned(),
            ActionKind::RecordReferralOutcome => field::REFERRAL_OUTCOME.to_owned(),
            ActionKind::ArrangeMeeting => field::HELD_AT.to_owned(),
            ActionKind::RecordMeeting => field::MEETING.to_owned(),
            ActionKind::Redirect => field::REDIRECTION.to_owned(),
            ActionKind::Withdraw | ActionKind::RefuseAgreement => field::REASON.to_owned(),
            ActionKind::Escalate
            | ActionKind::ConveneMeeting
            | ActionKind::ConfirmAgreement
            | ActionKind::WithdrawProposal => field::CONFIRM.to_owned(),
        },
    }
}

/// Issue 13, item 3: the stage record and the reason given with an action are read by the
/// partnership business team, who never see the child: neither may identify the child of the
/// escalation, and neither may be invisible or hold bidirectional controls (item 11). The
/// form field at fault is named, by its label in the message.
async fn check_free_text(
    state: &AppState,
    loaded: &Loaded,
    event: &Event,
    reason: Option<&str>,
) -> Result<(), ActError> {
    use crate::service::free_text::{self, Whose};
    let record = matches!(
        event,
        Event::StageRecordUpdated { .. }
            | Event::ReferralOutcomeRecorded { .. }
            | Event::MeetingRecorded { .. }
            | Event::DisagreementRecorded(_)
    );
    if !record && reason.is_none() {
        // No text to check: the child's details are not read (most actions carry none).
        return Ok(());
    }
    let child: Vec<_> = free_text::child_of(state, &loaded.row)
        .await?
        .into_iter()
        .collect();
    if let Event::StageRecordUpdated { fields, .. } = event {
        for (id, text) in fields {
            let label = loaded
                .procedure()
                .record_field(id)
                .map_or(id.as_str(), |f| f.label.as_str());
            free_text::check(&child, Whose::TheChild, &format!("“{label}”"), text)
                .map_err(|m| invalid(&field::record(id), m))?;
        }
    }
    if let Event::MeetingRecorded { record, .. } = event {
        free_text::check(&child, Whose::TheChild, "The outcome", &record.outcome)
            .map_err(|m| invalid(field::MEETING_OUTCOME, m))?;
        if !record.actions.is_empty() {
            free_text::check(&child, Whose::TheChild, "The actions", &record.actions)
                .map_err(|m| invalid(field::MEETING_ACTIONS, m))?;
        }
    }
    if let Event::ReferralOutcomeRecorded { outcome } = event {
        free_text::check(
            &child,
            Whose::TheChild,
            "What came of the referral",
            outcome,
        )
        .map_err(|m| invalid(field::REFERRAL_OUTCOME, m))?;
    }
    // Issue 14, item 2: the dissent statement, each part.
    if let Event::DisagreementRecorded(d) = event {
        crate::service::agreement::check_dissent(&child, d)?;
    }
    if let Some(r) = reason {
        free_text::check(&child, Whose::TheChild, "The reason", r)
            .map_err(|m| invalid(field::REASON, m))?;
    }
    Ok(())
}

/// `Forbidden` for someone who takes no part in the escalation now; `NotPermitted`, saying who
/// may, for someone who does but whom the procedure does not give this action at its stage.
pub fn permitted(loaded: &Loaded, kind: ActionKind) -> Result<(), AppError> {
    let p = loaded.procedure();
    let n = loaded.state.current_stage();
    let defaults = May::defaults();
    let may = p.stage(n).map_or(&defaults, |s| &s.may);
    if crate::service::agreement::allows(kind, &loaded.access, &loaded.state, p, may) {
        return Ok(());
    }
    // An answer to a proposal says whose answer it awaits (issue 14, item 2).
    Err(match refusal(loaded, kind.stage_action()) {
        AppError::NotPermitted(general) => AppError::NotPermitted(
            crate::service::agreement::who_may(p, &loaded.state, kind).unwrap_or(general),
        ),
        other => other,
    })
}

/// Why someone who may not take `action` at the current stage is refused: `NotPermitted`
/// (saying who may) when they take part in any capacity and it is open (or it is the record),
/// also for the raising side's actions, so that the receiving side learns it is not theirs
/// (issue 14, item 7); `Forbidden` otherwise.
pub fn refusal(loaded: &Loaded, action: StageAction) -> AppError {
    let takes_part = !loaded.access.acting.is_empty();
    if takes_part && (loaded.access.open || action == StageAction::Record) {
        AppError::NotPermitted(permissions::who_may(
            loaded.procedure(),
            loaded.state.current_stage(),
            action,
        ))
    } else {
        AppError::Forbidden
    }
}

/// Takes an action on escalation `id` for `user`, based on the version they saw. Returns the
/// new version.
///
/// `NotFound` unless they may see it, `Forbidden` unless they may take this action, a
/// conflict when someone acted since `version` (the deadline monitor's records aside:
/// [`Loaded::based_on`]), `Invalid` when the input or the procedure refuses it. Nothing is
/// written unless every check passes.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &ActionRequest,
) -> Result<i64, ActError> {
    super::retrying(|| act_once(state, user, id, request)).await
}

async fn act_once(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    request: &ActionRequest,
) -> Result<i64, ActError> {
    let loaded = load(state, user, id).await?;
    let kind = request.action.kind();
    // Issue 14, item 8: the record of a stage that has ended, also by those who led it;
    // item 3: anything else as the procedure's `may` list for the current stage says.
    let ended =
        |n: StageNumber| n != loaded.state.current_stage() || !loaded.state.status.is_open();
    match &request.action {
        ActionInput::Record { stage: Some(n), .. } => match StageNumber::new(*n) {
            Some(n) if ended(n) && loaded.state.stages.iter().any(|s| s.number == n) => {
                if !crate::service::stage_record::may_record(state, user, &loaded, n).await? {
                    return Err(ActError::Other(AppError::Forbidden));
                }
            }
            // The current stage, or one never reached (the state machine says so, to
            // whoever may record).
            _ => permitted(&loaded, kind)?,
        },
        _ => permitted(&loaded, kind)?,
    }
    let version = loaded.based_on(request.version)?;
    let p = loaded.procedure();
    let (event, reason) = to_event(
        p,
        &loaded.state,
        &loaded.access,
        &request.action,
        request.reason.as_deref(),
    )?;
    crate::service::cap::check_new(&loaded.state, loaded.core_rules(), &event)?;
    // Issue 14, item 6: the people and agencies a meeting names are the partnership's.
    match &event {
        Event::MeetingArranged(plan) => {
            let people: Vec<&String> = plan.chair.iter().chain(&plan.invited_people).collect();
            let agencies: Vec<&String> = plan.invited_agencies.iter().collect();
            crate::service::meeting::check_names(&loaded, &people, &agencies)
                .map_err(|m| invalid(field::INVITED_PEOPLE, m))?;
        }
        Event::MeetingRecorded { record, .. } => {
            let people: Vec<&String> = record.attended_people.iter().collect();
            let agencies: Vec<&String> = record.attended_agencies.iter().collect();
            crate::service::meeting::check_names(&loaded, &people, &agencies)
                .map_err(|m| invalid(field::ATTENDED_PEOPLE, m))?;
        }
        _ => {}
    }
    check_free_text(state, &loaded, &event, reason.as_deref()).await?;
    let result = state
        .records
        .act(
            state.now(),
            &Actor::person(user.id()),
            id,
            version,
            &event,
            reason.as_deref(),
        )
        .await;
    result.map_err(|e| refused(e, |t| refusal_field(p, &loaded.state, kind, t)))
}

/// An append the store refused, as the person is told: another's change that came first is a
/// conflict, the state machine's refusal an input error on the field `field` names for it.
pub(crate) fn refused(e: StoreError, field: impl FnOnce(&TransitionError) -> String) -> ActError {
    match e {
        StoreError::Conflict {
            expected, actual, ..
        } => ActError::Conflict {
            seen: expected,
            current: actual,
            raced: true,
        },
        StoreError::Project(ProjectError::Transition(t)) => {
            ActError::invalid(&field(&t), sentence(&t.to_string()))
        }
        other => ActError::Other(other.into()),
    }
}

/// Appends the person's `event` on the version they saw, asking the state machine first so
/// that its refusal is an input error on `field` (the appointment and the partnership form).
pub(crate) async fn decide_and_append(
    state: &AppState,
    user: &CurrentUser,
    loaded: &Loaded,
    id: &str,
    version: i64,
    event: Event,
    field: &str,
) -> Result<i64, ActError> {
    let at = state.now();
    if let Err(e) =
        parley_core::escalation::decide(Some(&loaded.state), loaded.core_rules(), at, event.clone())
    {
        return Err(ActError::invalid(field, sentence(&e.to_string())));
    }
    state
        .records
        .act(at, &Actor::person(user.id()), id, version, &event, None)
        .await
        .map_err(|e| refused(e, |_| field.to_owned()))
}

/// What was just done on an escalation, for the message its page shows after: an action,
/// an appointment or the partnership form sent. Pages go back to the escalation with
/// `?done=` and its name; nothing past [`Done::parse`] reads that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Action(ActionKind),
    /// The appoint page's (issue 14, item 4).
    Appointed,
    PartnershipFormSent,
}

impl Done {
    pub fn as_str(self) -> &'static str {
        match self {
            Done::Action(kind) => kind.as_str(),
            Done::Appointed => "appointed",
            Done::PartnershipFormSent => "partnership-form-sent",
        }
    }

    pub fn parse(name: &str) -> Option<Done> {
        [Done::Appointed, Done::PartnershipFormSent]
            .into_iter()
            .find(|d| d.as_str() == name)
            .or_else(|| ActionKind::parse(name).map(Done::Action))
    }

    /// The escalation's page with this message.
    pub fn href(self, id: &str) -> String {
        format!("/escalations/{id}?done={}", self.as_str())
    }
}

/// The message shown after `done` succeeded, from the escalation as it now is.
pub fn done_message(done: Done, loaded: &Loaded, view: &EscalationView) -> Option<String> {
    let kind = match done {
        Done::Appointed => {
            return Some(view.appointees.iter().max_by_key(|a| a.at_us).map_or_else(
                || "The appointment was made".to_owned(),
                |a| {
                    format!(
                        "{} was appointed to this escalation: {}",
                        a.name, a.role_label
                    )
                },
            ));
        }
        Done::PartnershipFormSent => {
            return Some(match &view.partnership_form {
                Some(f) => format!("{} was sent", f.title),
                None => "The partnership form was sent".to_owned(),
            });
        }
        Done::Action(kind) => kind,
    };
    if let Some(message) = crate::service::agreement::done_message(kind, loaded, view) {
        return Some(message);
    }
    Some(match kind {
        ActionKind::Record => "The stage record was saved".to_owned(),
        ActionKind::AgreeTimescale => format!(
            "The timescale was agreed: stage {} is now due on {}",
            view.current_stage.number,
            loaded.stage_due.strftime("%A %-d %B %Y")
        ),
        ActionKind::Escalate => format!(
            "The escalation moved to {}",
            lower_first(&view.current_stage.name)
        ),
        ActionKind::Resolve => match &view.outcome_label {
            Some(l) => format!("The escalation was closed: {}", l.to_lowercase()),
            None => "The resolution was recorded".to_owned(),
        },
        ActionKind::ConveneMeeting => "The professionals’ meeting was recorded".to_owned(),
        ActionKind::ReferOn => match view.referrals.last() {
            Some(r) => format!(
                "The escalation was referred on to {}: it stays open until what came of it is recorded",
                r.label
            ),
            None => "The escalation was referred on".to_owned(),
        },
        ActionKind::RecordReferralOutcome => {
            "What came of the referral was recorded, and the escalation closed".to_owned()
        }
        ActionKind::ArrangeMeeting => "The meeting was arranged".to_owned(),
        ActionKind::RecordMeeting => "The meeting was recorded".to_owned(),
        ActionKind::Redirect => {
            crate::service::redirect::done_message(view.outcome_label.as_deref())
        }
        ActionKind::Withdraw => "The escalation was withdrawn".to_owned(),
        ActionKind::ConfirmAgreement
        | ActionKind::RefuseAgreement
        | ActionKind::WithdrawProposal => return None,
    })
}
