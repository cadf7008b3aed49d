//! The answers to the raise questions and the checks on each, with the same words for page and API.

use crate::error::FieldErrors;
use jiff::civil::Date;
use parley_core::names::{ChildStatus, RedirectionKind, RouteKind};
use parley_store::payload::ChildDetails;
use serde::{Deserialize, Serialize};

use super::*;

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

impl Field {
    pub const ALL: [Field; 16] = [
        Field::ImmediateRisk,
        Field::OtherProcedure,
        Field::Route,
        Field::DecidedOn,
        Field::ReceivingAgency,
        Field::ReceivingPerson,
        Field::Decision,
        Field::Summary,
        Field::Category,
        Field::Evidence,
        Field::OutcomeWanted,
        Field::Child,
        Field::ChildName,
        Field::ChildDateOfBirth,
        Field::ChildIdentifier,
        Field::ChildStatus,
    ];

    /// The field of an error's name, if it is one of the request's.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// Field errors name the field as the API does.
impl AsRef<str> for Field {
    fn as_ref(&self) -> &str {
        self.key()
    }
}

/// The answer to "is this a complaint, an allegation against a member of staff or
/// whistleblowing?". Forms and the API send `none` for none of these, or the redirection's
/// name; nothing past [`OtherProcedure::from_str`] reads those words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherProcedure {
    /// A disagreement between agencies about their work with children: this procedure's.
    NoneOfThese,
    /// A matter for another procedure: where to take it instead.
    Elsewhere(RedirectionKind),
}

impl OtherProcedure {
    /// The answer's name, as forms and the API send it.
    pub fn as_str(self) -> &'static str {
        match self {
            OtherProcedure::NoneOfThese => NONE,
            OtherProcedure::Elsewhere(kind) => kind.as_str(),
        }
    }
}

/// What forms and the API send for "none of these" and "not known".
const NONE: &str = "none";

impl std::fmt::Display for OtherProcedure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OtherProcedure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == NONE {
            return Ok(OtherProcedure::NoneOfThese);
        }
        OTHER_PROCEDURES
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .map(OtherProcedure::Elsewhere)
            .ok_or_else(|| format!("{s:?} is not none or another procedure"))
    }
}

/// Who in the receiving agency the challenge goes to: someone named, or not known (then the
/// agency's named officer for the stage deals with it). Forms send `none` for not known, the
/// API also nothing; nothing past [`ReceivingPerson::from_str`] reads that word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceivingPerson {
    NotKnown,
    /// A person's id (checked against the agency's people by [`check_receiving_person`]).
    Named(String),
}

impl ReceivingPerson {
    /// The answer as forms send it.
    pub fn as_str(&self) -> &str {
        match self {
            ReceivingPerson::NotKnown => NONE,
            ReceivingPerson::Named(id) => id,
        }
    }

    /// The person's id, when someone is named.
    pub fn id(&self) -> Option<&str> {
        match self {
            ReceivingPerson::NotKnown => None,
            ReceivingPerson::Named(id) => Some(id),
        }
    }

    /// An answer as the API sends it: nothing (or nothing but space) is not known.
    pub fn of(answer: Option<&str>) -> ReceivingPerson {
        answer
            .and_then(|a| a.parse().ok())
            .unwrap_or(ReceivingPerson::NotKnown)
    }
}

impl std::fmt::Display for ReceivingPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReceivingPerson {
    type Err = String;

    /// `none`, or a person's id; an empty answer is no answer.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" => Err("no answer".to_owned()),
            NONE => Ok(ReceivingPerson::NotKnown),
            id => Ok(ReceivingPerson::Named(id.to_owned())),
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
pub(super) fn count(n: usize) -> String {
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
    crate::service::free_text::check_shown(called, &v)?;
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

/// The answer to whether the matter belongs to another procedure, as sent.
pub fn check_other_procedure(answer: Option<&str>) -> Result<OtherProcedure, String> {
    answer.and_then(|a| a.trim().parse().ok()).ok_or_else(|| {
        "Select whether this is a complaint, an allegation against a member of staff, whistleblowing, or none of these".to_owned()
    })
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

/// Someone named must work for the receiving agency.
pub fn check_receiving_person(
    agency: &AgencyOption,
    answer: &ReceivingPerson,
) -> Result<ReceivingPerson, String> {
    match answer.id() {
        None => Ok(ReceivingPerson::NotKnown),
        Some(id) => agency
            .people
            .iter()
            .find(|p| p.id == id)
            .map(|p| ReceivingPerson::Named(p.id.clone()))
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
    } else if let Err(m) =
        crate::service::free_text::check_shown("The case number or NHS number", &v)
    {
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
    let child = crate::service::free_text::identifiers(name, date_of_birth, identifier)
        .or_else(|_| crate::service::free_text::identifiers(name, None, identifier))
        .ok()?;
    crate::service::free_text::check(
        std::slice::from_ref(&child),
        crate::service::free_text::Whose::TheChild,
        "The summary",
        summary,
    )
    .err()
}

/// Checks a whole request against what may be chosen.
pub fn validate(
    opts: &RaiseOptions,
    req: &RaiseRequest,
    today: Date,
) -> Result<Valid, FieldErrors> {
    let mut p = FieldErrors::default();
    match check_immediate_risk(req.immediate_risk) {
        Ok(false) => {}
        // Stop: the procedure's own words on what to do instead.
        Ok(true) => p.add(Field::ImmediateRisk, opts.immediate_risk.clone()),
        Err(m) => p.add(Field::ImmediateRisk, m),
    }
    match check_other_procedure(req.other_procedure.as_deref()) {
        Ok(OtherProcedure::NoneOfThese) => {}
        Ok(OtherProcedure::Elsewhere(kind)) => p.add(
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
        crate::service::day_one::check(opts.decision_date.as_ref(), req.decided_on.as_deref()),
    );
    let agency = p.take(
        Field::ReceivingAgency,
        check_receiving_agency(opts, req.receiving_agency_id.as_deref()),
    );
    let person = agency.and_then(|a| {
        p.take(
            Field::ReceivingPerson,
            check_receiving_person(a, &ReceivingPerson::of(req.receiving_person_id.as_deref())),
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
            receiving_person_id: receiving_person_id.id().map(str::to_owned),
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
