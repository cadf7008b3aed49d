//! Parley's core: procedures as data, the UK working-day calendar, deadlines and the
//! escalation state machine.
//!
//! Invariants: nothing here does I/O or reads the clock. Time, the calendar and the
//! procedure are always arguments, so every function gives the same answer for the same
//! inputs.

pub mod calendar;
pub mod day_one;
pub mod deadline;
pub mod describe;
pub mod escalation;
pub mod identifiers;
pub mod meeting;
pub mod monitor;
pub mod names;
pub mod procedure;
pub mod reason;
pub mod roles;
pub mod seeds;
pub mod visible;

pub use calendar::{BankHolidays, Calendar, CalendarError, CountingRule, Region, WorkingDays};
/// The parts of the escalation's state machine, also by their own names.
pub use escalation::{agreement, appointment, cap, partnership_form, reminder};
pub use procedure::{Procedure, ProcedureId, StageNumber};
