//! `parley admin write-load` and `raw-ceiling`: durable appends per second through the records
//! service (the whole write path: read, decide, group commit), and the ceiling of the database
//! itself with the same durability settings. `--ack` prints each write once it is durable, for
//! the crash tests to check afterwards.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use jiff::Timestamp;
use parley_core::calendar::BankHolidays;
use parley_core::escalation::Event;
use parley_core::procedure::StageNumber;
use parley_store::chain::Link;
use parley_store::payload::Payload;
use parley_store::projector::{Fact, Projector};
use parley_store::records::{Actor, PersonInput, RaiseInput, Records};
use parley_store::stream;
use parley_store::writer::Writer;
use parley_store::{AppendRequest, NewEvent, StoreError};

use crate::command::{Failure, Outcome};

/// The built-in procedure the load partnership runs; its stage 1 records a `discussion`.
const PROCEDURE: &str = "croydon";
/// The stage-record field each write sets (to a text unique to the write).
pub(super) const FIELD: &str = "discussion";
/// How long to wait before retrying a write that failed (e.g. the server went away).
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// How long one write may keep failing before the load gives up.
const RETRY_FOR: Duration = Duration::from_secs(120);
/// The run length when neither `--events` nor `--seconds` is given.
const DEFAULT_SECONDS: f64 = 10.0;

#[derive(Debug, Args)]
pub(crate) struct WriteLoadArgs {
    /// Concurrent writers, each appending to its own escalation.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=512))]
    writers: u16,
    /// Stop once each writer has appended this many events.
    #[arg(long, conflicts_with = "seconds")]
    events: Option<u64>,
    /// Stop after this many seconds (default 10), counted once the partnership is set up.
    #[arg(long)]
    seconds: Option<f64>,
    /// Print `ack PARTNERSHIP ESCALATION VERSION TEXT` to stdout once each write is durable.
    #[arg(long)]
    ack: bool,
    /// Move each writer on to a newly raised escalation after this many writes (a raise is an
    /// append too, and counts), so that streams stay as short as real escalations' are. The
    /// default keeps one escalation per writer for the whole run.
    #[arg(long, value_name = "WRITES")]
    rotate: Option<u64>,
    /// What each write goes through: `records` (the product's path, `Records::act`: read the
    /// stream, decide, group commit) or `writer` (a diagnosis: decide from state kept in
    /// memory and hand the change straight to a group-commit `Writer`, so the figure is the
    /// write path's ceiling without the per-command reads).
    #[arg(long, value_enum, default_value_t = WritePath::Records)]
    path: WritePath,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WritePath {
    Records,
    Writer,
}

#[derive(Debug, Args)]
pub(crate) struct RawCeilingArgs {
    /// How long to run.
    #[arg(long, default_value_t = DEFAULT_SECONDS)]
    seconds: f64,
    /// Rows per transaction: more than 1 shows what a commit costs as it writes more (the raw
    /// ceiling proper is 1).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    rows: u32,
    /// The length of each row's text, in bytes (0: a small event payload's size).
    #[arg(long, default_value_t = 0)]
    row_bytes: usize,
}

/// One acknowledged write, as `--ack` prints it and `check-acks` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Ack {
    pub(super) partnership: String,
    pub(super) escalation: String,
    pub(super) version: i64,
    pub(super) text: String,
}

impl Ack {
    fn line(&self) -> String {
        format!(
            "ack {} {} {} {}\n",
            self.partnership, self.escalation, self.version, self.text
        )
    }

    /// Reads one `ack` line; `None` for anything else.
    pub(super) fn parse(line: &str) -> Option<Ack> {
        let mut words = line.strip_prefix("ack ")?.split(' ');
        let ack = Ack {
            partnership: words.next()?.to_owned(),
            escalation: words.next()?.to_owned(),
            version: words.next()?.parse().ok()?,
            text: words.next()?.to_owned(),
        };
        words.next().is_none().then_some(ack)
    }
}

/// The text a stored write-load event carries, if it is one.
pub(super) fn record_text(link: &Link) -> Option<String> {
    let payload: Payload = serde_json::from_str(link.payload.as_deref()?).ok()?;
    match payload {
        Payload::StageRecordUpdated { fields, .. } => fields
            .into_iter()
            .find(|(field, _)| field == FIELD)
            .map(|(_, text)| text),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug)]
enum Until {
    EachWrote(u64),
    Deadline(Instant),
}

/// What one writer did.
#[derive(Debug, Default)]
struct Tally {
    /// Stage-record updates appended.
    appended: u64,
    /// Escalations raised after the start (`--rotate`).
    raised: u64,
    /// Attempts that failed and were tried again.
    retried: u64,
    /// Writes whose reply was lost but which the re-read showed committed.
    recovered: u64,
    latencies_us: Vec<u64>,
}

/// Who raises the load's escalations, and with whom.
#[derive(Debug)]
struct Parties {
    raiser: String,
    raising_agency: String,
    receiving_agency: String,
}

/// Everything a writer needs; shared by all of them.
#[derive(Debug)]
struct Setup {
    records: Records,
    partnership: String,
    actor: Actor,
    parties: Parties,
    rotate: Option<u64>,
    /// Unique to this run, so every text written is unique in the database.
    tag: String,
    ack: bool,
    /// `--path writer`: the group-commit writer the changes go to directly.
    direct: Option<Writer>,
    /// Set by a writer that gives up, so that the others stop too and the load fails promptly.
    failed: AtomicBool,
}

pub(crate) async fn write_load(args: WriteLoadArgs, database: &str) -> Outcome {
    let until_each = args.events;
    let seconds = args.seconds.unwrap_or(DEFAULT_SECONDS);
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(Failure(format!(
            "--seconds {seconds}: give a positive number"
        )));
    }
    let records = Records::open(database).await?;
    let backend = records.store().backend();
    let (partnership, parties) = set_up(&records, args.ack).await?;
    let actor = Actor::person(&parties.raiser);
    let mut escalations = Vec::new();
    for _ in 0..args.writers {
        escalations.push(raise(&records, &partnership, &parties).await?);
    }
    let tag = partnership.chars().take(8).collect();
    let direct = (args.path == WritePath::Writer).then(|| Writer::start(records.store().clone()));
    let setup = Arc::new(Setup {
        records,
        partnership,
        actor,
        parties,
        rotate: args.rotate.filter(|&n| n > 0),
        tag,
        ack: args.ack,
        direct,
        failed: AtomicBool::new(false),
    });
    let started = Instant::now();
    let until = match until_each {
        Some(n) => Until::EachWrote(n),
        None => Until::Deadline(started + Duration::from_secs_f64(seconds)),
    };
    let mut tasks = Vec::new();
    for (n, (escalation, version)) in escalations.into_iter().enumerate() {
        let setup = setup.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let result = writer(&setup, n, escalation, version, until, &mut tally).await;
            if result.is_err() {
                setup.failed.store(true, Ordering::Relaxed);
            }
            (tally, result)
        }));
    }
    let mut total = Tally::default();
    let mut failures = Vec::new();
    for task in tasks {
        let (tally, result) = task.await?;
        total.appended += tally.appended;
        total.raised += tally.raised;
        total.retried += tally.retried;
        total.recovered += tally.recovered;
        total.latencies_us.extend(tally.latencies_us);
        if let Err(Failure(message)) = result {
            failures.push(message);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    let percentile = |p: f64| {
        let n = total.latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        total.latencies_us[i] as f64 / 1000.0
    };
    let summary = format!(
        "write-load backend={} writers={} appends={} raises={} seconds={elapsed:.2} rate={:.1}/s p50={:.2}ms p99={:.2}ms retried={} recovered={}\n",
        match backend {
            parley_store::Backend::Sqlite => "sqlite",
            parley_store::Backend::Postgres => "postgres",
        },
        args.writers,
        total.appended,
        total.raised,
        (total.appended + total.raised) as f64 / elapsed.max(f64::EPSILON),
        percentile(0.5),
        percentile(0.99),
        total.retried,
        total.recovered,
    );
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(Failure(format!("{summary}{}", failures.join("\n"))))
    }
}

/// A partnership running a built-in procedure, two agencies and a practitioner.
async fn set_up(records: &Records, ack: bool) -> Result<(String, Parties), Failure> {
    let source = parley_core::seeds::source(PROCEDURE)
        .ok_or_else(|| Failure(format!("no built-in procedure {PROCEDURE}")))?;
    let admin = Actor::SYSTEM;
    let now = Timestamp::now;
    // Escalation references (PREFIX-YEAR-NNNN) are unique across the database but numbered
    // per partnership, from the short name: each run takes a prefix of its own.
    let short_name = run_prefix();
    let partnership = records
        .create_partnership(now(), &admin, "Load Test", Some(&short_name), source)
        .await?;
    if ack {
        // So that a checker knows which chain this run wrote, however early it dies.
        print_line(&format!("partnership {partnership}\n"))?;
    }
    let raising_agency = records
        .add_agency(now(), &admin, &partnership, "Load School", "education")
        .await?;
    let receiving_agency = records
        .add_agency(
            now(),
            &admin,
            &partnership,
            "Load Council",
            "local-authority",
        )
        .await?;
    let person = PersonInput {
        agency_id: Some(raising_agency.clone()),
        name: "Load Writer".to_owned(),
        email: "load.writer@example.org".to_owned(),
        job_title: "Practitioner".to_owned(),
        roles: vec!["practitioner".to_owned()],
        line_manager_id: None,
        active: true,
    };
    let raiser = records
        .save_person(now(), &admin, &partnership, None, person)
        .await?;
    Ok((
        partnership,
        Parties {
            raiser,
            raising_agency,
            receiving_agency,
        },
    ))
}

/// Raises an escalation for a writer: (its id, its version).
async fn raise(
    records: &Records,
    partnership: &str,
    parties: &Parties,
) -> Result<(String, i64), StoreError> {
    let input = RaiseInput {
        route: "individual".to_owned(),
        child_status: Some("child-in-need".to_owned()),
        child: None,
        category: "levels-of-need".to_owned(),
        raised_by: parties.raiser.clone(),
        raising_agency_id: parties.raising_agency.clone(),
        receiving_agency_id: parties.receiving_agency.clone(),
        receiving_person_id: None,
        summary: "Load test".to_owned(),
        decision: "Load test".to_owned(),
        evidence: "Load test".to_owned(),
        outcome_wanted: "Load test".to_owned(),
        decided_on: None,
    };
    let actor = Actor::person(&parties.raiser);
    let raised = records
        .raise(Timestamp::now(), &actor, partnership, input)
        .await?;
    Ok((raised.id, raised.version))
}

/// Writes a whole line to stdout at once and flushes it.
fn print_line(line: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure(format!("cannot write to stdout: {e}")))
}

/// Five random letters and digits (std's hasher keys are random per process).
fn run_prefix() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (0..5)
        .map(|_| {
            let digit = (bits % 36) as u32;
            bits /= 36;
            char::from_digit(digit, 36).map_or('X', |c| c.to_ascii_uppercase())
        })
        .collect()
}

/// One writer: appends stage-record updates to its escalation, each based on the version the
/// last one left, until told to stop.
async fn writer(
    setup: &Setup,
    n: usize,
    mut escalation: String,
    mut version: i64,
    until: Until,
    tally: &mut Tally,
) -> Result<(), Failure> {
    let mut decider = match setup.direct {
        Some(_) => Some(decider(setup, &escalation).await?),
        None => None,
    };
    let mut count = 0u64;
    let mut on_this_escalation = 0;
    loop {
        let done = setup.failed.load(Ordering::Relaxed)
            || match until {
                Until::EachWrote(limit) => count >= limit,
                Until::Deadline(at) => Instant::now() >= at,
            };
        if done {
            return Ok(());
        }
        if setup.rotate == Some(on_this_escalation) {
            (escalation, version) = raise_again(setup, tally).await?;
            on_this_escalation = 0;
            if decider.is_some() {
                decider = Some(self::decider(setup, &escalation).await?);
            }
        }
        count += 1;
        on_this_escalation += 1;
        let text = format!("{}-w{n}-{count}", setup.tag);
        let started = Instant::now();
        version = match (&setup.direct, &mut decider) {
            (Some(direct), Some(projector)) => {
                append_direct(setup, direct, projector, &escalation, version, &text).await?
            }
            _ => append(setup, &escalation, version, &text, tally).await?,
        };
        tally
            .latencies_us
            .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        tally.appended += 1;
        if setup.ack {
            let ack = Ack {
                partnership: setup.partnership.clone(),
                escalation: escalation.clone(),
                version,
                text,
            };
            // Only now, with the write durable, is it acknowledged.
            print_line(&ack.line())?;
        }
    }
}

/// `--rotate`: a newly raised escalation for the writer. A raise that fails is tried again as
/// a new raise (an unacknowledged one that did commit is an escalation nobody writes to).
async fn raise_again(setup: &Setup, tally: &mut Tally) -> Result<(String, i64), Failure> {
    let first_attempt = Instant::now();
    loop {
        match raise(&setup.records, &setup.partnership, &setup.parties).await {
            Ok(raised) => {
                tally.raised += 1;
                return Ok(raised);
            }
            Err(e) if e.is_database_failure() && first_attempt.elapsed() <= RETRY_FOR => {
                eprintln!("write-load: raising an escalation: {e}; retrying");
                tally.retried += 1;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => return Err(Failure(format!("raising an escalation: {e}"))),
        }
    }
}

/// Appends one write based on `expected`; returns the stream's new version once it is durable.
///
/// A failed attempt may still have committed (the connection can drop after COMMIT reached the
/// server), so a retry is based on the same version: if it then meets a conflict, the write
/// counts as done only when what is stored at the next version is this very text.
async fn append(
    setup: &Setup,
    escalation: &str,
    expected: i64,
    text: &str,
    tally: &mut Tally,
) -> Result<i64, Failure> {
    let event = Event::StageRecordUpdated {
        stage: StageNumber::FIRST,
        fields: vec![(FIELD.to_owned(), text.to_owned())],
    };
    let first_attempt = Instant::now();
    let mut failed = false;
    loop {
        let attempt = setup
            .records
            .act(
                Timestamp::now(),
                &setup.actor,
                escalation,
                expected,
                &event,
                None,
            )
            .await;
        let error = match attempt {
            Ok(version) => return Ok(version),
            Err(StoreError::Conflict { .. }) if failed => {
                match stored_text(setup, escalation, expected + 1).await {
                    Ok(Some(stored)) if stored == text => {
                        tally.recovered += 1;
                        return Ok(expected + 1);
                    }
                    Ok(stored) => {
                        return Err(Failure(format!(
                            "escalation {escalation} version {} holds {stored:?}, not {text:?}: another writer wrote to it",
                            expected + 1
                        )));
                    }
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        let retryable = error.is_database_failure();
        if !retryable || first_attempt.elapsed() > RETRY_FOR {
            return Err(Failure(format!(
                "escalation {escalation}, write {text} on version {expected}: {error}"
            )));
        }
        if !failed {
            eprintln!("write-load: {text}: {error}; retrying");
        }
        failed = true;
        tally.retried += 1;
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// `--path writer`: a projector holding the partnership and one escalation, to decide each
/// write in memory.
async fn decider(setup: &Setup, escalation: &str) -> Result<Projector, Failure> {
    let streams = [
        stream::PARTNERSHIP.to_owned(),
        stream::escalation(escalation),
    ];
    let links = setup
        .records
        .store()
        .stream_events(&setup.partnership, &streams)
        .await?;
    let mut projector = Projector::new(Arc::new(BankHolidays::built_in()));
    for link in &links {
        if let Some(json) = &link.payload {
            let payload: Payload = serde_json::from_str(json)?;
            projector.apply(&Fact {
                partnership_id: &setup.partnership,
                stream: &link.stream,
                at_us: link.at_us,
                payload: &payload,
            })?;
        }
    }
    Ok(projector)
}

/// `--path writer`: decides one write from the projector and appends it through the writer,
/// without retries (a diagnosis, not a client).
async fn append_direct(
    setup: &Setup,
    direct: &Writer,
    projector: &mut Projector,
    escalation: &str,
    expected: i64,
    text: &str,
) -> Result<i64, Failure> {
    let payload = Payload::StageRecordUpdated {
        stage: 1,
        fields: vec![(FIELD.to_owned(), text.to_owned())],
    };
    let stream = stream::escalation(escalation);
    let at_us = Timestamp::now().as_microsecond();
    let (ops, notifications) = projector.apply(&Fact {
        partnership_id: &setup.partnership,
        stream: &stream,
        at_us,
        payload: &payload,
    })?;
    if !notifications.is_empty() {
        return Err(Failure(
            "a stage-record update called for notifications; --path writer does not send them"
                .to_owned(),
        ));
    }
    let request = AppendRequest {
        partnership_id: setup.partnership.clone(),
        stream,
        expected_version: expected,
        partnership_version: None,
        events: vec![NewEvent {
            at_us,
            kind: payload.kind().to_owned(),
            actor: setup.actor.0.clone(),
            reason: None,
            payload: serde_json::to_string(&payload)?,
        }],
        ops,
        outbox: Vec::new(),
    };
    Ok(direct.append(request).await?.stream_version)
}

/// The text stored at `version` of an escalation's stream, if there is an event there.
async fn stored_text(
    setup: &Setup,
    escalation: &str,
    version: i64,
) -> Result<Option<String>, StoreError> {
    let links = setup
        .records
        .store()
        .stream_events(&setup.partnership, &[stream::escalation(escalation)])
        .await?;
    Ok(links
        .iter()
        .find(|l| l.stream_version == version)
        .and_then(record_text))
}

pub(crate) async fn raw_ceiling(args: RawCeilingArgs, database: &str) -> Outcome {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        return Err(Failure(format!(
            "--seconds {}: give a positive number",
            args.seconds
        )));
    }
    let run_for = Duration::from_secs_f64(args.seconds);
    let shape = parley_store::backend::probe::RawShape::new(args.rows, args.row_bytes);
    let shaped = (args.rows, args.row_bytes) != (1, 0);
    let c = parley_store::backend::probe::raw_ceiling(database, shape, run_for).await?;
    Ok(format!(
        "raw-ceiling backend={} {} seconds={:.2} rate={:.1}/s {}\n",
        match c.backend {
            parley_store::Backend::Sqlite => "sqlite",
            parley_store::Backend::Postgres => "postgres",
        },
        if shaped {
            format!(
                "rows={} row_bytes={} commits={}",
                args.rows, args.row_bytes, c.commits
            )
        } else {
            format!("inserts={}", c.commits)
        },
        c.elapsed.as_secs_f64(),
        c.per_second(),
        c.settings
    ))
}
