//! `parley report`: a partnership's period report (issue 17, item 1) from the database, as
//! JSON (the figures, as `GET /api/reports` gives them), CSV (the tables), PDF (exact, or
//! `--publish` for publication) or HTML (the Reports page). The same code as the web makes it
//! (`parley_web::service::reports`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use jiff::Timestamp;
use parley_store::records::Records;
use parley_web::service::reports::json::Lines;
use parley_web::service::reports::own::{self, OwnReport};
use parley_web::service::reports::{self, Report};

use crate::command::{Ctx, Failure, Outcome};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ReportFormat {
    Html,
    Pdf,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The partnership: its short name (e.g. SOL), name or id.
    #[arg(long, value_name = "SHORT")]
    partnership: String,
    /// The first day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "preset")]
    from: Option<String>,
    /// The last day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "preset")]
    to: Option<String>,
    /// A period of this kind instead: month, quarter, year (calendar) or financial-year
    /// (April to March).
    #[arg(long, value_name = "KIND")]
    preset: Option<String>,
    /// With --preset: the period containing this day (default today).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "preset")]
    on: Option<String>,
    /// A report the procedure calls for (its `[[report]]` id, e.g. stage-3-and-above), for
    /// the last whole period (due now) or --from and --to. An ID the procedure does not
    /// declare is refused, naming those it does.
    #[arg(long, value_name = "ID", conflicts_with_all = ["preset", "table", "publish"])]
    procedure_report: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    format: ReportFormat,
    /// The form for publication: small numbers suppressed (PDF and CSV; the lists that name
    /// escalations are left out).
    #[arg(long)]
    publish: bool,
    /// With --format csv: one table by its id (default every table of counts, one after the
    /// other, each headed by its id).
    #[arg(long, value_name = "ID")]
    table: Option<String>,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) async fn run(args: ReportArgs, ctx: Ctx) -> Outcome {
    // One report, then the process ends: nothing to remember between reports.
    let records = Records::open(&ctx.database).await?.without_report_memory();
    let all = records.store().partnerships().await?;
    let key = args.partnership.as_str();
    let partnership = all
        .iter()
        .find(|p| p.short_name.as_deref() == Some(key) || p.name == key || p.id == key)
        .ok_or_else(|| {
            Failure(format!(
                "no partnership \"{key}\" (known: {})",
                all.iter()
                    .map(|p| p.short_name.clone().unwrap_or_else(|| p.name.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let today = records
        .local_today(&partnership.id, Timestamp::now())
        .await?;
    if let Some(id) = &args.procedure_report {
        return procedure_report(&records, partnership, id, &args, today).await;
    }
    let period = reports::period_of(
        args.from.as_deref(),
        args.to.as_deref(),
        args.preset.as_deref(),
        args.on.as_deref(),
        today,
    )
    .map_err(|(field, message)| Failure(format!("--{field}: {message}")))?;
    let report = reports::make(&records, partnership, period, today)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    let bytes = match args.format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&reports::json::of(&report, Lines::ALL))?;
            text.push('\n');
            text.into_bytes()
        }
        ReportFormat::Csv => csv(&report, args.table.as_deref(), args.publish)?.into_bytes(),
        ReportFormat::Pdf => {
            reports::pdf(&report, args.publish).map_err(|e| Failure(e.to_string()))?
        }
        ReportFormat::Html => {
            if args.publish {
                return Err(Failure(
                    "--publish is for PDF and CSV: the page shows exact figures".to_owned(),
                ));
            }
            parley_web::pages::reports::standalone_html(&report)
                .map_err(|e| Failure(e.to_string()))?
                .into_bytes()
        }
    };
    write(&args, bytes)
}

/// Writes the output to `--out`, or stdout.
fn write(args: &ReportArgs, bytes: Vec<u8>) -> Outcome {
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
            Ok(format!(
                "wrote {} ({} bytes)\n",
                path.display(),
                bytes.len()
            ))
        }
        None if matches!(args.format, ReportFormat::Pdf) => {
            use std::io::Write as _;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(String::new())
        }
        None => String::from_utf8(bytes).map_err(|e| Failure(e.to_string())),
    }
}

/// One table, or every table of counts each after a line naming it.
fn csv(report: &Report, table: Option<&str>, publish: bool) -> Result<String, Failure> {
    let one = |id: &str| -> Result<String, Failure> {
        reports::csv(report, id, publish)
            .map_err(|e| Failure(e.to_string()))?
            .ok_or_else(|| {
                Failure(format!(
                    "no table \"{id}\"{}; tables: {}",
                    if publish {
                        " in the form for publication"
                    } else {
                        ""
                    },
                    reports::table_ids(report).join(", ")
                ))
            })
    };
    match table {
        Some(id) => one(id),
        None => {
            let mut out = String::new();
            for id in reports::table_ids(report) {
                if publish && (id == reports::OPEN_TABLE || id == reports::LEARNING_TABLE) {
                    continue;
                }
                out.push_str(&format!("# {id}\r\n"));
                out.push_str(&one(&id)?);
                out.push_str("\r\n");
            }
            Ok(out)
        }
    }
}

/// `--procedure-report ID`: a report the partnership's current procedure calls for.
async fn procedure_report(
    records: &Records,
    partnership: &parley_store::rows::PartnershipRow,
    id: &str,
    args: &ReportArgs,
    today: jiff::civil::Date,
) -> Outcome {
    let row = records
        .store()
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|p| p.version == partnership.procedure_version)
        .ok_or_else(|| Failure(format!("{} has no procedure", partnership.name)))?;
    let procedure = parley_core::procedure::parse(&row.source)
        .map_err(|e| Failure(format!("its procedure does not parse: {e}")))?;
    let spec = procedure.report(id).ok_or_else(|| {
        let known: Vec<&str> = procedure.reports.iter().map(|r| r.id.as_str()).collect();
        Failure(if known.is_empty() {
            format!(
                "{}'s procedure calls for no report of its own",
                partnership.name
            )
        } else {
            format!(
                "no procedure report \"{id}\"; the procedure's: {}",
                known.join(", ")
            )
        })
    })?;
    let period = own::period_for(spec, args.from.as_deref(), args.to.as_deref(), today)
        .map_err(|(field, message)| Failure(format!("--{field}: {message}")))?;
    let report = own::make(records, partnership, spec, period, today)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    let bytes = match args.format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&own::json(&report, Lines::ALL))?;
            text.push('\n');
            text.into_bytes()
        }
        ReportFormat::Csv => own::csv(&report)
            .map_err(|e| Failure(e.to_string()))?
            .into_bytes(),
        ReportFormat::Html => parley_web::pages::reports::standalone_own_html(&report)
            .map_err(|e| Failure(e.to_string()))?
            .into_bytes(),
        ReportFormat::Pdf => own_pdf(&report)?,
    };
    write(args, bytes)
}

/// A report of figures as the period report's PDF; a list has none (its CSV is the download).
fn own_pdf(report: &OwnReport) -> Result<Vec<u8>, Failure> {
    match &report.body {
        own::Body::Figures(r) => reports::pdf(r, false).map_err(|e| Failure(e.to_string())),
        own::Body::Escalations(_) => Err(Failure(format!(
            "\"{}\" is a list of escalations: ask for --format csv, json or html",
            report.spec.id
        ))),
    }
}
