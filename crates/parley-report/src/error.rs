//! The one error type of the reports.

use jiff::civil::Date;
use parley_core::CalendarError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A date range whose start is after its end.
    #[error(
        "the period starts on {from}, after it ends on {to}: the start must be on or before the end"
    )]
    PeriodBackwards { from: Date, to: Date },
    /// A period (or the one before it) that would reach outside the dates Parley can count.
    #[error("there is no period {what}: it would fall outside the supported dates")]
    PeriodOutOfRange { what: String },
    /// A suppression threshold outside what a published table can use.
    #[error("the small-number threshold must be from {min} to {max}, not {given}")]
    Threshold { given: u32, min: u32, max: u32 },
    /// A table whose rows are not all as long as its header.
    #[error("row {row} of the table has {found} cells, not {expected}")]
    RaggedTable {
        row: usize,
        expected: usize,
        found: usize,
    },
    /// Facts of two partnerships given to one report.
    #[error(
        "one report is of one partnership, but it was given escalations of {first} and of {other}"
    )]
    MixedPartnerships { first: String, other: String },
    /// An escalation with no stage, which cannot be: its first stage begins when it is raised.
    #[error("escalation {reference} has no stage")]
    NoStages { reference: String },
    /// Working days could not be counted for a date in the figures.
    #[error("counting working days for escalation {reference}: {source}")]
    Calendar {
        reference: String,
        source: CalendarError,
    },
}
