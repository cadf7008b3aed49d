//! An escalation's Day One (issue 14, item 7): the date its timescales count from. It is the
//! day it is raised, unless the procedure counts from the date of the decision to raise it
//! (Dorset §4: "The date of this decision is Day One"), which the raiser gives. That date is
//! never after the day of raising, nor so early that day `latest_entry_day` of the procedure
//! has gone by.

use jiff::civil::Date;

use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::procedure::{DayOne, Procedure};

/// Why a decision date is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DayOneError {
    #[error(
        "this procedure counts its timescales from the date of the decision to raise it: give that date"
    )]
    Missing,
    #[error(
        "this procedure counts its timescales from the day the escalation is raised: it takes no decision date"
    )]
    NotTaken,
    #[error("the decision to raise it, on {}, cannot be after the day it is raised, {}", long(*.given), long(*.raised_on))]
    InFuture { given: Date, raised_on: Date },
    #[error(
        "the decision to raise it, on {}, is too long ago: the procedure has escalations entered by working day {latest_entry_day} from Day One, so the decision can be no earlier than {}",
        long(*.given),
        long(*.earliest)
    )]
    TooEarly {
        given: Date,
        earliest: Date,
        latest_entry_day: WorkingDays,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

fn long(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

/// The earliest decision date accepted on `raised_on`, when the procedure takes one.
pub fn earliest(
    procedure: &Procedure,
    calendar: &Calendar,
    raised_on: Date,
) -> Result<Option<Date>, CalendarError> {
    match procedure.day_one {
        DayOne::Raised => Ok(None),
        DayOne::DecisionDate { latest_entry_day } => calendar
            .earliest_day_one(raised_on, latest_entry_day)
            .map(Some),
    }
}

/// The Day One of an escalation raised on `raised_on` with the decision date `decided_on`
/// (given only where the procedure takes one).
pub fn day_one(
    procedure: &Procedure,
    calendar: &Calendar,
    raised_on: Date,
    decided_on: Option<Date>,
) -> Result<Date, DayOneError> {
    match (procedure.day_one, decided_on) {
        (DayOne::Raised, None) => Ok(raised_on),
        (DayOne::Raised, Some(_)) => Err(DayOneError::NotTaken),
        (DayOne::DecisionDate { .. }, None) => Err(DayOneError::Missing),
        (DayOne::DecisionDate { latest_entry_day }, Some(given)) => {
            if given > raised_on {
                return Err(DayOneError::InFuture { given, raised_on });
            }
            let earliest = calendar.earliest_day_one(raised_on, latest_entry_day)?;
            if given < earliest {
                return Err(DayOneError::TooEarly {
                    given,
                    earliest,
                    latest_entry_day,
                });
            }
            Ok(given)
        }
    }
}

/// How many working days had gone from Day One (counted as day 1 when it is a working day)
/// before `on`: 0 when `on` is Day One, or no working day lies between.
pub fn days_gone(calendar: &Calendar, day_one: Date, on: Date) -> Result<u32, CalendarError> {
    if on <= day_one {
        return Ok(0);
    }
    // Working days in [day_one, on) = those after the day before Day One, up to the day
    // before `on`.
    let (Ok(before_one), Ok(before_on)) = (day_one.yesterday(), on.yesterday()) else {
        return Ok(0);
    };
    let n = calendar.working_days_between(before_one, before_on)?;
    Ok(u32::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BankHolidays, Region};
    use jiff::civil::date;

    fn ew() -> Calendar {
        Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap()
    }

    #[test]
    fn working_days_gone_since_day_one() {
        let c = ew();
        // Tuesday 22 December 2026 is day 1; on Thursday 24, two working days have gone.
        assert_eq!(
            days_gone(&c, date(2026, 12, 22), date(2026, 12, 24)).unwrap(),
            2
        );
        assert_eq!(
            days_gone(&c, date(2026, 12, 22), date(2026, 12, 22)).unwrap(),
            0
        );
        // Over Christmas, the weekend and the Boxing Day substitute: 23, 24 and 29 December.
        assert_eq!(
            days_gone(&c, date(2026, 12, 23), date(2026, 12, 30)).unwrap(),
            3
        );
        // A Saturday decision: day 1 is Monday 21, so on Monday none has gone.
        assert_eq!(
            days_gone(&c, date(2026, 12, 19), date(2026, 12, 21)).unwrap(),
            0
        );
    }
}
