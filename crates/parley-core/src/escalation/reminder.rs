//! Reminders before a deadline (issue 15): a notification rule with
//! `on = "deadline-approaching"` and `before = N` reminds its recipients N working days before
//! each running deadline (the current stage's, the overall one, a referral step's), in the
//! partnership's calendar. The deadline monitor records the reminder as an event on its day
//! (`monitor.rs`); this is the rule that event is held to.
//!
//! A reminder is recorded at most once per deadline and `before`, from its reminder day up to
//! and including the deadline's due date, and only while the deadline runs and has not been
//! recorded as passed. One whose day was missed entirely (the deadline has passed) is never
//! sent: the deadline-passed notice says more.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::{CalendarError, WorkingDays};
use crate::escalation::{Deadline, Escalation, Notification, Reason, Rules, TransitionError};
use crate::names::Trigger;

impl Escalation {
    /// The reminder day of a deadline due on `due`: `before` working days ahead of it in
    /// the partnership's calendar (the due date itself does not count, so `before = 1` is the
    /// working day before).
    pub fn reminder_day(
        rules: Rules<'_>,
        due: Date,
        before: WorkingDays,
    ) -> Result<Date, CalendarError> {
        rules.calendar.working_days_before(due, before)
    }

    /// The notifications a reminder `before` working days ahead of `deadline` calls for:
    /// the reminder rules with that `before`, given where the escalation now is.
    pub(crate) fn reminder_notifications(
        &self,
        rules: Rules<'_>,
        deadline: Deadline,
        before: WorkingDays,
    ) -> Vec<Notification> {
        self.notifications_for(
            rules,
            |rule| rule.on == Trigger::DeadlineApproaching && rule.before == Some(before),
            &Reason::DeadlineApproaching(deadline),
        )
    }
}

/// The distinct `before`s of a procedure's reminder rules, the largest (earliest reminder)
/// first.
pub(crate) fn befores(rules: Rules<'_>) -> Vec<WorkingDays> {
    let mut out: Vec<WorkingDays> = rules
        .procedure
        .notifications
        .iter()
        .filter(|r| r.on == Trigger::DeadlineApproaching)
        .filter_map(|r| r.before)
        .collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    out
}

/// Applies [`crate::escalation::Event::DeadlineApproaching`] to `next` (a copy of `state`,
/// already moved on to this event's version); the notifications it calls for.
pub(crate) fn record(
    state: &Escalation,
    next: &mut Escalation,
    rules: Rules<'_>,
    at: Timestamp,
    deadline: Deadline,
    before: WorkingDays,
) -> Result<Vec<Notification>, TransitionError> {
    let due = state
        .running_deadlines()
        .into_iter()
        .find(|(d, _)| *d == deadline)
        .map(|(_, due)| due)
        .ok_or(TransitionError::NoSuchDeadline(deadline))?;
    if state.reminders_sent.contains(&(deadline, before)) {
        return Err(TransitionError::ReminderAlreadySent { deadline, before });
    }
    let today = rules.local_date(at);
    if due < today || state.deadlines_passed.contains(&deadline) {
        return Err(TransitionError::ReminderTooLate {
            deadline,
            due,
            today,
        });
    }
    let on = Escalation::reminder_day(rules, due, before)?;
    if today < on {
        return Err(TransitionError::ReminderNotYet {
            deadline,
            before,
            due,
            on,
            today,
        });
    }
    next.reminders_sent.push((deadline, before));
    Ok(next.reminder_notifications(rules, deadline, before))
}
