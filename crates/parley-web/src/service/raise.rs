//! Raising a challenge (issue: "Raise a challenge"): what a person may choose, the checks on
//! every answer, the raise itself and the deadlines ahead. The pages (one question per page)
//! and the API (`POST /api/escalations`, `GET /api/raise/options`) both go through here, so
//! they offer, accept and refuse the same things.
//!
//! Who may raise: a person with a case role (practitioner, manager or senior manager) who
//! belongs to an agency; the raising agency is always their own. The partnership business
//! team and administrators run the procedure and the partnership's set-up: they are not a
//! party to a disagreement between agencies, and have no agency to raise from. Someone who
//! is both (an administrator who also works with children) holds a case role as well, and
//! raises through it.
//!
//! Longer than 800 lines: its banner sections (what may be chosen, the answers and their
//! checks, raising) become the files of a `raise/` folder in issue 16.

use std::collections::BTreeMap;

use jiff::civil::Date;
use parley_core::deadline;
use parley_core::names::{ChildStatus, RedirectionKind, Role, RouteKind};
use parley_store::StoreError;
use parley_store::payload::ChildDetails;
use parley_store::projector::ProjectError;
use parley_store::records::{Actor, RaiseInput};
use parley_store::rows::{AgencyRow, EscalationRow, PersonRow};
use serde::{Deserialize, Serialize};

use super::Context;
use crate::access::{MANAGER, PRACTITIONER, SENIOR_MANAGER};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The longest summary, in characters: it shows in lists, one line.
pub const SUMMARY_MAX: usize = 150;
/// The longest decision, evidence or outcome wanted, in characters.
pub const TEXT_MAX: usize = 5000;
/// The longest child's name or initials.
pub const CHILD_NAME_MAX: usize = 100;
/// The longest case number or NHS number.
pub const IDENTIFIER_MAX: usize = 50;
/// How many years back a date of birth may be. The procedures are about children; 25 leaves
/// room for care leavers, whom some partnerships' services support to that age.
pub const OLDEST_YEARS: i16 = 25;

/// The access roles that may raise a challenge (with an agency to raise it from).
pub const RAISING_ROLES: [&str; 3] = [PRACTITIONER, MANAGER, SENIOR_MANAGER];

/// The matters that belong to another procedure, asked about before raising (issue: "is
/// this a complaint, an allegation against a member of staff (LADO) or whistleblowing?").
/// Immediate risk is its own question, asked first.
pub const OTHER_PROCEDURES: [RedirectionKind; 3] = [
    RedirectionKind::Complaint,
    RedirectionKind::AllegationAgainstStaff,
    RedirectionKind::Whistleblowing,
];

/// Whether a person may raise a challenge at all: their agency if so.
pub fn raising_agency(person: &PersonRow) -> Option<&str> {
    let role = person
        .roles
        .iter()
        .any(|r| RAISING_ROLES.contains(&r.as_str()));
    if role && person.active {
        person.agency_id.as_deref()
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// What may be chosen

/// Everything a form for raising a challenge offers, from the partnership's current
/// procedure and directory: an API client can build the same form from it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RaiseOptions {
    pub procedure: ProcedureRef,
    /// The caller's own agency, which raises the challenge.
    pub raising_agency: AgencyRef,
    /// What the procedure says to do when a child is at immediate risk. Answering yes to
    /// `immediate_risk` stops there: nothing is recorded.
    pub immediate_risk: String,
    /// What the procedure asks of people before they raise a challenge, if it says.
    pub before_raising: Option<String>,
    /// The matters that belong to another procedure, with where to take them.
    pub redirections: Vec<RedirectionOption>,
    /// The ways in, in the procedure's order.
    pub routes: Vec<RouteOption>,
    /// Where the procedure counts its timescales from the date of the decision to raise the
    /// challenge (Dorset §4: "The date of this decision is Day One"): the dates `decided_on`
    /// may take today. `null` where they count from the day it is raised.
    pub decision_date: Option<super::day_one::DecisionDateQuestion>,
    pub categories: Vec<CategoryOption>,
    pub child_statuses: Vec<Choice>,
    /// The other agencies of the partnership, by name, with the people who can be named as
    /// the receiving person.
    pub agencies: Vec<AgencyOption>,
    pub limits: Limits,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RaiseProcedure)]
pub struct ProcedureRef {
    pub name: String,
    pub partnership: String,
    /// The procedure's own version label.
    pub version: String,
    /// The partnership's procedure version number the challenge would run under.
    pub procedure_version: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RedirectionOption {
    /// `complaint`, `allegation-against-staff` or `whistleblowing`.
    pub kind: String,
    pub label: String,
    /// Where to take it instead.
    pub text: String,
    /// Whether `text` is the procedure's own; otherwise it is Parley's common wording for a
    /// procedure that does not say.
    pub from_procedure: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RouteOption {
    /// `individual`, `thematic` or `strategic`.
    pub kind: String,
    pub label: String,
    pub description: Option<String>,
    /// The stage a challenge on this route starts at.
    pub entry_stage: i64,
    pub entry_stage_title: String,
    /// Whether a challenge on this route is about a child (and needs the child's details).
    pub child_required: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryOption {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RaiseChoice)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyOption {
    pub id: String,
    pub name: String,
    pub sector: String,
    /// Active people of the agency with a case role, by name.
    pub people: Vec<PersonOption>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonOption {
    pub id: String,
    pub name: String,
    pub job_title: String,
}

/// The longest answers accepted, in characters.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Limits {
    pub summary: usize,
    pub text: usize,
    pub child_name: usize,
    pub child_identifier: usize,
}

impl RaiseOptions {
    pub fn route(&self, kind: &str) -> Option<&RouteOption> {
        self.routes.iter().find(|r| r.kind == kind)
    }

    pub fn agency(&self, id: &str) -> Option<&AgencyOption> {
        self.agencies.iter().find(|a| a.id == id)
    }

    pub fn redirection(&self, kind: RedirectionKind) -> Option<&RedirectionOption> {
        self.redirections.iter().find(|r| r.kind == kind.as_str())
    }

    /// The route when the procedure has only one (nothing to ask).
    pub fn only_route(&self) -> Option<&RouteOption> {
        match self.routes.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// Parley's wording where a procedure does not say where a matter goes. These are not
/// disagreements between agencies whatever the procedure (DESIGN.md §3, outcomes:
/// "redirected (complaint, LADO allegation, whistleblowing: not this procedure)").
fn common_redirection_text(kind: RedirectionKind) -> &'static str {
    match kind {
        RedirectionKind::Complaint => {
            "This procedure is for professional disagreements between agencies, not complaints. Use the complaints procedure of the agency concerned."
        }
        RedirectionKind::AllegationAgainstStaff => {
            "This procedure is not for concerns that someone who works with children may have harmed a child or may not be suitable to work with children. Tell your designated safeguarding lead now: they will contact the Local Authority Designated Officer (LADO)."
        }
        RedirectionKind::Whistleblowing => {
            "This procedure is not for concerns about malpractice or wrongdoing in an organisation. Use your organisation's whistleblowing procedure."
        }
        RedirectionKind::ImmediateRisk => {
            "If you think a child may be at immediate risk of harm, tell your designated safeguarding lead now. If a child is in imminent danger, call 999."
        }
    }
}

/// What a person may choose, or 403 for someone who cannot raise.
pub async fn options(state: &AppState, user: &CurrentUser) -> Result<RaiseOptions, AppError> {
    let ctx = Context::load(state, user).await?;
    let agencies = ctx.agencies.clone();
    options_from(&ctx, &agencies, &user.person)
}

pub fn options_from(
    ctx: &Context,
    agencies: &[AgencyRow],
    person: &PersonRow,
) -> Result<RaiseOptions, AppError> {
    let own_id = raising_agency(person).ok_or(AppError::Forbidden)?;
    let own = agencies
        .iter()
        .find(|a| a.id == own_id && a.partnership_id == person.partnership_id)
        .ok_or(AppError::Forbidden)?;
    let p = &ctx.rules.procedure;
    let decision_date = super::day_one::question(p, &ctx.rules.calendar, ctx.today)?;
    let mut others: Vec<AgencyOption> = agencies
        .iter()
        .filter(|a| a.id != own.id && a.partnership_id == person.partnership_id)
        .map(|a| {
            let mut people: Vec<PersonOption> = ctx
                .directory
                .people
                .values()
                .filter(|x| {
                    x.active
                        && x.id != person.id
                        && x.agency_id.as_deref() == Some(a.id.as_str())
                        && x.roles.iter().any(|r| RAISING_ROLES.contains(&r.as_str()))
                })
                .map(|x| PersonOption {
                    id: x.id.clone(),
                    name: x.name.clone(),
                    job_title: x.job_title.clone(),
                })
                .collect();
            people.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.id.cmp(&y.id)));
            AgencyOption {
                id: a.id.clone(),
                name: a.name.clone(),
                sector: a.sector.clone(),
                people,
            }
        })
        .collect();
    others.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.id.cmp(&y.id)));
    Ok(RaiseOptions {
        procedure: ProcedureRef {
            name: p.name.clone(),
            partnership: p.partnership.clone(),
            version: p.version.clone(),
            procedure_version: ctx.partnership.procedure_version,
        },
        raising_agency: AgencyRef {
            id: own.id.clone(),
            name: own.name.clone(),
        },
        immediate_risk: p.screening.immediate_risk.clone(),
        before_raising: p.screening.before_raising.clone(),
        redirections: OTHER_PROCEDURES
            .iter()
            .map(|&kind| {
                let own = p.redirection(kind);
                RedirectionOption {
                    kind: kind.as_str().to_owned(),
                    label: kind.label().to_owned(),
                    text: own.map_or_else(
                        || common_redirection_text(kind).to_owned(),
                        |r| r.text.clone(),
                    ),
                    from_procedure: own.is_some(),
                }
            })
            .collect(),
        // Only the routes the person's roles may raise (issue 14, item 3: Dorset §1, strategic
        // concerns are raised by senior leaders).
        routes: p
            .routes
            .iter()
            .filter(|r| crate::permissions::may_raise(p, r.kind, &person.roles))
            .map(|r| RouteOption {
                kind: r.kind.as_str().to_owned(),
                label: r.kind.label().to_owned(),
                description: r.description.clone(),
                entry_stage: i64::from(r.entry_stage.get()),
                entry_stage_title: p
                    .stage(r.entry_stage)
                    .map_or_else(String::new, |s| s.title.clone()),
                child_required: r.kind == RouteKind::Individual,
            })
            .collect(),
        decision_date,
        categories: p
            .categories
            .iter()
            .map(|c| CategoryOption {
                id: c.id.clone(),
                label: c.label.clone(),
                hint: c.hint.clone(),
            })
            .collect(),
        child_statuses: ChildStatus::ALL
            .iter()
            .map(|s| Choice {
                id: s.as_str().to_owned(),
                label: s.label().to_owned(),
            })
            .collect(),
        agencies: others,
        limits: Limits {
            summary: SUMMARY_MAX,
            text: TEXT_MAX,
            child_name: CHILD_NAME_MAX,
            child_identifier: IDENTIFIER_MAX,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// The answers and their checks

/// A challenge to raise: the answers to every question, as the API takes them. Every field
/// may be left out; what is missing or wrong comes back as a problem per field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseRequest {
    /// Is a child at immediate risk of harm? Must be `false` to raise.
    pub immediate_risk: Option<bool>,
    /// Is this a complaint, an allegation against a member of staff or whistleblowing? Must be
    /// `none` to raise; otherwise the answer is where to take it instead.
    pub other_procedure: Option<String>,
    /// One of the procedure's routes; may be left out when the procedure has only one.
    pub route: Option<String>,
    /// `YYYY-MM-DD`: the date of the decision to raise it, where the options have a
    /// `decision_date` (between its `earliest` and `latest`); must be left out otherwise.
    pub decided_on: Option<String>,
    /// Another agency of the caller's partnership.
    pub receiving_agency_id: Option<String>,
    /// Someone in the receiving agency (one of its `people` in the options), if known.
    pub receiving_person_id: Option<String>,
    /// The decision, action or inaction challenged (up to 5,000 characters).
    pub decision: Option<String>,
    /// One line that does not identify the child: the partnership business team and lists
    /// show it (up to 150 characters).
    pub summary: Option<String>,
    /// One of the procedure's categories.
    pub category: Option<String>,
    /// Up to 5,000 characters.
    pub evidence: Option<String>,
    /// Up to 5,000 characters.
    pub outcome_wanted: Option<String>,
    /// Required on a route about a child; must be left out otherwise.
    pub child: Option<ChildRequest>,
}

/// The child, with as little as identifies them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildRequest {
    /// Name or initials (up to 100 characters).
    pub name: Option<String>,
    /// `YYYY-MM-DD`, optional.
    pub date_of_birth: Option<String>,
    /// An agency's case number or NHS number, optional (up to 50 characters).
    pub identifier: Option<String>,
    /// One of `child_statuses`.
    pub status: Option<String>,
}

/// A field of the request, for problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    ImmediateRisk,
    OtherProcedure,
    Route,
    DecidedOn,
    ReceivingAgency,
    ReceivingPerson,
    Decision,
    Summary,
    Category,
    Evidence,
    OutcomeWanted,
    Child,
    ChildName,
    ChildDateOfBirth,
    ChildIdentifier,
    ChildStatus,
}

impl Field {
    /// The field's name in the API (a child's fields as `child.name`).
    pub fn key(self) -> &'static str {
        match self {
            Field::ImmediateRisk => "immediate_risk",
            Field::OtherProcedure => "other_procedure",
            Field::Route => "route",
            Field::DecidedOn => "decided_on",
            Field::ReceivingAgency => "receiving_agency_id",
            Field::ReceivingPerson => "receiving_person_id",
            Field::Decision => "decision",
            Field::Summary => "summary",
            Field::Category => "category",
            Field::Evidence => "evidence",
            Field::OutcomeWanted => "outcome_wanted",
            Field::Child => "child",
            Field::ChildName => "child.name",
            Field::ChildDateOfBirth => "child.date_of_birth",
            Field::ChildIdentifier => "child.identifier",
            Field::ChildStatus => "child.status",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

/// What is wrong with a request, in the order of the questions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        if self.0.iter().all(|p| p.field != field) {
            self.0.push(Problem {
                field,
                message: message.into(),
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    /// Field name (as in the API) -> message.
    pub fn by_key(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|p| (p.field.key().to_owned(), p.message.clone()))
            .collect()
    }

    fn take<T>(&mut self, field: Field, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }
}

/// A checked request: everything a raise needs but the raiser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valid {
    pub route: RouteKind,
    /// Where the procedure counts from it.
    pub decided_on: Option<Date>,
    pub receiving_agency_id: String,
    pub receiving_person_id: Option<String>,
    pub decision: String,
    pub summary: String,
    pub category: String,
    pub evidence: String,
    pub outcome_wanted: String,
    /// On a route about a child.
    pub child: Option<(ChildDetails, ChildStatus)>,
}

/// `5000` -> `5,000`.
fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text as kept: line endings as `\n`, no other control characters, no space around it.
pub fn clean(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// One line: every run of white space as one space.
fn one_line(s: &str) -> String {
    clean(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A required text: its message when missing, and what it is called in the "too long" one.
fn required_text(
    value: Option<&str>,
    max: usize,
    missing: &str,
    called: &str,
) -> Result<String, String> {
    let v = clean(value.unwrap_or(""));
    if v.is_empty() {
        return Err(missing.to_owned());
    }
    // Issue 13 item 11: nothing invisible, no bidirectional controls, in what others read.
    super::free_text::check_shown(called, &v)?;
    if v.chars().count() > max {
        return Err(format!(
            "{called} must be {} characters or fewer",
            count(max)
        ));
    }
    Ok(v)
}

/// Whether a child is at immediate risk (`Ok(true)` stops the raise).
pub fn check_immediate_risk(answer: Option<bool>) -> Result<bool, String> {
    answer.ok_or_else(|| "Select yes if a child may be at immediate risk of harm".to_owned())
}

/// `Ok(None)`: none of them; `Ok(Some(kind))`: it belongs to another procedure.
pub fn check_other_procedure(answer: Option<&str>) -> Result<Option<RedirectionKind>, String> {
    let missing = || {
        "Select whether this is a complaint, an allegation against a member of staff, whistleblowing, or none of these".to_owned()
    };
    match answer.map(str::trim) {
        None | Some("") => Err(missing()),
        Some("none") => Ok(None),
        Some(s) => OTHER_PROCEDURES
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .map(Some)
            .ok_or_else(missing),
    }
}

pub fn check_route(opts: &RaiseOptions, answer: Option<&str>) -> Result<RouteKind, String> {
    let kind = match answer.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => opts.route(s).map(|r| r.kind.as_str()),
        // Nothing to choose when the procedure has one route.
        None => opts.only_route().map(|r| r.kind.as_str()),
    };
    kind.and_then(|k| k.parse().ok()).ok_or_else(|| {
        let known: Vec<&str> = opts.routes.iter().map(|r| r.kind.as_str()).collect();
        match answer.map(str::trim).filter(|s| !s.is_empty()) {
            // Only an API client can send a route the form does not offer.
            Some(_) => format!(
                "Select what the challenge is about: this procedure's routes are {}",
                known.join(", ")
            ),
            None => "Select what the challenge is about".to_owned(),
        }
    })
}

pub fn check_receiving_agency<'a>(
    opts: &'a RaiseOptions,
    answer: Option<&str>,
) -> Result<&'a AgencyOption, String> {
    match answer.map(str::trim).filter(|s| !s.is_empty()) {
        None => Err("Select the agency you disagree with".to_owned()),
        Some(id) if id == opts.raising_agency.id => Err(format!(
            "Select another agency: a challenge is raised with another agency, not your own ({})",
            opts.raising_agency.name
        )),
        Some(id) => opts
            .agency(id)
            .ok_or_else(|| "Select an agency of your partnership".to_owned()),
    }
}

/// `None` (or an empty answer): no one named.
pub fn check_receiving_person(
    agency: &AgencyOption,
    answer: Option<&str>,
) -> Result<Option<String>, String> {
    match answer
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "none")
    {
        None => Ok(None),
        Some(id) => agency
            .people
            .iter()
            .find(|p| p.id == id)
            .map(|p| Some(p.id.clone()))
            .ok_or_else(|| format!("Select someone who works for {}", agency.name)),
    }
}

pub fn check_decision(answer: Option<&str>) -> Result<String, String> {
    required_text(
        answer,
        TEXT_MAX,
        "Enter the decision, action or inaction you are challenging",
        "The decision or action",
    )
}

pub fn check_summary(answer: Option<&str>) -> Result<String, String> {
    required_text(
        answer.map(one_line).as_deref(),
        SUMMARY_MAX,
        "Enter a summary that does not identify the child",
        "The summary",
    )
}

pub fn check_category(opts: &RaiseOptions, answer: Option<&str>) -> Result<String, String> {
    answer
        .map(str::trim)
        .and_then(|a| opts.categories.iter().find(|c| c.id == a))
        .map(|c| c.id.clone())
        .ok_or_else(|| "Select what kind of disagreement it is".to_owned())
}

pub fn check_evidence(answer: Option<&str>) -> Result<String, String> {
    required_text(
        answer,
        TEXT_MAX,
        "Enter the evidence for your view",
        "The evidence",
    )
}

pub fn check_outcome_wanted(answer: Option<&str>) -> Result<String, String> {
    required_text(
        answer,
        TEXT_MAX,
        "Enter the outcome you want",
        "The outcome you want",
    )
}

pub fn check_child_name(answer: Option<&str>) -> Result<String, String> {
    required_text(
        answer.map(one_line).as_deref(),
        CHILD_NAME_MAX,
        "Enter the child's name or initials",
        "The child's name",
    )
}

pub fn check_identifier(answer: Option<&str>) -> Result<Option<String>, String> {
    let v = one_line(answer.unwrap_or(""));
    if v.is_empty() {
        Ok(None)
    } else if v.chars().count() > IDENTIFIER_MAX {
        Err(format!(
            "The case number or NHS number must be {} characters or fewer",
            count(IDENTIFIER_MAX)
        ))
    } else if let Err(m) = super::free_text::check_shown("The case number or NHS number", &v) {
        Err(m)
    } else {
        Ok(Some(v))
    }
}

pub fn check_child_status(answer: Option<&str>) -> Result<ChildStatus, String> {
    answer
        .map(str::trim)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| "Select the child's status".to_owned())
}

/// The earliest date of birth accepted on `today`.
pub fn earliest_birth(today: Date) -> Date {
    today
        .checked_sub(jiff::Span::new().years(OLDEST_YEARS))
        .unwrap_or(today)
}

fn check_birth_range(date: Date, today: Date) -> Result<Date, String> {
    if date > today {
        return Err("Date of birth must be today or in the past".to_owned());
    }
    let earliest = earliest_birth(today);
    if date < earliest {
        return Err(format!(
            "Date of birth must be the same as or after {}",
            earliest.strftime("%-d %B %Y")
        ));
    }
    Ok(date)
}

/// An optional date of birth as the API sends it, `YYYY-MM-DD`.
pub fn check_date_of_birth(answer: Option<&str>, today: Date) -> Result<Option<Date>, String> {
    let v = answer.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Ok(None);
    }
    let date = iso_date(v)
        .ok_or_else(|| "Date of birth must be a real date, written as YYYY-MM-DD".to_owned())?;
    check_birth_range(date, today).map(Some)
}

/// A real date written exactly `YYYY-MM-DD`.
pub fn iso_date(v: &str) -> Option<Date> {
    let ok_shape = v.len() == 10
        && v.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    ok_shape.then(|| v.parse::<Date>().ok()).flatten()
}

/// Which input of a date a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePart {
    Day,
    Month,
    Year,
}

impl DatePart {
    pub fn as_str(self) -> &'static str {
        match self {
            DatePart::Day => "day",
            DatePart::Month => "month",
            DatePart::Year => "year",
        }
    }
}

/// An optional date of birth from the three inputs of a GOV.UK date input.
pub fn date_from_parts(
    day: &str,
    month: &str,
    year: &str,
    today: Date,
) -> Result<Option<Date>, (DatePart, String)> {
    match parts_date("Date of birth", day, month, year)? {
        None => Ok(None),
        Some(date) => check_birth_range(date, today)
            .map(Some)
            .map_err(|m| (DatePart::Day, m)),
    }
}

/// An optional date from the three inputs of a GOV.UK date input, with the GOV.UK messages
/// for `called` ("[whatever it is] must include a month", "must be a real date", "Year must
/// include 4 numbers") on the input at fault.
pub fn parts_date(
    called: &str,
    day: &str,
    month: &str,
    year: &str,
) -> Result<Option<Date>, (DatePart, String)> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Ok(None);
    }
    let missing: Vec<(DatePart, &str)> = [
        (DatePart::Day, day),
        (DatePart::Month, month),
        (DatePart::Year, year),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_empty())
    .collect();
    if let Some((first, _)) = missing.first() {
        let names: Vec<&str> = missing.iter().map(|(p, _)| p.as_str()).collect();
        return Err((
            *first,
            format!("{called} must include a {}", names.join(" and ")),
        ));
    }
    let number = |s: &str| -> Option<i16> {
        (s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (Some(d), Some(m)) = (number(day), number(month)) else {
        let part = if number(day).is_none() {
            DatePart::Day
        } else {
            DatePart::Month
        };
        return Err((part, format!("{called} must be a real date")));
    };
    if year.len() != 4 || number(year).is_none() {
        return Err((DatePart::Year, "Year must include 4 numbers".to_owned()));
    }
    let y = number(year).unwrap_or(0);
    i8::try_from(m)
        .ok()
        .zip(i8::try_from(d).ok())
        .and_then(|(m, d)| Date::new(y, m, d).ok())
        .map(Some)
        .ok_or_else(|| (DatePart::Day, format!("{called} must be a real date")))
}

/// What is wrong with a summary that identifies the child (their name or a part of it,
/// their date of birth, their identifier: see `parley_core::identifiers`), if it does. The
/// partnership business team and every list show the summary.
pub fn summary_identifies_child(
    summary: &str,
    name: &str,
    date_of_birth: Option<&str>,
    identifier: Option<&str>,
) -> Option<String> {
    // A date of birth that does not read was refused on its own field: the rest is checked.
    let child = super::free_text::identifiers(name, date_of_birth, identifier)
        .or_else(|_| super::free_text::identifiers(name, None, identifier))
        .ok()?;
    super::free_text::check(
        std::slice::from_ref(&child),
        super::free_text::Whose::TheChild,
        "The summary",
        summary,
    )
    .err()
}

/// Checks a whole request against what may be chosen.
pub fn validate(opts: &RaiseOptions, req: &RaiseRequest, today: Date) -> Result<Valid, Problems> {
    let mut p = Problems::default();
    match check_immediate_risk(req.immediate_risk) {
        Ok(false) => {}
        // Stop: the procedure's own words on what to do instead.
        Ok(true) => p.add(Field::ImmediateRisk, opts.immediate_risk.clone()),
        Err(m) => p.add(Field::ImmediateRisk, m),
    }
    match check_other_procedure(req.other_procedure.as_deref()) {
        Ok(None) => {}
        Ok(Some(kind)) => p.add(
            Field::OtherProcedure,
            opts.redirection(kind).map_or_else(
                || common_redirection_text(kind).to_owned(),
                |r| r.text.clone(),
            ),
        ),
        Err(m) => p.add(Field::OtherProcedure, m),
    }
    let route = p.take(Field::Route, check_route(opts, req.route.as_deref()));
    let decided_on = p.take(
        Field::DecidedOn,
        super::day_one::check(opts.decision_date.as_ref(), req.decided_on.as_deref()),
    );
    let agency = p.take(
        Field::ReceivingAgency,
        check_receiving_agency(opts, req.receiving_agency_id.as_deref()),
    );
    let person = agency.and_then(|a| {
        p.take(
            Field::ReceivingPerson,
            check_receiving_person(a, req.receiving_person_id.as_deref()),
        )
    });
    let decision = p.take(Field::Decision, check_decision(req.decision.as_deref()));
    let summary = p.take(Field::Summary, check_summary(req.summary.as_deref()));
    let category = p.take(
        Field::Category,
        check_category(opts, req.category.as_deref()),
    );
    let evidence = p.take(Field::Evidence, check_evidence(req.evidence.as_deref()));
    let outcome_wanted = p.take(
        Field::OutcomeWanted,
        check_outcome_wanted(req.outcome_wanted.as_deref()),
    );
    let child_required = route.map(|r| r == RouteKind::Individual);
    let child = match (child_required, &req.child) {
        (Some(true), None) => {
            p.add(
                Field::Child,
                "Enter the child's details: a challenge about a child needs them",
            );
            None
        }
        (Some(false), Some(_)) => {
            // A child's details are never kept where they are not needed.
            p.add(
                Field::Child,
                "Leave out the child: a thematic or strategic challenge is not about one child",
            );
            None
        }
        // Checked also when the route is not known yet, so that every problem shows at once.
        (Some(true) | None, Some(c)) => {
            let name = p.take(Field::ChildName, check_child_name(c.name.as_deref()));
            let dob = p.take(
                Field::ChildDateOfBirth,
                check_date_of_birth(c.date_of_birth.as_deref(), today),
            );
            let identifier = p.take(
                Field::ChildIdentifier,
                check_identifier(c.identifier.as_deref()),
            );
            let status = p.take(Field::ChildStatus, check_child_status(c.status.as_deref()));
            match (name, dob, identifier, status) {
                (Some(name), Some(dob), Some(identifier), Some(status)) => Some((
                    ChildDetails {
                        name,
                        date_of_birth: dob.map(|d| d.to_string()),
                        identifier,
                    },
                    status,
                )),
                _ => None,
            }
        }
        (None, None) | (Some(false), None) => None,
    };
    if let (Some(s), Some((c, _))) = (&summary, &child)
        && let Some(m) = summary_identifies_child(
            s,
            &c.name,
            c.date_of_birth.as_deref(),
            c.identifier.as_deref(),
        )
    {
        p.add(Field::Summary, m);
    }
    match (
        (route, decided_on),
        agency,
        person,
        decision,
        summary,
        category,
        evidence,
        outcome_wanted,
    ) {
        (
            (Some(route), Some(decided_on)),
            Some(agency),
            Some(receiving_person_id),
            Some(decision),
            Some(summary),
            Some(category),
            Some(evidence),
            Some(outcome_wanted),
        ) if p.is_empty() => Ok(Valid {
            route,
            decided_on,
            receiving_agency_id: agency.id.clone(),
            receiving_person_id,
            decision,
            summary,
            category,
            evidence,
            outcome_wanted,
            child,
        }),
        _ => Err(p),
    }
}

// ---------------------------------------------------------------------------------------------
// Raising, and the deadlines ahead

/// A raised challenge and its deadlines.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Raised {
    pub id: String,
    /// E.g. `DOR-2026-0042`.
    pub reference: String,
    /// The escalation's version, for the first action on it.
    pub version: i64,
    pub deadlines: Deadlines,
}

/// The deadlines of an escalation if every stage runs to its deadline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Deadlines {
    /// `YYYY-MM-DD`: the day it was raised, from which the timescales count (unless `day_one`
    /// says otherwise).
    pub raised_on: String,
    /// Where the procedure counts from the date of the decision to raise it (Dorset §4): that
    /// date, and how many working days had gone before it was raised.
    pub day_one: Option<super::day_one::DayOneView>,
    pub route: String,
    pub stages: Vec<StageDeadline>,
    /// `YYYY-MM-DD`, when the procedure caps the whole escalation.
    pub overall_due: Option<String>,
    /// The cap in words, e.g. `15 working days` or `one month`.
    pub overall_limit: Option<String>,
    /// Whether a stage that ends sooner brings a later deadline forward: true when a later
    /// stage counts from its own start; false when every one counts from Day One (Dorset §4:
    /// "The date of this decision is Day One").
    pub sooner_moves_later: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageDeadline {
    pub number: i64,
    pub title: String,
    /// The stage as named (never "Stage 1: Stage 1").
    pub name: String,
    /// `YYYY-MM-DD`.
    pub starts: String,
    /// `YYYY-MM-DD`: by the end of that working day.
    pub due: String,
    /// The stage's timescale in words.
    pub timescale: String,
    /// Who leads the stage, in the procedure's words.
    pub led_by: String,
    /// The named officers of both agencies for the stage.
    pub named_officers: Vec<NamedOfficer>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NamedOfficer {
    pub name: String,
    pub agency: String,
}

/// The deadlines ahead of an escalation, under the procedure version it runs under.
pub async fn deadlines(
    state: &AppState,
    ctx: &Context,
    row: &EscalationRow,
    agencies: &[AgencyRow],
) -> Result<Deadlines, AppError> {
    let rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    let p = &rules.procedure;
    let raised_on: Date = row
        .raised_on
        .parse()
        .map_err(|e| AppError::Internal(format!("raised_on {}: {e}", row.raised_on)))?;
    let route: RouteKind = row
        .route
        .parse()
        .map_err(|e| AppError::Internal(format!("route {}: {e}", row.route)))?;
    // The timescales count from its Day One (the decision date, where the procedure says so).
    let day_one = state
        .records
        .escalation_read(row, ctx.config_version)
        .await?
        .state
        .day_one;
    let timeline = deadline::timeline(p, &rules.calendar, day_one, route)
        .map_err(|e| AppError::Internal(format!("timeline of {}: {e}", row.id)))?;
    let stages = timeline
        .stages
        .iter()
        .map(|t| {
            let stage = p.stage(t.number);
            let number = i64::from(t.number.get());
            let mut named_officers: Vec<NamedOfficer> = ctx
                .directory
                .leads_at(row, number)
                .map(|o| NamedOfficer {
                    name: ctx.directory.name(&o.person_id),
                    agency: ctx.agency_name(&o.agency_id, agencies),
                })
                .collect();
            named_officers.sort_by(|a, b| (&a.agency, &a.name).cmp(&(&b.agency, &b.name)));
            StageDeadline {
                number,
                title: t.title.clone(),
                name: parley_core::procedure::stage_name(t.number, &t.title),
                starts: t.starts.to_string(),
                due: t.due.to_string(),
                timescale: stage.map_or_else(String::new, |s| {
                    s.timescale_text
                        .clone()
                        .unwrap_or_else(|| s.timescale.to_string())
                }),
                led_by: stage.map_or_else(String::new, |s| {
                    s.lead_title.clone().unwrap_or_else(|| {
                        s.leads
                            .iter()
                            .map(|r: &Role| r.label())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                }),
                named_officers,
            }
        })
        .collect();
    let sooner_moves_later = timeline.stages.iter().skip(1).any(|t| {
        p.stage(t.number).is_some_and(|s| {
            !matches!(
                s.timescale,
                parley_core::procedure::Timescale::Fixed {
                    from: parley_core::names::Anchor::DayOne,
                    ..
                }
            )
        })
    });
    Ok(Deadlines {
        sooner_moves_later,
        raised_on: raised_on.to_string(),
        day_one: super::day_one::view(p, &rules.calendar, day_one, raised_on),
        route: route.as_str().to_owned(),
        stages,
        overall_due: timeline.overall_due.map(|d| d.to_string()),
        overall_limit: p.overall.as_ref().map(|o| o.limit.to_string()),
    })
}

/// Raises a challenge for the signed-in person: `Ok(Err(problems))` when the request does
/// not pass the checks (nothing is recorded), 403 for someone who cannot raise.
pub async fn raise(
    state: &AppState,
    user: &CurrentUser,
    req: &RaiseRequest,
) -> Result<Result<Raised, Problems>, AppError> {
    raising_agency(&user.person).ok_or(AppError::Forbidden)?;
    let ctx = Context::load(state, user).await?;
    let agencies = ctx.agencies.clone();
    let opts = options_from(&ctx, &agencies, &user.person)?;
    // A route of the procedure the person may not raise: refused with who may (the form
    // never offers it; only an API client can send it).
    let p = &ctx.rules.procedure;
    if let Some(kind) = req
        .route
        .as_deref()
        .and_then(|r| r.trim().parse::<RouteKind>().ok())
        .filter(|k| p.route(*k).is_some())
        && !crate::permissions::may_raise(p, kind, &user.person.roles)
    {
        return Err(AppError::NotPermitted(crate::permissions::who_may_raise(
            p, kind,
        )));
    }
    let valid = match validate(&opts, req, ctx.today) {
        Ok(v) => v,
        Err(problems) => return Ok(Err(problems)),
    };
    let (child, child_status) = match valid.child {
        Some((c, s)) => (Some(c), Some(s.as_str().to_owned())),
        None => (None, None),
    };
    let input = RaiseInput {
        route: valid.route.as_str().to_owned(),
        child_status,
        child,
        category: valid.category,
        raised_by: user.id().to_owned(),
        raising_agency_id: opts.raising_agency.id.clone(),
        receiving_agency_id: valid.receiving_agency_id,
        receiving_person_id: valid.receiving_person_id,
        summary: valid.summary,
        decision: valid.decision,
        evidence: valid.evidence,
        outcome_wanted: valid.outcome_wanted,
        decided_on: valid.decided_on,
    };
    let raised = state
        .records
        .raise(
            state.now(),
            &Actor::person(user.id()),
            &ctx.partnership.id,
            input,
        )
        .await
        .map_err(|e| match e {
            // The procedure changed between the checks and the raise.
            StoreError::Project(ProjectError::Transition(t)) => AppError::BadRequest(t.to_string()),
            other => AppError::from(other),
        })?;
    tracing::info!(escalation = %raised.id, reference = %raised.reference, "challenge raised");
    let row =
        state.store.escalation(&raised.id).await?.ok_or_else(|| {
            AppError::Internal(format!("raised {} is not in the store", raised.id))
        })?;
    let deadlines = deadlines(state, &ctx, &row, &agencies).await?;
    Ok(Ok(Raised {
        id: raised.id,
        reference: raised.reference,
        version: raised.version,
        deadlines,
    }))
}

/// What the confirmation page shows: nothing that identifies a child, and not the case as
/// put, so everyone who may see the escalation may see this.
#[derive(Clone, Debug, Serialize)]
pub struct Confirmation {
    pub id: String,
    pub reference: String,
    pub summary: String,
    pub route_label: String,
    pub category: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub receiving_person: Option<String>,
    /// Whether the signed-in person raised it (the page thanks them).
    pub raised_by_me: bool,
    pub entry_stage_guidance: Option<String>,
    pub deadlines: Deadlines,
}

/// 404 for anyone who may not see the escalation.
pub async fn confirmation(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Confirmation, AppError> {
    let row = state
        .store
        .escalation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ctx = Context::load(state, user).await?;
    let officers = state.store.escalation_officers(&row.id).await?;
    let appointments = state.store.escalation_appointments(&row.id).await?;
    ctx.access(user, &row, &officers, &appointments)
        .ok_or(AppError::NotFound)?;
    let agencies = ctx.agencies.clone();
    let deadlines = deadlines(state, &ctx, &row, &agencies).await?;
    let rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    let p = &rules.procedure;
    let route = row.route.parse::<RouteKind>().ok();
    Ok(Confirmation {
        id: row.id.clone(),
        reference: row.reference.clone(),
        summary: row.summary.clone(),
        route_label: route.map_or_else(|| row.route.clone(), |r| r.label().to_owned()),
        category: p
            .category(&row.category)
            .map_or_else(|| row.category.clone(), |c| c.label.clone()),
        raising_agency: ctx.agency_name(&row.raising_agency_id, &agencies),
        receiving_agency: ctx.agency_name(&row.receiving_agency_id, &agencies),
        receiving_person: row
            .receiving_person_id
            .as_deref()
            .map(|p| ctx.directory.name(p)),
        raised_by_me: row.raised_by == user.id(),
        entry_stage_guidance: route
            .and_then(|r| p.route(r))
            .and_then(|r| p.stage(r.entry_stage))
            .map(|s| s.guidance.clone())
            .filter(|g| !g.trim().is_empty()),
        deadlines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 11, 23)
    }

    fn opts(routes: &[&str]) -> RaiseOptions {
        RaiseOptions {
            procedure: ProcedureRef {
                name: "Test procedure".into(),
                partnership: "Test partnership".into(),
                version: "1".into(),
                procedure_version: 1,
            },
            raising_agency: AgencyRef {
                id: "mine".into(),
                name: "My school".into(),
            },
            immediate_risk: "Stop: call 999.".into(),
            before_raising: None,
            redirections: vec![RedirectionOption {
                kind: "complaint".into(),
                label: "A complaint".into(),
                text: "Use the complaints procedure.".into(),
                from_procedure: true,
            }],
            routes: routes
                .iter()
                .map(|k| RouteOption {
                    kind: (*k).into(),
                    label: (*k).into(),
                    description: None,
                    entry_stage: 1,
                    entry_stage_title: "Stage 1".into(),
                    child_required: *k == "individual",
                })
                .collect(),
            decision_date: None,
            categories: vec![CategoryOption {
                id: "threshold".into(),
                label: "Threshold".into(),
                hint: None,
            }],
            child_statuses: vec![],
            agencies: vec![AgencyOption {
                id: "other".into(),
                name: "Children's Social Care".into(),
                sector: "local-authority".into(),
                people: vec![PersonOption {
                    id: "sw".into(),
                    name: "A Social Worker".into(),
                    job_title: "Social worker".into(),
                }],
            }],
            limits: Limits {
                summary: SUMMARY_MAX,
                text: TEXT_MAX,
                child_name: CHILD_NAME_MAX,
                child_identifier: IDENTIFIER_MAX,
            },
        }
    }

    fn good() -> RaiseRequest {
        RaiseRequest {
            immediate_risk: Some(false),
            other_procedure: Some("none".into()),
            route: Some("individual".into()),
            decided_on: None,
            receiving_agency_id: Some("other".into()),
            receiving_person_id: Some("sw".into()),
            decision: Some("The referral was closed\r\nwithout an assessment.".into()),
            summary: Some("  Referral closed   without assessment ".into()),
            category: Some("threshold".into()),
            evidence: Some("Three incidents in a month.".into()),
            outcome_wanted: Some("A child and family assessment.".into()),
            child: Some(ChildRequest {
                name: Some("Jordan Smith".into()),
                date_of_birth: Some("2015-03-27".into()),
                identifier: Some("CS 123456".into()),
                status: Some("child-in-need".into()),
            }),
        }
    }

    fn fields(r: Result<Valid, Problems>) -> Vec<(&'static str, String)> {
        match r {
            Ok(_) => vec![],
            Err(p) => {
                p.0.into_iter()
                    .map(|p| (p.field.key(), p.message))
                    .collect()
            }
        }
    }

    #[test]
    fn a_complete_request_passes_cleaned() {
        let v = validate(&opts(&["individual", "thematic"]), &good(), today()).unwrap();
        assert_eq!(v.route, RouteKind::Individual);
        assert_eq!(v.receiving_person_id.as_deref(), Some("sw"));
        assert_eq!(
            v.decision,
            "The referral was closed\nwithout an assessment."
        );
        assert_eq!(v.summary, "Referral closed without assessment");
        let (child, status) = v.child.unwrap();
        assert_eq!(child.date_of_birth.as_deref(), Some("2015-03-27"));
        assert_eq!(child.identifier.as_deref(), Some("CS 123456"));
        assert_eq!(status, ChildStatus::ChildInNeed);
    }

    #[test]
    fn an_empty_request_names_every_missing_answer_in_question_order() {
        let got = fields(validate(
            &opts(&["individual", "thematic"]),
            &RaiseRequest::default(),
            today(),
        ));
        let keys: Vec<&str> = got.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "immediate_risk",
                "other_procedure",
                "route",
                "receiving_agency_id",
                "decision",
                "summary",
                "category",
                "evidence",
                "outcome_wanted"
            ]
        );
        assert_eq!(
            got[0].1,
            "Select yes if a child may be at immediate risk of harm"
        );
    }

    #[test]
    fn screening_answers_stop_with_the_procedures_words() {
        let o = opts(&["individual"]);
        let at_risk = RaiseRequest {
            immediate_risk: Some(true),
            ..good()
        };
        assert_eq!(
            fields(validate(&o, &at_risk, today())),
            [("immediate_risk", "Stop: call 999.".to_owned())]
        );
        let complaint = RaiseRequest {
            other_procedure: Some("complaint".into()),
            ..good()
        };
        assert_eq!(
            fields(validate(&o, &complaint, today())),
            [(
                "other_procedure",
                "Use the complaints procedure.".to_owned()
            )]
        );
        // A kind the procedure does not name gets Parley's common wording.
        let lado = RaiseRequest {
            other_procedure: Some("allegation-against-staff".into()),
            ..good()
        };
        let got = fields(validate(&o, &lado, today()));
        assert!(got[0].1.contains("LADO"), "{got:?}");
        assert!(check_other_procedure(Some("immediate-risk")).is_err());
        assert!(check_other_procedure(Some("nonsense")).is_err());
    }

    #[test]
    fn the_only_route_need_not_be_given_and_others_must_be_offered() {
        let one = opts(&["individual"]);
        assert_eq!(check_route(&one, None), Ok(RouteKind::Individual));
        assert!(
            check_route(&one, Some("thematic")).is_err(),
            "not in this procedure"
        );
        let two = opts(&["individual", "thematic"]);
        assert!(check_route(&two, None).is_err());
        assert!(check_route(&two, Some("Individual")).is_err());
    }

    #[test]
    fn the_receiving_side_is_another_agency_and_its_people() {
        let o = opts(&["individual"]);
        assert!(
            check_receiving_agency(&o, Some("mine"))
                .unwrap_err()
                .contains("not your own")
        );
        assert_eq!(
            check_receiving_agency(&o, Some("elsewhere")).unwrap_err(),
            "Select an agency of your partnership"
        );
        let a = check_receiving_agency(&o, Some("other")).unwrap();
        assert_eq!(check_receiving_person(a, None), Ok(None));
        assert_eq!(check_receiving_person(a, Some("none")), Ok(None));
        assert_eq!(
            check_receiving_person(a, Some("someone-else")).unwrap_err(),
            "Select someone who works for Children's Social Care"
        );
    }

    #[test]
    fn texts_have_limits_counted_in_characters() {
        let long = "é".repeat(TEXT_MAX);
        assert!(check_decision(Some(&long)).is_ok(), "characters, not bytes");
        let too_long = "a".repeat(TEXT_MAX + 1);
        assert_eq!(
            check_evidence(Some(&too_long)).unwrap_err(),
            "The evidence must be 5,000 characters or fewer"
        );
        assert_eq!(
            check_summary(Some(&"a".repeat(SUMMARY_MAX + 1))).unwrap_err(),
            "The summary must be 150 characters or fewer"
        );
        assert_eq!(
            check_outcome_wanted(Some(" \r\n ")).unwrap_err(),
            "Enter the outcome you want"
        );
        assert_eq!(check_identifier(Some("  ")), Ok(None));
        assert!(check_identifier(Some(&"1".repeat(IDENTIFIER_MAX + 1))).is_err());
        assert_eq!(clean("a\u{0}b\r\nc\rd"), "ab\nc\nd");
    }

    #[test]
    fn a_thematic_challenge_has_no_child_and_an_individual_one_needs_one() {
        let o = opts(&["individual", "thematic"]);
        let thematic_with_child = RaiseRequest {
            route: Some("thematic".into()),
            ..good()
        };
        assert_eq!(
            fields(validate(&o, &thematic_with_child, today()))[0].0,
            "child"
        );
        let thematic = RaiseRequest {
            route: Some("thematic".into()),
            child: None,
            ..good()
        };
        let v = validate(&o, &thematic, today()).unwrap();
        assert!(v.child.is_none());
        let no_child = RaiseRequest {
            child: None,
            ..good()
        };
        assert_eq!(fields(validate(&o, &no_child, today()))[0].0, "child");
        let empty_child = RaiseRequest {
            child: Some(ChildRequest::default()),
            ..good()
        };
        let keys: Vec<_> = fields(validate(&o, &empty_child, today()))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["child.name", "child.status"]);
        // An unknown route does not hide a problem with the child.
        let unknown_route = RaiseRequest {
            route: Some("sideways".into()),
            child: Some(ChildRequest {
                date_of_birth: Some("2015-02-30".into()),
                ..good().child.unwrap()
            }),
            ..good()
        };
        let got = fields(validate(&o, &unknown_route, today()));
        assert_eq!(
            got[0].1,
            "Select what the challenge is about: this procedure's routes are individual, thematic"
        );
        let keys: Vec<_> = got.into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["route", "child.date_of_birth"]);
    }

    #[test]
    fn the_summary_must_not_name_the_child() {
        let names = |s: &str, name: &str, id: Option<&str>| {
            summary_identifies_child(s, name, Some("2015-03-02"), id).is_some()
        };
        assert!(names("Jordan's referral closed", "Jordan Smith", None));
        assert!(names("SMITH family", "Jordan Smith", None));
        assert!(names("S\u{200B}mith family", "Jordan Smith", None));
        assert!(names("Ｊｏｒｄａｎ", "Jordan Smith", None));
        assert!(names("born 2.3.15", "Jordan Smith", None));
        assert!(!names("Referral closed", "Jordan Smith", None));
        assert!(
            !names("a JS matter", "J S", None),
            "initials are too short to tell"
        );
        assert!(names("case cs123456 closed", "J S", Some("CS 123456")));
        assert!(
            !names("smithfield road", "Jo Smith", None),
            "whole words only"
        );
        let named = RaiseRequest {
            summary: Some("Jordan: referral closed".into()),
            ..good()
        };
        assert_eq!(
            fields(validate(&opts(&["individual"]), &named, today()))[0].0,
            "summary"
        );
    }

    #[test]
    fn dates_of_birth_from_the_api() {
        let t = today();
        assert_eq!(check_date_of_birth(None, t), Ok(None));
        assert_eq!(check_date_of_birth(Some(""), t), Ok(None));
        assert_eq!(
            check_date_of_birth(Some("2015-03-27"), t),
            Ok(Some(jiff::civil::date(2015, 3, 27)))
        );
        assert!(check_date_of_birth(Some("2015-02-30"), t).is_err());
        assert!(check_date_of_birth(Some("27/03/2015"), t).is_err());
        assert!(check_date_of_birth(Some("2015-3-27"), t).is_err());
        assert_eq!(
            check_date_of_birth(Some("2026-11-24"), t).unwrap_err(),
            "Date of birth must be today or in the past"
        );
        assert_eq!(check_date_of_birth(Some("2026-11-23"), t), Ok(Some(t)));
        assert_eq!(
            check_date_of_birth(Some("2001-11-22"), t).unwrap_err(),
            "Date of birth must be the same as or after 23 November 2001"
        );
    }

    #[test]
    fn dates_of_birth_from_the_three_inputs() {
        let t = today();
        let err = |d, m, y| date_from_parts(d, m, y, t).unwrap_err();
        assert_eq!(date_from_parts("", " ", "", t), Ok(None));
        assert_eq!(
            date_from_parts("27", "3", "2015", t),
            Ok(Some(jiff::civil::date(2015, 3, 27)))
        );
        assert_eq!(
            date_from_parts(" 07 ", "03", "2015", t),
            Ok(Some(jiff::civil::date(2015, 3, 7)))
        );
        assert_eq!(
            err("", "3", "2015"),
            (DatePart::Day, "Date of birth must include a day".to_owned())
        );
        assert_eq!(
            err("27", "", ""),
            (
                DatePart::Month,
                "Date of birth must include a month and year".to_owned()
            )
        );
        assert_eq!(
            err("31", "2", "2015"),
            (
                DatePart::Day,
                "Date of birth must be a real date".to_owned()
            )
        );
        assert_eq!(err("x", "2", "2015").1, "Date of birth must be a real date");
        assert_eq!(
            err("1", "13", "2015").1,
            "Date of birth must be a real date"
        );
        assert_eq!(
            err("1", "2", "15"),
            (DatePart::Year, "Year must include 4 numbers".to_owned())
        );
        assert_eq!(
            err("1", "1", "2030").1,
            "Date of birth must be today or in the past"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<RaiseRequest, _> = serde_json::from_str(r#"{"receiving_person": "x"}"#);
        assert!(r.is_err());
        let r: RaiseRequest = serde_json::from_str(r#"{"immediate_risk": false}"#).unwrap();
        assert_eq!(r.immediate_risk, Some(false));
    }

    #[test]
    fn counts_read_with_commas() {
        assert_eq!(count(5000), "5,000");
        assert_eq!(count(150), "150");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
