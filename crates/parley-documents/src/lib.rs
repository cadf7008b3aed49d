//! Parley's documents as PDF (issue 17): the period report with its charts, and the
//! procedures' forms, laid out with typst from plain values.
//!
//! - [`report`]: the report of a period from [`parley_report`]'s figures, "for publication"
//!   (small numbers suppressed) or "not for publication: exact figures".
//! - [`forms`]: Croydon Appendix A, Sunderland Appendix 1, and the stage record
//!   (Buckinghamshire Appendix A and the other procedures), from the neutral [`input`] types.
//! - [`Document::pdf`]: any of them as a tagged PDF/UA-1 file (feature `pdf`, on by default).
//!
//! Invariants:
//! - No I/O, no clock, no network: the templates and the fonts are compiled in, typst never
//!   searches the system for fonts and has no package resolver, and the caller gives every
//!   date and time. The same input gives the same PDF.
//! - Data reaches typst only as `sys.inputs` values ([`data::Data`]); no typst source is ever
//!   built from data, so text prints as written, whatever characters it holds.
//! - A document that goes to the partnership cannot hold a child's details: its input has a
//!   [`input::CaseSummary`], which has no field for them. Only [`input::Case`] has one, an
//!   `Option` the caller fills for a reader who may see the child.

pub mod data;
mod document;
#[cfg(feature = "pdf")]
mod engine;
mod error;
pub mod forms;
pub mod input;
mod output;
pub mod report;

pub use document::{Document, Rendered, Template};
pub use error::DocumentError;
pub use report::{Publication, ReportInput, report};
