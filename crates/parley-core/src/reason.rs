//! Deadlines and the reasons for notifications as the records store them, and back
//! (issue 15: the store and the layers above it get typed values, not strings with markers).
//!
//! A deadline: `<stage number>`, `overall`, or `referral-<n>`. A reason: `raised`,
//! `stage-entered:<stage>`, `deadline-passed:<deadline>`, `deadline-approaching:<deadline>`,
//! `closed:<how>` (`resolved`, `referred-on`, `withdrawn`, `redirected`: the escalation's
//! status name), or `report-due:<report id>:<first day>:<last day>`. Reading accepts exactly what writing gives, nothing else: anything else
//! stored is unreadable, and the caller says where it was.

use std::fmt;

use crate::escalation::{Deadline, Reason};
use crate::names::ClosedAs;
use crate::procedure::StageNumber;

impl Deadline {
    /// As stored: `2`, `overall`, `referral-1`.
    pub fn as_stored(&self) -> String {
        match self {
            Deadline::Stage(n) => n.to_string(),
            Deadline::Overall => "overall".to_owned(),
            Deadline::Referral(n) => format!("referral-{n}"),
        }
    }

    /// Reads what [`Deadline::as_stored`] writes; `None` for anything else.
    pub fn parse(s: &str) -> Option<Deadline> {
        let deadline = if s == "overall" {
            Deadline::Overall
        } else if let Some(n) = s.strip_prefix("referral-") {
            Deadline::Referral(number(n).filter(|n| *n >= 1)?)
        } else {
            Deadline::Stage(StageNumber::new(i64::from(number(s)?))?)
        };
        Some(deadline)
    }
}

/// A number written in plain decimal digits, without sign or leading zero.
fn number(s: &str) -> Option<u8> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

/// In words, for messages: `stage 2 deadline`, `overall deadline`, `referral step 1 deadline`.
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::Stage(n) => write!(f, "stage {n} deadline"),
            Deadline::Overall => f.write_str("overall deadline"),
            Deadline::Referral(n) => write!(f, "referral step {n} deadline"),
        }
    }
}

impl Reason {
    /// As stored in the outbox: `raised`, `stage-entered:2`, `deadline-passed:overall`,
    /// `deadline-approaching:referral-1`, `closed:resolved`.
    pub fn as_stored(&self) -> String {
        match self {
            Reason::Raised => "raised".to_owned(),
            Reason::StageEntered(n) => format!("stage-entered:{n}"),
            Reason::DeadlinePassed(d) => format!("deadline-passed:{}", d.as_stored()),
            Reason::DeadlineApproaching(d) => format!("deadline-approaching:{}", d.as_stored()),
            Reason::Closed(c) => format!("closed:{c}"),
            Reason::ReportDue { report, from, to } => format!("report-due:{report}:{from}:{to}"),
        }
    }

    /// Reads what [`Reason::as_stored`] writes; `None` for anything else.
    pub fn parse(s: &str) -> Option<Reason> {
        if s == "raised" {
            return Some(Reason::Raised);
        }
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "stage-entered" => Some(Reason::StageEntered(match Deadline::parse(rest)? {
                Deadline::Stage(n) => n,
                _ => return None,
            })),
            "deadline-passed" => Deadline::parse(rest).map(Reason::DeadlinePassed),
            "deadline-approaching" => Deadline::parse(rest).map(Reason::DeadlineApproaching),
            "closed" => rest.parse::<ClosedAs>().ok().map(Reason::Closed),
            "report-due" => report_due(rest),
            _ => None,
        }
    }
}

/// `<report id>:<first day>:<last day>`, as [`Reason::as_stored`] writes it: an id of
/// lowercase letters, digits and hyphens, and two `YYYY-MM-DD` dates in order.
fn report_due(rest: &str) -> Option<Reason> {
    let mut parts = rest.split(':');
    let (report, from, to) = (parts.next()?, parts.next()?, parts.next()?);
    let id = (2..=40).contains(&report.len())
        && report.starts_with(|c: char| c.is_ascii_lowercase())
        && report
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let date = |s: &str| {
        (s.len() == 10)
            .then(|| s.parse::<jiff::civil::Date>().ok())
            .flatten()
    };
    let (from, to) = (date(from)?, date(to)?);
    (id && parts.next().is_none() && from <= to).then(|| Reason::ReportDue {
        report: report.to_owned(),
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_written_forms_are_read() {
        for bad in [
            "",
            "raised:",
            "stage-entered",
            "stage-entered:0",
            "stage-entered:01",
            "stage-entered:+1",
            "stage-entered:overall",
            "stage-entered:100",
            "deadline-passed:",
            "deadline-passed:referral-0",
            "deadline-passed:referral-",
            "deadline-passed:Overall",
            "deadline-approaching:2 ",
            "closed:open",
            "closed:",
            "closed:resolved:agreed",
            "Raised",
            "reminder:1",
            "report-due:",
            "report-due:monthly",
            "report-due:monthly:2026-11-01",
            "report-due:monthly:2026-11-01:2026-10-31",
            "report-due:Monthly:2026-11-01:2026-11-30",
            "report-due:monthly:2026-11-1:2026-11-30",
            "report-due:monthly:2026-11-01:2026-11-30:x",
        ] {
            assert_eq!(Reason::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            Reason::parse("closed:referred-on"),
            Some(Reason::Closed(ClosedAs::ReferredOn))
        );
        let due = Reason::ReportDue {
            report: "stage-3-and-above".to_owned(),
            from: jiff::civil::date(2026, 11, 1),
            to: jiff::civil::date(2026, 11, 30),
        };
        assert_eq!(
            due.as_stored(),
            "report-due:stage-3-and-above:2026-11-01:2026-11-30"
        );
        assert_eq!(Reason::parse(&due.as_stored()), Some(due));
        assert_eq!(
            Reason::parse("deadline-approaching:referral-2"),
            Some(Reason::DeadlineApproaching(Deadline::Referral(2)))
        );
    }
}
