//! The expectation of every route: who it lets through, and what a request sends.

use super::*;

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

pub(crate) const fn get(path: &'static str, who: Who) -> Expect {
    Expect {
        method: "GET",
        path,
        who,
        param: Param::Implied,
        send: Payload::Form(&[]),
    }
}

pub(crate) const fn post(path: &'static str, who: Who, send: Payload) -> Expect {
    Expect {
        method: "POST",
        path,
        who,
        param: Param::Implied,
        send,
    }
}

pub(crate) const fn put(path: &'static str, who: Who, send: Payload) -> Expect {
    Expect {
        method: "PUT",
        ..post(path, who, send)
    }
}

pub(crate) const BUSINESS_TEAM: &[&str] = &["partnership-business-team"];
pub(crate) const ADMINISTRATOR: &[&str] = &["administrator"];
pub(crate) const REPORT_READERS: &[&str] = &["partnership-business-team", "administrator"];
pub(crate) const RAISERS: &[&str] = &["practitioner", "manager", "senior-manager"];

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
    get("/admin/reports", Roles(ADMINISTRATOR)),
    post(
        "/admin/reports",
        Roles(ADMINISTRATOR),
        Form(&[("threshold", "")]),
    ),
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
    get("/api/report-threshold", Roles(ADMINISTRATOR)),
    put(
        "/api/report-threshold",
        Roles(ADMINISTRATOR),
        Json(r#"{"threshold": 5}"#),
    ),
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
