//! `parley demo`: demonstration and volume data.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::time::{Duration, Instant};

use clap::Subcommand;
use jiff::Timestamp;
use parley_demo::{self as demo, DemoSummary};
use parley_store::records::Records;

use crate::command::{Ctx, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum DemoCommand {
    /// Create a demo partnership per built-in procedure with agencies, people in every role,
    /// named officers and escalations in every status, run through each procedure's rules.
    Seed {
        /// How many escalations to create, spread over the partnerships.
        #[arg(long, value_name = "N", default_value_t = 200)]
        escalations: usize,
        /// The same seed gives the same data (apart from ids).
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
    },
}

pub(crate) async fn run(command: DemoCommand, ctx: Ctx) -> Outcome {
    match command {
        DemoCommand::Seed { escalations, seed } => {
            let records = Records::open(&ctx.database).await?;
            // The CLI is the shell that reads the clock; the store takes `now` as an argument.
            let now = Timestamp::now();
            let started = Instant::now();
            let mut progress = Progress::new(escalations);
            let summary = demo::seed(&records, now, escalations, seed, |done, total| {
                progress.show(done, total);
            })
            .await?;
            progress.finish(started.elapsed());
            Ok(render(&summary))
        }
    }
}

/// Progress on stderr: a line that updates itself on a terminal; elsewhere (logs, CI) a line
/// every tenth of a long run.
struct Progress {
    terminal: bool,
    total: usize,
    last_shown: Option<Instant>,
    last_tenth: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            total,
            last_shown: None,
            last_tenth: 0,
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let due = self
                .last_shown
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(200));
            if due || done == total {
                let _ = write!(err, "\rseeding escalations: {done}/{total}");
                self.last_shown = Some(Instant::now());
            }
        } else if total >= 1000 {
            let tenth = done * 10 / total.max(1);
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(err, "seeding escalations: {done}/{total}");
            }
        }
    }

    fn finish(&self, elapsed: Duration) {
        if self.terminal || self.total >= 1000 {
            let mut err = std::io::stderr().lock();
            let end = if self.terminal { "\n" } else { "" };
            let _ = writeln!(err, "{end}seeded in {:.1} s", elapsed.as_secs_f64());
        }
    }
}

fn render(s: &DemoSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Demo data: {} partnerships, {} agencies, {} people, {} named officers, {} compliments",
        s.partnerships.len(),
        s.agencies,
        s.people,
        s.named_officers,
        s.compliments
    );
    for p in &s.partnerships {
        let _ = writeln!(
            o,
            "  {:<8} {} ({} procedure): {} escalations",
            p.short_name, p.name, p.procedure_id, p.escalations
        );
    }
    let _ = writeln!(o, "\nEscalations: {} ({} events)", s.escalations, s.events);
    for (status, n) in &s.by_status {
        let _ = writeln!(o, "  {status:<12} {n:>6}");
    }
    let _ = writeln!(o, "\nWhere they stand:");
    for (detail, n) in &s.by_outcome {
        let _ = writeln!(o, "  {n:>6}  {detail}");
    }
    let _ = writeln!(o, "\nSign-ins (one per partnership and role):");
    let _ = writeln!(
        o,
        "  {:<10} {:<26} {:<24} E-MAIL",
        "PARTNERSHIP", "ROLE", "NAME"
    );
    for sign_in in &s.sign_ins {
        let short = s
            .partnerships
            .iter()
            .find(|p| p.id == sign_in.partnership_id)
            .map_or("", |p| p.short_name.as_str());
        let _ = writeln!(
            o,
            "  {short:<10} {:<26} {:<24} {}",
            sign_in.role, sign_in.name, sign_in.email
        );
    }
    o
}
