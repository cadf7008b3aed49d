//! Parley's reports for a partnership, as pure functions on values (issue 17): report periods,
//! the figures of a period computed from per-escalation facts, small-number suppression for the
//! published form, SVG charts with their data tables, and CSV.
//!
//! Invariants: nothing here does I/O, reads the clock or reaches a database; the facts, the
//! calendar and the period are arguments. Nothing here holds a child's details: the input
//! [`figures::EscalationFacts`] has no field for them, so no output can carry them. The same
//! input always gives the same output, byte for byte (the charts and the CSV included).

pub mod chart;
pub mod csv;
mod error;
pub mod figures;
pub mod period;
pub mod reached;
pub mod sections;
pub mod spread;
pub mod suppress;

pub use error::ReportError;
pub use period::{Period, Preset};
