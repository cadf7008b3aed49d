//! `parley notifications send|list|retry`, `parley mail test`, the mail settings `serve` and
//! `demo` share, and the background work `parley serve` runs: the deadline monitor and the
//! sender (issue 15).
//!
//! Invariants kept here: the inbox never waits for e-mail (outbox rows are resolved into
//! deliveries on every round, with or without an SMTP server); a server catches up as it
//! starts (the first round runs at once); e-mail goes only through `parley_mail::send_once`,
//! which marks a delivery sent only after the SMTP server accepted it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use jiff::Timestamp;
use parley_mail::{
    MailFrom, MailHours, MailSettings, Mailbox, Mailer, PublicUrl, SmtpUrl, StoreQueue, send_once,
};
use parley_store::notify::{Delivery, DeliveryFilter};
use parley_store::records::Records;

use crate::command::{Ctx, Failure, Outcome};

/// How to send e-mail. Without `--smtp-url` no e-mail is sent (the inbox still fills).
#[derive(Debug, Args, Clone)]
pub(crate) struct MailArgs {
    /// The SMTP server: smtp://HOST:PORT (a local relay; STARTTLS when offered),
    /// smtp://USER:PASSWORD@HOST:587 (STARTTLS required) or smtps://USER:PASSWORD@HOST:465.
    #[arg(long, env = "PARLEY_SMTP_URL", value_name = "URL")]
    smtp_url: Option<SmtpUrl>,
    /// The sender, e.g. "Parley <parley@partnership.example.org>".
    #[arg(long, env = "PARLEY_MAIL_FROM", value_name = "ADDRESS")]
    mail_from: Option<MailFrom>,
    /// The address people open Parley at, for the links in e-mails (e.g.
    /// https://parley.partnership.example.org).
    #[arg(long, env = "PARLEY_PUBLIC_URL", value_name = "URL")]
    public_url: Option<PublicUrl>,
    /// When e-mail may be sent, on working days of each partnership's calendar: HH:MM-HH:MM,
    /// or `always`.
    #[arg(
        long,
        env = "PARLEY_MAIL_HOURS",
        value_name = "HOURS",
        default_value = "08:00-18:00"
    )]
    mail_hours: MailHours,
    /// How long a sender holds the e-mails it has taken to send, in seconds. Another
    /// `parley serve` on the same database sends a stopped instance's e-mails once this has
    /// run out; keep it well above the time one batch takes to send.
    #[arg(
        long,
        env = "PARLEY_MAIL_LEASE",
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    mail_lease: u64,
}

/// A process's name on the leases it takes: host, process id and a random part, so that two
/// instances on one host never share one.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "parley".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..8])
}

impl MailArgs {
    /// The mailer and its settings: SMTP when `--smtp-url` is given, the `.eml` folder
    /// `files` when not and one is given (the demo), or nothing.
    pub(crate) fn mailer(
        &self,
        files: Option<&Path>,
        default_public_url: Option<&str>,
    ) -> Result<Option<(Mailer, MailSettings)>, Failure> {
        let public_url = match (&self.public_url, default_public_url) {
            (Some(u), _) => u.clone(),
            (None, Some(u)) => u
                .parse()
                .map_err(|e| Failure(format!("the public URL {u} cannot be used: {e}")))?,
            (None, None) if self.smtp_url.is_some() => {
                return Err(Failure(
                    "give --public-url (PARLEY_PUBLIC_URL): e-mails link to Parley".to_owned(),
                ));
            }
            (None, None) => return Ok(None),
        };
        let from = match &self.mail_from {
            Some(f) => f.clone(),
            None if self.smtp_url.is_some() => {
                return Err(Failure(
                    "give --mail-from (PARLEY_MAIL_FROM): the address e-mails come from".to_owned(),
                ));
            }
            None => format!("Parley <parley@{}>", public_url.host())
                .parse()
                .map_err(|e| Failure(format!("no sender address can be made: {e}")))?,
        };
        let mut settings = MailSettings::new(from, public_url.clone(), worker_id());
        settings.hours = self.mail_hours;
        settings.lease = Duration::from_secs(self.mail_lease);
        let mailer = match (&self.smtp_url, files) {
            (Some(url), _) => {
                let pool = u32::try_from(settings.concurrency).unwrap_or(4);
                Mailer::smtp(url, &public_url, pool)?
            }
            (None, Some(dir)) => {
                // A demo's messages are for looking at now, whatever the hour.
                settings.hours = MailHours::Always;
                Mailer::files(dir)?
            }
            (None, None) => return Ok(None),
        };
        Ok(Some((mailer, settings)))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum NotificationsCommand {
    /// Resolve queued notifications to people, then send the e-mail that is due, and stop.
    Send(Box<SendArgs>),
    /// List the deliveries of every partnership, newest first.
    List(ListArgs),
    /// Try a failed or undeliverable delivery again.
    Retry {
        /// The delivery's id (see `parley notifications list`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Do one round and stop (`parley serve` sends continuously).
    #[arg(long)]
    once: bool,
    /// Send as of this instant (RFC 3339) instead of now: mail hours and back-off use it.
    #[arg(long, value_name = "RFC3339")]
    now: Option<Timestamp>,
    #[command(flatten)]
    mail: MailArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only the failed and undeliverable ones.
    #[arg(long)]
    failed: bool,
    /// Only those still to be sent.
    #[arg(long, conflicts_with = "failed")]
    pending: bool,
    /// How many of each partnership's newest to show.
    #[arg(long, default_value_t = 50, value_name = "N")]
    limit: u32,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MailCommand {
    /// Send one test message, to check the e-mail settings.
    Test {
        /// Where to send it.
        #[arg(long, value_name = "ADDRESS")]
        to: Mailbox,
        #[command(flatten)]
        mail: MailArgs,
    },
}

pub(crate) async fn notifications(command: NotificationsCommand, ctx: Ctx) -> Outcome {
    match command {
        NotificationsCommand::Send(args) => send(*args, &ctx).await,
        NotificationsCommand::List(args) => list(args, &ctx).await,
        NotificationsCommand::Retry { id } => retry(&id, &ctx).await,
    }
}

pub(crate) async fn mail(command: MailCommand, _ctx: Ctx) -> Outcome {
    let MailCommand::Test { to, mail } = command;
    if mail.smtp_url.is_none() {
        return Err(Failure(
            "give --smtp-url (PARLEY_SMTP_URL): there is nothing to test without it".to_owned(),
        ));
    }
    let Some((mailer, settings)) = mail.mailer(None, None)? else {
        return Err(Failure("no e-mail settings".to_owned()));
    };
    let accepted = parley_mail::mail_test(
        &mailer,
        &settings.from,
        &settings.public_url,
        to.clone(),
        Timestamp::now(),
    )
    .await
    .map_err(|e| Failure(format!("the test message to {to} was not accepted: {e}")))?;
    Ok(format!(
        "{} accepted the test message to {to}: {}\n",
        mailer.describe(),
        accepted.reply
    ))
}

async fn send(args: SendArgs, ctx: &Ctx) -> Outcome {
    if !args.once {
        return Err(Failure(
            "give --once: `parley serve` sends continuously".to_owned(),
        ));
    }
    let now = args.now.unwrap_or_else(Timestamp::now);
    let records = Arc::new(Records::open(&ctx.database).await?);
    let Some((mailer, settings)) = args.mail.mailer(None, None)? else {
        let started = std::time::Instant::now();
        let resolved = records.resolve_outbox(now).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(format!(
            "{resolved} notifications put in people's inboxes; no --smtp-url, so no e-mail was sent (ms={ms:.1})\n"
        ));
    };
    let started = std::time::Instant::now();
    let report = send_once(&StoreQueue::new(records), &mailer, &settings, now)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    // How long the round took (resolving, leasing, sending, recording), for operators and
    // scripts/bench-deadlines.
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut out = format!(
        "resolved={} leased={} sent={} retrying={} failed={} digests={} (holding {}) via {} ms={ms:.1}\n",
        report.resolved,
        report.leased,
        report.sent,
        report.retrying,
        report.failed,
        report.digests,
        report.digested,
        mailer.describe(),
    );
    if !report.waiting.is_empty() {
        let _ = writeln!(
            out,
            "outside mail hours, e-mail waits for: {}",
            report.waiting.join(", ")
        );
    }
    for (id, problem) in &report.problems {
        let _ = writeln!(out, "{id}: {problem}");
    }
    Ok(out)
}

fn delivery_line(out: &mut String, d: &Delivery) {
    let to = match (&d.person_id, &d.address) {
        (Some(p), Some(a)) => format!("{p} <{a}>"),
        (Some(p), None) => p.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => "nobody".to_owned(),
    };
    let _ = writeln!(
        out,
        "{}  {}  {}  {}  to {} ({})  attempts={}{}{}",
        d.id,
        Timestamp::from_microsecond(d.created_at_us)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        d.mail.as_str(),
        d.reason.as_stored(),
        d.recipient.as_str(),
        to,
        d.attempts,
        d.sent_at_us
            .and_then(|t| Timestamp::from_microsecond(t).ok())
            .map(|t| format!("  sent={t}"))
            .unwrap_or_default(),
        d.last_error
            .as_deref()
            .map(|e| format!("  last error: {e}"))
            .unwrap_or_default(),
    );
}

async fn list(args: ListArgs, ctx: &Ctx) -> Outcome {
    let records = Records::open(&ctx.database).await?;
    let filter = if args.failed {
        DeliveryFilter::Failed
    } else if args.pending {
        DeliveryFilter::Pending
    } else {
        DeliveryFilter::All
    };
    let mut out = String::new();
    for p in records.store().partnerships().await? {
        let (rows, total) = records
            .deliveries(&p.id, filter, 1, args.limit.max(1))
            .await?;
        let _ = writeln!(out, "{} ({} of {total}):", p.name, rows.len());
        for d in &rows {
            delivery_line(&mut out, d);
        }
    }
    Ok(out)
}

async fn retry(id: &str, ctx: &Ctx) -> Outcome {
    let records = Records::open(&ctx.database).await?;
    let delivery = records
        .delivery(id)
        .await?
        .ok_or_else(|| Failure(format!("no delivery {id}")))?;
    if records
        .retry_delivery(&delivery.partnership_id, id, Timestamp::now())
        .await?
    {
        Ok(format!("{id} will be sent again\n"))
    } else {
        Err(Failure(format!(
            "{id} is {}: only a failed delivery, or an undeliverable one that now reaches someone, is tried again",
            delivery.mail.as_str()
        )))
    }
}

/// How often the background work runs: notifications are resolved (and e-mail sent) on each
/// round, the deadline monitor every `DEADLINE_EVERY` rounds.
const ROUND: Duration = Duration::from_secs(10);
const DEADLINE_EVERY: u32 = 6;

/// Runs the deadline monitor and the sender until the process stops. The first round runs at
/// once, so a server that was down catches up as it starts.
pub(crate) fn spawn_background(records: Arc<Records>, mail: Option<(Mailer, MailSettings)>) {
    tokio::spawn(async move {
        let queue = StoreQueue::new(records.clone());
        let mut round: u32 = 0;
        loop {
            let now = Timestamp::now();
            if round.is_multiple_of(DEADLINE_EVERY) {
                match records.deadline_pass(now).await {
                    Ok(r)
                        if r.recorded + r.reminders + r.reports_due > 0 || !r.failed.is_empty() =>
                    {
                        tracing::info!(
                            recorded = r.recorded,
                            reminders = r.reminders,
                            reports_due = r.reports_due,
                            failed = r.failed.len(),
                            "deadline pass"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the deadline pass failed"),
                }
            }
            match &mail {
                Some((mailer, settings)) => match send_once(&queue, mailer, settings, now).await {
                    Ok(r) => {
                        if r.sent + r.failed + r.retrying + r.digests > 0 {
                            tracing::info!(
                                sent = r.sent,
                                retrying = r.retrying,
                                failed = r.failed,
                                digests = r.digests,
                                "e-mail sent"
                            );
                        }
                        for (id, problem) in &r.problems {
                            tracing::warn!(delivery = %id, %problem, "e-mail problem");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "sending e-mail failed"),
                },
                None => {
                    if let Err(e) = records.resolve_outbox(now).await {
                        tracing::warn!(error = %e, "resolving notifications failed");
                    }
                }
            }
            round = round.wrapping_add(1);
            tokio::time::sleep(ROUND).await;
        }
    });
}

/// Where `parley demo` writes its e-mails.
pub(crate) fn demo_mail_folder(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-mail")
}
