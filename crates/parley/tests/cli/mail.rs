//! E-mail from the `parley` binary to the real SMTP sink (`scripts/smtp-sink`, aiosmtpd writing
//! a Maildir), over real records (issue 15, "Faults"): `parley notifications send --once
//! --now` with the server down at first and then up, and with one address refused (550); and
//! on PostgreSQL two `parley serve` instances sharing one database and one sink, one of them
//! killed with SIGKILL while it sends. Every notification is counted by its Message-ID.
//!
//! The sending loop's own tests (an in-memory queue, the same faults) are in parley-mail;
//! these add the store's queue, the command line and the processes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use parley_mail::testing::{SinkOptions, SmtpSink, read_maildir};
use parley_store::notify::{Delivery, DeliveryFilter, MailState};
use parley_store::records::Records;

use crate::audit::block_on;
use crate::parley_in;

/// Monday 23 November 2026, 10:00 in London: in mail hours.
pub(crate) const T0: &str = "2026-11-23T10:00:00Z";

fn t(minutes: i64) -> String {
    let t0: Timestamp = T0.parse().unwrap();
    t0.checked_add(SignedDuration::from_mins(minutes))
        .unwrap()
        .to_string()
}

/// A demo-seeded database at `url`: `n` escalations as of `at`, their notifications queued.
pub(crate) async fn seed(url: &str, at: Timestamp, n: usize) {
    let records = Records::open(url).await.unwrap();
    parley_demo::seed(&records, at, n, 5, |_, _| {})
        .await
        .unwrap();
}

/// Every delivery of every partnership.
async fn deliveries(url: &str) -> Vec<Delivery> {
    let records = Records::open(url).await.unwrap();
    let mut out = Vec::new();
    for p in records.store().partnerships().await.unwrap() {
        out.extend(
            records
                .deliveries(&p.id, DeliveryFilter::All, 1, 1_000_000)
                .await
                .unwrap()
                .0,
        );
    }
    out
}

/// How many copies of each Message-ID the sink holds.
fn copies(sink: &SmtpSink) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in read_maildir(&sink.maildir) {
        *out.entry(m.message_id.unwrap()).or_default() += 1;
    }
    out
}

fn message_id(d: &Delivery) -> String {
    format!("<{}@parley.test>", d.id)
}

/// `parley notifications send --once --now NOW` over the database `url`, with `extra`
/// arguments after it (the mail settings, or none).
fn send_pass(dir: &Path, url: &str, now: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--database",
        url,
        "notifications",
        "send",
        "--once",
        "--now",
        now,
    ];
    args.extend_from_slice(extra);
    parley_in(dir, &args).ok()
}

/// One send pass to `smtp`.
fn send(dir: &Path, url: &str, now: &str, smtp: &str) -> String {
    let mail = [
        "--smtp-url",
        smtp,
        "--mail-from",
        "Parley <parley@parley.test>",
        "--public-url",
        "https://parley.test",
    ];
    send_pass(dir, url, now, &mail)
}

/// The `name=N` figure of a command's first line (`send`, `deadlines run`).
pub(crate) fn figure(out: &str, name: &str) -> usize {
    out.lines()
        .next()
        .unwrap()
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in {out}"))
        .parse()
        .unwrap()
}

/// `parley notifications send --once --now NOW` with no SMTP server: every notification
/// resolved into people's inboxes, none mailed. Returns what the command printed.
pub(crate) fn resolve_without_smtp(dir: &Path, url: &str, now: &str) -> String {
    let resolved = send_pass(dir, url, now, &[]);
    assert!(resolved.contains("no --smtp-url"), "{resolved}");
    resolved
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn with_the_smtp_server_down_at_first_everything_arrives_once_when_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    block_on(seed(&url, T0.parse().unwrap(), 10));
    let port = free_port();
    let smtp = format!("smtp://127.0.0.1:{port}");

    let down = send(dir.path(), &url, &t(0), &smtp);
    let queued = figure(&down, "leased");
    assert!(queued > 10, "{down}");
    assert_eq!(
        (figure(&down, "sent"), figure(&down, "retrying")),
        (0, queued),
        "{down}"
    );
    assert!(down.to_lowercase().contains("connection"), "{down}");

    let options = SinkOptions {
        port,
        ..SinkOptions::default()
    };
    let Some(sink) = SmtpSink::start(dir.path(), &options) else {
        return;
    };
    // The back-off (1 minute after the first failure) holds.
    let early = send(dir.path(), &url, &t(0), &smtp);
    assert_eq!(figure(&early, "leased"), 0, "{early}");
    let up = send(dir.path(), &url, &t(1), &smtp);
    assert_eq!(
        (figure(&up, "sent"), figure(&up, "retrying")),
        (queued, 0),
        "{up}"
    );
    let later = send(dir.path(), &url, &t(90), &smtp);
    assert_eq!(figure(&later, "leased"), 0, "{later}");

    let all = block_on(deliveries(&url));
    let mailed: Vec<&Delivery> = all.iter().filter(|d| d.address.is_some()).collect();
    assert_eq!(mailed.len(), queued);
    for d in &mailed {
        assert_eq!((d.mail, d.attempts), (MailState::Sent, 2), "{d:?}");
    }
    let expected: BTreeMap<String, usize> = mailed.iter().map(|d| (message_id(d), 1)).collect();
    assert_eq!(copies(&sink), expected);
}

#[test]
fn a_refused_address_fails_and_every_other_notification_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    block_on(seed(&url, T0.parse().unwrap(), 10));
    // Resolved into people's inboxes first (no --smtp-url), to choose whom to refuse: the
    // person with the most notifications.
    resolve_without_smtp(dir.path(), &url, T0);
    let before = block_on(deliveries(&url));
    let mut per_address: BTreeMap<&str, usize> = BTreeMap::new();
    for d in before.iter().filter(|d| d.person_id.is_some()) {
        *per_address
            .entry(d.address.as_deref().unwrap())
            .or_default() += 1;
    }
    let (refused, refused_count) = per_address
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(a, n)| ((*a).to_owned(), *n))
        .unwrap();
    let options = SinkOptions {
        reject: vec![refused.clone()],
        ..SinkOptions::default()
    };
    let Some(sink) = SmtpSink::start(dir.path(), &options) else {
        return;
    };
    let smtp = sink.url();

    let first = send(dir.path(), &url, &t(0), &smtp);
    let total = figure(&first, "leased");
    assert_eq!(
        (figure(&first, "sent"), figure(&first, "retrying")),
        (total - refused_count, refused_count),
        "{first}"
    );
    assert!(first.contains("550"), "{first}");
    // A permanent refusal is tried three times (after 1 and 5 more minutes), then failed.
    let second = send(dir.path(), &url, &t(1), &smtp);
    assert_eq!(figure(&second, "retrying"), refused_count, "{second}");
    let third = send(dir.path(), &url, &t(6), &smtp);
    assert_eq!(
        (figure(&third, "sent"), figure(&third, "failed")),
        (0, refused_count),
        "{third}"
    );
    let listed = parley_in(
        dir.path(),
        &["--database", &url, "notifications", "list", "--failed"],
    )
    .ok();
    let rows = listed
        .lines()
        .filter(|l| l.contains(&format!("<{refused}>)")))
        .count();
    assert_eq!(rows, refused_count, "{listed}");
    assert_eq!(listed.matches("attempts=3").count(), refused_count);
    assert!(listed.contains("550"), "{listed}");

    let all = block_on(deliveries(&url));
    let mut expected = BTreeMap::new();
    for d in all.iter().filter(|d| d.address.is_some()) {
        if d.address.as_deref() == Some(refused.as_str()) {
            assert_eq!((d.mail, d.attempts), (MailState::Failed, 3), "{d:?}");
        } else {
            assert_eq!((d.mail, d.attempts), (MailState::Sent, 1), "{d:?}");
            expected.insert(message_id(d), 1);
        }
    }
    assert_eq!(expected.len(), total - refused_count);
    assert_eq!(copies(&sink), expected);
}

/// A `parley serve` child, killed (by its own process id) if the test ends first.
struct Serve(Child);

impl Serve {
    fn start(dir: &Path, name: &str, url: &str, smtp: &str) -> Serve {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_parley"))
            .args(["--database", url, "serve", "--listen", "127.0.0.1:0"])
            .args([
                "--smtp-url",
                smtp,
                "--mail-from",
                "Parley <parley@parley.test>",
            ])
            .args([
                "--public-url",
                "https://parley.test",
                "--mail-hours",
                "always",
            ])
            // Leases of 6 seconds: a killed server's rows go to the other soon.
            .args(["--mail-lease", "6"])
            .env("PARLEY_DATA_DIR", dir)
            .env("PARLEY_LOG", "warn")
            .env_remove("XDG_DATA_HOME")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Serve(child)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The deliveries pending and leased by the worker of process `pid` (its lease names the
/// host, the process id and a random part).
async fn leased_by(pool: &sqlx::PgPool, pid: u32) -> BTreeSet<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT id FROM deliveries WHERE mail = 'pending' AND leased_by LIKE $1",
    )
    .bind(format!("%-{pid}-%"))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// Outbox rows not yet resolved, and deliveries not yet sent.
async fn outstanding(pool: &sqlx::PgPool) -> (i64, i64) {
    let outbox = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at_us IS NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    let pending = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE mail = 'pending'")
        .fetch_one(pool)
        .await
        .unwrap();
    (outbox, pending)
}

/// A new PostgreSQL database with the application's role; (owner pool, application URL).
/// `None`, loudly, when no server answers outside CI; under CI that fails.
async fn pg_database() -> Option<(sqlx::PgPool, String)> {
    let admin_url = std::env::var("PARLEY_TEST_PG_URL").unwrap_or_else(|_| {
        "postgres://parley_owner:parley_owner@127.0.0.1:5432/postgres".to_owned()
    });
    let admin = match sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is required under CI (PARLEY_TEST_PG_URL, scripts/pg-start): {e}"
            );
            eprintln!(
                "\n!!!! SKIPPING POSTGRESQL: no server at {admin_url} ({e}). Run scripts/pg-start. !!!!\n"
            );
            return None;
        }
    };
    // `parley_t_`: scripts/test drops what earlier runs left.
    let name = format!("parley_t_mail_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let owner_url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let owner = parley_store::backend::PgStore::open(&owner_url)
        .await
        .unwrap();
    owner.grant_app_role("parley_app").await.unwrap();
    owner.close().await;
    let rest = owner_url.split_once('@').unwrap().1;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&owner_url)
        .await
        .unwrap();
    Some((pool, format!("postgres://parley_app:parley_app@{rest}")))
}

/// Issue 15: "on PostgreSQL, two servers share one database and one SMTP server, and one of
/// them is killed with SIGKILL while sending: every notification arrives, counted by
/// Message-ID, with duplicates only for rows in flight at the kill".
#[test]
fn two_servers_on_postgres_lose_nothing_when_one_is_killed_while_sending() {
    // One runtime for the whole test: the pool lives on it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some((pool, url)) = rt.block_on(pg_database()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A relay that takes 100 ms a message: a server alone needs seconds for the lot, so both
    // take batches even when one starts late, and each batch is in flight long enough for
    // the kill to land in the middle of one however fast or slow the machine is.
    let options = SinkOptions {
        delay_ms: 100,
        ..SinkOptions::default()
    };
    let Some(sink) = SmtpSink::start(dir.path(), &options) else {
        return;
    };
    rt.block_on(seed(&url, Timestamp::now(), 60));
    let a = Serve::start(dir.path(), "a", &url, &sink.url());
    let b = Serve::start(dir.path(), "b", &url, &sink.url());
    let (a_pid, b_pid) = (a.0.id(), b.0.id());

    // Kill A while it holds a leased batch, once forty messages have arrived.
    let started = Instant::now();
    let mut a = a;
    loop {
        let held = rt.block_on(leased_by(&pool, a_pid));
        if !held.is_empty() && read_maildir(&sink.maildir).len() >= 40 {
            a.0.kill().unwrap();
            a.0.wait().unwrap();
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            panic!(
                "server A never held a lease while sending ({} arrived, {:?} outstanding).\n\
                 A's log:\n{}\nB's log:\n{}",
                read_maildir(&sink.maildir).len(),
                rt.block_on(outstanding(&pool)),
                std::fs::read_to_string(dir.path().join("a.log")).unwrap_or_default(),
                std::fs::read_to_string(dir.path().join("b.log")).unwrap_or_default(),
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // What A held when it died: taken, not marked sent. Some of it may have reached the
    // sink already; B sends all of it again once the leases run out.
    let in_flight = rt.block_on(leased_by(&pool, a_pid));
    assert!(!in_flight.is_empty(), "A died holding nothing");
    let at_kill = read_maildir(&sink.maildir).len();

    let started = Instant::now();
    loop {
        if rt.block_on(outstanding(&pool)) == (0, 0) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "B did not finish sending: {:?} outstanding; see {}",
            rt.block_on(outstanding(&pool)),
            dir.path().join("b.log").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b);

    let all = rt.block_on(deliveries(&url));
    let mailed: Vec<&Delivery> = all.iter().filter(|d| d.address.is_some()).collect();
    for d in &mailed {
        assert_eq!(d.mail, MailState::Sent, "{d:?}");
    }
    let got = copies(&sink);
    let expected: BTreeSet<String> = mailed.iter().map(|d| message_id(d)).collect();
    let arrived: BTreeSet<String> = got.keys().cloned().collect();
    let missing: Vec<&String> = expected.difference(&arrived).collect();
    let unknown: Vec<&String> = arrived.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "of {} notifications, {} never arrived (e.g. {:?}); {} unknown Message-IDs arrived (e.g. {:?})",
        expected.len(),
        missing.len(),
        missing.first(),
        unknown.len(),
        unknown.first()
    );
    let in_flight: BTreeSet<String> = in_flight
        .iter()
        .map(|id| format!("<{id}@parley.test>"))
        .collect();
    let twice: BTreeSet<String> = got
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        twice.is_subset(&in_flight),
        "sent twice but not in flight at the kill: {:?}",
        twice.difference(&in_flight).collect::<Vec<_>>()
    );
    assert!(got.values().all(|n| *n <= 2), "{got:?}");
    eprintln!(
        "two servers (pids {a_pid}, {b_pid}): {} notifications e-mailed, {at_kill} before the kill, \
         {} in flight at it, {} of those sent twice",
        expected.len(),
        in_flight.len(),
        twice.len()
    );
}
