//! A notification in words, as the inbox, the escalation's "who was told what, when" and the
//! administrators' deliveries show it: what happened (the reason, with the procedure rule's
//! own text), what is needed and by when (the deadline that runs now, in words: "by Monday
//! 7 December"). Pure: everything comes in as values. Nothing here reads a child's details;
//! the words are built from the stage, the deadlines and the status only.

use jiff::civil::Date;
use parley_core::calendar::Calendar;
use parley_core::escalation::{Deadline, Escalation, Reason, Status};
use parley_core::names::{Recipient, Trigger};
use parley_core::procedure::{Procedure, StageNumber};

/// A date in words, GOV.UK style: "Monday 7 December", with the year when it is not the
/// year of `today` ("Monday 4 January 2027").
pub fn date_in_words(date: Date, today: Date) -> String {
    if date.year() == today.year() {
        date.strftime("%A %-d %B").to_string()
    } else {
        date.strftime("%A %-d %B %Y").to_string()
    }
}

/// A stage as a short name for a sentence: "stage 2", or "step 2" where the procedure calls
/// its stages steps (Sunderland's "Step 1: ...").
pub fn stage_short(p: &Procedure, n: StageNumber) -> String {
    let steps = p
        .stage(n)
        .is_some_and(|s| s.title.trim_start().to_lowercase().starts_with("step"));
    format!("{} {n}", if steps { "step" } else { "stage" })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A deadline as named in a sentence: "stage 2", "the whole escalation", "the referral to
/// the Independent Scrutineer".
pub fn deadline_name(p: &Procedure, state: Option<&Escalation>, d: Deadline) -> String {
    match d {
        Deadline::Stage(n) => stage_short(p, n),
        Deadline::Overall => "the whole escalation".to_owned(),
        Deadline::Referral(k) => {
            let label = state
                .and_then(|s| s.referrals.get(usize::from(k).checked_sub(1)?))
                .and_then(|r| p.referral(&r.referral))
                .map(|r| r.label.clone());
            match label {
                Some(l) => format!("the referral to {l}"),
                None => "the referral step".to_owned(),
            }
        }
    }
}

/// When a deadline of the escalation falls (the latest entry into the stage for a stage's).
pub fn deadline_due(state: &Escalation, d: Deadline) -> Option<Date> {
    match d {
        Deadline::Stage(n) => state
            .stages
            .iter()
            .rev()
            .find(|s| s.number == n)
            .map(|s| s.due),
        Deadline::Overall => state.overall_due,
        Deadline::Referral(k) => state
            .referrals
            .get(usize::from(k).checked_sub(1)?)
            .and_then(|r| r.due),
    }
}

/// The status of a closed escalation in a few words.
fn closed_words(p: &Procedure, status: &Status) -> String {
    match status {
        Status::Open => "it is open".to_owned(),
        Status::Resolved(r) => r.label().to_lowercase(),
        Status::ReferredOn(id) => format!(
            "referred on to {}",
            p.referral(id).map_or(id.as_str(), |r| r.label.as_str())
        ),
        Status::Withdrawn => "withdrawn".to_owned(),
        Status::Redirected(k) => {
            format!(
                "redirected to another procedure ({})",
                k.label().to_lowercase()
            )
        }
    }
}

/// What happened, front-loaded: "Stage 2 deadline passed", "Reminder: stage 1 is due
/// tomorrow", "Stage 3 began: Senior management". `arrived_on` is the local date the
/// notification arrived (a reminder's "tomorrow" is counted from it).
pub fn what_happened(
    p: &Procedure,
    reason: &Reason,
    state: Option<&Escalation>,
    arrived_on: Date,
) -> String {
    match reason {
        Reason::Raised => "A challenge was raised".to_owned(),
        Reason::StageEntered(n) => match p.stage(*n) {
            Some(s) => format!("{} began: {}", capitalised(&stage_short(p, *n)), s.title),
            None => format!("{} began", capitalised(&stage_short(p, *n))),
        },
        Reason::DeadlinePassed(d) => match d {
            Deadline::Overall => "The deadline for the whole escalation passed".to_owned(),
            _ => format!(
                "{} deadline passed",
                capitalised(&deadline_name(p, state, *d))
            ),
        },
        Reason::DeadlineApproaching(d) => {
            let name = deadline_name(p, state, *d);
            let when = state.and_then(|s| deadline_due(s, *d)).map(|due| {
                if due == arrived_on {
                    "today".to_owned()
                } else if arrived_on.tomorrow().ok() == Some(due) {
                    "tomorrow".to_owned()
                } else {
                    format!("on {}", date_in_words(due, arrived_on))
                }
            });
            match when {
                Some(w) => format!("Reminder: {name} is due {w}"),
                None => format!("Reminder: {name} is due soon"),
            }
        }
        // The reason names how it closed; the state, where there is one, says more (which
        // resolution, referral or redirection).
        Reason::Closed(how) => match state.filter(|s| !s.status.is_open()) {
            Some(s) => format!("It was closed: {}", closed_words(p, &s.status)),
            None => format!("It was closed: {}", how.label()),
        },
        Reason::ReportDue { report, from, to } => report_due(p, report, *from, *to),
    }
}

/// A report the procedure calls for has fallen due: "Report due: Escalations to Stage Three
/// and above, October 2026" (by its id where the procedure no longer has it).
pub fn report_due(p: &Procedure, report: &str, from: Date, to: Date) -> String {
    let title = p.report(report).map_or(report, |r| r.title.as_str());
    let period = parley_report::Period::named(from, to)
        .map_or_else(|_| format!("{from} to {to}"), |p| p.label());
    format!("Report due: {title}, {period}")
}

/// The trigger a reason comes from; none for a report's reminder, which no `[[notification]]`
/// rule calls for.
fn trigger(reason: &Reason) -> Option<Trigger> {
    Some(match reason {
        Reason::Raised => Trigger::Raised,
        Reason::StageEntered(_) => Trigger::StageEntered,
        Reason::DeadlinePassed(_) => Trigger::DeadlinePassed,
        Reason::DeadlineApproaching(_) => Trigger::DeadlineApproaching,
        Reason::Closed(_) => Trigger::Closed,
        Reason::ReportDue { .. } => return None,
    })
}

/// The procedure rule's own text for a notification to `to` for `reason` at `stage`: the
/// rule with that recipient and trigger that applies from the latest stage not after it
/// (Solihull §7: "secure notification should also be sent to cpru@solihull.gov.uk").
pub fn rule_text(
    p: &Procedure,
    to: Recipient,
    reason: &Reason,
    stage: StageNumber,
) -> Option<String> {
    let on = trigger(reason)?;
    p.notifications
        .iter()
        .filter(|r| r.to == to && r.on == on && r.from_stage <= stage)
        .filter(|r| r.text.is_some())
        .max_by_key(|r| r.from_stage)
        .and_then(|r| r.text.clone())
}

/// What is needed now and by when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needed {
    pub text: String,
    /// The deadline that runs now, if one does.
    pub due: Option<Date>,
    pub overdue: bool,
}

/// What the escalation needs now: the deadline that runs (the current stage's, which never
/// falls after the whole escalation's, or the referral step's), in words; nothing once it is
/// closed.
pub fn needed(p: &Procedure, calendar: &Calendar, state: &Escalation, today: Date) -> Needed {
    if !state.status.is_open() {
        return Needed {
            text: format!(
                "Nothing more: it is closed ({})",
                closed_words(p, &state.status)
            ),
            due: None,
            overdue: false,
        };
    }
    let Some((deadline, due)) = state.running_deadlines().into_iter().next() else {
        // At a referral step without a timescale.
        let name = deadline_name(p, Some(state), Deadline::Referral(state.referral_number()));
        return Needed {
            text: format!("{}: the procedure gives it no deadline", capitalised(&name)),
            due: None,
            overdue: false,
        };
    };
    let name = deadline_name(p, Some(state), deadline);
    let what = match deadline {
        Deadline::Stage(n) => match p.stage(n) {
            Some(s) => format!("{} ({})", capitalised(&name), s.title),
            None => capitalised(&name),
        },
        _ => capitalised(&name),
    };
    if due < today {
        let late = calendar
            .working_days_between(due, today)
            .ok()
            .map(|d| d.max(1));
        let late = match late {
            Some(1) => ", 1 working day ago".to_owned(),
            Some(n) => format!(", {n} working days ago"),
            None => String::new(),
        };
        Needed {
            text: format!(
                "{what} was due by {}{late}: it is overdue",
                date_in_words(due, today)
            ),
            due: Some(due),
            overdue: true,
        }
    } else {
        Needed {
            text: format!("{what} is to be finished by {}", date_in_words(due, today)),
            due: Some(due),
            overdue: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procedure(id: &str) -> Procedure {
        let (_, source) = parley_core::seeds::SEEDS
            .iter()
            .find(|(i, _)| *i == id)
            .unwrap();
        parley_core::procedure::parse(source).unwrap()
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn dates_read_without_the_year_of_today() {
        assert_eq!(
            date_in_words(d("2026-12-07"), d("2026-12-04")),
            "Monday 7 December"
        );
        assert_eq!(
            date_in_words(d("2027-01-04"), d("2026-12-29")),
            "Monday 4 January 2027"
        );
    }

    #[test]
    fn stages_are_named_as_the_procedure_names_them() {
        let sunderland = procedure("sunderland");
        let solihull = procedure("solihull");
        let two = StageNumber::new(2).unwrap();
        assert_eq!(stage_short(&sunderland, two), "step 2");
        assert_eq!(stage_short(&solihull, two), "stage 2");
        let on = d("2026-11-23");
        assert_eq!(
            what_happened(
                &solihull,
                &Reason::DeadlinePassed(Deadline::Stage(two)),
                None,
                on
            ),
            "Stage 2 deadline passed"
        );
        assert_eq!(
            what_happened(
                &sunderland,
                &Reason::DeadlineApproaching(Deadline::Stage(two)),
                None,
                on
            ),
            "Reminder: step 2 is due soon"
        );
        assert_eq!(
            what_happened(
                &solihull,
                &Reason::DeadlinePassed(Deadline::Overall),
                None,
                on
            ),
            "The deadline for the whole escalation passed"
        );
    }
}
