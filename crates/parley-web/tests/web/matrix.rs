//! The role x route x relationship matrix (issue item 3).
//!
//! `EXPECTATIONS` says, for every route of `parley_web::routes::table()`, who may use it. The
//! tests walk the router's own list: a route without an expectation fails
//! `every_route_has_an_expectation` (and an expectation whose route is gone fails it too), and
//! every route is tried by every persona: each demo sign-in role, the people related to one
//! escalation in each way the issue names, an unrelated practitioner, people of another
//! partnership, and nobody signed in; with `{id}` an escalation they may or may not see, one of
//! another partnership, and one that does not exist. What each persona should get is worked
//! out from the demo data by brute force (`World::sees`), never from `parley_web::access`.
//!
//! The property that matters: never a 2xx, 3xx or 422 where a 403 or 404 is due, and never a
//! 403 or 404 where access is due.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use parley_core::names::StageAction;
use parley_store::rows::{EscalationRow, PersonRow};

use crate::harness::*;

/// Who a route lets through.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Who {
    /// Anyone, signed in or not.
    Anyone,
    /// Anyone signed in; a page sends everyone else to sign in, the API answers 401.
    SignedIn,
    /// People with one of these roles; 403 for anyone else signed in.
    Roles(&'static [&'static str]),
    /// People with one of these roles, on a thing of their own partnership named by the
    /// path (a person, an agency): 403 for anyone else signed in, 404 for another
    /// partnership's thing or one that does not exist.
    Scoped(&'static [&'static str]),
    /// `{id}` is an escalation: a 404 for anyone who may not see it (another partnership's,
    /// one that does not exist, one they have nothing to do with), then as `Need` says.
    Escalation(Need),
    /// Anyone signed in whose partnership's procedure invites compliments (Dorset §2); a
    /// 404 for everyone else signed in (issue 14, item 9).
    ComplimentsInvited,
    /// `{id}` is a notification (issue 15, item 3): its recipient only; a 404 for everyone
    /// else signed in, whatever their roles (nobody sees or marks another's).
    OwnNotification,
}

/// What an escalation route needs beyond seeing the escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Seeing it is enough.
    See,
    /// The child's details: the people involved and their managers, never the business
    /// team; a 404 for everyone else, and for an escalation without a child.
    Child,
    /// An action (issue 14, item 3): those the procedure's `may` list for the escalation's
    /// current stage names, in a capacity they hold now (`World::capacities`; withdrawing
    /// and redirecting only on the raising side), while it is open (the record also once
    /// closed). Someone
    /// who takes part in another capacity gets a 403 `not-permitted`; anyone else who sees
    /// it a 403 `forbidden`.
    Action(StageAction),
    /// Appointing someone (issue 14, item 4): those in the `by` list of an appointment the
    /// procedure provides from a stage the escalation has reached, while it is open; a 403
    /// for anyone else who sees it.
    Appoint,
    /// Confirming or refusing the proposal it awaits (issue 14, item 2): the party it awaits
    /// (`agreement::want`), never its proposer; with none pending, those who may resolve.
    Answer,
    /// Withdrawing the proposal it awaits: the proposing side's people who may take its
    /// action; with none pending, those who may resolve.
    WithdrawProposal,
}

/// What a POST sends. `{version}` becomes the escalation's current version, so that a form
/// is well formed and reaches the access check (an allowed POST may still be refused with a
/// 422 for what it lacks).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Payload {
    /// The session's CSRF token, then these fields.
    Form(&'static [(&'static str, &'static str)]),
    /// A JSON body.
    Json(&'static str),
}

/// What a path's parameter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// No parameter, an escalation for `Who::Escalation`, a static file for `{*path}`.
    Implied,
    /// A person (the chosen escalation's raiser, another partnership's, one that does not
    /// exist).
    Person,
    /// An agency (likewise).
    Agency,
    /// A procedure version of the person's own partnership (1, and one that does not exist).
    Version,
    /// A notification delivered to a person (the chosen escalation's raiser's, the stage
    /// lead's, one of another partnership, one that does not exist).
    Notification,
    /// A delivery of a notification, for administrators (one of the partnership's, one of
    /// another partnership, one that does not exist).
    Delivery,
    /// A report the partnership's procedure calls for (`[[report]]`; one of its own, one of
    /// the other partnership's procedure, one no procedure has).
    ProcedureReport,
    /// Always this value.
    Fixed(&'static str),
}

#[derive(Debug)]
pub(crate) struct Expect {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) who: Who,
    pub(crate) param: Param,
    pub(crate) send: Payload,
}

impl Expect {
    const fn with(self, param: Param) -> Expect {
        Expect { param, ..self }
    }
}

const fn get(path: &'static str, who: Who) -> Expect {
    Expect {
        method: "GET",
        path,
        who,
        param: Param::Implied,
        send: Payload::Form(&[]),
    }
}

const fn post(path: &'static str, who: Who, send: Payload) -> Expect {
    Expect {
        method: "POST",
        path,
        who,
        param: Param::Implied,
        send,
    }
}

const fn put(path: &'static str, who: Who, send: Payload) -> Expect {
    Expect {
        method: "PUT",
        ..post(path, who, send)
    }
}

use Need::*;
use Payload::{Form, Json};
use Who::*;

const BUSINESS_TEAM: &[&str] = &["partnership-business-team"];
const ADMINISTRATOR: &[&str] = &["administrator"];
const REPORT_READERS: &[&str] = &["partnership-business-team", "administrator"];
const RAISERS: &[&str] = &["practitioner", "manager", "senior-manager"];

/// Every route, and who may use it.
pub(crate) const EXPECTATIONS: &[Expect] = &[
    // Public
    get("/", Anyone),
    get("/healthz", Anyone),
    get("/static/{*path}", Anyone),
    get("/sign-in", Anyone),
    post("/sign-in", Anyone, Form(&[("email", ""), ("password", "")])),
    get("/api/openapi.json", Anyone),
    get("/api/docs", Anyone),
    // Anyone signed in
    post("/sign-out", SignedIn, Form(&[])),
    get("/my-work", SignedIn),
    get("/api/me", SignedIn),
    get("/api/my-work", SignedIn),
    get("/compliments", SignedIn),
    post(
        "/compliments",
        ComplimentsInvited,
        Form(&[("to", ""), ("message", "")]),
    ),
    get("/api/compliments", SignedIn),
    // Issue 15: everyone's own notifications, and how they get e-mail about them. Anyone
    // else's notification is a 404 (see notifications.rs).
    get("/notifications", SignedIn),
    post("/notifications/read-all", SignedIn, Form(&[])),
    get("/notifications/{id}", OwnNotification).with(Param::Notification),
    post("/notifications/{id}/read", OwnNotification, Form(&[("page", "1")]))
        .with(Param::Notification),
    get("/account/notifications", SignedIn),
    post("/account/notifications", SignedIn, Form(&[("mode", "daily")])),
    get("/api/notifications", SignedIn),
    post("/api/notifications/read-all", SignedIn, Json("{}")),
    post("/api/notifications/{id}/read", OwnNotification, Json("{}"))
        .with(Param::Notification),
    get("/api/account/notifications", SignedIn),
    put(
        "/api/account/notifications",
        SignedIn,
        Json(r#"{"mode": "daily"}"#),
    ),
    // Everyone's own API tokens (a token of anyone else is a 404: see tokens.rs).
    get("/account/tokens", SignedIn),
    post("/account/tokens/revoke", SignedIn, Form(&[("token", "")])),
    post(
        "/api/compliments",
        ComplimentsInvited,
        Json(r#"{"to_person_id": "", "message": ""}"#),
    ),
    // One escalation
    get("/escalations/{id}", Escalation(See)),
    // Who was told what, when (issue 15): everyone who sees it.
    get("/api/escalations/{id}/notifications", Escalation(See)),
    // The procedure's forms as PDF (issue 17, item 4): everyone who sees it; with the
    // child's details (a POST, recorded as a reading) only those who may see the child.
    get("/escalations/{id}/forms/{file}", Escalation(See)),
    post("/escalations/{id}/forms/{file}", Escalation(Child), Form(&[])),
    get("/api/escalations/{id}/forms/{form}", Escalation(See)),
    post("/api/escalations/{id}/forms/{form}", Escalation(Child), Json("{}")),
    // The GET shows a button; the POST (with the form token) reads and records.
    get("/escalations/{id}/child", Escalation(Child)),
    post("/escalations/{id}/child", Escalation(Child), Form(&[])),
    get("/escalations/{id}/record", Escalation(Action(StageAction::Record))),
    post(
        "/escalations/{id}/record",
        Escalation(Action(StageAction::Record)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/timescale", Escalation(Action(StageAction::AgreeTimescale))),
    post(
        "/escalations/{id}/timescale",
        Escalation(Action(StageAction::AgreeTimescale)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/escalate", Escalation(Action(StageAction::Escalate))),
    post(
        "/escalations/{id}/escalate",
        Escalation(Action(StageAction::Escalate)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/resolve", Escalation(Action(StageAction::Resolve))),
    post(
        "/escalations/{id}/resolve",
        Escalation(Action(StageAction::Resolve)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/meeting", Escalation(Action(StageAction::ConveneMeeting))),
    post(
        "/escalations/{id}/meeting",
        Escalation(Action(StageAction::ConveneMeeting)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/refer", Escalation(Action(StageAction::ReferOn))),
    post(
        "/escalations/{id}/refer",
        Escalation(Action(StageAction::ReferOn)),
        Form(&[("version", "{version}")]),
    ),
    // Issue 14, item 6: meetings arranged, and recorded once held (also after closing).
    get("/escalations/{id}/arrange-meeting", Escalation(Action(StageAction::ConveneMeeting))),
    post(
        "/escalations/{id}/arrange-meeting",
        Escalation(Action(StageAction::ConveneMeeting)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/record-meeting", Escalation(Action(StageAction::Record))),
    post(
        "/escalations/{id}/record-meeting",
        Escalation(Action(StageAction::Record)),
        Form(&[("version", "{version}")]),
    ),
    // Issue 14, item 5: what came of the referral step it is at.
    // The referral step's lead, beside those who may refer on at the stage.
    get("/escalations/{id}/referral-outcome", Escalation(Action(StageAction::ReferOn))),
    post(
        "/escalations/{id}/referral-outcome",
        Escalation(Action(StageAction::ReferOn)),
        Form(&[("version", "{version}")]),
    ),
    get(
        "/escalations/{id}/partnership-form",
        Escalation(Action(StageAction::SendPartnershipForm)),
    ),
    post(
        "/escalations/{id}/partnership-form",
        Escalation(Action(StageAction::SendPartnershipForm)),
        Form(&[("version", "{version}")]),
    ),
    // Issue 14, item 7: to another procedure the document names (the raising side's).
    get("/escalations/{id}/redirect", Escalation(Action(StageAction::Redirect))),
    post(
        "/escalations/{id}/redirect",
        Escalation(Action(StageAction::Redirect)),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/withdraw", Escalation(Action(StageAction::Withdraw))),
    post(
        "/escalations/{id}/withdraw",
        Escalation(Action(StageAction::Withdraw)),
        Form(&[("version", "{version}")]),
    ),
    // Issue 14, item 2: the answers to a proposal, and its withdrawal by the proposing side.
    get("/escalations/{id}/confirm-agreement", Escalation(Answer)),
    post(
        "/escalations/{id}/confirm-agreement",
        Escalation(Answer),
        Form(&[("version", "{version}")]),
    ),
    get("/escalations/{id}/refuse-agreement", Escalation(Answer)),
    post(
        "/escalations/{id}/refuse-agreement",
        Escalation(Answer),
        Form(&[("version", "{version}"), ("reason", "We do not agree yet.")]),
    ),
    get("/escalations/{id}/withdraw-proposal", Escalation(WithdrawProposal)),
    post(
        "/escalations/{id}/withdraw-proposal",
        Escalation(WithdrawProposal),
        Form(&[("version", "{version}")]),
    ),
    // Appointing the people of the final stages (issue 14, item 4).
    get("/escalations/{id}/appoint", Escalation(Appoint)),
    post(
        "/escalations/{id}/appoint",
        Escalation(Appoint),
        Form(&[("version", "{version}")]),
    ),
    // Raising a challenge (practitioners and managers; the business team and administrators
    // raise nothing). The questions keep their answers in the session; a later question
    // opened first redirects to the first unanswered one.
    get("/raise", Roles(RAISERS)),
    post("/raise", Roles(RAISERS), Form(&[])),
    get("/raise/immediate-risk", Roles(RAISERS)),
    post("/raise/immediate-risk", Roles(RAISERS), Form(&[])),
    get("/raise/other-procedure", Roles(RAISERS)),
    post("/raise/other-procedure", Roles(RAISERS), Form(&[])),
    get("/raise/route", Roles(RAISERS)),
    post("/raise/route", Roles(RAISERS), Form(&[])),
    get("/raise/decision-date", Roles(RAISERS)),
    post("/raise/decision-date", Roles(RAISERS), Form(&[])),
    get("/raise/receiving", Roles(RAISERS)),
    post("/raise/receiving", Roles(RAISERS), Form(&[])),
    get("/raise/receiving-person", Roles(RAISERS)),
    post("/raise/receiving-person", Roles(RAISERS), Form(&[])),
    get("/raise/decision", Roles(RAISERS)),
    post("/raise/decision", Roles(RAISERS), Form(&[])),
    get("/raise/category", Roles(RAISERS)),
    post("/raise/category", Roles(RAISERS), Form(&[])),
    get("/raise/evidence", Roles(RAISERS)),
    post("/raise/evidence", Roles(RAISERS), Form(&[])),
    get("/raise/outcome", Roles(RAISERS)),
    post("/raise/outcome", Roles(RAISERS), Form(&[])),
    get("/raise/child", Roles(RAISERS)),
    post("/raise/child", Roles(RAISERS), Form(&[])),
    get("/raise/check", Roles(RAISERS)),
    post("/raise/check", Roles(RAISERS), Form(&[])),
    get("/raise/stop/{kind}", Roles(RAISERS)).with(Param::Fixed("immediate-risk")),
    // The confirmation: anyone who may see the escalation.
    get("/raise/done/{id}", Escalation(See)),
    get("/api/raise/options", Roles(RAISERS)),
    post("/api/escalations", Roles(RAISERS), Json("{}")),
    // The partnership view: the business team only.
    get("/partnership", Roles(BUSINESS_TEAM)),
    get("/api/partnership/escalations", Roles(BUSINESS_TEAM)),
    get("/partnership/escalations.csv", Roles(BUSINESS_TEAM)),
    get("/api/partnership/escalations/csv", Roles(BUSINESS_TEAM)),
    // The learning log (issue 14, item 8): the business team only.
    get("/partnership/learning", Roles(BUSINESS_TEAM)),
    get("/api/partnership/learning", Roles(BUSINESS_TEAM)),
    // Period reports (issue 17): the business team and administrators (`fill` gives the
    // API's routes a period).
    get("/reports", Roles(REPORT_READERS)),
    get("/api/reports", Roles(REPORT_READERS)),
    get("/api/reports/csv", Roles(REPORT_READERS)),
    get("/api/reports/pdf", Roles(REPORT_READERS)),
    // The procedure's own reports (`[[report]]`): those it declares, a 404 for any other.
    get("/reports/procedure/{report}", Scoped(REPORT_READERS)).with(Param::ProcedureReport),
    get("/api/reports/procedure", Roles(REPORT_READERS)),
    get("/api/reports/procedure/{report}", Scoped(REPORT_READERS)).with(Param::ProcedureReport),
    get("/api/reports/procedure/{report}/csv", Scoped(REPORT_READERS))
        .with(Param::ProcedureReport),
    // The procedure: everyone signed in reads their own partnership's.
    get("/procedure", SignedIn),
    get("/procedure/diagram.svg", SignedIn),
    get("/api/procedure", SignedIn),
    // Administration: administrators, within their own partnership.
    get("/admin", Roles(ADMINISTRATOR)),
    get("/admin/agencies", Roles(ADMINISTRATOR)),
    post(
        "/admin/agencies",
        Roles(ADMINISTRATOR),
        Form(&[("name", ""), ("sector", "")]),
    ),
    get("/admin/people", Roles(ADMINISTRATOR)),
    get("/admin/people/new", Roles(ADMINISTRATOR)),
    post(
        "/admin/people/new",
        Roles(ADMINISTRATOR),
        Form(&[("name", "")]),
    ),
    get("/admin/people/{id}", Scoped(ADMINISTRATOR)).with(Param::Person),
    post(
        "/admin/people/{id}",
        Scoped(ADMINISTRATOR),
        Form(&[("name", "")]),
    )
    .with(Param::Person),
    get("/admin/named-officers", Roles(ADMINISTRATOR)),
    get("/admin/named-officers/{agency}", Scoped(ADMINISTRATOR)).with(Param::Agency),
    post(
        "/admin/named-officers/{agency}",
        Scoped(ADMINISTRATOR),
        Form(&[]),
    )
    .with(Param::Agency),
    get("/admin/procedure", Roles(ADMINISTRATOR)),
    post(
        "/admin/procedure",
        Roles(ADMINISTRATOR),
        Form(&[("source", "")]),
    ),
    get("/admin/procedure/versions/{version}", Scoped(ADMINISTRATOR)).with(Param::Version),
    get("/admin/closure-days", Roles(ADMINISTRATOR)),
    post(
        "/admin/closure-days",
        Roles(ADMINISTRATOR),
        Form(&[("date-day", "")]),
    ),
    // Every demo partnership has the closure day 2025-06-02 (see the harness).
    post(
        "/admin/closure-days/remove",
        Roles(ADMINISTRATOR),
        Form(&[("date", CLOSURE_DAY)]),
    ),
    // Issue 15: every notification sent in the partnership, and sending a failed one again.
    get("/admin/notifications", Roles(ADMINISTRATOR)),
    post(
        "/admin/notifications/{id}/retry",
        Scoped(ADMINISTRATOR),
        Form(&[("filter", "all")]),
    )
    .with(Param::Delivery),
    get("/api/admin/notifications", Roles(ADMINISTRATOR)),
    post(
        "/api/admin/notifications/{id}/retry",
        Scoped(ADMINISTRATOR),
        Json("{}"),
    )
    .with(Param::Delivery),
    // The partnership's API tokens (another partnership's token is a 404: see tokens.rs).
    get("/admin/tokens", Roles(ADMINISTRATOR)),
    post(
        "/admin/tokens/revoke",
        Roles(ADMINISTRATOR),
        Form(&[("token", "")]),
    ),
    get("/api/agencies", Roles(ADMINISTRATOR)),
    post("/api/agencies", Roles(ADMINISTRATOR), Json("{}")),
    get("/api/people", Roles(ADMINISTRATOR)),
    post("/api/people", Roles(ADMINISTRATOR), Json("{}")),
    get("/api/people/{id}", Scoped(ADMINISTRATOR)).with(Param::Person),
    // A well-formed body (a malformed one is refused before the person is looked up).
    put(
        "/api/people/{id}",
        Scoped(ADMINISTRATOR),
        Json(
            r#"{"name": "", "email": "", "job_title": "", "agency_id": null, "roles": [], "line_manager_id": null}"#,
        ),
    )
    .with(Param::Person),
    get("/api/named-officers", Roles(ADMINISTRATOR)),
    put("/api/named-officers", Roles(ADMINISTRATOR), Json("{}")),
    get("/api/procedure/versions", Roles(ADMINISTRATOR)),
    post("/api/procedure/versions", Roles(ADMINISTRATOR), Json("{}")),
    get("/api/procedure/versions/{version}", Scoped(ADMINISTRATOR)).with(Param::Version),
    get("/api/closure-days", Roles(ADMINISTRATOR)),
    put(
        "/api/closure-days",
        Roles(ADMINISTRATOR),
        Json(r#"{"days": ["2025-06-02"]}"#),
    ),
    get("/api/escalations/{id}", Escalation(See)),
    post("/api/escalations/{id}/child", Escalation(Child), Json("{}")),
    get("/api/escalations/{id}/history", Escalation(See)),
    post(
        "/api/escalations/{id}/appointments",
        Escalation(Appoint),
        Json(r#"{"version": {version}, "role": "", "person_id": ""}"#),
    ),
    post(
        "/api/escalations/{id}/partnership-form",
        Escalation(Action(StageAction::SendPartnershipForm)),
        Json(r#"{"version": {version}, "answers": {}}"#),
    ),
    post(
        "/api/escalations/{id}/actions",
        Escalation(Action(StageAction::Record)),
        Json(r#"{"version": {version}, "action": "record", "fields": {}}"#),
    ),
];

/// The expectation of a route of the table.
pub(crate) fn expectation(method: &Method, path: &str) -> Option<&'static Expect> {
    EXPECTATIONS
        .iter()
        .find(|e| e.method == method.as_str() && e.path == path)
}

// ---------------------------------------------------------------------------------------------
// Expected outcomes

/// What a persona should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Want {
    /// Through: 2xx or 3xx for a GET; for anything else also 400, 409 or 422 (what was sent
    /// may be refused, but only after access was granted).
    Allowed,
    /// Not signed in: a page redirects to /sign-in, the API answers 401.
    SignIn,
    Forbidden,
    /// A 403 whose API problem code is `not-permitted`: the person takes part, but the
    /// procedure gives the action to others at this stage.
    NotPermitted,
    NotFound,
}

/// Whose a path's thing is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A partnership's (a person, an agency, an escalation).
    Partnership(String),
    /// One person's (a notification delivered to them).
    Person(String),
    /// Whoever asks has one (a procedure version, a static file, a fixed value).
    Everyone,
    /// It does not exist.
    Nobody,
}

/// The value put in a path's parameter.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// How the failure messages name it.
    pub(crate) label: String,
    /// The value (empty for a route without a parameter).
    pub(crate) value: String,
    pub(crate) owner: Owner,
}

impl Target {
    pub(crate) fn none() -> Target {
        Target {
            label: "-".to_owned(),
            value: String::new(),
            owner: Owner::Everyone,
        }
    }

    pub(crate) fn new(label: impl Into<String>, value: impl Into<String>, owner: Owner) -> Target {
        Target {
            label: label.into(),
            value: value.into(),
            owner,
        }
    }
}

/// Fills a route's path parameter (a route has at most one, besides a form's name).
pub(crate) fn fill(path: &str, target: &Target) -> String {
    // A form's file (issue 17, item 4): the stage record, which every procedure the matrix
    // runs (Solihull, Dorset) and the other casts (Croydon) have, beside `{id}`.
    let mut out = path
        .replace("{*path}", "parley.css")
        .replace("{file}", "stage-record.pdf")
        .replace("{form}", "stage-record");
    if let (Some(start), Some(end)) = (out.find('{'), out.find('}')) {
        out.replace_range(start..=end, &target.value);
    }
    assert!(
        !out.contains('{'),
        "no substitution for a parameter of {path}: teach matrix::fill about it"
    );
    out.push_str(query(path));
    out
}

/// The query a route needs to answer at all (issue 17: a report's period and table), so that
/// the matrix, the leak sweep and the header checks reach the report itself.
fn query(path: &str) -> &'static str {
    match path {
        "/api/reports" | "/api/reports/pdf" => "?from=2026-11-01&to=2026-11-30",
        "/api/reports/csv" => "?from=2026-11-01&to=2026-11-30&table=open-at-end",
        _ => "",
    }
}

/// Everything the expectations are worked out from: the worlds of the partnerships
/// involved, read afresh from the store.
pub(crate) struct Live {
    worlds: HashMap<String, World>,
}

impl Live {
    pub(crate) async fn read(h: &Harness, partnerships: &[&str]) -> Live {
        let mut worlds = HashMap::new();
        for p in partnerships {
            worlds.insert((*p).to_owned(), h.world(p).await);
        }
        Live { worlds }
    }

    pub(crate) fn escalation(&self, id: &str) -> Option<(&World, &EscalationRow)> {
        self.worlds
            .values()
            .find_map(|w| w.escalations.iter().find(|e| e.id == id).map(|e| (w, e)))
    }

    /// The person as they are now (roles and activity can change).
    pub(crate) fn person(&self, id: &str) -> Option<&PersonRow> {
        self.worlds
            .values()
            .find_map(|w| w.people.iter().find(|p| p.id == id))
    }
}

/// What `person` (`None`: nobody signed in) should get from a route with a target.
pub(crate) fn want(who: Who, person: Option<&PersonRow>, target: &Target, live: &Live) -> Want {
    let Some(person) = person else {
        return match who {
            Anyone => Want::Allowed,
            _ => Want::SignIn,
        };
    };
    let has = |roles: &[&str]| person.roles.iter().any(|r| roles.contains(&r.as_str()));
    match who {
        Anyone | SignedIn => Want::Allowed,
        OwnNotification => match &target.owner {
            Owner::Person(p) if *p == person.id => Want::Allowed,
            _ => Want::NotFound,
        },
        ComplimentsInvited => {
            let invited = live
                .worlds
                .get(&person.partnership_id)
                .is_some_and(|w| w.procedure.compliments.is_some());
            if invited {
                Want::Allowed
            } else {
                Want::NotFound
            }
        }
        Roles(roles) => {
            if has(roles) {
                Want::Allowed
            } else {
                Want::Forbidden
            }
        }
        Scoped(roles) => {
            if !has(roles) {
                Want::Forbidden
            } else {
                match &target.owner {
                    Owner::Everyone => Want::Allowed,
                    Owner::Partnership(p) if *p == person.partnership_id => Want::Allowed,
                    _ => Want::NotFound,
                }
            }
        }
        Escalation(need) => {
            let Some((world, e)) = live.escalation(&target.value) else {
                return Want::NotFound;
            };
            let Some(seen) = world.sees(person, e) else {
                return Want::NotFound;
            };
            match need {
                See => Want::Allowed,
                Child => {
                    if seen.child_details && e.subject == "child" {
                        Want::Allowed
                    } else {
                        Want::NotFound
                    }
                }
                Appoint => {
                    let (all, _) = world.capacities(person, e);
                    let appoints = e.status == "open"
                        && world.procedure.appointments.iter().any(|a| {
                            i64::from(a.stage.get()) <= e.current_stage
                                && a.by.iter().any(|b| all.contains(b))
                        });
                    if appoints {
                        Want::Allowed
                    } else {
                        Want::Forbidden
                    }
                }
                // Issue 14, item 2: proposals and their answers, and a timescale agreed with a
                // person, proposed by others.
                Answer | WithdrawProposal => crate::agreement::want(need, world, person, e),
                Action(StageAction::AgreeTimescale)
                    if crate::agreement::agreed_with(world, e).is_some() =>
                {
                    crate::agreement::want(need, world, person, e)
                }
                // Issue 14, item 5: the lead of the referral step it is at records what came
                // of it and refers it on, whatever the stage's lists say.
                Action(StageAction::ReferOn) if world.referral_lead(person, e).1 => Want::Allowed,
                // Only where the procedure has a form for the partnership (Croydon Appendix A,
                // Sunderland Appendix 1).
                Action(StageAction::SendPartnershipForm)
                    if world.procedure.partnership_form.is_none() =>
                {
                    Want::NotFound
                }
                Action(action) => {
                    let (all, raising) = world.capacities(person, e);
                    let takes_part = !all.is_empty();
                    let mine = if action.raising_side_only() {
                        raising
                    } else {
                        all
                    };
                    let open = e.status == "open" || action == StageAction::Record;
                    let stage = parley_core::procedure::StageNumber::new(e.current_stage).unwrap();
                    let listed = world.procedure.may(stage, action);
                    // Someone who takes part in any capacity is told who may (a raising-side
                    // action included); anyone else who sees it is forbidden.
                    if !takes_part || !open {
                        Want::Forbidden
                    } else if mine.iter().any(|a| listed.contains(a)) {
                        Want::Allowed
                    } else {
                        Want::NotPermitted
                    }
                }
            }
        }
    }
}

/// `None` if the response is what `want` calls for; otherwise what was wrong.
pub(crate) fn verdict(
    want: Want,
    method: &Method,
    path: &str,
    signed_in: bool,
    r: &Resp,
) -> Option<String> {
    let api = path.starts_with("/api/");
    let s = r.status;
    let ok = match want {
        Want::Allowed => {
            let through = s.is_success()
                || s.is_redirection()
                || (*method != Method::GET && matches!(s.as_u16(), 400 | 409 | 422));
            let sent_to_sign_in = signed_in
                && s.is_redirection()
                && r.location()
                    .is_some_and(|l| l.starts_with("/sign-in") && !l.contains("signed-out"));
            through && !sent_to_sign_in
        }
        Want::SignIn => {
            if api {
                s == StatusCode::UNAUTHORIZED
                    && problem_code(r).as_deref() == Some("unauthenticated")
            } else {
                s == StatusCode::SEE_OTHER
                    && r.location().is_some_and(|l| l.starts_with("/sign-in"))
            }
        }
        Want::Forbidden => {
            s == StatusCode::FORBIDDEN && (!api || problem_code(r).as_deref() == Some("forbidden"))
        }
        Want::NotPermitted => {
            s == StatusCode::FORBIDDEN
                && (!api || problem_code(r).as_deref() == Some("not-permitted"))
        }
        Want::NotFound => {
            s == StatusCode::NOT_FOUND && (!api || problem_code(r).as_deref() == Some("not-found"))
        }
    };
    if ok {
        return None;
    }
    let mut got = s.as_u16().to_string();
    if let Some(l) = r.location() {
        let _ = write!(got, " -> {l}");
    }
    if api && !s.is_success() {
        let _ = write!(got, " (code {:?})", problem_code(r));
    }
    let wanted = match want {
        Want::Allowed if *method == Method::GET => "allowed (2xx/3xx)",
        Want::Allowed => "allowed (2xx/3xx, or 400/409/422 for what was sent)",
        Want::SignIn if api => "401 unauthenticated",
        Want::SignIn => "303 to /sign-in",
        Want::Forbidden => "403",
        Want::NotPermitted => "403 not-permitted",
        Want::NotFound => "404",
    };
    Some(format!("expected {wanted}, got {got}"))
}

/// The `code` of an API problem body.
pub(crate) fn problem_code(r: &Resp) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    v.get("code")?.as_str().map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Personas

/// Someone the matrix tries every route as.
#[derive(Clone, Debug)]
pub(crate) struct Persona {
    pub(crate) label: String,
    /// `None`: nobody signed in.
    pub(crate) person_id: Option<String>,
}

/// Who the matrix tries every route as, and what it puts in the paths.
#[derive(Clone, Debug)]
pub(crate) struct Cast {
    pub(crate) partnership: String,
    pub(crate) other_partnership: String,
    pub(crate) personas: Vec<Persona>,
    /// Escalations for `{id}`: the chosen one, one the business team is not told of yet,
    /// another partnership's, one that does not exist, and a closed one.
    pub(crate) escalations: Vec<Target>,
    pub(crate) people: Vec<Target>,
    pub(crate) agencies: Vec<Target>,
    /// Notifications for `{id}` (`Param::Notification`), each owned by its recipient.
    pub(crate) notifications: Vec<Target>,
    /// Deliveries for `{id}` (`Param::Delivery`), owned by their partnership.
    pub(crate) deliveries: Vec<Target>,
    /// The procedures' reports for `{report}` (`Param::ProcedureReport`), owned by the
    /// partnership whose procedure declares them.
    pub(crate) reports: Vec<Target>,
    /// The stage lead who proposes to resolve the chosen escalation by agreement before the
    /// matrix runs (issue 14, item 2: so that the rule for answering and withdrawing is tried
    /// on a proposal awaiting an answer), with their side.
    pub(crate) proposer: (String, parley_core::names::Side),
}

impl Cast {
    /// What the matrix puts in a route's parameter. Routes that change something get no
    /// closed escalation (acting on one is refused for its state, not for who is asking).
    pub(crate) fn targets(&self, expect: &Expect, writes: bool) -> Vec<Target> {
        if !expect.path.contains('{') || expect.path.contains("{*") {
            return vec![Target::none()];
        }
        match expect.param {
            Param::Implied => match expect.who {
                Escalation(_) => self
                    .escalations
                    .iter()
                    .filter(|t| !(writes && t.label.starts_with("a closed")))
                    .cloned()
                    .collect(),
                _ => panic!(
                    "{} {}: say what its parameter names (matrix::Param)",
                    expect.method, expect.path
                ),
            },
            Param::Person => self.people.clone(),
            Param::Agency => self.agencies.clone(),
            Param::Notification => self.notifications.clone(),
            Param::Delivery => self.deliveries.clone(),
            Param::ProcedureReport => self.reports.clone(),
            Param::Version => vec![
                Target::new("procedure version 1", "1", Owner::Everyone),
                Target::new(
                    "a procedure version that does not exist",
                    "999",
                    Owner::Nobody,
                ),
            ],
            Param::Fixed(v) => vec![Target::new(v, v, Owner::Everyone)],
        }
    }
}

fn describe(e: &EscalationRow) -> String {
    format!("{}, {}, stage {}", e.reference, e.status, e.current_stage)
}

/// The personas and targets of one partnership (`procedure`), with people of `other`.
pub(crate) async fn cast(h: &Harness, procedure: &str, other: &str) -> Cast {
    let a = h.partnership_of(procedure);
    let b = h.partnership_of(other);
    let wa = h.world(&a).await;
    let wb = h.world(&b).await;
    let from = wa.business_from.unwrap_or(1);
    // The chosen escalation: open, at or past the stage the business team is told of, about
    // a child, with a receiving person; the latest stage there is.
    let chosen = wa
        .escalations
        .iter()
        .filter(|e| e.status == "open" && e.current_stage >= from && e.subject == "child")
        .filter(|e| e.receiving_person_id.is_some())
        .max_by_key(|e| e.current_stage)
        .unwrap_or_else(|| panic!("{procedure}: no open escalation the business team sees"))
        .clone();
    let early = wa
        .escalations
        .iter()
        .find(|e| e.status == "open" && e.current_stage < from)
        .cloned();
    let closed = wa.escalations.iter().find(|e| e.status != "open").cloned();
    let foreign = wb
        .escalations
        .iter()
        .find(|e| e.status == "open")
        .unwrap_or(&wb.escalations[0])
        .clone();

    let mut personas = Vec::new();
    // Every demo sign-in of the partnership: the five roles every partnership has, and the
    // partnership roles its procedure appoints (issue 14, item 4).
    for s in h.summary.sign_ins.iter().filter(|s| s.partnership_id == a) {
        personas.push(Persona {
            label: format!("{} (demo sign-in)", s.role),
            person_id: Some(s.person_id.clone()),
        });
    }
    let raiser = wa.person(&chosen.raised_by).clone();
    personas.push(Persona {
        label: "raiser".to_owned(),
        person_id: Some(raiser.id.clone()),
    });
    if let Some(r) = &chosen.receiving_person_id {
        personas.push(Persona {
            label: "receiver".to_owned(),
            person_id: Some(r.clone()),
        });
    }
    // A lead of the current stage, preferably the receiving agency's (no other relation).
    let leads: Vec<_> = wa
        .officers
        .iter()
        .filter(|o| o.stage == chosen.current_stage)
        .filter(|o| {
            o.agency_id == chosen.raising_agency_id || o.agency_id == chosen.receiving_agency_id
        })
        .collect();
    let lead = leads
        .iter()
        .find(|o| o.agency_id == chosen.receiving_agency_id)
        .or(leads.first())
        .unwrap_or_else(|| panic!("{procedure}: {} has no stage lead", chosen.reference));
    personas.push(Persona {
        label: "stage lead".to_owned(),
        person_id: Some(lead.person_id.clone()),
    });
    let proposer = (
        lead.person_id.clone(),
        if lead.agency_id == chosen.receiving_agency_id {
            parley_core::names::Side::Receiving
        } else {
            parley_core::names::Side::Raising
        },
    );
    if let Some(m) = &raiser.line_manager_id {
        personas.push(Persona {
            label: "raiser's line manager".to_owned(),
            person_id: Some(m.clone()),
        });
    }
    let unrelated = wa
        .people
        .iter()
        .filter(|p| p.roles == ["practitioner"])
        .filter(|p| wa.sees(p, &chosen).is_none())
        .min_by_key(|p| {
            wa.escalations
                .iter()
                .filter(|e| wa.sees(p, e).is_some())
                .count()
        })
        .unwrap_or_else(|| panic!("{procedure}: no unrelated practitioner"));
    personas.push(Persona {
        label: "unrelated practitioner".to_owned(),
        person_id: Some(unrelated.id.clone()),
    });
    for role in [
        "administrator",
        "partnership-business-team",
        "senior-manager",
    ] {
        personas.push(Persona {
            label: format!("{role} of {other}"),
            person_id: Some(h.sign_in_of(&b, role).person_id.clone()),
        });
    }
    personas.push(Persona {
        label: "anonymous".to_owned(),
        person_id: None,
    });

    let own = Owner::Partnership(a.clone());
    let theirs = Owner::Partnership(b.clone());
    let target = |label: &str, e: &EscalationRow, owner: &Owner| {
        Target::new(
            format!("{label} ({})", describe(e)),
            e.id.clone(),
            owner.clone(),
        )
    };
    const MISSING: &str = "00000000-0000-4000-8000-000000000000";
    let mut escalations = vec![target("the chosen escalation", &chosen, &own)];
    if let Some(e) = &early {
        escalations.push(target(
            "an escalation before the business team's stage",
            e,
            &own,
        ));
    }
    escalations.push(target(
        &format!("an escalation of {other}"),
        &foreign,
        &theirs,
    ));
    escalations.push(Target::new(
        "an escalation that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    if let Some(e) = &closed {
        escalations.push(target("a closed escalation", e, &own));
    }
    let people = vec![
        Target::new(
            format!("the raiser {}", raiser.name),
            raiser.id,
            own.clone(),
        ),
        Target::new(
            format!("a person of {other}"),
            wb.people[0].id.clone(),
            theirs.clone(),
        ),
        Target::new("a person who does not exist", MISSING, Owner::Nobody),
    ];
    let agencies = vec![
        Target::new("the raising agency", chosen.raising_agency_id.clone(), own),
        Target::new(
            format!("an agency of {other}"),
            foreign.raising_agency_id,
            theirs,
        ),
        Target::new("an agency that does not exist", MISSING, Owner::Nobody),
    ];
    // Issue 15: a notification of the raiser, of the stage lead and of a person of the other
    // partnership (each owned by its recipient), and one that does not exist; the same
    // deliveries for the administrators' retry, owned by their partnership.
    let mut notifications = Vec::new();
    let mut deliveries = Vec::new();
    for (label, person, partnership) in [
        ("the raiser", chosen.raised_by.clone(), a.clone()),
        ("the stage lead", lead.person_id.clone(), a.clone()),
        (
            "a practitioner of the other partnership",
            h.sign_in_of(&b, "practitioner").person_id.clone(),
            b.clone(),
        ),
    ] {
        let (mine, _) = h.state.records.inbox(&person, 1, 1).await.unwrap();
        let d = mine
            .first()
            .unwrap_or_else(|| panic!("{procedure}: {label} has no notification in the demo"));
        notifications.push(Target::new(
            format!("a notification of {label}"),
            d.id.clone(),
            Owner::Person(person),
        ));
        deliveries.push(Target::new(
            format!("a delivery to {label}"),
            d.id.clone(),
            Owner::Partnership(partnership),
        ));
    }
    notifications.push(Target::new(
        "a notification that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    deliveries.push(Target::new(
        "a delivery that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    // The first report each procedure calls for (all three the matrix runs call for one).
    let mut reports = Vec::new();
    for (name, partnership) in [(procedure, &a), (other, &b)] {
        let declared = parley_core::seeds::get(name).unwrap().unwrap().reports;
        if let Some(r) = declared.first() {
            reports.push(Target::new(
                format!("{name}'s report {}", r.id),
                r.id.clone(),
                Owner::Partnership(partnership.clone()),
            ));
        }
    }
    reports.push(Target::new(
        "a report no procedure calls for",
        "no-such-report",
        Owner::Nobody,
    ));
    Cast {
        partnership: a,
        other_partnership: b,
        reports,
        personas,
        escalations,
        people,
        agencies,
        notifications,
        deliveries,
        proposer,
    }
}

/// A fresh copy of the demo with the cast's proposal made on the chosen escalation.
async fn harness(cast: &Cast) -> Harness {
    let h = Harness::new().await;
    crate::agreement::propose(&h, &cast.escalations[0].value, &cast.proposer).await;
    h
}

// ---------------------------------------------------------------------------------------------
// Running the matrix

/// One request of the matrix as a persona, with a fresh session (or API token) made now.
/// `csrf` replaces the session's form token when given; `headers` are added.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn attempt(
    h: &Harness,
    live: &Live,
    persona: &Persona,
    method: &Method,
    path: &str,
    send: Payload,
    version: i64,
    csrf: Option<&str>,
    headers: &[(&str, &str)],
) -> (Resp, bool) {
    let person = persona
        .person_id
        .as_deref()
        .and_then(|id| live.person(id))
        .cloned();
    let api = path.starts_with("/api/");
    let auth = match &person {
        None => Auth::Anonymous,
        Some(p) if api => h.bearer_for(p).await,
        Some(p) => h.session_for(&persona.label, p).await.auth,
    };
    let r = if *method == Method::GET {
        h.get(path, &auth).await
    } else {
        match send {
            Form(fields) => {
                let v = version.to_string();
                let mut pairs: Vec<(&str, &str)> = Vec::new();
                if let Some(token) = csrf.or(Some(auth.csrf())).filter(|t| !t.is_empty()) {
                    pairs.push(("csrf", token));
                }
                pairs.extend(fields.iter().map(|(k, val)| {
                    (
                        *k,
                        if *val == "{version}" {
                            v.as_str()
                        } else {
                            *val
                        },
                    )
                }));
                h.post_raw_form(path, &auth, &pairs, headers).await
            }
            Json(body) => {
                let body: serde_json::Value =
                    serde_json::from_str(&body.replace("{version}", &version.to_string())).unwrap();
                h.send_json_with(method.clone(), path, &auth, &body, headers)
                    .await
            }
        }
    };
    (r, person.is_some())
}

/// Runs every route of the table for the cast; returns the failures, one line each, and how
/// many requests expected each outcome.
async fn run_matrix(procedure: &str, other: &str) -> (Vec<String>, HashMap<Want, usize>) {
    let h = Harness::new().await;
    let cast = Arc::new(cast(&h, procedure, other).await);
    crate::agreement::propose(&h, &cast.escalations[0].value, &cast.proposer).await;
    let h = Arc::new(h);
    let parts = [cast.partnership.clone(), cast.other_partnership.clone()];
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let mut failures = Vec::new();
    let table = parley_web::routes::table();

    // Reading routes: one copy of the database for all of them, one session and one API
    // token per persona, the routes shared out between tasks.
    let live = Arc::new(Live::read(&h, &parts).await);
    let mut sessions: HashMap<(String, bool), Auth> = HashMap::new();
    for persona in &cast.personas {
        if let Some(id) = &persona.person_id {
            let p = live.person(id).unwrap().clone();
            sessions.insert(
                (id.clone(), false),
                h.session_for(&persona.label, &p).await.auth,
            );
            sessions.insert((id.clone(), true), h.bearer_for(&p).await);
        }
    }
    let sessions = Arc::new(sessions);
    let mut tasks = tokio::task::JoinSet::new();
    for (method, path, _) in table.iter().filter(|(m, _, _)| *m == Method::GET) {
        let Some(expect) = expectation(method, path) else {
            continue;
        };
        let (h, cast, live, sessions) = (h.clone(), cast.clone(), live.clone(), sessions.clone());
        let (method, path) = (method.clone(), *path);
        tasks.spawn(async move {
            let mut failures = Vec::new();
            let mut counts: HashMap<Want, usize> = HashMap::new();
            for target in &cast.targets(expect, false) {
                let url = fill(path, target);
                for persona in &cast.personas {
                    let person = persona.person_id.as_deref().and_then(|id| live.person(id));
                    let want = want(expect.who, person, target, &live);
                    *counts.entry(want).or_default() += 1;
                    let auth = persona.person_id.as_ref().map_or(Auth::Anonymous, |id| {
                        sessions[&(id.clone(), path.starts_with("/api/"))].clone()
                    });
                    let r = h.get(&url, &auth).await;
                    if let Some(problem) = verdict(want, &method, path, person.is_some(), &r) {
                        failures.push(format!(
                            "GET {path} as {} on {}: {problem}",
                            persona.label, target.label
                        ));
                    }
                }
            }
            (failures, counts)
        });
    }
    let mut counts: HashMap<Want, usize> = HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (f, c) = done.unwrap();
        failures.extend(f);
        for (want, n) in c {
            *counts.entry(want).or_default() += n;
        }
    }

    // Routes that change something, one after another, each request with a fresh session.
    // What each persona should get is worked out again from the data whenever an allowed
    // request changed it, and the next route gets a fresh copy of the database.
    let mut h = harness(&cast).await;
    for (method, path, _) in table.iter().filter(|(m, _, _)| *m != Method::GET) {
        let Some(expect) = expectation(method, path) else {
            continue;
        };
        let heads = h.state.store.chain_heads().await.unwrap();
        let mut live = Live::read(&h, &parts).await;
        let mut seen_heads = heads.clone();
        for target in &cast.targets(expect, true) {
            let url = fill(path, target);
            for persona in &cast.personas {
                let now_heads = h.state.store.chain_heads().await.unwrap();
                if now_heads != seen_heads {
                    live = Live::read(&h, &parts).await;
                    seen_heads = now_heads;
                }
                let person = persona.person_id.as_deref().and_then(|id| live.person(id));
                let want = want(expect.who, person, target, &live);
                *counts.entry(want).or_default() += 1;
                let version = live.escalation(&target.value).map_or(1, |(_, e)| e.version);
                let (r, signed_in) = attempt(
                    &h,
                    &live,
                    persona,
                    method,
                    &url,
                    expect.send,
                    version,
                    None,
                    &[],
                )
                .await;
                if let Some(problem) = verdict(want, method, path, signed_in, &r) {
                    failures.push(format!(
                        "{method} {path} as {} on {}: {problem}",
                        persona.label, target.label
                    ));
                }
            }
        }
        if h.state.store.chain_heads().await.unwrap() != heads {
            eprintln!(
                "matrix ({procedure}): {method} {path} changed the records; next on a fresh copy"
            );
            h = harness(&cast).await;
        }
    }
    (failures, counts)
}

async fn matrix(procedure: &str, other: &str) {
    let (failures, counts) = run_matrix(procedure, other).await;
    // The matrix is not trivially passed: every kind of answer is due somewhere, often.
    for want in [Want::Allowed, Want::SignIn, Want::Forbidden, Want::NotFound] {
        let n = counts.get(&want).copied().unwrap_or(0);
        assert!(
            n >= 20,
            "{procedure}: only {n} requests expected {want:?}: {counts:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} route/persona/target combinations of the {procedure} demo partnership answer \
         wrongly (out of {} requests):\n  {}",
        failures.len(),
        counts.values().sum::<usize>(),
        failures.join("\n  ")
    );
}

#[test]
fn every_route_has_an_expectation() {
    let table = parley_web::routes::table();
    let missing: Vec<String> = table
        .iter()
        .filter(|(m, p, _)| expectation(m, p).is_none())
        .map(|(m, p, r)| format!("{m} {p} ({r:?})"))
        .collect();
    let stale: Vec<String> = EXPECTATIONS
        .iter()
        .filter(|e| {
            !table
                .iter()
                .any(|(m, p, _)| m.as_str() == e.method && *p == e.path)
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    let mut message = String::new();
    if !missing.is_empty() {
        let _ = write!(
            message,
            "routes without an entry in matrix::EXPECTATIONS (say who may use them):\n  {}\n",
            missing.join("\n  ")
        );
    }
    if !stale.is_empty() {
        let _ = write!(
            message,
            "entries of matrix::EXPECTATIONS whose route no longer exists:\n  {}\n",
            stale.join("\n  ")
        );
    }
    assert!(message.is_empty(), "{message}");
}

/// The expectations agree with the rules the routes declare: a `Public` route is `Anyone`,
/// a `Roles` route lets exactly those roles through, and nothing the table guards is open to
/// anyone.
#[test]
fn expectations_agree_with_the_declared_rules() {
    use parley_web::routes::Rule;
    let mut problems = Vec::new();
    for (m, p, rule) in parley_web::routes::table() {
        let Some(e) = expectation(&m, p) else {
            continue;
        };
        let agrees = match (rule, e.who) {
            (Rule::Public, Anyone) => true,
            (Rule::Public, _) | (_, Anyone) => false,
            (Rule::SignedIn, SignedIn | Escalation(_) | ComplimentsInvited | OwnNotification) => {
                true
            }
            // The handler narrows a signed-in route further.
            (Rule::SignedIn, Roles(_) | Scoped(_)) => true,
            (Rule::Roles(declared), Roles(expected) | Scoped(expected)) => {
                let mut a = declared.to_vec();
                let mut b = expected.to_vec();
                a.sort_unstable();
                b.sort_unstable();
                a == b
            }
            (Rule::Roles(_), _) => false,
        };
        if !agrees {
            problems.push(format!("{m} {p}: declared {rule:?}, expected {:?}", e.who));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_solihull() {
    // Solihull tells the business team from stage 2 (Solihull §3, stages 2 and 3).
    matrix("solihull", "croydon").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_dorset() {
    // Dorset tells the partnership from stage 3 (Dorset §7), and has thematic escalations
    // with no child.
    matrix("dorset", "sunderland").await;
}

/// GET /escalations/{id} and GET /api/escalations/{id} answer 200 exactly when the brute-force
/// rule says the person sees the escalation (404 otherwise), and /api/escalations/{id}/child
/// 200 exactly when they may see the child's details: for every person of the Solihull demo
/// partnership and every one of its escalations, plus a few of another partnership's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_visibility_follows_the_rule_for_everyone() {
    let h = Arc::new(Harness::new().await);
    let a = h.partnership_of("solihull");
    let b = h.partnership_of("croydon");
    let wa = Arc::new(h.world(&a).await);
    let wb = h.world(&b).await;
    let mut escalations = wa.escalations.clone();
    escalations.extend(wb.escalations.iter().take(3).cloned());
    let escalations = Arc::new(escalations);
    let table = parley_web::routes::table();
    // Reading the child's details is a POST (issue 13 item 10).
    let paths: Vec<(Method, &str)> = [
        (Method::GET, "/escalations/{id}"),
        (Method::GET, "/api/escalations/{id}"),
        (Method::POST, "/api/escalations/{id}/child"),
    ]
    .into_iter()
    .filter(|(method, p)| table.iter().any(|(m, path, _)| m == method && path == p))
    .collect();
    assert_eq!(
        paths.len(),
        3,
        "the escalation routes this test needs are not all in the table: {paths:?}"
    );
    let mut tasks = tokio::task::JoinSet::new();
    for person in wa.people.clone() {
        let h = h.clone();
        let wa = wa.clone();
        let escalations = escalations.clone();
        tasks.spawn(async move {
            let page = h.session_for(&person.name, &person).await.auth;
            let api = h.bearer_for(&person).await;
            let mut failures = Vec::new();
            let mut seen = 0;
            for e in escalations.iter() {
                let sees = wa.sees(&person, e);
                seen += usize::from(sees.is_some());
                for (path, auth, allowed) in [
                    ("/escalations/{id}", &page, sees.is_some()),
                    ("/api/escalations/{id}", &api, sees.is_some()),
                    (
                        "/api/escalations/{id}/child",
                        &api,
                        sees.is_some_and(|s| s.child_details) && e.subject == "child",
                    ),
                ] {
                    let r = if path.ends_with("/child") {
                        h.send_json(
                            Method::POST,
                            &path.replace("{id}", &e.id),
                            auth,
                            &serde_json::json!({}),
                        )
                        .await
                    } else {
                        h.get(&path.replace("{id}", &e.id), auth).await
                    };
                    let want = if allowed { 200 } else { 404 };
                    if r.status.as_u16() != want {
                        failures.push(format!(
                            "{path} as {} ({}) on {}: expected {want}, got {}",
                            person.name,
                            person.roles.join(", "),
                            describe(e),
                            r.status.as_u16()
                        ));
                    }
                }
            }
            (failures, seen)
        });
    }
    let mut failures = Vec::new();
    let mut pairs_seen = 0;
    while let Some(done) = tasks.join_next().await {
        let (f, seen) = done.unwrap();
        failures.extend(f);
        pairs_seen += seen;
    }
    // The sample is not trivial: some pairs are visible, most are not.
    assert!(
        pairs_seen > 30,
        "only {pairs_seen} (person, escalation) pairs visible"
    );
    assert!(
        failures.is_empty(),
        "{} answers disagree with the visibility rule:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The partnership view lists exactly the escalations the brute-force rule lets the business
/// team see (from the stage its procedure first tells it of), page after page, in every demo
/// partnership; the page links to each of them and to no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partnership_view_lists_exactly_what_the_business_team_sees() {
    let h = Harness::new().await;
    let mut problems = Vec::new();
    for p in &h.summary.partnerships {
        let w = h.world(&p.id).await;
        let bt = h
            .person(&h.sign_in_of(&p.id, "partnership-business-team").person_id)
            .await;
        let expected: std::collections::BTreeSet<&str> = w
            .escalations
            .iter()
            .filter(|e| w.sees(&bt, e).is_some())
            .map(|e| e.id.as_str())
            .collect();
        let token = h.bearer_for(&bt).await;
        let mut listed = std::collections::BTreeSet::new();
        let mut page = 1;
        loop {
            let r = h
                .get(
                    &format!("/api/partnership/escalations?per_page=7&page={page}"),
                    &token,
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", p.procedure_id, excerpt(&r.body));
            let v = r.json();
            for e in v["escalations"].as_array().unwrap() {
                listed.insert(e["id"].as_str().unwrap().to_owned());
            }
            if page >= v["pagination"]["pages"].as_i64().unwrap() {
                assert_eq!(
                    v["pagination"]["total"].as_u64().unwrap() as usize,
                    expected.len(),
                    "{}: the total",
                    p.procedure_id
                );
                break;
            }
            page += 1;
        }
        let listed: std::collections::BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        if listed != expected {
            problems.push(format!(
                "{}: the API lists {} the business team should not see and leaves out {}",
                p.procedure_id,
                listed.difference(&expected).count(),
                expected.difference(&listed).count()
            ));
        }
        let user = h.session_for("business team", &bt).await;
        let r = h.get("/partnership", &user.auth).await;
        assert_eq!(r.status, 200);
        for e in &w.escalations {
            let linked = r.body.contains(&format!("/escalations/{}", e.id));
            let due = expected.contains(e.id.as_str());
            // The page shows 50 at a time.
            if linked != due && (linked || expected.len() <= 50) {
                problems.push(format!(
                    "{}: /partnership {} {}",
                    p.procedure_id,
                    if linked {
                        "links to"
                    } else {
                        "does not link to"
                    },
                    describe(e)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The verdicts themselves: a 200 (or a 422) where a 404 or 403 is due fails, and so does a
/// 404 where access is due.
#[test]
fn verdicts_catch_what_they_should() {
    let resp = |status: u16, location: Option<&str>, body: &str| {
        let mut headers = axum::http::HeaderMap::new();
        if let Some(l) = location {
            headers.insert("location", l.parse().unwrap());
        }
        Resp {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_owned(),
            bytes: body.as_bytes().to_vec(),
        }
    };
    let get = Method::GET;
    let post = Method::POST;
    let ok = resp(200, None, "");
    let unprocessable = resp(422, None, r#"{"code":"invalid"}"#);
    let not_found = resp(404, None, r#"{"code":"not-found"}"#);
    let forbidden = resp(403, None, r#"{"code":"forbidden"}"#);
    let to_sign_in = resp(303, Some("/sign-in"), "");
    assert!(verdict(Want::NotFound, &get, "/escalations/{id}", true, &ok).is_some());
    assert!(
        verdict(
            Want::NotFound,
            &post,
            "/escalations/{id}/x",
            true,
            &unprocessable
        )
        .is_some()
    );
    assert!(verdict(Want::NotFound, &get, "/x", true, &forbidden).is_some());
    assert!(verdict(Want::Forbidden, &post, "/x", true, &unprocessable).is_some());
    assert!(verdict(Want::Forbidden, &get, "/api/x", true, &not_found).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", true, &not_found).is_some());
    assert!(verdict(Want::Allowed, &post, "/x", true, &forbidden).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", true, &to_sign_in).is_some());
    assert!(verdict(Want::Allowed, &get, "/x", false, &to_sign_in).is_none());
    assert!(verdict(Want::Allowed, &post, "/x", true, &unprocessable).is_none());
    assert!(verdict(Want::Allowed, &get, "/x", true, &unprocessable).is_some());
    assert!(verdict(Want::NotFound, &get, "/api/x", true, &not_found).is_none());
    assert!(verdict(Want::NotFound, &get, "/api/x", true, &resp(404, None, "")).is_some());
    assert!(verdict(Want::SignIn, &get, "/x", false, &to_sign_in).is_none());
    assert!(verdict(Want::SignIn, &get, "/api/x", false, &to_sign_in).is_some());
    let unauthenticated = resp(401, None, r#"{"code":"unauthenticated"}"#);
    assert!(verdict(Want::SignIn, &get, "/api/x", false, &unauthenticated).is_none());
    assert!(verdict(Want::SignIn, &get, "/x", false, &ok).is_some());
}

/// Issue 14, item 5: a person holding each partnership role, and the business team, in the
/// two partnerships whose referrals have a lead (Sunderland's Independent Scrutineer,
/// Buckinghamshire's BSCP team): each sees exactly the escalations at or past a referral step
/// their role leads (and the business team what it saw already), never the child, as the
/// brute-force rule (`World::sees`) says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_leads_see_what_the_rule_says() {
    let h = Harness::new().await;
    for procedure in ["sunderland", "buckinghamshire"] {
        let a = h.partnership_of(procedure);
        for role in parley_web::access::PARTNERSHIP_ROLES {
            h.state
                .records
                .save_person(
                    now(),
                    &parley_store::records::Actor::SYSTEM,
                    &a,
                    None,
                    parley_store::records::PersonInput {
                        agency_id: None,
                        name: format!("Sam {role}"),
                        email: format!("{role}.{procedure}@example.org"),
                        job_title: role.to_owned(),
                        roles: vec![role.to_owned()],
                        line_manager_id: None,
                        active: true,
                    },
                )
                .await
                .unwrap();
        }
        let w = h.world(&a).await;
        let at_steps = w.referrals.len();
        assert!(at_steps > 0, "{procedure}: the demo has no referral steps");
        let mut failures = Vec::new();
        let mut lead_sees = 0;
        for person in w.people.iter().filter(|p| {
            p.roles.iter().any(|r| {
                parley_web::access::PARTNERSHIP_ROLES.contains(&r.as_str())
                    || r == "partnership-business-team"
            })
        }) {
            let api = h.bearer_for(person).await;
            for e in &w.escalations {
                let sees = w.sees(person, e);
                let r = h.get(&format!("/api/escalations/{}", e.id), &api).await;
                let want = if sees.is_some() { 200 } else { 404 };
                if r.status.as_u16() != want {
                    failures.push(format!(
                        "{} on {}: expected {want}, got {}",
                        person.roles.join(","),
                        describe(e),
                        r.status.as_u16()
                    ));
                    continue;
                }
                let Some(seen) = sees else { continue };
                let v = r.json();
                // The child only for those the rule lets see it: an appointee whose
                // appointment allows it (issue 14, item 4), never a referral lead as such.
                if v["access"]["can_act"] != serde_json::json!(seen.can_act)
                    || v["may_view_child"] != serde_json::json!(seen.child_details)
                    || v["case"].is_null() == seen.child_details
                {
                    failures.push(format!(
                        "{} on {}: can_act {} (rule {}), child {}",
                        person.roles.join(","),
                        describe(e),
                        v["access"]["can_act"],
                        seen.can_act,
                        v["may_view_child"]
                    ));
                }
                if person
                    .roles
                    .iter()
                    .any(|r| r != "partnership-business-team")
                {
                    lead_sees += 1;
                }
            }
        }
        if procedure == "sunderland" {
            assert!(
                lead_sees > 0,
                "no escalation at the scrutineer's step in the demo"
            );
        }
        assert!(
            failures.is_empty(),
            "{procedure}:\n  {}",
            failures.join("\n  ")
        );
    }
}
