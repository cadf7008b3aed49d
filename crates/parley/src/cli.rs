//! Command-line interface: argument parsing, reading files, printing results. Every
//! decision is made in `parley-core`; this module only moves text in and out.

use crate::command::{Ctx, Failure, Outcome};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use parley_core::calendar::{BankHolidays, Calendar, Region, WorkingDays};
use parley_core::deadline::{self, Timeline};
use parley_core::names::RouteKind;
use parley_core::procedure::{self, Procedure};
use parley_core::{describe, seeds};
use serde::Serialize;

/// Parley runs a Safeguarding Children Partnership's procedure for resolving professional
/// disagreements between agencies: stages, deadlines in working days, records, notifications.
#[derive(Debug, Parser)]
#[command(name = "parley", version, about, max_term_width = 100)]
struct Cli {
    /// Where Parley keeps local data (an imported bank-holidays file).
    /// Defaults to $XDG_DATA_HOME/parley or ~/.local/share/parley.
    #[arg(long, global = true, env = "PARLEY_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// The database: sqlite://PATH (the default is parley.db in the data directory) or
    /// postgres://USER:PASSWORD@HOST/DATABASE.
    #[arg(long, global = true, env = "PARLEY_DATABASE_URL", value_name = "URL")]
    database: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, show, check and draw procedures.
    #[command(subcommand)]
    Procedure(ProcedureCommand),
    /// Working-day arithmetic and bank holidays.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The deadlines of an escalation raised on a date, if each stage runs to its deadline.
    Timeline(TimelineArgs),
    /// Check the tamper-evident event log, and sign checkpoints of it.
    #[command(subcommand)]
    Audit(crate::audit_cmd::AuditCommand),
    /// Maintenance: rebuild projections, migrate, grant the application role.
    #[command(subcommand)]
    Admin(crate::admin_cmd::AdminCommand),
    /// The deadline monitor: record passed deadlines and queue reminders.
    #[command(subcommand)]
    Deadlines(crate::deadlines_cmd::DeadlinesCommand),
    /// Notifications: resolve and send them, list deliveries, retry a failed one.
    #[command(subcommand)]
    Notifications(crate::notify_cmd::NotificationsCommand),
    /// E-mail settings: send a test message.
    #[command(subcommand)]
    Mail(crate::notify_cmd::MailCommand),
    /// A partnership's report of a period: JSON, CSV, PDF or HTML.
    Report(crate::report_cmd::ReportArgs),
    /// One of the procedure's forms of an escalation as PDF, as a person sees it.
    Forms(crate::forms_cmd::FormsArgs),
    /// Run the web application and JSON API.
    Serve(crate::web_cmd::ServeArgs),
    /// Seed demo data into a fresh embedded database and serve it (`demo seed`: only seed).
    Demo(crate::web_cmd::DemoArgs),
    /// People who sign in: add one, set a password, issue an API token.
    #[command(subcommand)]
    User(crate::web_cmd::UserCommand),
    /// Partnerships: create one, list them.
    #[command(subcommand)]
    Partnership(crate::web_cmd::PartnershipCommand),
    /// Write a consistent copy of the database to FILE while Parley runs.
    Backup(crate::data_cmd::BackupArgs),
    /// Replace the database with a backup made by `parley backup`.
    Restore(crate::data_cmd::RestoreArgs),
    /// Write every event (and what is needed to rebuild the rest) to stdout.
    Export(crate::data_cmd::ExportArgs),
    /// Read an export into an empty database of either backend.
    Import(crate::data_cmd::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum ProcedureCommand {
    /// List the built-in procedures.
    List,
    /// Show a readable summary of a procedure: stages, leads, timescales, notifications.
    Show {
        /// A built-in procedure id (see `parley procedure list`) or a procedure file.
        procedure: String,
    },
    /// Check a procedure file; prints FILE:LINE:COLUMN for each problem and exits non-zero.
    Check {
        /// The procedure file (TOML) to check.
        file: PathBuf,
    },
    /// Draw a procedure's flow from its definition.
    Diagram {
        /// A built-in procedure id or a procedure file.
        procedure: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DiagramFormat {
    Mermaid,
    Dot,
    Svg,
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Print the date of the N-th working day after FROM (FROM itself does not count).
    Add {
        /// england-and-wales, scotland or northern-ireland.
        #[arg(long, value_name = "NAME")]
        calendar: String,
        /// The start date, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// How many working days to add (at least 1).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        working_days: String,
    },
    /// List the bank holidays of a calendar in a year.
    List {
        /// england-and-wales, scotland or northern-ireland.
        #[arg(long, value_name = "NAME")]
        calendar: String,
        /// The year, e.g. 2026.
        #[arg(long, value_name = "YYYY", allow_negative_numbers = true)]
        year: String,
    },
    /// Import a newer GOV.UK bank-holidays.json file; each year it lists replaces that year.
    Import {
        /// A file in the format of https://www.gov.uk/bank-holidays.json.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
struct TimelineArgs {
    /// A built-in procedure id or a procedure file.
    procedure: String,
    /// The date the escalation is raised, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    raised: String,
    /// individual, thematic or strategic (where the procedure has the route).
    #[arg(long, default_value = "individual")]
    route: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs an async command on a fresh runtime.
fn block_on<F: std::future::Future<Output = Outcome>>(f: F) -> Outcome {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("cannot start the runtime: {e}")))?;
    rt.block_on(f)
}

pub(crate) fn run() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.clone().or_else(default_data_dir);
    let database_given = cli.database.is_some();
    let database = cli.database.clone().unwrap_or_else(|| {
        let dir = data_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        format!("sqlite://{}", dir.join("parley.db").display())
    });
    let ctx = Ctx {
        data_dir: data_dir.clone(),
        database,
    };
    let result = match cli.command {
        Command::Procedure(c) => procedure_command(c, data_dir.as_deref()),
        Command::Calendar(c) => calendar_command(c, data_dir.as_deref()),
        Command::Timeline(args) => timeline_command(&args, data_dir.as_deref()),
        Command::Audit(c) => block_on(crate::audit_cmd::run(c, ctx)),
        Command::Admin(c) => block_on(crate::admin_cmd::run(c, ctx)),
        Command::Deadlines(c) => block_on(crate::deadlines_cmd::run(c, ctx)),
        Command::Notifications(c) => block_on(crate::notify_cmd::notifications(c, ctx)),
        Command::Mail(c) => block_on(crate::notify_cmd::mail(c, ctx)),
        Command::Report(a) => block_on(crate::report_cmd::run(a, ctx)),
        Command::Forms(a) => block_on(crate::forms_cmd::run(a, ctx)),
        Command::Serve(a) => block_on(crate::web_cmd::serve(a, ctx)),
        Command::Demo(a) => block_on(crate::web_cmd::demo(a, ctx, database_given)),
        Command::User(c) => block_on(crate::web_cmd::user(c, ctx)),
        Command::Partnership(c) => block_on(crate::web_cmd::partnership(c, ctx)),
        Command::Backup(a) => block_on(crate::data_cmd::backup(a, ctx)),
        Command::Restore(a) => block_on(crate::data_cmd::restore(a, ctx)),
        Command::Export(a) => block_on(crate::data_cmd::export(a, ctx)),
        Command::Import(a) => block_on(crate::data_cmd::import(a, ctx)),
    };
    match result {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(Failure(message)) => {
            let message = message.trim_end();
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("parley"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/parley"))
}

const IMPORTED_HOLIDAYS: &str = "bank-holidays.json";

/// The built-in bank holidays, with any imported file merged over them.
fn holidays(data_dir: Option<&Path>) -> Result<BankHolidays, Failure> {
    let mut data = BankHolidays::built_in();
    if let Some(path) = data_dir.map(|d| d.join(IMPORTED_HOLIDAYS))
        && path.exists()
    {
        let text = fs::read_to_string(&path)
            .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
        let imported = BankHolidays::from_json(&text)
            .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
        data.merge(&imported);
    }
    Ok(data)
}

fn parse_date(text: &str, what: &str) -> Result<Date, Failure> {
    let valid_shape = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    match text.parse::<Date>() {
        Ok(d) if valid_shape => Ok(d),
        _ => Err(Failure(format!(
            "{what} \"{text}\" is not a valid date; write it as YYYY-MM-DD, e.g. 2026-12-23"
        ))),
    }
}

/// A built-in procedure by id, or a procedure file by path.
fn load_procedure(name: &str) -> Result<Procedure, Failure> {
    if let Some(result) = seeds::get(name) {
        return result.map_err(|e| Failure(e.render(name, seeds::source(name).unwrap_or(""))));
    }
    let path = Path::new(name);
    if name.ends_with(".toml") || path.exists() {
        let text =
            fs::read_to_string(path).map_err(|e| Failure(format!("cannot read {name}: {e}")))?;
        return procedure::parse(&text).map_err(|e| Failure(e.render(name, &text)));
    }
    Err(Failure(format!(
        "unknown procedure \"{name}\"; built-in procedures: {}",
        seeds::ids().collect::<Vec<_>>().join(", ")
    )))
}

fn procedure_command(command: ProcedureCommand, _data_dir: Option<&Path>) -> Outcome {
    match command {
        ProcedureCommand::List => {
            let mut out = String::new();
            for id in seeds::ids() {
                let p = load_procedure(id)?;
                out.push_str(&format!(
                    "{:<16} {} - {}\n",
                    p.id,
                    p.partnership_short(),
                    p.name
                ));
            }
            Ok(out)
        }
        ProcedureCommand::Show { procedure } => Ok(describe::summary(&load_procedure(&procedure)?)),
        ProcedureCommand::Check { file } => {
            let name = file.display().to_string();
            let text = fs::read(&file).map_err(|e| Failure(format!("cannot read {name}: {e}")))?;
            let text = String::from_utf8(text).map_err(|e| {
                Failure(format!(
                    "{name}: the file is not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ))
            })?;
            match procedure::parse(&text) {
                Ok(p) => Ok(format!(
                    "{name}: ok: procedure \"{}\" ({}), {} stage{}\n",
                    p.id,
                    p.partnership_short(),
                    p.stages.len(),
                    if p.stages.len() == 1 { "" } else { "s" }
                )),
                Err(e) => Err(Failure(e.render(&name, &text))),
            }
        }
        ProcedureCommand::Diagram { procedure, format } => {
            let p = load_procedure(&procedure)?;
            Ok(match format {
                DiagramFormat::Mermaid => describe::mermaid(&p),
                DiagramFormat::Dot => describe::dot(&p),
                DiagramFormat::Svg => describe::svg(&p),
            })
        }
    }
}

fn calendar_command(command: CalendarCommand, data_dir: Option<&Path>) -> Outcome {
    match command {
        CalendarCommand::Add {
            calendar,
            from,
            working_days,
        } => {
            let region: Region = calendar.parse()?;
            let from = parse_date(&from, "--from")?;
            let n: WorkingDays = working_days.parse()?;
            let cal = Calendar::new(region, &holidays(data_dir)?, &[])?;
            Ok(format!("{}\n", cal.add_working_days(from, n)?))
        }
        CalendarCommand::List { calendar, year } => {
            let region: Region = calendar.parse()?;
            let year: i16 = year.parse().map_err(|_| {
                Failure(format!(
                    "--year \"{year}\" is not a year; write it as YYYY, e.g. 2026"
                ))
            })?;
            let cal = Calendar::new(region, &holidays(data_dir)?, &[])?;
            let days = cal.closed_days_in_year(year)?;
            let mut out = String::new();
            for h in days {
                let mut line = format!("{}  {}  {}", h.date, &h.date.strftime("%a"), h.title);
                if !h.notes.is_empty() {
                    line.push_str(&format!(" ({})", h.notes));
                }
                if h.predicted {
                    line.push_str(" [predicted]");
                }
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }
        CalendarCommand::Import { file } => {
            let name = file.display().to_string();
            let text = fs::read_to_string(&file)
                .map_err(|e| Failure(format!("cannot read {name}: {e}")))?;
            let newer =
                BankHolidays::from_json(&text).map_err(|e| Failure(format!("{name}: {e}")))?;
            let Some(dir) = data_dir else {
                return Err(Failure(
                    "no data directory: set --data-dir or PARLEY_DATA_DIR".to_owned(),
                ));
            };
            // Merge into what is already imported, so that importing an older file after a
            // newer one never loses years.
            let path = dir.join(IMPORTED_HOLIDAYS);
            let mut imported = match fs::read_to_string(&path) {
                Ok(existing) => BankHolidays::from_json(&existing)
                    .map_err(|e| Failure(format!("{}: {e}", path.display())))?,
                Err(_) => newer.clone(),
            };
            imported.merge(&newer);
            let mut all = BankHolidays::built_in();
            let changes = all.merge(&imported);
            fs::create_dir_all(dir)
                .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
            let tmp = dir.join(format!("{IMPORTED_HOLIDAYS}.tmp"));
            fs::write(&tmp, imported.to_json())
                .and_then(|()| fs::rename(&tmp, &path))
                .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
            let mut out = format!("imported {name} into {}\n", path.display());
            for region in Region::ALL {
                if let Some((first, last)) = all.years(region) {
                    out.push_str(&format!("{}: {first} to {last}\n", region.as_str()));
                }
            }
            for c in changes {
                let what = if c.was_new {
                    "new year".to_owned()
                } else if c.was_predicted {
                    "published days replace predicted ones".to_owned()
                } else {
                    "updated".to_owned()
                };
                let mut line = format!("  {} {}: {what}", c.region.as_str(), c.year);
                if !c.was_new {
                    for d in &c.added {
                        line.push_str(&format!("; +{d}"));
                    }
                    for d in &c.removed {
                        line.push_str(&format!("; -{d}"));
                    }
                }
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }
    }
}

#[derive(Serialize)]
struct TimelineJson<'a> {
    procedure: &'a str,
    raised: String,
    stages: Vec<TimelineStageJson<'a>>,
    overall_due: Option<String>,
}

#[derive(Serialize)]
struct TimelineStageJson<'a> {
    stage: u8,
    title: &'a str,
    starts: String,
    due: String,
}

fn timeline_command(args: &TimelineArgs, data_dir: Option<&Path>) -> Outcome {
    let p = load_procedure(&args.procedure)?;
    let raised = parse_date(&args.raised, "--raised")?;
    let route: RouteKind = args.route.parse()?;
    let cal = deadline::calendar_for(&p, &holidays(data_dir)?)?;
    let t = deadline::timeline(&p, &cal, raised, route)?;
    if args.json {
        let json = TimelineJson {
            procedure: p.id.as_str(),
            raised: t.raised.to_string(),
            stages: t
                .stages
                .iter()
                .map(|s| TimelineStageJson {
                    stage: s.number.get(),
                    title: &s.title,
                    starts: s.starts.to_string(),
                    due: s.due.to_string(),
                })
                .collect(),
            overall_due: t.overall_due.map(|d| d.to_string()),
        };
        let mut text = serde_json::to_string_pretty(&json)?;
        text.push('\n');
        return Ok(text);
    }
    Ok(timeline_table(&p, &t))
}

fn long_date(d: Date) -> String {
    d.strftime("%a %-d %b %Y").to_string()
}

fn timeline_table(p: &Procedure, t: &Timeline) -> String {
    let mut o = format!("{} - {}\n", p.partnership_short(), p.name);
    o.push_str(&format!(
        "Raised {} ({} route); deadlines if each stage runs to its deadline\n\n",
        long_date(t.raised),
        t.route.as_str()
    ));
    o.push_str(&format!(
        "{:<6} {:<16} {:<16} {}\n",
        "Stage", "Starts", "Due", "Title"
    ));
    for s in &t.stages {
        o.push_str(&format!(
            "{:<6} {:<16} {:<16} {}\n",
            s.number,
            long_date(s.starts),
            long_date(s.due),
            s.title
        ));
    }
    // Issue 14, item 2: a timescale agreed with a person holds only once they confirm it.
    for s in &p.stages {
        if let Some(with) = s
            .agreed_with
            .filter(|_| t.stages.iter().any(|x| x.number == s.number))
        {
            o.push_str(&format!(
                "\nStage {}: the timescale is agreed with {}; it holds once they confirm it, and \
                 until then the stage is due as above, at its longest.\n",
                s.number,
                with.label()
            ));
        }
    }
    match (t.overall_due, &p.overall) {
        (Some(due), Some(cap)) => o.push_str(&format!(
            "\nOverall: due {} ({} from the day raised)\n",
            long_date(due),
            cap.limit
        )),
        _ => o.push_str("\nOverall: no overall limit\n"),
    }
    o
}
