//! Pages: raise a challenge, one question per page (issue: "Raise a challenge"), in the
//! GOV.UK question-page pattern, without JavaScript.
//!
//! The answers in progress are kept on the server, in the session's `draft` (under the key
//! `raise`, so another form's draft in the same session is left alone), never in hidden
//! fields. Each question checks its own answers with the same checks as the API
//! (`service::raise`); the check-answers page checks them all again and raises. Someone who
//! opens a later question before answering an earlier one is sent to the first unanswered.
//!
//! `?from=check` on a question (the "Change" links) returns to the check-answers page after
//! it, by way of any question the change leaves unanswered (a new agency needs a new person;
//! a route about a child needs the child).
//!
//! Longer than 800 lines: its banner sections (the questions, the start page, one question,
//! check your answers, the confirmation) become the files of a `raise/` folder in issue 16.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use parley_core::names::{ChildStatus, RedirectionKind, RouteKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{FieldErrors, invalid, render};
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::routes::{Route, Rule, route};
use crate::service::raise::{
    self as service, ChildRequest, Confirmation, Field, OTHER_PROCEDURES, Problems, RAISING_ROLES,
    RaiseOptions, RaiseRequest,
};

/// Where the answers in progress live in the session's draft.
const DRAFT_KEY: &str = "raise";

/// More people than this in the receiving agency: a select rather than radios.
const RADIOS_MAX: usize = 15;

pub fn routes() -> Vec<Route> {
    let raisers = Rule::Roles(&RAISING_ROLES);
    let mut r = vec![
        route(Method::GET, "/raise", raisers, get(start)),
        route(Method::POST, "/raise", raisers, post(start_again)),
    ];
    for step in Step::QUESTIONS {
        r.push(route(
            Method::GET,
            step.path(),
            raisers,
            get(
                move |state: State<AppState>, user: CurrentUser, q: Query<Mode>| {
                    show(state, user, q, step)
                },
            ),
        ));
        r.push(route(
            Method::POST,
            step.path(),
            raisers,
            post(
                move |state: State<AppState>,
                      q: Query<Mode>,
                      form: CsrfForm<BTreeMap<String, String>>| {
                    answer(state, q, form, step)
                },
            ),
        ));
    }
    r.extend([
        route(Method::GET, "/raise/check", raisers, get(check)),
        route(Method::POST, "/raise/check", raisers, post(submit)),
        route(Method::GET, "/raise/stop/{kind}", raisers, get(stop)),
        // Anyone who may see the escalation (404 for anyone else).
        route(Method::GET, "/raise/done/{id}", Rule::SignedIn, get(done)),
    ]);
    r
}

// ---------------------------------------------------------------------------------------------
// The questions and the answers in progress

/// The questions, in order, then the check-answers page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
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
    const QUESTIONS: [Step; 11] = [
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

    fn path(self) -> &'static str {
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

    fn template(self) -> &'static str {
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
    fn of(field: Field) -> Step {
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

/// The answers so far. Each is kept only once its question's checks pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Draft {
    /// `Some(false)` once answered no (yes stops, and is not kept).
    immediate_risk: Option<bool>,
    /// `none` once answered none of them.
    other_procedure: Option<String>,
    route: Option<String>,
    /// `YYYY-MM-DD`: the date of the decision to raise it, where the procedure asks.
    #[serde(default)]
    decided_on: Option<String>,
    receiving_agency_id: Option<String>,
    /// A person id, or `none` for no one named.
    receiving_person: Option<String>,
    decision: Option<String>,
    summary: Option<String>,
    category: Option<String>,
    evidence: Option<String>,
    outcome_wanted: Option<String>,
    child: Option<ChildDraft>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ChildDraft {
    name: String,
    /// `YYYY-MM-DD`.
    date_of_birth: Option<String>,
    identifier: Option<String>,
    status: String,
}

impl Draft {
    fn route(&self, opts: &RaiseOptions) -> Option<RouteKind> {
        service::check_route(opts, self.route.as_deref()).ok()
    }

    fn skipped(&self, step: Step, opts: &RaiseOptions) -> bool {
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

    fn answered(&self, step: Step, opts: &RaiseOptions) -> bool {
        match step {
            Step::ImmediateRisk => self.immediate_risk == Some(false),
            Step::OtherProcedure => self.other_procedure.as_deref() == Some("none"),
            Step::Route => self.route(opts).is_some(),
            Step::DecisionDate => self.decided_on.is_some(),
            Step::Receiving => {
                service::check_receiving_agency(opts, self.receiving_agency_id.as_deref()).is_ok()
            }
            Step::ReceivingPerson => {
                self.receiving_person.is_some()
                    && service::check_receiving_agency(opts, self.receiving_agency_id.as_deref())
                        .is_ok_and(|a| {
                            service::check_receiving_person(a, self.receiving_person.as_deref())
                                .is_ok()
                        })
            }
            Step::Decision => self.decision.is_some() && self.summary.is_some(),
            Step::Category => service::check_category(opts, self.category.as_deref()).is_ok(),
            Step::Evidence => self.evidence.is_some(),
            Step::Outcome => self.outcome_wanted.is_some(),
            Step::Child => self.child.is_some(),
            Step::Check => false,
        }
    }

    /// The first question to answer, or the check-answers page when all are.
    fn first_unanswered(&self, opts: &RaiseOptions) -> Step {
        Step::QUESTIONS
            .into_iter()
            .find(|s| !self.skipped(*s, opts) && !self.answered(*s, opts))
            .unwrap_or(Step::Check)
    }

    /// Where to go after answering `step`.
    fn next(&self, step: Step, opts: &RaiseOptions, from_check: bool) -> Step {
        if from_check {
            return self.first_unanswered(opts);
        }
        Step::QUESTIONS
            .into_iter()
            .find(|s| *s > step && !self.skipped(*s, opts))
            .unwrap_or(Step::Check)
    }

    /// The question before `step` (for the back link), if any.
    fn previous(&self, step: Step, opts: &RaiseOptions) -> Option<Step> {
        Step::QUESTIONS
            .into_iter()
            .rev()
            .find(|s| *s < step && !self.skipped(*s, opts))
    }

    /// The answers as the service checks them (the same request the API takes).
    fn request(&self, opts: &RaiseOptions) -> RaiseRequest {
        let about_a_child = self.route(opts) == Some(RouteKind::Individual);
        RaiseRequest {
            immediate_risk: self.immediate_risk,
            other_procedure: self.other_procedure.clone(),
            route: self.route.clone(),
            decided_on: self
                .decided_on
                .clone()
                .filter(|_| opts.decision_date.is_some()),
            receiving_agency_id: self.receiving_agency_id.clone(),
            receiving_person_id: self.receiving_person.clone().filter(|p| p != "none"),
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
                    date_of_birth: c.date_of_birth.clone(),
                    identifier: c.identifier.clone(),
                    status: Some(c.status.clone()),
                }),
        }
    }

    /// A question's inputs as the form names them, from the answers kept.
    fn values(&self, step: Step) -> BTreeMap<String, String> {
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
            Step::OtherProcedure => put("other-procedure", self.other_procedure.as_deref()),
            Step::Route => put("route", self.route.as_deref()),
            Step::DecisionDate => {
                if let Some(d) = self
                    .decided_on
                    .as_deref()
                    .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                {
                    put("decided-day", Some(&d.day().to_string()));
                    put("decided-month", Some(&d.month().to_string()));
                    put("decided-year", Some(&d.year().to_string()));
                }
            }
            Step::Receiving => put("receiving-agency", self.receiving_agency_id.as_deref()),
            Step::ReceivingPerson => put("receiving-person", self.receiving_person.as_deref()),
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
                    put("child-status", Some(&c.status));
                    if let Some(d) = c
                        .date_of_birth
                        .as_deref()
                        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                    {
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

fn load_draft(user: &CurrentUser) -> Draft {
    draft_from(user.session.as_ref().and_then(|s| s.draft.as_deref()))
}

fn draft_from(json: Option<&str>) -> Draft {
    json.and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|mut v| v.get_mut(DRAFT_KEY).map(Value::take))
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Keeps (or, with `None`, drops) the answers, leaving any other form's draft as it is.
async fn save_draft(
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

async fn keep(state: &AppState, user: &CurrentUser, draft: Option<&Draft>) -> Result<(), AppError> {
    let current = user.session.as_ref().and_then(|s| s.draft.as_deref());
    save_draft(state, user, current, draft).await
}

#[derive(Debug, Default, Deserialize)]
struct Mode {
    from: Option<String>,
}

impl Mode {
    fn check(&self) -> bool {
        self.from.as_deref() == Some("check")
    }
}

fn go(step: Step, from_check: bool) -> Response {
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

async fn start(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
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
struct Empty {}

async fn start_again(
    State(state): State<AppState>,
    CsrfForm(user, _): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    keep(&state, &user, None).await?;
    Ok(go(Step::ImmediateRisk, false))
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One question

#[derive(Serialize)]
struct QuestionPage {
    page_title: String,
    has_errors: bool,
    errors: FieldErrors,
    action: String,
    back: String,
    /// What the form's inputs hold: the answers kept, or what was just sent.
    values: BTreeMap<String, String>,
    /// The radios' or select's items, with the current answer checked.
    items: Vec<Value>,
    /// A select rather than radios (a long list of people).
    use_select: bool,
    /// The receiving agency's name, on the person question.
    agency: String,
    options: RaiseOptions,
}

fn title(step: Step, agency: &str) -> String {
    match step {
        Step::ImmediateRisk => "Is a child at immediate risk of harm?".to_owned(),
        Step::OtherProcedure => {
            "Is this a complaint, an allegation against a member of staff, or whistleblowing?"
                .to_owned()
        }
        Step::Route => "What is the challenge about?".to_owned(),
        Step::DecisionDate => "When was the decision made to raise the challenge?".to_owned(),
        Step::Receiving => "Which agency do you disagree with?".to_owned(),
        Step::ReceivingPerson => format!("Who is your contact at {agency}?"),
        Step::Decision => "What decision or action are you challenging?".to_owned(),
        Step::Category => "What kind of disagreement is it?".to_owned(),
        Step::Evidence => "What evidence supports your view?".to_owned(),
        Step::Outcome => "What outcome do you want?".to_owned(),
        Step::Child => "About the child".to_owned(),
        Step::Check => "Check your answers before raising the challenge".to_owned(),
    }
}

fn radio(value: &str, text: &str, hint: Option<&str>, current: Option<&str>) -> Value {
    let mut item = json!({
        "value": value,
        "text": text,
        "checked": current == Some(value),
    });
    if let Some(h) = hint.filter(|h| !h.is_empty()) {
        item["hint"] = json!({ "text": h });
    }
    item
}

fn items(
    step: Step,
    opts: &RaiseOptions,
    draft: &Draft,
    values: &BTreeMap<String, String>,
) -> (Vec<Value>, bool) {
    let current = |k: &str| values.get(k).map(String::as_str);
    match step {
        Step::ImmediateRisk => (
            vec![
                radio("yes", "Yes", None, current("immediate-risk")),
                radio("no", "No", None, current("immediate-risk")),
            ],
            false,
        ),
        Step::OtherProcedure => {
            let c = current("other-procedure");
            let mut v: Vec<Value> = opts
                .redirections
                .iter()
                .map(|r| {
                    let hint = match r.kind.as_str() {
                        "complaint" => "About how an agency or a professional dealt with a child, a family or you.",
                        "allegation-against-staff" => "A concern that someone who works with children may have harmed a child, or may not be suitable to work with children.",
                        _ => "A concern about malpractice, fraud or wrongdoing in an organisation.",
                    };
                    radio(&r.kind, &r.label, Some(hint), c)
                })
                .collect();
            v.push(json!({ "divider": "or" }));
            v.push(radio(
                "none",
                "No, it is a disagreement between agencies about their work with children",
                None,
                c,
            ));
            (v, false)
        }
        Step::Route => {
            let c = current("route");
            let v = opts
                .routes
                .iter()
                .map(|r| {
                    let starts = match parley_core::StageNumber::new(r.entry_stage) {
                        Some(n) => format!(
                            "It starts at {}.",
                            parley_core::procedure::stage_name(n, &r.entry_stage_title)
                        ),
                        None => format!("It starts at stage {}.", r.entry_stage),
                    };
                    let hint = match &r.description {
                        Some(d) => format!("{d} {starts}"),
                        None => starts,
                    };
                    radio(&r.kind, &r.label, Some(&hint), c)
                })
                .collect();
            (v, false)
        }
        Step::Receiving => {
            let c = current("receiving-agency");
            let mut v = vec![
                json!({ "value": "", "text": "Select an agency", "selected": c.is_none_or(str::is_empty) }),
            ];
            v.extend(opts.agencies.iter().map(
                |a| json!({ "value": a.id, "text": a.name, "selected": c == Some(a.id.as_str()) }),
            ));
            (v, true)
        }
        Step::ReceivingPerson => {
            let c = current("receiving-person");
            let people = draft
                .receiving_agency_id
                .as_deref()
                .and_then(|id| opts.agency(id))
                .map(|a| a.people.as_slice())
                .unwrap_or_default();
            let unknown = "I do not know who will deal with it";
            if people.len() > RADIOS_MAX {
                let mut v = vec![
                    json!({ "value": "", "text": "Select a person", "selected": c.is_none_or(str::is_empty) }),
                ];
                v.extend(people.iter().map(|p| {
                    let text = if p.job_title.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{}, {}", p.name, p.job_title)
                    };
                    json!({ "value": p.id, "text": text, "selected": c == Some(p.id.as_str()) })
                }));
                v.push(json!({ "value": "none", "text": unknown, "selected": c == Some("none") }));
                (v, true)
            } else {
                let mut v: Vec<Value> = people
                    .iter()
                    .map(|p| radio(&p.id, &p.name, Some(&p.job_title), c))
                    .collect();
                if !v.is_empty() {
                    v.push(json!({ "divider": "or" }));
                }
                v.push(radio(
                    "none",
                    unknown,
                    Some("The agency's named officer for the stage will deal with it."),
                    c,
                ));
                (v, false)
            }
        }
        Step::Category => {
            let c = current("category");
            let v = opts
                .categories
                .iter()
                .map(|x| radio(&x.id, &x.label, x.hint.as_deref(), c))
                .collect();
            (v, false)
        }
        Step::Child => {
            let c = current("child-status");
            let v = opts
                .child_statuses
                .iter()
                .map(|s| radio(&s.id, &s.label, None, c))
                .collect();
            (v, false)
        }
        Step::DecisionDate | Step::Decision | Step::Evidence | Step::Outcome | Step::Check => {
            (Vec::new(), false)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn question_page(
    state: &AppState,
    user: &CurrentUser,
    step: Step,
    opts: RaiseOptions,
    draft: &Draft,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    from_check: bool,
) -> Result<Html<String>, AppError> {
    let agency = draft
        .receiving_agency_id
        .as_deref()
        .and_then(|id| opts.agency(id))
        .map_or_else(String::new, |a| a.name.clone());
    let (items, use_select) = items(step, &opts, draft, &values);
    let back = if from_check {
        Step::Check.path()
    } else {
        draft.previous(step, &opts).map_or("/raise", Step::path)
    };
    let view = QuestionPage {
        page_title: title(step, &agency),
        has_errors: !errors.is_empty(),
        errors,
        action: if from_check {
            format!("{}?from=check", step.path())
        } else {
            step.path().to_owned()
        },
        back: back.to_owned(),
        values,
        items,
        use_select,
        agency,
        options: opts,
    };
    render(state, Some(user), step.path(), step.template(), view)
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<Mode>,
    step: Step,
) -> Result<Response, AppError> {
    let opts = service::options(&state, &user).await?;
    let draft = load_draft(&user);
    let first = draft.first_unanswered(&opts);
    if first < step {
        return Ok(go(first, q.check()));
    }
    if draft.skipped(step, &opts) {
        return Ok(go(draft.next(step, &opts, q.check()), q.check()));
    }
    let values = draft.values(step);
    Ok(question_page(
        &state,
        &user,
        step,
        opts,
        &draft,
        values,
        FieldErrors::default(),
        q.check(),
    )?
    .into_response())
}

/// The message of a check, or `None` when it passed.
fn problem<T>(errors: &mut FieldErrors, id: &str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            errors.add(id, m);
            None
        }
    }
}

async fn answer(
    State(state): State<AppState>,
    Query(q): Query<Mode>,
    CsrfForm(user, form): CsrfForm<BTreeMap<String, String>>,
    step: Step,
) -> Result<Response, AppError> {
    let opts = service::options(&state, &user).await?;
    let mut draft = load_draft(&user);
    let first = draft.first_unanswered(&opts);
    if first < step {
        return Ok(go(first, q.check()));
    }
    if draft.skipped(step, &opts) {
        return Ok(go(draft.next(step, &opts, q.check()), q.check()));
    }
    let field = |k: &str| form.get(k).map(String::as_str);
    let mut errors = FieldErrors::default();
    match step {
        Step::ImmediateRisk => match field("immediate-risk") {
            Some("yes") => {
                // Stop (issue: "yes: stop, with the procedure's text"): nothing is recorded,
                // and the answer is not kept, so nothing can be raised past it.
                draft.immediate_risk = None;
                keep(&state, &user, Some(&draft)).await?;
                return Ok(Redirect::to("/raise/stop/immediate-risk").into_response());
            }
            Some("no") => draft.immediate_risk = Some(false),
            _ => {
                let m = service::check_immediate_risk(None)
                    .err()
                    .unwrap_or_default();
                errors.add("immediate-risk", m);
            }
        },
        Step::OtherProcedure => match service::check_other_procedure(field("other-procedure")) {
            Ok(None) => draft.other_procedure = Some("none".to_owned()),
            Ok(Some(kind)) => {
                draft.other_procedure = None;
                keep(&state, &user, Some(&draft)).await?;
                return Ok(Redirect::to(&format!("/raise/stop/{}", kind.as_str())).into_response());
            }
            Err(m) => errors.add("other-procedure", m),
        },
        Step::Route => {
            let chosen = field("route").filter(|s| !s.is_empty());
            let checked = match chosen {
                Some(_) => service::check_route(&opts, chosen),
                None => Err("Select what the challenge is about".to_owned()),
            };
            if let Some(kind) = problem(&mut errors, "route", checked) {
                if kind != RouteKind::Individual {
                    // No child on a thematic or strategic challenge: drop any given.
                    draft.child = None;
                }
                draft.route = Some(kind.as_str().to_owned());
            }
        }
        Step::DecisionDate => match &opts.decision_date {
            Some(question) => match crate::service::day_one::check_parts(
                question,
                field("decided-day").unwrap_or(""),
                field("decided-month").unwrap_or(""),
                field("decided-year").unwrap_or(""),
            ) {
                Ok(date) => draft.decided_on = Some(date.to_string()),
                Err((part, m)) => errors.add(&format!("decided-{}", part.as_str()), m),
            },
            None => return Ok(go(draft.next(step, &opts, q.check()), q.check())),
        },
        Step::Receiving => {
            let checked = service::check_receiving_agency(&opts, field("receiving-agency"));
            if let Some(a) = problem(&mut errors, "receiving-agency", checked)
                && draft.receiving_agency_id.as_deref() != Some(a.id.as_str())
            {
                // A new agency: its people are others, so ask for the contact again.
                draft.receiving_agency_id = Some(a.id.clone());
                draft.receiving_person = None;
            }
        }
        Step::ReceivingPerson => {
            let agency = draft
                .receiving_agency_id
                .as_deref()
                .and_then(|id| opts.agency(id));
            match (agency, field("receiving-person").filter(|s| !s.is_empty())) {
                (Some(a), Some(chosen)) => {
                    if let Some(p) = problem(
                        &mut errors,
                        "receiving-person",
                        service::check_receiving_person(a, Some(chosen)),
                    ) {
                        draft.receiving_person = Some(p.unwrap_or_else(|| "none".to_owned()));
                    }
                }
                (Some(a), None) => errors.add(
                    "receiving-person",
                    format!("Select your contact at {}, or select that you do not know who will deal with it", a.name),
                ),
                (None, _) => return Ok(go(Step::Receiving, q.check())),
            }
        }
        Step::Decision => {
            let decision = problem(
                &mut errors,
                "decision",
                service::check_decision(field("decision")),
            );
            let summary = problem(
                &mut errors,
                "summary",
                service::check_summary(field("summary")),
            );
            if let (Some(s), Some(c)) = (&summary, &draft.child)
                && draft.route(&opts) == Some(RouteKind::Individual)
                && let Some(m) = service::summary_identifies_child(
                    s,
                    &c.name,
                    c.date_of_birth.as_deref(),
                    c.identifier.as_deref(),
                )
            {
                errors.add("summary", m);
            }
            if errors.is_empty() {
                draft.decision = decision;
                draft.summary = summary;
            }
        }
        Step::Category => {
            if let Some(c) = problem(
                &mut errors,
                "category",
                service::check_category(&opts, field("category")),
            ) {
                draft.category = Some(c);
            }
        }
        Step::Evidence => {
            if let Some(e) = problem(
                &mut errors,
                "evidence",
                service::check_evidence(field("evidence")),
            ) {
                draft.evidence = Some(e);
            }
        }
        Step::Outcome => {
            if let Some(o) = problem(
                &mut errors,
                "outcome-wanted",
                service::check_outcome_wanted(field("outcome-wanted")),
            ) {
                draft.outcome_wanted = Some(o);
            }
        }
        Step::Child => {
            let today = state
                .rules(&state.partnership(user.partnership_id()).await?, None)
                .await?
                .today(state.now());
            let name = problem(
                &mut errors,
                "child-name",
                service::check_child_name(field("child-name")),
            );
            let dob = match service::date_from_parts(
                field("dob-day").unwrap_or(""),
                field("dob-month").unwrap_or(""),
                field("dob-year").unwrap_or(""),
                today,
            ) {
                Ok(d) => Some(d),
                Err((part, m)) => {
                    errors.add(&format!("dob-{}", part.as_str()), m);
                    None
                }
            };
            let identifier = problem(
                &mut errors,
                "child-identifier",
                service::check_identifier(field("child-identifier")),
            );
            let status = problem(
                &mut errors,
                "child-status",
                service::check_child_status(field("child-status")),
            );
            if let (Some(name), Some(dob), Some(identifier), Some(status)) =
                (name, dob, identifier, status)
            {
                draft.child = Some(ChildDraft {
                    name,
                    date_of_birth: dob.map(|d| d.to_string()),
                    identifier,
                    status: status.as_str().to_owned(),
                });
            }
        }
        Step::Check => return Ok(go(Step::Check, false)),
    }
    if !errors.is_empty() {
        let mut values = form;
        values.remove("csrf");
        return Ok(invalid(question_page(
            &state,
            &user,
            step,
            opts,
            &draft,
            values,
            errors,
            q.check(),
        )?));
    }
    keep(&state, &user, Some(&draft)).await?;
    Ok(go(draft.next(step, &opts, q.check()), q.check()))
}

// ---------------------------------------------------------------------------------------------
// Check your answers, and raising

#[derive(Serialize)]
struct CheckPage {
    page_title: String,
    has_errors: bool,
    errors: FieldErrors,
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
    let person = match (agency, draft.receiving_person.as_deref()) {
        (Some(a), Some(id)) if id != "none" => {
            a.people
                .iter()
                .find(|p| p.id == id)
                .map_or_else(String::new, |p| {
                    if p.job_title.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{}, {}", p.name, p.job_title)
                    }
                })
        }
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
            .as_deref()
            .filter(|_| opts.decision_date.is_some())
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .map(|d| d.strftime("%A %-d %B %Y").to_string()),
        raising_agency: opts.raising_agency.name.clone(),
        receiving_agency: agency.map_or_else(String::new, |a| a.name.clone()),
        receiving_person_named: draft
            .receiving_person
            .as_deref()
            .is_some_and(|p| p != "none"),
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
                date_of_birth: c
                    .date_of_birth
                    .as_deref()
                    .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                    .map(|d| d.strftime("%-d %B %Y").to_string()),
                identifier: c.identifier.clone(),
                status: c
                    .status
                    .parse::<ChildStatus>()
                    .map_or_else(|_| c.status.clone(), |s| s.label().to_owned()),
            }),
        change,
    }
}

fn check_page(
    state: &AppState,
    user: &CurrentUser,
    draft: &Draft,
    opts: &RaiseOptions,
    problems: &Problems,
) -> Result<Html<String>, AppError> {
    let mut errors = FieldErrors::default();
    for p in &problems.0 {
        // The summary links to the question to change, with the field's own key as the
        // anchor so that two problems on one question both show.
        let step = Step::of(p.field);
        errors.summary.push(super::ErrorItem {
            text: p.message.clone(),
            href: format!("{}?from=check", step.path()),
        });
        errors
            .by_field
            .insert(p.field.key().to_owned(), p.message.clone());
    }
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

async fn check(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
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
    Ok(check_page(&state, &user, &draft, &opts, &problems)?.into_response())
}

async fn submit(
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
        Ok(Ok(raised)) => Ok(Redirect::to(&format!("/raise/done/{}", raised.id)).into_response()),
        // Nothing was raised: put the answers back.
        Ok(Err(problems)) => {
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

#[derive(Serialize)]
struct StopPage {
    page_title: &'static str,
    kind: String,
    paragraphs: Vec<String>,
    change_href: &'static str,
    from_procedure: bool,
    procedure: String,
}

async fn stop(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(kind): Path<String>,
) -> Result<Html<String>, AppError> {
    let opts = service::options(&state, &user).await?;
    let (page_title, text, from_procedure, change_href) = if kind == "immediate-risk" {
        (
            "Act now to keep the child safe",
            opts.immediate_risk.clone(),
            true,
            Step::ImmediateRisk.path(),
        )
    } else {
        let k = OTHER_PROCEDURES
            .iter()
            .copied()
            .find(|k| k.as_str() == kind)
            .ok_or(AppError::NotFound)?;
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
    };
    let view = StopPage {
        page_title,
        kind,
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

async fn done(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::raise::{
        AgencyOption, AgencyRef, CategoryOption, Limits, PersonOption, ProcedureRef, RouteOption,
    };

    fn opts(routes: &[&str]) -> RaiseOptions {
        RaiseOptions {
            procedure: ProcedureRef {
                name: "P".into(),
                partnership: "Q".into(),
                version: "1".into(),
                procedure_version: 1,
            },
            raising_agency: AgencyRef {
                id: "mine".into(),
                name: "Mine".into(),
            },
            immediate_risk: "Stop.".into(),
            before_raising: None,
            redirections: vec![],
            routes: routes
                .iter()
                .map(|k| RouteOption {
                    kind: (*k).into(),
                    label: (*k).into(),
                    description: None,
                    entry_stage: 1,
                    entry_stage_title: String::new(),
                    child_required: *k == "individual",
                })
                .collect(),
            decision_date: None,
            categories: vec![CategoryOption {
                id: "c".into(),
                label: "C".into(),
                hint: None,
            }],
            child_statuses: vec![],
            agencies: vec![AgencyOption {
                id: "other".into(),
                name: "Other".into(),
                sector: String::new(),
                people: vec![PersonOption {
                    id: "p".into(),
                    name: "P".into(),
                    job_title: String::new(),
                }],
            }],
            limits: Limits {
                summary: 150,
                text: 5000,
                child_name: 100,
                child_identifier: 50,
            },
        }
    }

    fn through_outcome() -> Draft {
        Draft {
            immediate_risk: Some(false),
            other_procedure: Some("none".into()),
            route: Some("individual".into()),
            decided_on: None,
            receiving_agency_id: Some("other".into()),
            receiving_person: Some("none".into()),
            decision: Some("d".into()),
            summary: Some("s".into()),
            category: Some("c".into()),
            evidence: Some("e".into()),
            outcome_wanted: Some("o".into()),
            child: None,
        }
    }

    #[test]
    fn the_first_unanswered_question_comes_first() {
        let o = opts(&["individual", "thematic"]);
        assert_eq!(Draft::default().first_unanswered(&o), Step::ImmediateRisk);
        let d = Draft {
            immediate_risk: Some(false),
            ..Draft::default()
        };
        assert_eq!(d.first_unanswered(&o), Step::OtherProcedure);
        assert_eq!(through_outcome().first_unanswered(&o), Step::Child);
        let thematic = Draft {
            route: Some("thematic".into()),
            ..through_outcome()
        };
        assert_eq!(
            thematic.first_unanswered(&o),
            Step::Check,
            "no child on a thematic route"
        );
        // A person no longer in the agency is an unanswered question again.
        let gone = Draft {
            receiving_person: Some("left".into()),
            ..through_outcome()
        };
        assert_eq!(gone.first_unanswered(&o), Step::ReceivingPerson);
    }

    #[test]
    fn a_single_route_is_not_asked() {
        let o = opts(&["individual"]);
        let d = Draft {
            immediate_risk: Some(false),
            other_procedure: Some("none".into()),
            ..Draft::default()
        };
        assert_eq!(d.first_unanswered(&o), Step::Receiving);
        assert_eq!(d.next(Step::OtherProcedure, &o, false), Step::Receiving);
        assert_eq!(d.previous(Step::Receiving, &o), Some(Step::OtherProcedure));
        assert_eq!(
            d.request(&o).route,
            None,
            "the service takes the only route"
        );
    }

    #[test]
    fn changing_from_check_goes_back_by_way_of_anything_left_unanswered() {
        let o = opts(&["individual", "thematic"]);
        let mut d = Draft {
            route: Some("thematic".into()),
            ..through_outcome()
        };
        assert_eq!(d.next(Step::Route, &o, true), Step::Check);
        d.route = Some("individual".into());
        assert_eq!(d.next(Step::Route, &o, true), Step::Child);
        assert_eq!(d.next(Step::Route, &o, false), Step::Receiving);
    }

    #[test]
    fn the_draft_shares_the_session_with_other_forms() {
        let d = through_outcome();
        let stored = json!({ "compliment": { "x": 1 }, "raise": d }).to_string();
        assert_eq!(draft_from(Some(&stored)), d);
        assert_eq!(draft_from(Some("not json")), Draft::default());
        assert_eq!(draft_from(None), Draft::default());
    }

    #[test]
    fn the_child_is_sent_only_on_a_route_about_a_child() {
        let o = opts(&["individual", "thematic"]);
        let d = Draft {
            child: Some(ChildDraft {
                name: "J".into(),
                date_of_birth: None,
                identifier: None,
                status: "none".into(),
            }),
            ..through_outcome()
        };
        assert!(d.request(&o).child.is_some());
        let t = Draft {
            route: Some("thematic".into()),
            ..d
        };
        assert!(t.request(&o).child.is_none());
        assert_eq!(
            t.request(&o).receiving_person_id,
            None,
            "none is no one named"
        );
    }
}
