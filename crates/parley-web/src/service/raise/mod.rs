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
//! The files: `choices` (what may be chosen), `answers` (each answer and its checks) and
//! `submit` (raising, and the deadlines ahead).

use parley_core::names::RedirectionKind;
use parley_store::rows::PersonRow;

use crate::access::{MANAGER, PRACTITIONER, SENIOR_MANAGER};

mod choices;
pub use choices::*;

mod answers;
pub use answers::*;

mod submit;
pub use submit::*;

#[cfg(test)]
mod tests;

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
