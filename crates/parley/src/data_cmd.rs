//! `parley backup | restore | export | import`: whole databases in and out, between files and
//! backends. The work is done by `parley_store::transfer`; this module reads the clock, checks
//! the arguments and prints what happened.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::Args;
use jiff::Timestamp;
use parley_store::records::Records;
use parley_store::transfer::{self, BackupSummary, RestoreSummary};

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// Where to write the backup (a new file): a copy of the SQLite database, or for
    /// PostgreSQL an export read in one consistent transaction.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// A backup made by `parley backup`, or a file written by `parley export`.
    pub(crate) file: PathBuf,
    /// Replace a SQLite database that already holds data.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Output format (jsonl: one JSON object a line).
    #[arg(long, default_value = "jsonl")]
    pub(crate) format: String,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A file written by `parley export`.
    pub(crate) file: PathBuf,
}

/// A SQLite URL must name an existing file: opening a missing one would create an empty
/// database and back up or export nothing.
fn existing_database(url: &str) -> Result<(), Failure> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    if Path::new(path).exists() {
        Ok(())
    } else {
        Err(Failure(format!("there is no database at {path}")))
    }
}

pub(crate) async fn backup(args: BackupArgs, ctx: Ctx) -> Outcome {
    let file = args.file.display().to_string();
    Ok(
        match transfer::backup(&ctx.database, &args.file, Timestamp::now()).await? {
            BackupSummary::SqliteFile { bytes } => {
                format!(
                    "backed up the database to {file} ({bytes} bytes; restore it with `parley restore {file}`)\n"
                )
            }
            BackupSummary::Export(e) => format!(
                "backed up the database to {file} as an export: {} events in {} chains, {} outbox rows (restore it with `parley restore {file}`)\n",
                e.events, e.chains, e.outbox
            ),
        },
    )
}

pub(crate) async fn restore(args: RestoreArgs, ctx: Ctx) -> Outcome {
    let file = args.file.display().to_string();
    Ok(
        match transfer::restore(&ctx.database, &args.file, args.force).await? {
            RestoreSummary::SqliteFile(v) => format!(
                "restored the database from {file}: {} events in {} chains, every chain verifies\n",
                v.events, v.chains
            ),
            RestoreSummary::Export(i) => format!(
                "restored the database from {file}: {} events in {} chains, {} outbox rows; projections rebuilt; every chain verifies\n",
                i.events, i.chains, i.outbox
            ),
        },
    )
}

pub(crate) async fn export(args: ExportArgs, ctx: Ctx) -> Outcome {
    if args.format != "jsonl" {
        return Err(Failure(format!(
            "unknown export format \"{}\"; the format is jsonl",
            args.format
        )));
    }
    existing_database(&ctx.database)?;
    let store = parley_store::open(&ctx.database).await?;
    // Straight to stdout as it is read: an export can be larger than memory.
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    transfer::export(store.as_ref(), Timestamp::now(), &mut out).await?;
    Ok(String::new())
}

pub(crate) async fn import(args: ImportArgs, ctx: Ctx) -> Outcome {
    // Check the file before opening (and so perhaps creating) the database.
    let checked = transfer::check_export(&args.file)?;
    let records = Records::open(&ctx.database).await?;
    let i = transfer::import_checked(&records, &args.file, &checked).await?;
    Ok(format!(
        "imported {}: {} events in {} chains, {} outbox rows; projections rebuilt from {} events; every chain verifies\n",
        args.file.display(),
        i.events,
        i.chains,
        i.outbox,
        i.replayed
    ))
}
