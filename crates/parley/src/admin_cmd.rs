//! `parley admin`: maintenance of a database, and (hidden from `--help`) the load and crash-check
//! tools that `scripts/bench-store`, `scripts/bench-deadlines`, `scripts/bench-reports`, `scripts/pg-crash-test` and the
//! crash test run.

mod check;
mod load;
mod reports_bench;
mod seed;

use clap::Subcommand;
use parley_store::records::Records;

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Drop the query tables and replay every event into them.
    RebuildProjections,
    /// Create or update the schema (run as the owner role on PostgreSQL).
    Migrate,
    /// PostgreSQL: give an application role SELECT and INSERT on the event log and full use of
    /// the query tables. Run with the owner's URL.
    GrantAppRole {
        /// The application's role name.
        role: String,
    },
    /// Test tool: create a partnership and append events to it from concurrent writers.
    #[command(hide = true)]
    WriteLoad(load::WriteLoadArgs),
    /// Test tool: single-row INSERT transactions into a scratch table, one at a time.
    #[command(hide = true)]
    RawCeiling(load::RawCeilingArgs),
    /// Test tool: check acknowledged writes, chains and projections after a crash.
    #[command(hide = true)]
    CheckAcks(check::CheckAcksArgs),
    /// Benchmark tool: raise open escalations, some with a deadline passed at `--now`, for
    /// `scripts/bench-deadlines`.
    #[command(hide = true)]
    SeedDeadlines(seed::SeedDeadlinesArgs),
    /// Benchmark tool: escalations raised over years in one partnership, for
    /// `scripts/bench-reports`.
    #[command(hide = true)]
    SeedReports(reports_bench::SeedReportsArgs),
    /// Benchmark tool: a period's report made several times in one process, timed.
    #[command(hide = true)]
    BenchReports(reports_bench::BenchReportsArgs),
}

pub(crate) async fn run(command: AdminCommand, ctx: Ctx) -> Outcome {
    match command {
        AdminCommand::RebuildProjections => {
            let records = Records::open(&ctx.database).await?;
            let replayed = records.rebuild_projections().await?;
            Ok(format!("rebuilt the projections from {replayed} events\n"))
        }
        AdminCommand::Migrate => {
            let store = parley_store::open(&ctx.database).await?;
            Ok(format!(
                "schema version {}\n",
                store.schema_version().await?
            ))
        }
        AdminCommand::GrantAppRole { role } => {
            if !ctx.database.starts_with("postgres") {
                return Err(Failure(
                    "grant-app-role is for PostgreSQL databases".to_owned(),
                ));
            }
            let store = parley_store::backend::PgStore::open(&ctx.database).await?;
            store.grant_app_role(&role).await?;
            Ok(format!(
                "granted {role} SELECT, INSERT on events and use of the query tables\n"
            ))
        }
        AdminCommand::WriteLoad(args) => load::write_load(args, &ctx.database).await,
        AdminCommand::RawCeiling(args) => load::raw_ceiling(args, &ctx.database).await,
        AdminCommand::CheckAcks(args) => check::check_acks(args, &ctx.database).await,
        AdminCommand::SeedDeadlines(args) => seed::seed_deadlines(args, &ctx.database).await,
        AdminCommand::SeedReports(args) => reports_bench::seed_reports(args, &ctx.database).await,
        AdminCommand::BenchReports(args) => reports_bench::bench_reports(args, &ctx.database).await,
    }
}
