//! Route-level tests of the web application, in process (no browser, no socket): the role x
//! route x relationship matrix, the sweep for children's details, security headers, sessions
//! and CSRF, and error pages. See `harness.rs` for how each test gets its own copy of the
//! seeded demo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod agreement;
mod appointments;
mod bodies;
mod cap;
mod child_reads;
mod conformance;
mod day_one;
mod errors;
mod every_stage;
mod forms;
mod freshness;
mod harness;
mod headers;
mod identifiers;
mod leaks;
mod learning;
mod matrix;
mod meetings;
mod not_carried;
mod notifications;
mod partnership_form;
mod prompts;
mod redirect;
mod referrals;
mod reminders;
mod reports;
mod signin;
mod stage_access;
mod stage_record;
mod stories;
mod tokens;
mod who_may;
