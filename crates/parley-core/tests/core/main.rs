//! Tests of Parley's core against its public API: one test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
mod cap;
mod fuzz;
mod machine;
mod may;
mod properties;
mod seeds;
mod svg;
