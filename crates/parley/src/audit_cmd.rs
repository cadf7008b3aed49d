//! `parley audit`: verify the event log's hash chains; sign and check checkpoints.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use clap::{Args, Subcommand};
use parley_core::calendar::BankHolidays;
use parley_store::Store;
use parley_store::audit::{self, AuditKey, ChainReport, Checkpoint, PublicKey, Report};
use parley_store::consistency::{self, ProjectionReport};
use parley_store::purge::{self, PurgeRequest};
use parley_store::records::Records;

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk every partnership's hash chain; exit 0 when intact, otherwise non-zero naming the
    /// first broken event. With --checkpoint, also detect the newest events removed, a chain
    /// rewritten, or an older backup restored since the checkpoint.
    Verify(VerifyArgs),
    /// Print each chain's head (sequence number and hash) as JSON, signed with the
    /// deployment's Ed25519 key. Keep it outside the database: e-mail it to a witness, print
    /// it on a report.
    Checkpoint(CheckpointArgs),
    /// Remove an event's content (actor, reason, payload) for good, at the end of its
    /// retention period or on a lawful request. The removal is itself recorded, with its
    /// authority and reason, in the same transaction; only an administrator of the
    /// partnership may do it, and only for content the query tables do not depend on (a
    /// record of who read a child's details, say).
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// The partnership's id, name or short name.
    #[arg(long)]
    partnership: String,
    /// The event's sequence number in the partnership's chain (as `audit verify` and the
    /// export show it).
    #[arg(long, value_name = "N")]
    seq: i64,
    /// The legal basis, or the reference of the decision (the DPO's, say).
    #[arg(long)]
    authority: String,
    /// Why the content goes.
    #[arg(long)]
    reason: String,
    /// The e-mail address of the administrator who purges.
    #[arg(long, value_name = "EMAIL")]
    by: String,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A checkpoint made by `parley audit checkpoint`.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// The public key the checkpoint must be signed with (64 hexadecimal digits, as the
    /// witness recorded it).
    #[arg(
        long,
        value_name = "HEX",
        requires = "checkpoint",
        conflicts_with = "key"
    )]
    public_key: Option<String>,
    /// Trust the public key of this signing key file (default: audit-signing.key in the data
    /// directory).
    #[arg(long, value_name = "FILE", requires = "checkpoint")]
    key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckpointArgs {
    /// The signing key file (default: audit-signing.key in the data directory, created with
    /// mode 0600 on first use).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

pub(crate) async fn run(command: AuditCommand, ctx: Ctx) -> Outcome {
    match command {
        AuditCommand::Verify(args) => verify(args, &ctx).await,
        AuditCommand::Checkpoint(args) => checkpoint(args, &ctx).await,
        AuditCommand::Purge(args) => purge(args, &ctx).await,
    }
}

/// Opens the database, refusing to create a SQLite file that is not there: an audit of a
/// database that was never written would prove nothing.
async fn open(ctx: &Ctx) -> Result<Box<dyn Store>, Failure> {
    let sqlite_path = ctx
        .database
        .strip_prefix("sqlite://")
        .or_else(|| ctx.database.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    if let Some(path) = sqlite_path
        && !Path::new(path).exists()
    {
        return Err(Failure(format!(
            "there is no database at {path}; name it with --database or PARLEY_DATABASE_URL"
        )));
    }
    Ok(parley_store::open(&ctx.database).await?)
}

fn default_key_path(ctx: &Ctx) -> Result<PathBuf, Failure> {
    ctx.data_dir
        .as_deref()
        .map(AuditKey::default_path)
        .ok_or_else(|| {
            Failure("no data directory for the signing key: set --data-dir or PARLEY_DATA_DIR, or pass --key FILE".to_owned())
        })
}

/// Partnership names, to help a reader; the projections may be what was tampered with, so
/// they are never relied on.
async fn names(store: &dyn Store) -> HashMap<String, String> {
    store
        .partnerships()
        .await
        .map(|rows| rows.into_iter().map(|p| (p.id, p.name)).collect())
        .unwrap_or_default()
}

fn label(id: &str, names: &HashMap<String, String>) -> String {
    match names.get(id) {
        Some(name) => format!("partnership {id} ({name})"),
        None => format!("partnership {id}"),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn chain_line(c: &ChainReport, names: &HashMap<String, String>) -> String {
    let mut line = format!(
        "{}: {}",
        label(&c.partnership_id, names),
        plural(c.events, "event", "events")
    );
    if c.purged > 0 {
        let _ = write!(line, " ({} purged)", c.purged);
    }
    match (&c.problem, c.head) {
        (None, Some(head)) => {
            let _ = write!(
                line,
                ", intact (head seq {}, hash {})",
                head.seq,
                hex(&head.hash)
            );
        }
        (None, None) => line.push_str(", intact"),
        (Some(problem), _) => {
            let _ = write!(line, " verified, then BROKEN: {problem}");
        }
    }
    line.push('\n');
    for p in &c.purges {
        let at = jiff::Timestamp::from_microsecond(p.at_us)
            .map_or_else(|_| p.at_us.to_string(), |t| t.to_string());
        let _ = writeln!(
            line,
            "  event {} ({}): content purged by event {} at {at}, by {}, on the authority {:?}, because {:?}",
            p.seq,
            p.kind,
            p.record_seq,
            p.by.as_deref().unwrap_or("(unknown)"),
            p.authority,
            p.reason.as_deref().unwrap_or("")
        );
    }
    line
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn first_break_message(report: &Report) -> Option<String> {
    report.first_break().map(|(c, problem)| {
        format!(
            "first broken event: partnership {}: {problem}",
            c.partnership_id
        )
    })
}

async fn verify(args: VerifyArgs, ctx: &Ctx) -> Outcome {
    // Read everything the user named before touching the database, so a typo fails fast.
    let checkpoint = match &args.checkpoint {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
            let checkpoint = Checkpoint::from_json(&text)
                .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
            Some((path, checkpoint, trusted_key(&args, ctx)?))
        }
        None => None,
    };
    let store = open(ctx).await?;
    let store = store.as_ref();
    let report = audit::verify(store).await?;
    let names = names(store).await;

    let mut out = String::new();
    for c in &report.chains {
        out.push_str(&chain_line(c, &names));
    }
    if report.chains.is_empty() {
        out.push_str("no events yet\n");
    }
    let mut failure = first_break_message(&report);

    // The query tables against the events, with the bank holidays the server projects with.
    match consistency::check(store, Arc::new(BankHolidays::built_in())).await? {
        ProjectionReport::Consistent => {
            out.push_str("query tables: every row is what the events give\n");
        }
        ProjectionReport::Differ(differences) => {
            for d in &differences {
                let _ = writeln!(out, "QUERY TABLE NOT AS THE EVENTS SAY: {d}");
            }
            if failure.is_none()
                && let Some(first) = differences.first()
            {
                failure = Some(format!(
                    "the query tables do not match the events ({}); first: {first}",
                    plural(differences.len() as u64, "row differs", "rows differ")
                ));
            }
        }
        ProjectionReport::Unreplayable(why) => {
            let _ = writeln!(out, "QUERY TABLES CANNOT BE CHECKED: {why}");
            failure.get_or_insert(format!(
                "the events cannot be replayed to check the query tables: {why}"
            ));
        }
    }

    if let Some((path, checkpoint, trusted)) = checkpoint {
        let findings = audit::verify_against(store, &checkpoint, &trusted).await?;
        let _ = writeln!(
            out,
            "checkpoint {} made {} with {}, signed by {}:",
            path.display(),
            checkpoint.created_at,
            plural(checkpoint.chains.len() as u64, "chain", "chains"),
            hex(&checkpoint.public_key)
        );
        if findings.is_empty() {
            for c in &checkpoint.chains {
                let _ = writeln!(
                    out,
                    "  {}: event {} is there with the checkpoint's hash",
                    label(&c.partnership_id, &names),
                    c.seq
                );
            }
        }
        for finding in &findings {
            let _ = writeln!(out, "  NOT AS CHECKPOINTED: {finding}");
        }
        if failure.is_none()
            && let Some(first) = findings.first()
        {
            failure = Some(match first.event() {
                Some(_) => format!("first broken event: {first}"),
                None => format!("the checkpoint cannot be trusted: {first}"),
            });
        }
    }

    match failure {
        None => {
            let events: u64 = report.chains.iter().map(|c| c.events).sum();
            let _ = writeln!(
                out,
                "intact: {}, {}",
                plural(report.chains.len() as u64, "chain", "chains"),
                plural(events, "event", "events")
            );
            Ok(out)
        }
        Some(message) => {
            let _ = write!(out, "\nthe event log does not verify; {message}");
            Err(Failure(out))
        }
    }
}

/// The key a checkpoint must be signed with: named on the command line, or the public half
/// of the deployment's own key file.
fn trusted_key(args: &VerifyArgs, ctx: &Ctx) -> Result<PublicKey, Failure> {
    trusted(args.public_key.as_deref(), args.key.as_deref(), ctx)
}

/// The trusted public key: `public_key` (hex) if given, else that of the key file `key`, else
/// that of the deployment's own key file.
fn trusted(public_key: Option<&str>, key: Option<&Path>, ctx: &Ctx) -> Result<PublicKey, Failure> {
    if let Some(hex) = public_key {
        return Ok(hex.parse()?);
    }
    let path = match key {
        Some(path) => path.to_owned(),
        None => {
            let path = default_key_path(ctx)?;
            if !path.exists() {
                return Err(Failure(format!(
                    "checking a checkpoint needs the public key it must be signed with: pass --public-key HEX \
                     (as the witness recorded it) or --key FILE (there is no {})",
                    path.display()
                )));
            }
            path
        }
    };
    Ok(AuditKey::load(&path)?.public_key())
}

async fn checkpoint(args: CheckpointArgs, ctx: &Ctx) -> Outcome {
    let path = match args.key {
        Some(path) => path,
        None => default_key_path(ctx)?,
    };
    let store = open(ctx).await?;
    let report = audit::verify(store.as_ref()).await?;
    // Signing the head of a broken chain would vouch for the tampering.
    if let Some(message) = first_break_message(&report) {
        return Err(Failure(format!(
            "refusing to sign a checkpoint: the event log does not verify; {message}"
        )));
    }
    let (key, created) = AuditKey::load_or_create(&path)?;
    if created {
        // On stderr, so that stdout stays exactly the checkpoint.
        eprintln!(
            "created the audit signing key {} (keep it private); its public key, which a witness needs \
             to check checkpoints, is {}",
            path.display(),
            key.public_key()
        );
    }
    // The clock is read here, at the edge; the store takes the time as an argument.
    let checkpoint = Checkpoint::sign(report.heads(), jiff::Timestamp::now(), &key)?;
    Ok(checkpoint.to_json())
}

async fn purge(args: PurgeArgs, ctx: &Ctx) -> Outcome {
    let store: Arc<dyn Store> = Arc::from(open(ctx).await?);
    let partnerships = store.partnerships().await?;
    let partnership = partnerships
        .iter()
        .find(|p| {
            p.id == args.partnership
                || p.name == args.partnership
                || p.short_name.as_deref() == Some(args.partnership.as_str())
        })
        .ok_or_else(|| Failure(format!("no partnership \"{}\"", args.partnership)))?;
    let refused = || {
        Failure(format!(
            "{} is not an administrator of {}; only an administrator of the partnership may purge its events",
            args.by, partnership.name
        ))
    };
    let person = store
        .people(&partnership.id)
        .await?
        .into_iter()
        .find(|p| p.email.eq_ignore_ascii_case(&args.by))
        .ok_or_else(refused)?;
    let records = Records::new(store);
    let request = PurgeRequest {
        partnership_id: partnership.id.clone(),
        seq: args.seq,
        authority: args.authority,
        reason: args.reason,
    };
    // The clock is read here, at the edge.
    let appended = purge::purge_event(&records, jiff::Timestamp::now(), &person.id, &request)
        .await
        .map_err(|e| match e {
            parley_store::StoreError::Invalid(m) if m.starts_with("only an administrator") => {
                refused()
            }
            e => Failure(e.to_string()),
        })?;
    Ok(format!(
        "Purged the content of event {} of {}; the purge is recorded as event {}.\n",
        args.seq, partnership.name, appended.seq
    ))
}

/// A checkpoint the server must match before it starts, with the key it must be signed by.
#[derive(Debug)]
pub(crate) struct StartCheckpoint {
    path: PathBuf,
    checkpoint: Checkpoint,
    trusted: PublicKey,
}

/// Reads `--checkpoint FILE` for `parley serve` (before the database is opened, so that a
/// typo fails fast).
pub(crate) fn start_checkpoint(
    path: Option<&Path>,
    public_key: Option<&str>,
    ctx: &Ctx,
) -> Result<Option<StartCheckpoint>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let checkpoint =
        Checkpoint::from_json(&text).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    Ok(Some(StartCheckpoint {
        path: path.to_owned(),
        checkpoint,
        trusted: trusted(public_key, None, ctx)?,
    }))
}

/// What `parley serve` and `parley demo` check before they listen: each chain's newest
/// events link up to its recorded head ([`audit::check_recent`]), and the database still
/// holds everything the checkpoint, when one is given, vouches for. A failure names
/// `parley audit verify`, which walks everything.
pub(crate) async fn check_before_serving(
    store: &dyn Store,
    checkpoint: Option<&StartCheckpoint>,
) -> Result<(), Failure> {
    let refuse = |what: String| {
        Failure(format!(
            "refusing to start: {what}\nRun `parley audit verify` (with --checkpoint) to see everything that is wrong."
        ))
    };
    let broken = audit::check_recent(store, audit::RECENT_EVENTS).await?;
    if let Some((partnership, problem)) = broken.first() {
        return Err(refuse(format!(
            "the event log does not verify: partnership {partnership}: {problem}"
        )));
    }
    if let Some(c) = checkpoint {
        let findings = audit::verify_against(store, &c.checkpoint, &c.trusted).await?;
        if let Some(first) = findings.first() {
            return Err(refuse(format!(
                "the event log does not match the checkpoint {}: {first}",
                c.path.display()
            )));
        }
    }
    Ok(())
}
