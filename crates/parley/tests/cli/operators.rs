//! The operators' commands of issue 15 as they are run from a shell or cron, over real records
//! and the real SMTP sink: `parley deadlines run --once [--now]` (each deadline once, however
//! many passes), `parley mail test --to` (with the settings from the environment, as a service
//! file gives them) and `parley notifications retry ID` after a permanent failure.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use jiff::Timestamp;
use parley_mail::testing::{SinkOptions, SmtpSink, read_maildir};
use parley_store::notify::{Delivery, DeliveryFilter, MailState};
use parley_store::records::Records;

use crate::audit::block_on;
use crate::mail::{self, T0, figure, resolve_without_smtp};
use crate::{Run, parley_in};

async fn seed(url: &str, n: usize) {
    mail::seed(url, T0.parse().unwrap(), n).await;
}

fn pass(dir: &Path, url: &str, now: &str) -> String {
    parley_in(
        dir,
        &[
            "--database",
            url,
            "deadlines",
            "run",
            "--once",
            "--now",
            now,
        ],
    )
    .ok()
}

/// How many events of a kind the database holds, read by SQL (not through Parley's code).
async fn events_of(url: &str, kind: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = ?")
        .bind(kind)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

#[test]
fn a_deadline_pass_records_each_deadline_once_however_often_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    block_on(seed(&url, 30));
    let before = block_on(events_of(&url, "deadline-passed"));

    // Without --once it explains; a --now that is not an instant is refused by name.
    let why = parley_in(dir.path(), &["--database", &url, "deadlines", "run"]).fails();
    assert!(why.contains("--once"), "{why}");
    let why = parley_in(
        dir.path(),
        &[
            "--database",
            &url,
            "deadlines",
            "run",
            "--once",
            "--now",
            "next tuesday",
        ],
    )
    .fails();
    assert!(why.contains("--now"), "{why}");

    // Six weeks on, the server having been down all along: the pass catches up.
    let later = "2027-01-06T09:00:00Z";
    let first = pass(dir.path(), &url, later);
    let recorded = figure(&first, "recorded");
    assert!(recorded > 0, "{first}");
    assert_eq!(figure(&first, "failed"), 0, "{first}");
    let after = block_on(events_of(&url, "deadline-passed"));
    assert_eq!(after - before, i64::try_from(recorded).unwrap(), "{first}");

    // The reports the procedures call for that fell due meanwhile, each once: Dorset's list
    // for December and Solihull's review of October to December (issue 17).
    let due = block_on(events_of(&url, "report-due"));
    assert!(figure(&first, "reports_due") >= 2, "{first}");
    for (stream, period) in [
        (
            "report:stage-3-and-above",
            "\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"",
        ),
        (
            "report:quarterly-review",
            "\"from\":\"2026-10-01\",\"to\":\"2026-12-31\"",
        ),
    ] {
        assert_eq!(
            block_on(report_due(&url, stream, period)),
            1,
            "{stream} {period}"
        );
    }

    // Again at the same instant, and once more a minute later: nothing new.
    for now in [later, "2027-01-06T09:01:00Z"] {
        let again = pass(dir.path(), &url, now);
        assert_eq!(
            (
                figure(&again, "recorded"),
                figure(&again, "reminders"),
                figure(&again, "reports_due")
            ),
            (0, 0, 0),
            "{again}"
        );
    }
    assert_eq!(block_on(events_of(&url, "deadline-passed")), after);
    assert_eq!(block_on(events_of(&url, "report-due")), due);
}

/// How many `report-due` events of a stream name a period, and queued as many reminders for
/// the business team, read by SQL.
async fn report_due(url: &str, stream: &str, period: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let events: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT partnership_id, seq, payload FROM events WHERE kind = 'report-due' AND stream = ?",
    )
    .bind(stream)
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut n = 0;
    for (partnership, seq, _) in events.into_iter().filter(|(_, _, p)| p.contains(period)) {
        let queued: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE partnership_id = ? AND event_seq = ? AND recipient = 'partnership-business-team' AND escalation_id IS NULL",
        )
        .bind(partnership)
        .bind(seq)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(queued, 1, "{stream}: event {seq}");
        n += 1;
    }
    pool.close().await;
    n
}

/// Every delivery of every partnership that `filter` lets through.
fn deliveries(records: &Records, filter: DeliveryFilter) -> Vec<Delivery> {
    let mut out = Vec::new();
    for p in block_on(records.store().partnerships()).unwrap() {
        out.extend(
            block_on(records.deliveries(&p.id, filter, 1, 100_000))
                .unwrap()
                .0,
        );
    }
    out
}

/// `parley` with the e-mail settings in the environment instead of flags.
fn parley_env(dir: &Path, args: &[&str], smtp: &str) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .env("PARLEY_DATA_DIR", dir)
        .env_remove("XDG_DATA_HOME")
        .env("PARLEY_SMTP_URL", smtp)
        .env("PARLEY_MAIL_FROM", "Parley <parley@parley.test>")
        .env("PARLEY_PUBLIC_URL", "https://parley.test")
        .env("PARLEY_MAIL_HOURS", "always")
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn mail_test_and_retry_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    block_on(seed(&url, 6));

    // Whom the queue mails most: refused by the first sink.
    let records = block_on(Records::open(&url)).unwrap();
    resolve_without_smtp(dir.path(), &url, T0);
    let refused = deliveries(&records, DeliveryFilter::All)
        .into_iter()
        .find_map(|d| d.address)
        .expect("someone to mail");

    let refusing = dir.path().join("refusing");
    std::fs::create_dir_all(&refusing).unwrap();
    let options = SinkOptions {
        reject: vec![refused.clone()],
        ..SinkOptions::default()
    };
    let Some(sink) = SmtpSink::start(&refusing, &options) else {
        return;
    };
    let smtp = sink.url();

    // The settings checked: accepted for one address, refused (550) for the other.
    let ok = parley_env(
        dir.path(),
        &[
            "--database",
            &url,
            "mail",
            "test",
            "--to",
            "someone@parley.test",
        ],
        &smtp,
    )
    .ok();
    assert!(ok.contains("someone@parley.test"), "{ok}");
    let arrived = read_maildir(&sink.maildir);
    assert_eq!(arrived.len(), 1, "{ok}");
    assert_eq!(arrived[0].delivered_to, ["someone@parley.test"]);
    let no = parley_env(
        dir.path(),
        &["--database", &url, "mail", "test", "--to", &refused],
        &smtp,
    )
    .fails();
    assert!(no.contains("550") && no.contains(&refused), "{no}");
    let none = parley_in(
        dir.path(),
        &[
            "--database",
            &url,
            "mail",
            "test",
            "--to",
            "someone@parley.test",
        ],
    )
    .fails();
    assert!(none.contains("--smtp-url"), "{none}");

    // Three permanent refusals: failed.
    for now in [
        "2026-11-23T10:00:00Z",
        "2026-11-23T10:01:00Z",
        "2026-11-23T10:06:00Z",
    ] {
        parley_env(
            dir.path(),
            &[
                "--database",
                &url,
                "notifications",
                "send",
                "--once",
                "--now",
                now,
            ],
            &smtp,
        )
        .ok();
    }
    drop(sink);
    let failed: Vec<String> = deliveries(&records, DeliveryFilter::Failed)
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert!(!failed.is_empty());

    // A sent one cannot be retried; an unknown id is named; a failed one goes again.
    let sent = deliveries(&records, DeliveryFilter::All)
        .into_iter()
        .find(|d| d.mail == MailState::Sent)
        .expect("a sent delivery")
        .id;
    let why = parley_in(
        dir.path(),
        &["--database", &url, "notifications", "retry", &sent],
    )
    .fails();
    assert!(why.contains("sent"), "{why}");
    let why = parley_in(
        dir.path(),
        &[
            "--database",
            &url,
            "notifications",
            "retry",
            "no-such-delivery",
        ],
    )
    .fails();
    assert!(why.contains("no-such-delivery"), "{why}");
    let again = &failed[0];
    let said = parley_in(
        dir.path(),
        &["--database", &url, "notifications", "retry", again],
    )
    .ok();
    assert!(said.contains("will be sent again"), "{said}");

    // A sink that accepts everyone: only the retried one is sent, once. (`retry` takes the
    // wall clock's now as the row's next attempt, so this send runs after it.)
    let accepting = dir.path().join("accepting");
    std::fs::create_dir_all(&accepting).unwrap();
    let sink = SmtpSink::start(&accepting, &SinkOptions::default()).expect("the sink started once");
    let after_retry = (Timestamp::now() + jiff::SignedDuration::from_mins(1)).to_string();
    let out = parley_env(
        dir.path(),
        &[
            "--database",
            &url,
            "notifications",
            "send",
            "--once",
            "--now",
            &after_retry,
        ],
        &sink.url(),
    )
    .ok();
    assert_eq!(figure(&out, "sent"), 1, "{out}");
    let ids: BTreeSet<String> = read_maildir(&sink.maildir)
        .into_iter()
        .filter_map(|m| m.message_id)
        .collect();
    assert_eq!(ids, BTreeSet::from([format!("<{again}@parley.test>")]));
    let row = block_on(records.delivery(again)).unwrap().unwrap();
    assert_eq!(row.mail, MailState::Sent);
}
