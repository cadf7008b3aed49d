//! The overall limit on the agree-timescale form and action (issue 14, item 1): no timescale
//! is agreed past the date the whole escalation is due (Sunderland: "The process should be
//! completed within a month").

use parley_core::agreement::Proposal;
use parley_core::escalation::{Escalation, Event, Rules as CoreRules};

use super::escalation::{ActError, field, sentence};

/// The most working days the form offers at the current stage, and the overall deadline when
/// it is what holds the number below the stage's own maximum.
pub fn agree_limit(state: &Escalation, rules: CoreRules<'_>) -> (Option<u32>, Option<String>) {
    match state.agreeable(rules) {
        Ok(Some(a)) => {
            let whole_due = a
                .overall_due
                .filter(|_| a.most < a.max.get())
                .map(|d| d.to_string());
            ((a.most > 0).then_some(a.most), whole_due)
        }
        // A stage without an agreed timescale, or dates beyond the calendar (the action
        // itself then reports the calendar's error).
        Ok(None) | Err(_) => (None, None),
    }
}

/// Refuses a new agreement that would run past the overall deadline. A stored one replays
/// as it was (the state machine caps its date), so the check is made here, before recording.
pub fn check_new(state: &Escalation, rules: CoreRules<'_>, event: &Event) -> Result<(), ActError> {
    // Issue 14, item 2: a timescale proposed, and the one a confirmation makes hold.
    let agreed = match event {
        Event::TimescaleAgreed { working_days }
        | Event::AgreementProposed {
            proposal: Proposal::Timescale(working_days),
            ..
        } => Some(*working_days),
        Event::AgreementConfirmed { .. } => match state.pending().map(|p| p.proposal) {
            Some(Proposal::Timescale(working_days)) => Some(working_days),
            _ => None,
        },
        _ => None,
    };
    if let Some(working_days) = agreed {
        state
            .check_agreement(rules, working_days)
            .map_err(|e| ActError::invalid(field::WORKING_DAYS, sentence(&e.to_string())))?;
    }
    Ok(())
}
