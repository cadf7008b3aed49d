//! `parley deadlines run --once [--now RFC3339]`: one pass of the deadline monitor, for
//! operators, cron and tests (`parley serve` runs the passes itself). Prints what the pass
//! recorded and how long it took.

use std::time::Instant;

use clap::{Args, Subcommand};
use jiff::Timestamp;
use parley_store::records::Records;

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum DeadlinesCommand {
    /// Record every deadline that has passed, and queue every reminder that is due (the
    /// stage leads' before a deadline, and the business team's when a report the procedure
    /// calls for falls due).
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Do one pass and stop.
    #[arg(long)]
    once: bool,
    /// Run the pass as of this instant (RFC 3339, e.g. 2026-03-04T12:00:00Z) instead of now.
    #[arg(long, value_name = "RFC3339")]
    now: Option<Timestamp>,
}

pub(crate) async fn run(command: DeadlinesCommand, ctx: Ctx) -> Outcome {
    match command {
        DeadlinesCommand::Run(args) => run_once(args, &ctx).await,
    }
}

async fn run_once(args: RunArgs, ctx: &Ctx) -> Outcome {
    if !args.once {
        return Err(Failure(
            "give --once: `parley serve` runs the deadline monitor continuously".to_owned(),
        ));
    }
    let now = args.now.unwrap_or_else(Timestamp::now);
    let records = Records::open(&ctx.database).await?;
    let started = Instant::now();
    let report = records.deadline_pass(now).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut out = format!(
        "deadline pass at {now}: escalations={} recorded={} reminders={} reports_due={} conflicts={} failed={} ms={ms:.1}\n",
        report.escalations,
        report.recorded,
        report.reminders,
        report.reports_due,
        report.conflicts,
        report.failed.len(),
    );
    if report.failed.is_empty() {
        return Ok(out);
    }
    for (escalation, error) in &report.failed {
        out.push_str(&format!("escalation {escalation}: {error}\n"));
    }
    Err(Failure(out))
}
