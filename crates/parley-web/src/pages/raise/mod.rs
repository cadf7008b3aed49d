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
//! The files: `steps` (the questions, the draft in progress and the start page), `question`
//! (showing and answering one question) and `finish` (check your answers, raising, stopping,
//! the confirmation).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::Method;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::route::{Route, Rule, route};
use crate::service::raise::RAISING_ROLES;

mod steps;
use steps::*;

mod question;
use question::*;

mod finish;
use finish::*;

#[cfg(test)]
mod tests;

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
