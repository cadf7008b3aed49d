//! `parley demo`: demonstration data.

use clap::Subcommand;

use crate::cli::{Ctx, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum DemoCommand {
    /// Create a demo partnership per built-in procedure with agencies, people, named officers
    /// and escalations in every status.
    Seed,
}

pub(crate) async fn run(command: DemoCommand, ctx: Ctx) -> Outcome {
    let _ = (command, ctx);
    Err(Failure("not yet implemented".to_owned()))
}
