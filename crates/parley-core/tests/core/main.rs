//! Tests of Parley's core against its public API: one test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
mod cap;
mod day_one;
mod fuzz;
mod machine;
mod may;
mod monitor;
mod partnership_form;
mod prompts;
mod properties;
mod reminders;
mod seeds;
mod svg;
