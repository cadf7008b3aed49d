//! Check your answers and raise; stopping early; the confirmation with the deadlines ahead.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::error::{ErrorSummary, FieldError};
use crate::pages::{invalid, render};
use crate::service::raise::{self as service, Confirmation, Field, OtherProcedure, RaiseOptions};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parley_core::names::{RedirectionKind, RouteKind};
use serde::Serialize;
use std::collections::BTreeMap;

use super::*;

#[derive(Serialize)]
struct CheckPage {
    page_title: String,
    has_errors: bool,
    errors: ErrorSummary,
    back: String,
    answers: Answers,
}

/// The answers as the check-answers page shows them.
#[derive(Serialize)]
struct Answers {
    immediate_risk: &'static str,
    other_procedure: &'static str,
    /// `None` when the procedure has one route (nothing was asked).
    route: Option<String>,
    /// The date of the decision to raise it, as shown, where the procedure asks for it.
    decided_on: Option<String>,
    raising_agency: String,
    receiving_agency: String,
    receiving_person: String,
    receiving_person_named: bool,
    decision: String,
    summary: String,
    category: String,
    evidence: String,
    outcome_wanted: String,
    child: Option<ChildAnswers>,
    /// The question paths with `?from=check`.
    change: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct ChildAnswers {
    name: String,
    /// As shown: `3 April 2016`.
    date_of_birth: Option<String>,
    identifier: Option<String>,
    status: String,
}

fn answers(draft: &Draft, opts: &RaiseOptions) -> Answers {
    let agency = draft
        .receiving_agency_id
        .as_deref()
        .and_then(|id| opts.agency(id));
    let person = match (agency, draft.receiving_person.as_ref().and_then(|p| p.id())) {
        (Some(a), Some(id)) => a
            .people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(String::new, |p| {
                if p.job_title.is_empty() {
                    p.name.clone()
                } else {
                    format!("{}, {}", p.name, p.job_title)
                }
            }),
        _ => "Not known".to_owned(),
    };
    let route = draft.route(opts);
    let change = Step::QUESTIONS
        .iter()
        .map(|s| {
            (
                s.path().trim_start_matches("/raise/"),
                format!("{}?from=check", s.path()),
            )
        })
        .collect();
    Answers {
        immediate_risk: "No",
        other_procedure: "No, none of these",
        route: opts
            .only_route()
            .is_none()
            .then(|| route.map_or_else(String::new, |r| r.label().to_owned())),
        decided_on: draft
            .decided_on
            .filter(|_| opts.decision_date.is_some())
            .map(|d| d.strftime("%A %-d %B %Y").to_string()),
        raising_agency: opts.raising_agency.name.clone(),
        receiving_agency: agency.map_or_else(String::new, |a| a.name.clone()),
        receiving_person_named: draft
            .receiving_person
            .as_ref()
            .is_some_and(|p| p.id().is_some()),
        receiving_person: person,
        decision: draft.decision.clone().unwrap_or_default(),
        summary: draft.summary.clone().unwrap_or_default(),
        category: draft
            .category
            .as_deref()
            .and_then(|c| opts.categories.iter().find(|x| x.id == c))
            .map_or_else(String::new, |c| c.label.clone()),
        evidence: draft.evidence.clone().unwrap_or_default(),
        outcome_wanted: draft.outcome_wanted.clone().unwrap_or_default(),
        child: draft
            .child
            .as_ref()
            .filter(|_| route == Some(RouteKind::Individual))
            .map(|c| ChildAnswers {
                name: c.name.clone(),
                date_of_birth: c.date_of_birth.map(|d| d.strftime("%-d %B %Y").to_string()),
                identifier: c.identifier.clone(),
                status: c.status.label().to_owned(),
            }),
        change,
    }
}

fn check_page(
    state: &AppState,
    user: &CurrentUser,
    draft: &Draft,
    opts: &RaiseOptions,
    problems: &[FieldError],
) -> Result<Html<String>, AppError> {
    // The summary links to the question to change (the check-answers page has no inputs),
    // each problem under its field's own key so that two problems on one question both show.
    let errors = ErrorSummary::linking(problems, |p| match Field::from_key(&p.field) {
        Some(f) => format!("{}?from=check", Step::of(f).path()),
        // About the whole challenge (the procedure changed meanwhile): this page.
        None => Step::Check.path().to_owned(),
    });
    let view = CheckPage {
        page_title: title(Step::Check, ""),
        has_errors: !errors.is_empty(),
        errors,
        back: draft
            .previous(Step::Check, opts)
            .map_or("/raise", Step::path)
            .to_owned(),
        answers: answers(draft, opts),
    };
    render(
        state,
        Some(user),
        "/raise/check",
        Step::Check.template(),
        view,
    )
}

pub(super) async fn check(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let opts = service::options(&state, &user).await?;
    let draft = load_draft(&user);
    let first = draft.first_unanswered(&opts);
    if first != Step::Check {
        return Ok(go(first, false));
    }
    // Shown before the button is pressed: anything no longer valid (the procedure or the
    // directory changed meanwhile, or the summary names the child given later).
    let partnership = state.partnership(user.partnership_id()).await?;
    let today = state.rules(&partnership, None).await?.today(state.now());
    let problems = service::validate(&opts, &draft.request(&opts), today)
        .err()
        .unwrap_or_default();
    Ok(check_page(&state, &user, &draft, &opts, problems.as_slice())?.into_response())
}

pub(super) async fn submit(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let opts = service::options(&state, &user).await?;
    // Read the draft afresh and take it before raising, so that a second press of the
    // button (no JavaScript to stop it) finds nothing to raise twice.
    let Some(session) = &user.session else {
        return Err(AppError::Csrf);
    };
    let current = state
        .store
        .session(&session.token_hash)
        .await?
        .and_then(|s| s.draft);
    let draft = draft_from(current.as_deref());
    let first = draft.first_unanswered(&opts);
    if first != Step::Check {
        return Ok(go(first, false));
    }
    save_draft(&state, &user, current.as_deref(), None).await?;
    match service::raise(&state, &user, &draft.request(&opts)).await {
        Ok(raised) => Ok(Redirect::to(&format!("/raise/done/{}", raised.id)).into_response()),
        // Nothing was raised: put the answers back.
        Err(AppError::Invalid(problems)) => {
            save_draft(&state, &user, current.as_deref(), Some(&draft)).await?;
            Ok(invalid(check_page(
                &state, &user, &draft, &opts, &problems,
            )?))
        }
        Err(e) => {
            save_draft(&state, &user, current.as_deref(), Some(&draft)).await?;
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stopping, and the confirmation

/// Why raising stopped: a child at immediate risk, or a matter for another procedure. The
/// stop page's path names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    ImmediateRisk,
    Elsewhere(RedirectionKind),
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Stop::ImmediateRisk => "immediate-risk",
            Stop::Elsewhere(kind) => kind.as_str(),
        }
    }

    fn parse(name: &str) -> Option<Stop> {
        if name == Stop::ImmediateRisk.name() {
            return Some(Stop::ImmediateRisk);
        }
        match name.parse() {
            Ok(OtherProcedure::Elsewhere(kind)) => Some(Stop::Elsewhere(kind)),
            Ok(OtherProcedure::NoneOfThese) | Err(_) => None,
        }
    }

    /// The stop page.
    pub(super) fn path(self) -> String {
        format!("/raise/stop/{}", self.name())
    }
}

#[derive(Serialize)]
struct StopPage {
    page_title: &'static str,
    /// The stop's name: `immediate-risk` or the other procedure's.
    kind: &'static str,
    paragraphs: Vec<String>,
    change_href: &'static str,
    from_procedure: bool,
    procedure: String,
}

pub(super) async fn stop(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(kind): Path<String>,
) -> Result<Html<String>, AppError> {
    let opts = service::options(&state, &user).await?;
    let stop = Stop::parse(&kind).ok_or(AppError::NotFound)?;
    let (page_title, text, from_procedure, change_href) = match stop {
        Stop::ImmediateRisk => (
            "Act now to keep the child safe",
            opts.immediate_risk.clone(),
            true,
            Step::ImmediateRisk.path(),
        ),
        Stop::Elsewhere(k) => {
            let r = opts.redirection(k).ok_or(AppError::NotFound)?;
            let title = match k {
                RedirectionKind::AllegationAgainstStaff => {
                    "This is a matter for the Local Authority Designated Officer (LADO)"
                }
                RedirectionKind::Complaint => "Make a complaint instead",
                _ => "Use the whistleblowing procedure instead",
            };
            (
                title,
                r.text.clone(),
                r.from_procedure,
                Step::OtherProcedure.path(),
            )
        }
    };
    let view = StopPage {
        page_title,
        kind: stop.name(),
        paragraphs: paragraphs(&text),
        change_href,
        from_procedure,
        procedure: opts.procedure.name,
    };
    render(&state, Some(&user), "/raise", "raise/stop.html", view)
}

#[derive(Serialize)]
struct DonePage {
    page_title: &'static str,
    done: Confirmation,
    guidance: Vec<String>,
}

pub(super) async fn done(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let done = service::confirmation(&state, &user, &id).await?;
    let view = DonePage {
        page_title: "Challenge raised",
        guidance: paragraphs(done.entry_stage_guidance.as_deref().unwrap_or("")),
        done,
    };
    render(&state, Some(&user), "/raise", "raise/done.html", view)
}
