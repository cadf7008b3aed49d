//! The escalation page, its child's details (each showing recorded) and one page per action,
//! each a form posted back to the same path (POST/redirect/GET).
//!
//! Every route is `SignedIn`: an escalation the person may not see is a 404 (never saying it
//! exists); an action they may not take is a 403. A form carries the escalation's version the
//! person saw: if someone acted meanwhile, the answer is a 409 page that says what changed and
//! shows back what they typed, so that nothing is lost. What the procedure refuses is a 422
//! with the form re-shown and the state machine's reason beside the field.

use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Html;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::render;
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::route::{Route, Rule, route};
use crate::service::deliveries::{self, Told};
use crate::service::escalation::{self as svc, ActionKind, ChildView, EscalationView, HistoryItem};

mod actions;
use actions::*;

pub fn routes() -> Vec<Route> {
    use ActionKind as K;
    vec![
        route(Method::GET, "/escalations/{id}", Rule::SignedIn, get(show)),
        // GET (and HEAD) only offer the button; the POST, with the form token, reads and
        // records the reading.
        route(
            Method::GET,
            "/escalations/{id}/child",
            Rule::SignedIn,
            get(child_offer),
        ),
        route(
            Method::POST,
            "/escalations/{id}/child",
            Rule::SignedIn,
            post(child),
        ),
        action_get("/escalations/{id}/record", K::Record),
        action_post("/escalations/{id}/record", K::Record),
        action_get("/escalations/{id}/timescale", K::AgreeTimescale),
        action_post("/escalations/{id}/timescale", K::AgreeTimescale),
        action_get("/escalations/{id}/escalate", K::Escalate),
        action_post("/escalations/{id}/escalate", K::Escalate),
        action_get("/escalations/{id}/resolve", K::Resolve),
        action_post("/escalations/{id}/resolve", K::Resolve),
        action_get("/escalations/{id}/meeting", K::ConveneMeeting),
        action_post("/escalations/{id}/meeting", K::ConveneMeeting),
        action_get("/escalations/{id}/refer", K::ReferOn),
        action_post("/escalations/{id}/refer", K::ReferOn),
        action_get(
            "/escalations/{id}/referral-outcome",
            K::RecordReferralOutcome,
        ),
        action_post(
            "/escalations/{id}/referral-outcome",
            K::RecordReferralOutcome,
        ),
        action_get("/escalations/{id}/arrange-meeting", K::ArrangeMeeting),
        action_post("/escalations/{id}/arrange-meeting", K::ArrangeMeeting),
        action_get("/escalations/{id}/record-meeting", K::RecordMeeting),
        action_post("/escalations/{id}/record-meeting", K::RecordMeeting),
        action_get("/escalations/{id}/redirect", K::Redirect),
        action_post("/escalations/{id}/redirect", K::Redirect),
        action_get("/escalations/{id}/withdraw", K::Withdraw),
        action_post("/escalations/{id}/withdraw", K::Withdraw),
        // Issue 14, item 2: answering a proposal, or withdrawing one's own.
        action_get("/escalations/{id}/confirm-agreement", K::ConfirmAgreement),
        action_post("/escalations/{id}/confirm-agreement", K::ConfirmAgreement),
        action_get("/escalations/{id}/refuse-agreement", K::RefuseAgreement),
        action_post("/escalations/{id}/refuse-agreement", K::RefuseAgreement),
        action_get("/escalations/{id}/withdraw-proposal", K::WithdrawProposal),
        action_post("/escalations/{id}/withdraw-proposal", K::WithdrawProposal),
    ]
}

fn action_get(path: &'static str, kind: ActionKind) -> Route {
    route(
        Method::GET,
        path,
        Rule::SignedIn,
        get(
            move |state: State<AppState>,
                  user: CurrentUser,
                  id: Path<String>,
                  q: Query<StageQuery>| { action_page(state, user, id, q, kind) },
        ),
    )
}

fn action_post(path: &'static str, kind: ActionKind) -> Route {
    route(
        Method::POST,
        path,
        Rule::SignedIn,
        post(
            move |state: State<AppState>,
                  id: Path<String>,
                  q: Query<StageQuery>,
                  form: CsrfForm<Vec<(String, String)>>| {
                submit(state, id, q, form, kind)
            },
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The escalation

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

#[derive(Serialize)]
struct ShowPage {
    page_title: String,
    e: EscalationView,
    /// Newest first.
    history: Vec<HistoryItem>,
    done: Option<String>,
    /// Who was told what, when (issue 15, item 2).
    told: Told,
}

/// What the page shows that moves without the escalation's version: the header's unread
/// count, and each delivery's state (read, e-mail sent...), which change as notifications are
/// resolved, read and sent. A digest of them goes into the cached page's stamp.
fn moving_parts(user: &CurrentUser, told: &Told) -> String {
    use sha2::Digest as _;
    let json = serde_json::to_vec(told).unwrap_or_default();
    format!(
        "{}|{}",
        user.unread
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        hex::encode(sha2::Sha256::digest(&json))
    )
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let loaded = svc::load(&state, &user, &id).await?;
    let now = state.now();
    let told = deliveries::told(&state, &loaded).await?;
    // The page as last rendered for this session, while the escalation's version, the
    // partnership's configuration, the minute (what is offered depends on the time), the
    // unread count and who was told what (`moving_parts`) stand.
    let kept = user.session.as_ref().map(|s| {
        (
            format!(
                "{}|/escalations/{id}|{}",
                s.token_hash,
                q.done.as_deref().unwrap_or("")
            ),
            format!(
                "{}|{}|{}|{}",
                loaded.ctx.config_version,
                loaded.version(),
                now.as_second().div_euclid(60),
                moving_parts(&user, &told)
            ),
        )
    });
    if let Some(html) = kept.as_ref().and_then(|(k, v)| state.pages.get(k, v)) {
        return Ok(Html(html));
    }
    let e = svc::view(&state, &loaded, now).await?;
    let mut history = svc::history(&loaded);
    history.reverse();
    let done = q
        .done
        .as_deref()
        .and_then(svc::Done::parse)
        .and_then(|d| svc::done_message(d, &loaded, &e));
    let html = render(
        &state,
        Some(&user),
        &format!("/escalations/{id}"),
        "escalation/show.html",
        ShowPage {
            page_title: format!("Escalation {}", e.reference),
            e,
            history,
            done,
            told,
        },
    )?;
    if let Some((key, stamp)) = kept {
        state.pages.put(key, stamp, &html.0);
    }
    Ok(html)
}

#[derive(Serialize)]
struct ChildPage {
    page_title: String,
    child: ChildView,
    /// The date of birth as GOV.UK writes dates, when it is one.
    date_of_birth: Option<String>,
}

#[derive(Serialize)]
struct ChildOffer {
    page_title: String,
    escalation_id: String,
    reference: String,
}

/// The button that shows the child's details (a form posting the session's token). Records
/// nothing, so that a link or an image on another site cannot record a reading in the
/// name of whoever follows it (issue 13 item 10); 404 for anyone not allowed the details.
async fn child_offer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let loaded = svc::child_allowed(&state, &user, &id).await?;
    render(
        &state,
        Some(&user),
        &format!("/escalations/{id}/child"),
        "escalation/child_offer.html",
        ChildOffer {
            page_title: format!("The child’s details: {}", loaded.row.reference),
            escalation_id: loaded.row.id,
            reference: loaded.row.reference,
        },
    )
}

/// The form has no fields but its token.
#[derive(Deserialize)]
struct NoFields {}

/// Records the reading, then shows the child's details; 404 for anyone not allowed them.
/// Only a POST from this site with the session's form token gets here (`CsrfForm`).
async fn child(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, _): CsrfForm<NoFields>,
) -> Result<Html<String>, AppError> {
    let child = svc::child(&state, &user, &id).await?;
    render(
        &state,
        Some(&user),
        &format!("/escalations/{id}/child"),
        "escalation/child.html",
        ChildPage {
            page_title: format!("The child’s details: {}", child.reference),
            date_of_birth: child.date_of_birth.as_deref().map(|d| {
                d.parse::<jiff::civil::Date>()
                    .map_or_else(|_| d.to_owned(), |d| d.strftime("%-d %B %Y").to_string())
            }),
            child,
        },
    )
}

// ---------------------------------------------------------------------------------------------
