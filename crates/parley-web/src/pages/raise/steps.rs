//! The raise questions in order, the answers in progress kept in the session, and the start page.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::render;
use crate::service::raise::{
    self as service, ChildRequest, Field, OtherProcedure, RaiseOptions, RaiseRequest,
    ReceivingPerson,
};
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::civil::Date;
use parley_core::names::{ChildStatus, RouteKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::*;

/// The questions, in order, then the check-answers page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    ImmediateRisk,
    OtherProcedure,
    Route,
    /// Where the procedure counts from the date of the decision to raise it (Dorset §4).
    DecisionDate,
    Receiving,
    ReceivingPerson,
    Decision,
    Category,
    Evidence,
    Outcome,
    Child,
    Check,
}

impl Step {
    pub(super) const QUESTIONS: [Step; 11] = [
        Step::ImmediateRisk,
        Step::OtherProcedure,
        Step::Route,
        Step::DecisionDate,
        Step::Receiving,
        Step::ReceivingPerson,
        Step::Decision,
        Step::Category,
        Step::Evidence,
        Step::Outcome,
        Step::Child,
    ];

    pub(super) fn path(self) -> &'static str {
        match self {
            Step::ImmediateRisk => "/raise/immediate-risk",
            Step::OtherProcedure => "/raise/other-procedure",
            Step::Route => "/raise/route",
            Step::DecisionDate => "/raise/decision-date",
            Step::Receiving => "/raise/receiving",
            Step::ReceivingPerson => "/raise/receiving-person",
            Step::Decision => "/raise/decision",
            Step::Category => "/raise/category",
            Step::Evidence => "/raise/evidence",
            Step::Outcome => "/raise/outcome",
            Step::Child => "/raise/child",
            Step::Check => "/raise/check",
        }
    }

    pub(super) fn template(self) -> &'static str {
        match self {
            Step::ImmediateRisk => "raise/immediate_risk.html",
            Step::OtherProcedure => "raise/other_procedure.html",
            Step::Route => "raise/route.html",
            Step::DecisionDate => "raise/decision_date.html",
            Step::Receiving => "raise/receiving.html",
            Step::ReceivingPerson => "raise/receiving_person.html",
            Step::Decision => "raise/decision.html",
            Step::Category => "raise/category.html",
            Step::Evidence => "raise/evidence.html",
            Step::Outcome => "raise/outcome.html",
            Step::Child => "raise/child.html",
            Step::Check => "raise/check.html",
        }
    }

    /// The question a problem with this field is answered on.
    pub(super) fn of(field: Field) -> Step {
        match field {
            Field::ImmediateRisk => Step::ImmediateRisk,
            Field::OtherProcedure => Step::OtherProcedure,
            Field::Route => Step::Route,
            Field::DecidedOn => Step::DecisionDate,
            Field::ReceivingAgency => Step::Receiving,
            Field::ReceivingPerson => Step::ReceivingPerson,
            Field::Decision | Field::Summary => Step::Decision,
            Field::Category => Step::Category,
            Field::Evidence => Step::Evidence,
            Field::OutcomeWanted => Step::Outcome,
            Field::Child
            | Field::ChildName
            | Field::ChildDateOfBirth
            | Field::ChildIdentifier
            | Field::ChildStatus => Step::Child,
        }
    }
}

/// The answers so far, typed. Each is kept only once its question's checks pass. Kept in
/// the session as JSON, every typed answer by its name (`crate::named`), as drafts were kept
/// before they were typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Draft {
    /// `Some(false)` once answered no (yes stops, and is not kept).
    pub(super) immediate_risk: Option<bool>,
    /// None of them, once answered so (another procedure stops, and is not kept).
    #[serde(default, with = "crate::named::option")]
    pub(super) other_procedure: Option<OtherProcedure>,
    #[serde(default, with = "crate::named::option")]
    pub(super) route: Option<RouteKind>,
    /// The date of the decision to raise it, where the procedure asks.
    #[serde(default, with = "crate::named::option")]
    pub(super) decided_on: Option<Date>,
    pub(super) receiving_agency_id: Option<String>,
    #[serde(default, with = "crate::named::option")]
    pub(super) receiving_person: Option<ReceivingPerson>,
    pub(super) decision: Option<String>,
    pub(super) summary: Option<String>,
    pub(super) category: Option<String>,
    pub(super) evidence: Option<String>,
    pub(super) outcome_wanted: Option<String>,
    pub(super) child: Option<ChildDraft>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ChildDraft {
    pub(super) name: String,
    #[serde(default, with = "crate::named::option")]
    pub(super) date_of_birth: Option<Date>,
    pub(super) identifier: Option<String>,
    #[serde(with = "crate::named")]
    pub(super) status: ChildStatus,
}

impl Draft {
    /// The route chosen, while the procedure still has it (or its only route).
    pub(super) fn route(&self, opts: &RaiseOptions) -> Option<RouteKind> {
        match self.route {
            Some(kind) => opts.has_route(kind).then_some(kind),
            None => service::check_route(opts, None).ok(),
        }
    }

    pub(super) fn skipped(&self, step: Step, opts: &RaiseOptions) -> bool {
        match step {
            // Nothing to choose.
            Step::Route => opts.only_route().is_some(),
            // Asked only where the procedure counts from the decision date.
            Step::DecisionDate => opts.decision_date.is_none(),
            // Thematic and strategic challenges have no child (DESIGN.md §6).
            Step::Child => self.route(opts).is_some_and(|r| r != RouteKind::Individual),
            _ => false,
        }
    }

    pub(super) fn answered(&self, step: Step, opts: &RaiseOptions) -> bool {
        match step {
            Step::ImmediateRisk => self.immediate_risk == Some(false),
            Step::OtherProcedure => self.other_procedure == Some(OtherProcedure::NoneOfThese),
            Step::Route => self.route(opts).is_some(),
            Step::DecisionDate => self.decided_on.is_some(),
            Step::Receiving => {
                service::check_receiving_agency(opts, self.receiving_agency_id.as_deref()).is_ok()
            }
            Step::ReceivingPerson => self.receiving_person.as_ref().is_some_and(|person| {
                service::check_receiving_agency(opts, self.receiving_agency_id.as_deref())
                    .is_ok_and(|a| service::check_receiving_person(a, person).is_ok())
            }),
            Step::Decision => self.decision.is_some() && self.summary.is_some(),
            Step::Category => service::check_category(opts, self.category.as_deref()).is_ok(),
            Step::Evidence => self.evidence.is_some(),
            Step::Outcome => self.outcome_wanted.is_some(),
            Step::Child => self.child.is_some(),
            Step::Check => false,
        }
    }

    /// The first question to answer, or the check-answers page when all are.
    pub(super) fn first_unanswered(&self, opts: &RaiseOptions) -> Step {
        Step::QUESTIONS
            .into_iter()
            .find(|s| !self.skipped(*s, opts) && !self.answered(*s, opts))
            .unwrap_or(Step::Check)
    }

    /// Where to go after answering `step`.
    pub(super) fn next(&self, step: Step, opts: &RaiseOptions, from_check: bool) -> Step {
        if from_check {
            return self.first_unanswered(opts);
        }
        Step::QUESTIONS
            .into_iter()
            .find(|s| *s > step && !self.skipped(*s, opts))
            .unwrap_or(Step::Check)
    }

    /// The question before `step` (for the back link), if any.
    pub(super) fn previous(&self, step: Step, opts: &RaiseOptions) -> Option<Step> {
        Step::QUESTIONS
            .into_iter()
            .rev()
            .find(|s| *s < step && !self.skipped(*s, opts))
    }

    /// The answers as the service checks them: the request the API takes, so that the
    /// check-answers page refuses what the API would.
    pub(super) fn request(&self, opts: &RaiseOptions) -> RaiseRequest {
        let about_a_child = self.route(opts) == Some(RouteKind::Individual);
        RaiseRequest {
            immediate_risk: self.immediate_risk,
            other_procedure: self.other_procedure.map(|o| o.as_str().to_owned()),
            route: self.route.map(|r| r.as_str().to_owned()),
            decided_on: self
                .decided_on
                .filter(|_| opts.decision_date.is_some())
                .map(|d| d.to_string()),
            receiving_agency_id: self.receiving_agency_id.clone(),
            receiving_person_id: self
                .receiving_person
                .as_ref()
                .and_then(|p| p.id())
                .map(str::to_owned),
            decision: self.decision.clone(),
            summary: self.summary.clone(),
            category: self.category.clone(),
            evidence: self.evidence.clone(),
            outcome_wanted: self.outcome_wanted.clone(),
            child: self
                .child
                .as_ref()
                .filter(|_| about_a_child)
                .map(|c| ChildRequest {
                    name: Some(c.name.clone()),
                    date_of_birth: c.date_of_birth.map(|d| d.to_string()),
                    identifier: c.identifier.clone(),
                    status: Some(c.status.as_str().to_owned()),
                }),
        }
    }

    /// A question's inputs as the form names them, from the answers kept.
    pub(super) fn values(&self, step: Step) -> BTreeMap<String, String> {
        let mut v = BTreeMap::new();
        let mut put = |k: &str, s: Option<&str>| {
            if let Some(s) = s {
                v.insert(k.to_owned(), s.to_owned());
            }
        };
        match step {
            Step::ImmediateRisk => {
                put(
                    "immediate-risk",
                    self.immediate_risk.map(|r| if r { "yes" } else { "no" }),
                );
            }
            Step::OtherProcedure => put(
                "other-procedure",
                self.other_procedure.map(OtherProcedure::as_str),
            ),
            Step::Route => put("route", self.route.map(RouteKind::as_str)),
            Step::DecisionDate => {
                if let Some(d) = self.decided_on {
                    put("decided-day", Some(&d.day().to_string()));
                    put("decided-month", Some(&d.month().to_string()));
                    put("decided-year", Some(&d.year().to_string()));
                }
            }
            Step::Receiving => put("receiving-agency", self.receiving_agency_id.as_deref()),
            Step::ReceivingPerson => put(
                "receiving-person",
                self.receiving_person.as_ref().map(ReceivingPerson::as_str),
            ),
            Step::Decision => {
                put("decision", self.decision.as_deref());
                put("summary", self.summary.as_deref());
            }
            Step::Category => put("category", self.category.as_deref()),
            Step::Evidence => put("evidence", self.evidence.as_deref()),
            Step::Outcome => put("outcome-wanted", self.outcome_wanted.as_deref()),
            Step::Child => {
                if let Some(c) = &self.child {
                    put("child-name", Some(&c.name));
                    put("child-identifier", c.identifier.as_deref());
                    put("child-status", Some(c.status.as_str()));
                    if let Some(d) = c.date_of_birth {
                        put("dob-day", Some(&d.day().to_string()));
                        put("dob-month", Some(&d.month().to_string()));
                        put("dob-year", Some(&d.year().to_string()));
                    }
                }
            }
            Step::Check => {}
        }
        v
    }
}

pub(super) fn load_draft(user: &CurrentUser) -> Draft {
    draft_from(user.session.as_ref().and_then(|s| s.draft.as_deref()))
}

pub(super) fn draft_from(json: Option<&str>) -> Draft {
    json.and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|mut v| v.get_mut(DRAFT_KEY).map(Value::take))
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Keeps (or, with `None`, drops) the answers, leaving any other form's draft as it is.
pub(super) async fn save_draft(
    state: &AppState,
    user: &CurrentUser,
    current: Option<&str>,
    draft: Option<&Draft>,
) -> Result<(), AppError> {
    let Some(session) = &user.session else {
        return Ok(());
    };
    let mut all = current
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    match draft {
        Some(d) => {
            let value =
                serde_json::to_value(d).map_err(|e| AppError::Internal(format!("draft: {e}")))?;
            all.insert(DRAFT_KEY.to_owned(), value);
        }
        None => {
            all.remove(DRAFT_KEY);
        }
    }
    let json = (!all.is_empty()).then(|| Value::Object(all).to_string());
    state
        .store
        .set_session_draft(&session.token_hash, json.as_deref())
        .await?;
    Ok(())
}

pub(super) async fn keep(
    state: &AppState,
    user: &CurrentUser,
    draft: Option<&Draft>,
) -> Result<(), AppError> {
    let current = user.session.as_ref().and_then(|s| s.draft.as_deref());
    save_draft(state, user, current, draft).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Mode {
    pub(super) from: Option<String>,
}

impl Mode {
    pub(super) fn check(&self) -> bool {
        self.from.as_deref() == Some("check")
    }
}

pub(super) fn go(step: Step, from_check: bool) -> Response {
    if from_check && step != Step::Check {
        Redirect::to(&format!("{}?from=check", step.path())).into_response()
    } else {
        Redirect::to(step.path()).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// The start page, and starting again

#[derive(Serialize)]
struct StartPage {
    page_title: &'static str,
    options: RaiseOptions,
    in_progress: bool,
    continue_href: &'static str,
    /// The procedure's text before raising, in paragraphs.
    before_raising: Vec<String>,
}

pub(super) async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Html<String>, AppError> {
    let options = service::options(&state, &user).await?;
    let draft = load_draft(&user);
    let view = StartPage {
        page_title: "Raise a challenge",
        in_progress: draft != Draft::default(),
        continue_href: draft.first_unanswered(&options).path(),
        before_raising: paragraphs(options.before_raising.as_deref().unwrap_or("")),
        options,
    };
    render(&state, Some(&user), "/raise", "raise/start.html", view)
}

#[derive(Deserialize)]
pub(super) struct Empty {}

pub(super) async fn start_again(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    keep(&state, &user, None).await?;
    Ok(go(Step::ImmediateRisk, false))
}

pub(super) fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}
