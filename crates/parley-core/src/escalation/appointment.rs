//! Appointing a person to an escalation in a partnership role (issue 14, item 4): the state
//! machine's check that the procedure provides the appointment at the escalation's stage.
//! Who may appoint is decided where the people are known (the web's permissions), from the
//! appointment's `by` list.

use crate::escalation::TransitionError;
use crate::names::Actor;
use crate::procedure::{Procedure, StageNumber};

/// Whether `person` may be appointed as `role` to an escalation at stage `current` that has
/// the appointments `already` ((role, person) pairs).
pub fn check(
    p: &Procedure,
    current: StageNumber,
    role: Actor,
    person: &str,
    already: &[(Actor, String)],
) -> Result<(), TransitionError> {
    let Some(a) = p.appointment(role) else {
        return Err(TransitionError::NoSuchAppointment {
            role,
            known: p.appointments.iter().map(|a| a.role.as_str()).collect(),
        });
    };
    if current < a.stage {
        return Err(TransitionError::AppointmentTooEarly {
            role,
            from: a.stage,
            current,
        });
    }
    if person.trim().is_empty() {
        return Err(TransitionError::NoAppointee);
    }
    if already.iter().any(|(r, p)| *r == role && p == person) {
        return Err(TransitionError::AlreadyAppointed { role });
    }
    Ok(())
}
