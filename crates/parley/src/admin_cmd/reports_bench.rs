//! `parley admin seed-reports` and `parley admin bench-reports`: the database and the timings
//! of `scripts/bench-reports` (issue 17, "Performance": a year's report over 1,000,000
//! escalations, under 200 ms for the figures and under 1 s for the whole PDF).
//!
//! `seed-reports` writes the escalations through the records (`parley_demo::seed_bulk`), so the
//! report reads what a real database holds. `bench-reports` opens the database once, then
//! makes the period's report several times in the one process, as the web server does for a
//! request, and prints the median of each part:
//!
//! - `read`: the part of `figures` that reads the facts from the store;
//! - `figures`: the report as `GET /api/reports` makes it (`reports::make`): the facts of the
//!   period and the one before read from the store, and both periods' figures counted;
//! - `json`: those figures written as the API's JSON (the lists a page of 500 lines);
//! - `json_all`: the same with every line of the lists (`parley report --format json`);
//! - `pdf`: the whole PDF for publication, made from nothing (`figures` and the typst layout);
//! - `pdf_exact`: the same with exact figures and the lists, as the business team downloads it;
//! - `warm`: what a server reads into its report memory as it starts (`parley serve
//!   --report-memory-years`, default 3), in the background: after it, the first report of a
//!   period within those years is made from memory (`figures`), and only a period outside
//!   them is read afresh (`figures_cold`).

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use jiff::Timestamp;
use parley_demo::{BulkOptions, seed_bulk};
use parley_store::records::{REPORT_MEMORY_YEARS, Records};
use parley_web::service::reports;
use parley_web::service::reports::json::Lines;

/// The lists as `GET /api/reports` gives them unless asked otherwise.
const API_PAGE: Lines = Lines {
    offset: 0,
    limit: Some(Lines::DEFAULT_LIMIT),
};

use crate::command::{Failure, Outcome};

#[derive(Debug, Args)]
pub(crate) struct SeedReportsArgs {
    /// Escalations to seed.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    escalations: usize,
    /// Raised evenly over this many years before `--now`.
    #[arg(long, default_value_t = 10, value_name = "YEARS")]
    years: u32,
    /// The built-in procedure of the partnership that holds them.
    #[arg(long, default_value = "dorset", value_name = "ID")]
    procedure: String,
    /// The moment the data is seen from (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    now: Timestamp,
    #[arg(long, default_value_t = 17)]
    seed: u64,
    /// Escalations written at once.
    #[arg(long, default_value_t = 512, value_name = "N")]
    in_flight: usize,
}

pub(super) async fn seed_reports(args: SeedReportsArgs, url: &str) -> Outcome {
    let records = Arc::new(Records::open(url).await?);
    let options = BulkOptions {
        procedure: args.procedure,
        escalations: args.escalations,
        years: args.years,
        seed: args.seed,
        in_flight: args.in_flight,
    };
    let mut progress = |done: usize, all: usize, seconds: f64| {
        eprintln!(
            "seed-reports: {done} of {all} escalations written in {seconds:.0} s ({:.0} a second)",
            done as f64 / seconds.max(1e-9)
        );
    };
    let started = Instant::now();
    let summary = seed_bulk(records, args.now, &options, &mut progress).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(format!(
        "seeded partnership={} escalations={} events={} seconds={seconds:.1} escalations_per_s={:.0} events_per_s={:.0}\n",
        summary.short_name,
        summary.escalations,
        summary.events,
        summary.escalations as f64 / seconds.max(1e-9),
        summary.events as f64 / seconds.max(1e-9),
    ))
}

#[derive(Debug, Args)]
pub(crate) struct BenchReportsArgs {
    /// The partnership: its short name, name or id.
    #[arg(long, value_name = "SHORT")]
    partnership: String,
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: String,
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: String,
    /// The day the report is made on (open escalations are counted as at its end or this day).
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: jiff::civil::Date,
    /// Reports made per figure (the median is printed).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

pub(super) async fn bench_reports(args: BenchReportsArgs, url: &str) -> Outcome {
    let records = Records::open(url).await?;
    let all = records.store().partnerships().await?;
    let key = args.partnership.as_str();
    let partnership = all
        .iter()
        .find(|p| p.short_name.as_deref() == Some(key) || p.name == key || p.id == key)
        .ok_or_else(|| Failure(format!("no partnership {key:?}")))?;
    let period = reports::period_of(Some(&args.from), Some(&args.to), None, None, args.today)
        .map_err(|(field, message)| Failure(format!("--{field}: {message}")))?;
    let runs = args.runs.max(1);
    // Each run: the report read afresh ("cold": the process's report memory forgotten), then
    // again from memory brought up to date ("warm": `report_memory.rs`), as the business
    // team's page, PDF and CSV of one period are made one after another.
    let (mut cold, mut figures, mut json, mut json_all) = (vec![], vec![], vec![], vec![]);
    let (mut pdf_cold, mut pdf, mut pdf_exact) = (vec![], vec![], vec![]);
    let mut counted = (0, 0, 0, 0, 0);
    let fail = |e: parley_web::error::AppError| Failure(e.to_string());
    let make = || reports::make(&records, partnership, period, args.today);
    for _ in 0..runs {
        records.forget_reports();
        let t = Instant::now();
        make().await.map_err(fail)?;
        cold.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let report = make().await.map_err(fail)?;
        figures.push(t.elapsed().as_secs_f64() * 1e3);
        // The API's JSON (its lists a page of the default length), then the CLI's (every
        // line).
        let t = Instant::now();
        let text = serde_json::to_string(&reports::json::of(&report, API_PAGE))?;
        json.push(t.elapsed().as_secs_f64() * 1e3);
        counted.4 = text.len();
        let t = Instant::now();
        let text = serde_json::to_string(&reports::json::of(&report, Lines::ALL))?;
        json_all.push(t.elapsed().as_secs_f64() * 1e3);
        counted.0 = report.current.raised;
        counted.3 = text.len();

        records.forget_reports();
        let t = Instant::now();
        let report = make().await.map_err(fail)?;
        reports::pdf(&report, true).map_err(fail)?;
        pdf_cold.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let report = make().await.map_err(fail)?;
        let bytes = reports::pdf(&report, true).map_err(fail)?;
        pdf.push(t.elapsed().as_secs_f64() * 1e3);
        counted.1 = bytes.len();

        let t = Instant::now();
        let report = make().await.map_err(fail)?;
        let bytes = reports::pdf(&report, false).map_err(fail)?;
        pdf_exact.push(t.elapsed().as_secs_f64() * 1e3);
        counted.2 = bytes.len();
    }
    // What a server reads as it starts, in the background.
    let at = args
        .today
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| Failure(e.to_string()))?
        .timestamp();
    let (mut warm, mut warmed) = (Vec::new(), 0);
    for _ in 0..runs {
        records.forget_reports();
        let t = Instant::now();
        let w = records
            .warm_report_memory(&partnership.id, at, REPORT_MEMORY_YEARS)
            .await?;
        warm.push(t.elapsed().as_secs_f64() * 1e3);
        warmed = w.map_or(0, |w| w.escalations);
    }
    // The read alone (the store's rows made into facts, afresh), to tell it from the
    // counting.
    let mut reading = Vec::new();
    let mut read = None;
    for _ in 0..runs {
        records.forget_reports();
        let t = Instant::now();
        let inputs = records
            .report_inputs(&partnership.id, reports::read_period(period).map_err(fail)?)
            .await?;
        reading.push(t.elapsed().as_secs_f64() * 1e3);
        read = Some(inputs);
    }
    let read = read.ok_or_else(|| Failure("no run".to_owned()))?;
    Ok(format!(
        "bench-reports partnership={} from={} to={} runs={runs} escalations_read={} raised_in_period={} read_ms={:.1} figures_cold_ms={:.1} figures_ms={:.1} json_ms={:.1} json_bytes={} json_all_ms={:.1} json_all_bytes={} pdf_cold_ms={:.1} pdf_ms={:.1} pdf_bytes={} pdf_exact_ms={:.1} pdf_exact_bytes={} warm_years={REPORT_MEMORY_YEARS} warm_ms={:.1} warm_escalations={warmed}\n",
        partnership
            .short_name
            .as_deref()
            .unwrap_or(&partnership.name),
        period.from(),
        period.to(),
        read.facts.escalations.len(),
        counted.0,
        median(&mut reading),
        median(&mut cold),
        median(&mut figures),
        median(&mut json),
        counted.4,
        median(&mut json_all),
        counted.3,
        median(&mut pdf_cold),
        median(&mut pdf),
        counted.1,
        median(&mut pdf_exact),
        counted.2,
        median(&mut warm),
    ))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
