//! One question: shown with its answer so far, answered, checked, and on to the next.

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::error::{ErrorSummary, FieldErrors};
use crate::pages::{invalid, render};
use crate::service::raise::{self as service, OtherProcedure, RaiseOptions, ReceivingPerson};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parley_core::names::RouteKind;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::*;

#[derive(Serialize)]
struct QuestionPage {
    page_title: String,
    has_errors: bool,
    errors: ErrorSummary,
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

pub(super) fn title(step: Step, agency: &str) -> String {
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
                OtherProcedure::NoneOfThese.as_str(),
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
                let not_known = ReceivingPerson::NotKnown;
                v.push(json!({ "value": not_known.as_str(), "text": unknown, "selected": c == Some(not_known.as_str()) }));
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
                    ReceivingPerson::NotKnown.as_str(),
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
    errors: &FieldErrors,
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
        errors: ErrorSummary::of(errors),
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

pub(super) async fn show(
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
        &FieldErrors::default(),
        q.check(),
    )?
    .into_response())
}

/// The value of a check, or `None` with its message on the input `id`.
fn problem<T>(errors: &mut FieldErrors, id: &str, r: Result<T, String>) -> Option<T> {
    errors.take(id, r)
}

pub(super) async fn answer(
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
                return Ok(Redirect::to(&Stop::ImmediateRisk.path()).into_response());
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
            Ok(none @ OtherProcedure::NoneOfThese) => draft.other_procedure = Some(none),
            Ok(OtherProcedure::Elsewhere(kind)) => {
                draft.other_procedure = None;
                keep(&state, &user, Some(&draft)).await?;
                return Ok(Redirect::to(&Stop::Elsewhere(kind).path()).into_response());
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
                draft.route = Some(kind);
            }
        }
        Step::DecisionDate => match &opts.decision_date {
            Some(question) => match crate::service::day_one::check_parts(
                question,
                field("decided-day").unwrap_or(""),
                field("decided-month").unwrap_or(""),
                field("decided-year").unwrap_or(""),
            ) {
                Ok(date) => draft.decided_on = Some(date),
                Err((part, m)) => errors.add(format!("decided-{}", part.as_str()), m),
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
            let chosen = field("receiving-person").and_then(|s| s.parse::<ReceivingPerson>().ok());
            match (agency, chosen) {
                (Some(a), Some(chosen)) => {
                    if let Some(p) = problem(
                        &mut errors,
                        "receiving-person",
                        service::check_receiving_person(a, &chosen),
                    ) {
                        draft.receiving_person = Some(p);
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
                    c.date_of_birth.map(|d| d.to_string()).as_deref(),
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
                    errors.add(format!("dob-{}", part.as_str()), m);
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
                    date_of_birth: dob,
                    identifier,
                    status,
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
            &errors,
            q.check(),
        )?));
    }
    keep(&state, &user, Some(&draft)).await?;
    Ok(go(draft.next(step, &opts, q.check()), q.check()))
}
