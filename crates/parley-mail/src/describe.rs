//! What a notice says, from the core's values: the escalation's state, its procedure, and the
//! notification (recipient, reason, stage). Only the fields of a [`Notice`] are read out, none
//! of which can hold a child's details; the state itself holds none (a child's identifiers
//! live apart in the store, and are never read here).

use jiff::civil::Date;
use parley_core::escalation::{Deadline, Escalation, Reason, Status};
use parley_core::names::{Recipient, Trigger};
use parley_core::{Procedure, StageNumber};

use crate::compose::{EscalationNotice, Happening, Needed};

/// The escalation a notice is about, and why it is sent.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    pub escalation_id: &'a str,
    pub reference: &'a str,
    pub procedure: &'a Procedure,
    pub state: &'a Escalation,
    pub raising_agency: &'a str,
    pub receiving_agency: &'a str,
    pub recipient: Recipient,
    pub reason: &'a Reason,
    /// The stage the escalation was at when the notification was made.
    pub stage: StageNumber,
}

/// A stored notification that cannot be described (an unreadable value, never a default).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the notice about {reference} cannot be written: {problem}")]
pub struct DescribeError {
    reference: String,
    problem: String,
}

/// The notice for `about`.
pub fn notice(about: &About<'_>) -> Result<EscalationNotice, DescribeError> {
    let fail = |problem: String| DescribeError {
        reference: about.reference.to_owned(),
        problem,
    };
    let p = about.procedure;
    let stage_name = p
        .stage(about.stage)
        .map(|s| s.title.clone())
        .ok_or_else(|| fail(format!("{} has no stage {}", p.name, about.stage)))?;
    let due = |deadline: Deadline| {
        due_date(about.state, deadline).ok_or_else(|| {
            fail(format!(
                "it has no {} to give a date for",
                deadline_words(deadline)
            ))
        })
    };
    let (happened, trigger) = match about.reason {
        Reason::Raised => (Happening::Raised, Trigger::Raised),
        Reason::StageEntered(n) => (Happening::StageEntered(*n), Trigger::StageEntered),
        Reason::DeadlineApproaching(d) => (
            Happening::DeadlineApproaching {
                deadline: *d,
                due: due(*d)?,
            },
            Trigger::DeadlineApproaching,
        ),
        Reason::DeadlinePassed(d) => (
            Happening::DeadlinePassed {
                deadline: *d,
                due: due(*d)?,
            },
            Trigger::DeadlinePassed,
        ),
        Reason::Closed(closed) => (
            Happening::Closed {
                // The state's status says how (which resolution, referral or redirection)
                // when it closed that way; a notice read later still names the closing.
                outcome: match about.state.status.closed_as() {
                    Some(now) if now == *closed => outcome(p, &about.state.status),
                    _ => closed.label().to_owned(),
                },
            },
            Trigger::Closed,
        ),
        // About no escalation: `records::StoreQueue::report_notice` writes it.
        Reason::ReportDue { report, .. } => {
            return Err(fail(format!(
                "the reminder of report {report} is about no escalation"
            )));
        }
    };
    let rule_text = p
        .notifications
        .iter()
        .filter(|r| r.to == about.recipient && r.on == trigger && r.from_stage <= about.stage)
        .find_map(|r| r.text.clone());
    let partnership_form = if about.recipient == Recipient::PartnershipBusinessTeam {
        form_answers(p, about.state)
    } else {
        Vec::new()
    };
    Ok(EscalationNotice {
        escalation_id: about.escalation_id.to_owned(),
        reference: about.reference.to_owned(),
        procedure: p.name.clone(),
        stage: about.stage,
        stage_name,
        raising_agency: about.raising_agency.to_owned(),
        receiving_agency: about.receiving_agency.to_owned(),
        needed: needed(p, about.state, &happened),
        happened,
        rule_text,
        partnership_form,
    })
}

fn due_date(state: &Escalation, deadline: Deadline) -> Option<Date> {
    match deadline {
        Deadline::Stage(n) => state
            .stages
            .iter()
            .rev()
            .find(|s| s.number == n)
            .map(|s| s.due),
        Deadline::Overall => state.overall_due,
        Deadline::Referral(n) => state
            .referrals
            .get(usize::from(n).checked_sub(1)?)
            .and_then(|r| r.due),
    }
}

fn deadline_words(deadline: Deadline) -> String {
    match deadline {
        Deadline::Stage(n) => format!("stage {n} deadline"),
        Deadline::Overall => "overall deadline".to_owned(),
        Deadline::Referral(n) => format!("deadline for referral {n}"),
    }
}

fn outcome(p: &Procedure, status: &Status) -> String {
    match status {
        Status::Open => "it is open".to_owned(),
        Status::Resolved(r) => lower_first(r.label()),
        Status::ReferredOn(id) => match p.referrals.iter().find(|r| r.id == *id) {
            Some(r) => format!("referred on ({})", r.label),
            None => "referred on".to_owned(),
        },
        Status::Withdrawn => "withdrawn".to_owned(),
        Status::Redirected(kind) => format!("redirected as {}", lower_first(kind.label())),
    }
}

/// What the people told must do next: the running deadline, while it is open.
fn needed(p: &Procedure, state: &Escalation, happened: &Happening) -> Option<Needed> {
    if !state.status.is_open() {
        return None;
    }
    if let Happening::DeadlinePassed { deadline, .. } = happened {
        let what = match deadline {
            Deadline::Stage(n) => format!("Stage {n} is overdue. Agree the next step now"),
            Deadline::Overall => {
                "The escalation is overdue. Agree how it will be resolved now".to_owned()
            }
            Deadline::Referral(_) => "The referral is overdue. Record what came of it".to_owned(),
        };
        return Some(Needed { what, by: None });
    }
    let (deadline, by) = state.running_deadlines().into_iter().next()?;
    let what = match deadline {
        Deadline::Stage(n) => match p.stage(n) {
            Some(s) => format!("Finish stage {n} ({})", s.title),
            None => format!("Finish stage {n}"),
        },
        Deadline::Overall => "Resolve the escalation".to_owned(),
        Deadline::Referral(_) => "Record what came of the referral".to_owned(),
    };
    Some(Needed { what, by: Some(by) })
}

/// The latest partnership form's answers, each under its field's label (Croydon Appendix A;
/// Sunderland Appendix 1). The form's fields hold no child details: its answers pass the same
/// check as every text the business team reads.
fn form_answers(p: &Procedure, state: &Escalation) -> Vec<(String, String)> {
    let (Some(form), Some(sent)) = (&p.partnership_form, state.partnership_forms.last()) else {
        return Vec::new();
    };
    sent.answers
        .iter()
        .map(|(id, text)| {
            let label = form
                .fields
                .iter()
                .find(|f| f.id == *id)
                .map_or_else(|| id.clone(), |f| f.label.clone());
            (label, text.clone())
        })
        .collect()
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
