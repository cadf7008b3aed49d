//! What is open at the end of a period, and for how long (issue 17: "At the end of the period:
//! what is open, and for how long"), in working days after the day it was raised.

use jiff::civil::Date;
use parley_core::StageNumber;
use parley_core::names::RouteKind;

use super::{Counts, EscalationFacts, Named, counts};
use crate::ReportError;
use crate::spread::Spread;

/// How long an escalation has been open, in bands of working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpenBand {
    UpTo5,
    From6To10,
    From11To20,
    From21To60,
    Over60,
}

impl OpenBand {
    pub const ALL: &'static [OpenBand] = &[
        OpenBand::UpTo5,
        OpenBand::From6To10,
        OpenBand::From11To20,
        OpenBand::From21To60,
        OpenBand::Over60,
    ];

    /// The band of `working_days`. Five is a working week and the longest stage of Croydon,
    /// Sunderland and Buckinghamshire; 15 to 20 is where their caps fall (Buckinghamshire 15
    /// working days, Sunderland a month).
    pub fn of(working_days: u32) -> OpenBand {
        match working_days {
            0..=5 => OpenBand::UpTo5,
            6..=10 => OpenBand::From6To10,
            11..=20 => OpenBand::From11To20,
            21..=60 => OpenBand::From21To60,
            _ => OpenBand::Over60,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OpenBand::UpTo5 => "Up to 5 working days",
            OpenBand::From6To10 => "6 to 10 working days",
            OpenBand::From11To20 => "11 to 20 working days",
            OpenBand::From21To60 => "21 to 60 working days",
            OpenBand::Over60 => "More than 60 working days",
        }
    }
}

/// One escalation open at the end of the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenLine {
    pub reference: String,
    pub route: RouteKind,
    pub category: Named,
    pub raising_agency: Named,
    pub receiving_agency: Named,
    pub raised_on: Date,
    /// The stage it was at.
    pub stage: StageNumber,
    /// Working days after the day it was raised, up to the end of the period.
    pub working_days_open: u32,
    /// Whether its stage was past its due date by the end of the period.
    pub overdue: bool,
}

/// Everything open at the end of the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAtEnd {
    /// Longest open first (then by reference).
    pub lines: Vec<OpenLine>,
    pub by_stage: Counts<StageNumber>,
    /// Every band, zeros included.
    pub by_band: Counts<OpenBand>,
    pub overdue: u64,
    /// How long they had been open, in working days.
    pub how_long: Option<Spread>,
}

pub(super) fn at_end(
    escalations: &[&EscalationFacts],
    end: Date,
    as_of: Date,
    working_days: impl Fn(&EscalationFacts, Date, Date) -> Result<u32, ReportError>,
) -> Result<OpenAtEnd, ReportError> {
    let mut lines = Vec::new();
    for &e in escalations.iter().filter(|e| e.open_on(end)) {
        let Some(current) = e
            .stages
            .iter()
            .filter(|s| s.started_on <= end)
            .max_by_key(|s| s.stage)
        else {
            return Err(ReportError::NoStages {
                reference: e.reference.to_string(),
            });
        };
        lines.push(OpenLine {
            reference: e.reference.to_string(),
            route: e.route,
            category: Named::clone(&e.category),
            raising_agency: Named::clone(&e.raising_agency),
            receiving_agency: Named::clone(&e.receiving_agency),
            raised_on: e.raised_on,
            stage: current.stage,
            working_days_open: working_days(e, e.raised_on, end)?,
            // Past due once its due day is over (as for a missed deadline in the figures),
            // unless the stage had ended (at a referral step, say).
            overdue: current.due < as_of
                && current.due <= end
                && current.ended_on.is_none_or(|d| d > end),
        });
    }
    lines.sort_by(|a, b| {
        (b.working_days_open, &a.reference).cmp(&(a.working_days_open, &b.reference))
    });
    let days: Vec<u32> = lines.iter().map(|l| l.working_days_open).collect();
    Ok(OpenAtEnd {
        by_stage: counts(lines.iter().map(|l| l.stage)),
        by_band: OpenBand::ALL
            .iter()
            .map(|&b| {
                (
                    b,
                    days.iter().filter(|&&d| OpenBand::of(d) == b).count() as u64,
                )
            })
            .collect(),
        overdue: lines.iter().filter(|l| l.overdue).count() as u64,
        how_long: Spread::of(&days),
        lines,
    })
}
