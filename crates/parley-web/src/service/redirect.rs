//! Redirecting a raised escalation to another procedure (issue 14, item 7): a complaint, an
//! allegation against a member of staff (the LADO) or whistleblowing, where the procedure's
//! document has that route (its `[[redirection]]` tables, the same texts raising shows).
//! Redirecting closes the escalation as redirected (`Event::Redirected`); it is the raising
//! side's, like withdrawing (`StageAction::raising_side_only`), and the stage's `may` table
//! says who on that side. A note saying why is required: everyone who sees the escalation,
//! the business team included, reads it, so it is checked like every reason.

use parley_core::escalation::Event;
use parley_core::names::RedirectionKind;
use parley_core::procedure::Procedure;

use super::escalation::{ActError, Choice};
use crate::error::FieldErrors;

/// The form's field naming the other procedure.
pub const FIELD: &str = "redirection";

/// The procedure's own redirections, each with its text: what the form offers.
pub fn choices(p: &Procedure) -> Vec<Choice> {
    p.redirections
        .iter()
        .map(|r| Choice {
            value: r.kind.as_str().to_owned(),
            label: r.kind.label().to_owned(),
            hint: Some(r.text.clone()),
        })
        .collect()
}

/// The event to try when offering the action: the first of the procedure's redirections, or
/// why there is none.
pub fn trial(p: &Procedure) -> Result<Event, String> {
    p.redirections
        .first()
        .map(|r| Event::Redirected { kind: r.kind })
        .ok_or_else(|| {
            format!(
                "The {} procedure names no other procedure to redirect an escalation to",
                p.partnership_short()
            )
        })
}

/// When nothing is selected.
const SELECT: &str = "Select the procedure the matter belongs to instead";
/// When there is no note.
const NOTE: &str = "Enter a note saying why the matter belongs to another procedure";

/// What the page's form lacks, added to `errors`, before the rest is checked.
pub fn form_problems(redirection: &str, reason: &str, errors: &mut FieldErrors) {
    if redirection.trim().is_empty() {
        errors.add(FIELD, SELECT);
    }
    if reason.trim().is_empty() {
        errors.add(super::escalation::field::REASON, NOTE);
    }
}

/// The event for the API's or the form's `redirection`, with its note (`reason`).
pub fn event(p: &Procedure, redirection: &str, reason: Option<&str>) -> Result<Event, ActError> {
    let invalid = |field: &str, message: String| ActError::invalid(field, message);
    let named = redirection.trim();
    if named.is_empty() {
        return Err(invalid(FIELD, SELECT.to_owned()));
    }
    let own: Vec<&str> = p.redirections.iter().map(|r| r.kind.as_str()).collect();
    let kind = named
        .parse::<RedirectionKind>()
        .ok()
        .filter(|k| p.redirection(*k).is_some())
        .ok_or_else(|| {
            invalid(
                FIELD,
                if own.is_empty() {
                    format!(
                        "The {} procedure names no other procedure to redirect an escalation to",
                        p.partnership_short()
                    )
                } else {
                    format!(
                        "Select one of the procedure's routes elsewhere: {}",
                        own.join(", ")
                    )
                },
            )
        })?;
    if reason.is_none() {
        return Err(invalid(super::escalation::field::REASON, NOTE.to_owned()));
    }
    Ok(Event::Redirected { kind })
}

/// The message shown once redirected (`label`: where to, as the escalation's outcome).
pub fn done_message(label: Option<&str>) -> String {
    match label {
        Some(l) => {
            // "An allegation ... (LADO)" -> "an allegation ... (LADO)".
            let mut c = l.chars();
            let l = c.next().map_or_else(String::new, |f| {
                f.to_lowercase().collect::<String>() + c.as_str()
            });
            format!("The escalation was closed and redirected to another procedure: {l}")
        }
        None => "The escalation was closed and redirected to another procedure".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(id: &str) -> Procedure {
        parley_core::seeds::get(id).unwrap().unwrap()
    }

    fn field_of(r: Result<Event, ActError>) -> String {
        match r {
            Err(ActError::Invalid(e)) => e.field,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn only_the_procedures_own_routes_with_a_note() {
        let dorset = seed("dorset");
        let kinds: Vec<String> = choices(&dorset).into_iter().map(|c| c.value).collect();
        assert_eq!(kinds, ["allegation-against-staff", "whistleblowing"]);
        assert_eq!(
            event(&dorset, "whistleblowing", Some("Fraud in the service.")).unwrap(),
            Event::Redirected {
                kind: RedirectionKind::Whistleblowing
            }
        );
        // Dorset names no complaints route; nobody redirects to immediate risk after raising.
        assert_eq!(field_of(event(&dorset, "complaint", Some("x"))), FIELD);
        assert_eq!(field_of(event(&dorset, "immediate-risk", Some("x"))), FIELD);
        assert_eq!(field_of(event(&dorset, "", Some("x"))), FIELD);
        assert_eq!(field_of(event(&dorset, "whistleblowing", None)), "reason");
        assert_eq!(
            done_message(Some("An allegation against a member of staff (LADO)")),
            "The escalation was closed and redirected to another procedure: an allegation against a member of staff (LADO)"
        );
        let solihull = seed("solihull");
        assert!(
            trial(&solihull).is_err(),
            "Solihull names no other procedure"
        );
        assert!(choices(&solihull).is_empty());
    }
}
