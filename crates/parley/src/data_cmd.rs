//! `parley backup | restore | export | import`.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{Ctx, Failure, Outcome};

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// Where to write the backup.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// A backup made by `parley backup`.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Output format.
    #[arg(long, default_value = "jsonl")]
    pub(crate) format: String,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A file written by `parley export`.
    pub(crate) file: PathBuf,
}

pub(crate) async fn backup(args: BackupArgs, ctx: Ctx) -> Outcome {
    let _ = (args, ctx);
    Err(Failure("not yet implemented".to_owned()))
}

pub(crate) async fn restore(args: RestoreArgs, ctx: Ctx) -> Outcome {
    let _ = (args, ctx);
    Err(Failure("not yet implemented".to_owned()))
}

pub(crate) async fn export(args: ExportArgs, ctx: Ctx) -> Outcome {
    let _ = (args, ctx);
    Err(Failure("not yet implemented".to_owned()))
}

pub(crate) async fn import(args: ImportArgs, ctx: Ctx) -> Outcome {
    let _ = (args, ctx);
    Err(Failure("not yet implemented".to_owned()))
}
