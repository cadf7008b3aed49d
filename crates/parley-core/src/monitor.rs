//! What the deadline monitor does for one escalation (issue 15): the events it records at an
//! instant, and the first date on which it has anything to record, which the store keeps as
//! an indexed column so that a pass reads only the escalations due (not every open one).
//!
//! A deadline is a date and passes when that date ends in the procedure's time zone
//! (DESIGN.md §5), so a deadline due on D is recorded from D + 1. A reminder `before = N`
//! (`reminder.rs`) is recorded from N working days before D, up to D. The two functions agree
//! by construction: `due_events(at)` is empty exactly while `local_date(at) < wake_on()`, and
//! applying `due_events(at)` in order at `at` always succeeds and leaves nothing due at `at`
//! (property tests in `tests/core/monitor.rs` hold them to it).

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::WorkingDays;
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

    /// The events the deadline monitor records at `at`: first each reminder whose day has
    /// come, whose deadline has not passed and which is not yet recorded (`reminder.rs`; only
    /// those the procedure's rules send to someone at the escalation's stage), then every
    /// running deadline that has passed and is not yet recorded, each in the order of
    /// [`Escalation::running_deadlines`]. A reminder whose day was missed entirely (its
    /// deadline has passed) is never given: the deadline-passed event is. Applying the events
    /// one after another at `at` is always allowed.
    pub fn due_events(&self, rules: Rules<'_>, at: Timestamp) -> Vec<Event> {
        let today = rules.local_date(at);
        let pending = self.still_to_do(rules);
        let reminders = pending
            .iter()
            .flat_map(|p| p.reminders.iter().map(move |r| (p, r)))
            .filter(|(p, (_, on))| *on <= today && today <= p.due)
            .map(|(p, (before, _))| Event::DeadlineApproaching {
                deadline: p.deadline,
                before: *before,
            });
        let passed = pending
            .iter()
            .filter(|p| p.due < today)
            .map(|p| Event::DeadlinePassed {
                deadline: p.deadline,
            });
        reminders.chain(passed).collect()
    }

    /// The first date on which [`Escalation::due_events`] is not empty; `None` when the
    /// monitor has nothing left to do for it (closed, or every running deadline recorded).
    ///
    /// For a running deadline not yet recorded, `due_events` is not empty from its earliest
    /// reminder day not yet recorded (up to its due date: the reminder; after it: the
    /// deadline) or, without one, from the day after its due date; and stays so until an
    /// event is applied. So the first of those dates over the running deadlines is exactly
    /// where `due_events` starts giving something.
    pub fn wake_on(&self, rules: Rules<'_>) -> Option<Date> {
        self.still_to_do(rules)
            .iter()
            .filter_map(|p| {
                let after = p.due.tomorrow().ok();
                let first_reminder = p.reminders.iter().map(|(_, on)| *on).min();
                match (first_reminder, after) {
                    (Some(r), Some(a)) => Some(r.min(a)),
                    (r, a) => r.or(a),
                }
            })
            .min()
    }

    /// What the monitor still has to do for each running deadline not yet recorded as
    /// passed: the reminders not yet recorded (with their days) that the rules send to
    /// someone now.
    fn still_to_do(&self, rules: Rules<'_>) -> Vec<Pending> {
        let befores = crate::reminder::befores(rules);
        self.running_deadlines()
            .into_iter()
            .filter(|(deadline, _)| !self.deadlines_passed.contains(deadline))
            .map(|(deadline, due)| Pending {
                deadline,
                due,
                reminders: befores
                    .iter()
                    .copied()
                    .filter(|before| !self.reminders_sent.contains(&(deadline, *before)))
                    .filter(|before| {
                        !self
                            .reminder_notifications(rules, deadline, *before)
                            .is_empty()
                    })
                    // A day the calendar cannot give (before its data) has no reminder.
                    .filter_map(|before| {
                        Escalation::reminder_day(rules, due, before)
                            .ok()
                            .map(|on| (before, on))
                    })
                    .collect(),
            })
            .collect()
    }
}

/// A running deadline the monitor has not recorded as passed.
struct Pending {
    deadline: Deadline,
    due: Date,
    /// Each reminder still to send: `before`, and its day.
    reminders: Vec<(WorkingDays, Date)>,
}
