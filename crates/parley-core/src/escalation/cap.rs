//! The overall limit over the stages (issue 14, item 1): no stage runs past the date the whole
//! escalation is due, where the procedure has one (Buckinghamshire 2.4.24: "15 days maximum";
//! Sunderland: "The process should be completed within a month"), and no timescale can be
//! agreed past it.

use jiff::civil::Date;

use crate::calendar::{Calendar, CalendarError, CountingRule, WorkingDays};
use crate::escalation::{Escalation, Rules, TransitionError};
use crate::procedure::Timescale;

pub use crate::deadline::governing;

/// The most working days, up to `max`, that can be agreed for a stage started on `started_on`
/// without its due date running past `overall` (0 when not even one fits); `max` when there is
/// no overall limit.
pub fn most_agreeable(
    calendar: &Calendar,
    rule: CountingRule,
    started_on: Date,
    max: WorkingDays,
    overall: Option<Date>,
) -> Result<u32, CalendarError> {
    let Some(overall) = overall else {
        return Ok(max.get());
    };
    // The due date grows with the number of days: the first that fits, counting down.
    for n in (1..=max.get()).rev() {
        let days = WorkingDays::new(i64::from(n)).map_err(|_| calendar_gap(calendar))?;
        if calendar.due(rule, started_on, days)? <= overall {
            return Ok(n);
        }
    }
    Ok(0)
}

fn calendar_gap(calendar: &Calendar) -> CalendarError {
    CalendarError::DeadlineBeyondRange {
        region: calendar.region(),
        last: calendar.covers().1,
    }
}

/// What can be agreed at the current stage now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Agreeable {
    /// The stage's own maximum (Sunderland: "not exceeding 5 working days").
    pub max: WorkingDays,
    /// The most that still fits before the overall deadline (`max` without one; 0 when none).
    pub most: u32,
    /// The overall deadline, where the procedure has one.
    pub overall_due: Option<Date>,
}

impl Escalation {
    /// What may be agreed at the current stage, or `None` where its timescale is not agreed.
    pub fn agreeable(&self, rules: Rules<'_>) -> Result<Option<Agreeable>, CalendarError> {
        let current = self.current();
        let Some(Timescale::Agreed { max }) =
            rules.procedure.stage(current.number).map(|s| s.timescale)
        else {
            return Ok(None);
        };
        let most = most_agreeable(
            rules.calendar,
            rules.procedure.counting,
            current.started_on,
            max,
            self.overall_due,
        )?;
        Ok(Some(Agreeable {
            max,
            most,
            overall_due: self.overall_due,
        }))
    }

    /// Refuses a new agreement whose due date would run past the overall deadline. Checked
    /// before a new agreement is recorded; an agreement already stored replays as it was, its
    /// stage due on the overall date (the state machine caps it).
    pub fn check_agreement(
        &self,
        rules: Rules<'_>,
        working_days: WorkingDays,
    ) -> Result<(), TransitionError> {
        if let Some(Agreeable {
            most,
            overall_due: Some(overall_due),
            max,
        }) = self.agreeable(rules)?
            && working_days <= max
            && working_days.get() > most
        {
            return Err(TransitionError::AgreedTimescalePastOverall {
                given: working_days,
                overall_due,
                most,
            });
        }
        Ok(())
    }
}

/// "at most N working days can still be agreed", or that none can.
pub fn most_sentence(most: u32) -> String {
    match most {
        0 => "no timescale can be agreed before it".to_owned(),
        1 => "at most 1 working day can still be agreed".to_owned(),
        n => format!("at most {n} working days can still be agreed"),
    }
}
