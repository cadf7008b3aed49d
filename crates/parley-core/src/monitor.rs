//! What the deadline monitor does for one escalation (issue 15): the events it records at an
//! instant, and the first date on which it has anything to record, which the store keeps as
//! an indexed column so that a pass reads only the escalations due (not every open one).
//!
//! A deadline is a date and passes when that date ends in the procedure's time zone
//! (DESIGN.md §5), so a deadline due on D is recorded from D + 1. The two functions agree by
//! construction: `due_events(at)` is empty exactly while `local_date(at) < wake_on()`
//! (a property test in `tests/core/monitor.rs` holds them to it).

use jiff::Timestamp;
use jiff::civil::Date;

use crate::escalation::{Deadline, Escalation, Event, Rules};

impl Escalation {
    /// Each deadline that runs now, with its due date: at a referral step only the step's own
    /// (see [`Escalation::overdue`]), otherwise the current stage's and the overall one.
    pub fn running_deadlines(&self) -> Vec<(Deadline, Date)> {
        if !self.status.is_open() {
            return Vec::new();
        }
        if let Some(step) = self.at_referral() {
            return step
                .due
                .map(|due| (Deadline::Referral(self.referral_number()), due))
                .into_iter()
                .collect();
        }
        let current = self.current();
        let mut out = vec![(Deadline::Stage(current.number), current.due)];
        if let Some(due) = self.overall_due {
            out.push((Deadline::Overall, due));
        }
        out
    }

    /// The events the deadline monitor records at `at`: every running deadline that has
    /// passed and is not yet recorded, in the order of [`Escalation::running_deadlines`].
    /// Applying them one after another is always allowed.
    pub fn due_events(&self, rules: Rules<'_>, at: Timestamp) -> Vec<Event> {
        let today = rules.local_date(at);
        self.running_deadlines()
            .into_iter()
            .filter(|(deadline, due)| *due < today && !self.deadlines_passed.contains(deadline))
            .map(|(deadline, _)| Event::DeadlinePassed { deadline })
            .collect()
    }

    /// The first date on which [`Escalation::due_events`] is not empty; `None` when the
    /// monitor has nothing left to do for it (closed, or every running deadline recorded).
    pub fn wake_on(&self, _rules: Rules<'_>) -> Option<Date> {
        self.running_deadlines()
            .into_iter()
            .filter(|(deadline, _)| !self.deadlines_passed.contains(deadline))
            .filter_map(|(_, due)| due.tomorrow().ok())
            .min()
    }
}
