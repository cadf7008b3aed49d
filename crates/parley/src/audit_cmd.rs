//! `parley audit`: verify the event log's hash chains; sign and check checkpoints.

use clap::Subcommand;

use crate::cli::{Ctx, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk every chain; exit 0 when intact, otherwise name the first broken event.
    Verify,
    /// Print each chain's head, signed with the deployment's Ed25519 key.
    Checkpoint,
}

pub(crate) async fn run(command: AuditCommand, ctx: Ctx) -> Outcome {
    let _ = (command, ctx);
    Err(Failure("not yet implemented".to_owned()))
}
