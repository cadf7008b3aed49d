//! The one check on free text that people without the child's details read (issue 13, items
//! 3 and 11): the summary, the stage records, the reason given with any action, and
//! compliments are read by the partnership business team (Croydon Appendix A: "Do not include
//! details of any child or family"). Pages and the API both reach it through the services
//! (`raise::validate`, `escalation::act`, `compliments::give`), so they refuse the same texts
//! with the same message naming the field.
//!
//! A text is refused when it shows nothing or holds bidirectional controls
//! (`parley_core::visible`), or when it holds the child's name, a part of it, their date of
//! birth or their identifier (`parley_core::identifiers`, which says what it cannot catch).

use jiff::civil::Date;
use parley_core::identifiers::ChildIdentifiers;
use parley_core::visible;
use parley_store::payload::ChildDetails;
use parley_store::rows::EscalationRow;

use super::Context;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

pub use crate::hints::{COMPLIMENT_HINT, HINT};

/// Whose details a refused text holds, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    /// The escalation's child.
    TheChild,
    /// A child of one of the person's escalations (compliments).
    AnyChild,
}

/// The child's details as the check needs them. An unreadable date of birth is an error,
/// never a default.
pub fn identifiers(
    name: &str,
    date_of_birth: Option<&str>,
    identifier: Option<&str>,
) -> Result<ChildIdentifiers, AppError> {
    let dob = date_of_birth
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<Date>()
                .map_err(|e| AppError::Internal(format!("a child's date of birth {d:?}: {e}")))
        })
        .transpose()?;
    Ok(ChildIdentifiers::new(name, dob, identifier))
}

/// The child of an escalation (`None` for a thematic or strategic one, which has none).
pub async fn child_of(
    state: &AppState,
    row: &EscalationRow,
) -> Result<Option<ChildIdentifiers>, AppError> {
    if row.subject != "child" {
        return Ok(None);
    }
    let Some(json) = state.store.child_details(&row.id).await? else {
        // Purged: nothing left to compare with.
        return Ok(None);
    };
    let d: ChildDetails = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("child details of {}: {e}", row.id)))?;
    identifiers(&d.name, d.date_of_birth.as_deref(), d.identifier.as_deref()).map(Some)
}

/// The children of every escalation whose child's details `user` may see: a compliment,
/// which has no child, must name none of them.
pub async fn children_known_to(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<ChildIdentifiers>, AppError> {
    let ctx = Context::load(state, user).await?;
    let me = user.id().to_owned();
    let mut people = ctx.directory.reports_of(&me);
    people.push(me);
    let rows = state
        .store
        .escalations_involving(&ctx.partnership.id, &people)
        .await?;
    let ids: Vec<String> = rows.iter().map(|e| e.id.clone()).collect();
    let officers = state
        .store
        .officers_of_escalations(&ctx.partnership.id, &ids)
        .await?;
    let appointments = state
        .store
        .appointments_of_escalations(&ctx.partnership.id, &ids)
        .await?;
    let mut by_escalation: std::collections::HashMap<String, Vec<_>> =
        std::collections::HashMap::new();
    for o in officers {
        by_escalation
            .entry(o.escalation_id.clone())
            .or_default()
            .push(o);
    }
    let mut children = Vec::new();
    for row in &rows {
        let mine = by_escalation
            .get(row.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let appointed: Vec<_> = appointments
            .iter()
            .filter(|a| a.escalation_id == row.id)
            .cloned()
            .collect();
        if !ctx
            .access(user, row, mine, &appointed)
            .is_some_and(|a| a.child_details)
        {
            continue;
        }
        children.extend(child_of(state, row).await?);
    }
    Ok(children)
}

/// Checks one text shown to others. `called` names the field as a sentence starts ("The
/// reason", "What was discussed"); the message says what to take out.
pub fn check(
    children: &[ChildIdentifiers],
    whose: Whose,
    called: &str,
    text: &str,
) -> Result<(), String> {
    visible::check(text).map_err(|u| format!("{called} {}", u.describe()))?;
    for child in children {
        if let Some(found) = child.find(text) {
            let what = found.describe();
            return Err(match whose {
                Whose::TheChild => format!(
                    "{called} must not identify the child: it holds {what}. The partnership reads this, so take it out"
                ),
                Whose::AnyChild => format!(
                    "{called} must not identify a child: it holds {what} (a child of an escalation you are part of). The partnership reads compliments, so take it out"
                ),
            });
        }
    }
    Ok(())
}

/// Checks a text shown to others that no child is compared with (names of agencies and
/// people, job titles, the case as put): only that it shows what it holds.
pub fn check_shown(called: &str, text: &str) -> Result<(), String> {
    visible::check(text).map_err(|u| format!("{called} {}", u.describe()))
}
