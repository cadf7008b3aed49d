//! The sending loop (`send_once`) against the real sink, with an in-memory queue and an
//! injected clock.

use jiff::{SignedDuration, Timestamp};
use parley_mail::testing::{SinkOptions, SmtpSink, assert_no_child_markers};
use parley_mail::{MailHours, MailSettings, Mailer, SendReport, SmtpUrl, send_once};

use crate::queue::{MemQueue, PARTNERSHIP, State};
use crate::{free_port, from, public, sink};

/// Thursday 3 December 2026, 10:00 in London (GMT).
fn t0() -> Timestamp {
    "2026-12-03T10:00:00Z".parse().unwrap()
}

fn plus(t: Timestamp, minutes: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_mins(minutes)).unwrap()
}

fn settings(hours: MailHours) -> MailSettings {
    let mut s = MailSettings::new(from(), public(), "worker-1");
    s.hours = hours;
    s.batch = 2; // several batches in one pass
    s
}

fn mailer(port: u16) -> Mailer {
    let url: SmtpUrl = format!("smtp://127.0.0.1:{port}").parse().unwrap();
    Mailer::smtp(&url, &public(), 4).unwrap()
}

fn ids(sink: &SmtpSink) -> Vec<String> {
    let mut ids: Vec<String> = sink
        .messages()
        .into_iter()
        .map(|m| m.message_id.unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_rejected_address_fails_after_three_attempts_and_holds_up_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let options = SinkOptions {
        reject: vec!["gone@health.test".to_owned()],
        ..SinkOptions::default()
    };
    let Some(sink) = sink(dir.path(), &options) else {
        return;
    };
    let queue = MemQueue::new();
    for (id, to) in [
        ("a", "one@health.test"),
        ("b", "gone@health.test"),
        ("c", "two@police.test"),
        ("d", "three@school.test"),
        ("e", "four@council.test"),
    ] {
        queue.push(id, to, t0());
    }
    let (mailer, settings) = (mailer(sink.port), settings(MailHours::default()));

    let first = send_once(&queue, &mailer, &settings, t0()).await.unwrap();
    assert_eq!(
        (first.leased, first.sent, first.retrying, first.failed),
        (5, 4, 1, 0),
        "{first:?}"
    );
    assert_eq!(first.problems.len(), 1);
    assert_eq!(first.problems[0].0, "b");
    assert!(first.problems[0].1.contains("550"), "{first:?}");
    let b = queue.row("b");
    assert_eq!((b.state, b.item.attempts), (State::Pending, 1));
    assert_eq!(b.next_attempt_us, plus(t0(), 1).as_microsecond());

    // Not due yet: nothing is leased.
    let early = send_once(&queue, &mailer, &settings, plus(t0(), 0))
        .await
        .unwrap();
    assert_eq!(early.leased, 0, "{early:?}");
    // Second attempt after 1 minute, third after 5 more: then it is failed for good.
    let second = send_once(&queue, &mailer, &settings, plus(t0(), 1))
        .await
        .unwrap();
    assert_eq!(
        (second.leased, second.retrying, second.failed),
        (1, 1, 0),
        "{second:?}"
    );
    let third = send_once(&queue, &mailer, &settings, plus(t0(), 6))
        .await
        .unwrap();
    assert_eq!(
        (third.leased, third.retrying, third.failed),
        (1, 0, 1),
        "{third:?}"
    );
    let b = queue.row("b");
    assert_eq!((b.state, b.item.attempts), (State::Failed, 3));
    assert!(b.last_error.unwrap().contains("mailbox unavailable"));
    let later = send_once(&queue, &mailer, &settings, plus(t0(), 120))
        .await
        .unwrap();
    assert_eq!(later, SendReport::default());

    // Everyone else got theirs, once each, with the delivery's Message-ID.
    assert_eq!(
        ids(&sink),
        [
            "<a@parley.test>",
            "<c@parley.test>",
            "<d@parley.test>",
            "<e@parley.test>"
        ]
    );
    for id in ["a", "c", "d", "e"] {
        let row = queue.row(id);
        assert_eq!((row.state, row.item.attempts), (State::Sent, 1), "{id}");
    }
    assert_eq!(
        assert_no_child_markers(&sink.maildir, &["Zephyrine", "QX-MARKER"]),
        4
    );
}

#[tokio::test]
async fn a_server_down_at_first_then_up_gets_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let queue = MemQueue::new();
    queue.push("a", "one@health.test", t0());
    queue.push("b", "two@police.test", t0());
    let (mailer, settings) = (mailer(port), settings(MailHours::Always));

    let down = send_once(&queue, &mailer, &settings, t0()).await.unwrap();
    assert_eq!(
        (down.sent, down.retrying, down.failed),
        (0, 2, 0),
        "{down:?}"
    );
    assert!(
        down.problems[0].1.to_lowercase().contains("connection"),
        "{down:?}"
    );

    let options = SinkOptions {
        port,
        ..SinkOptions::default()
    };
    let Some(sink) = sink(dir.path(), &options) else {
        return;
    };
    // The back-off holds: nothing before the minute is up.
    let waiting = send_once(&queue, &mailer, &settings, plus(t0(), 0))
        .await
        .unwrap();
    assert_eq!(waiting.leased, 0);
    let up = send_once(&queue, &mailer, &settings, plus(t0(), 1))
        .await
        .unwrap();
    assert_eq!((up.sent, up.retrying, up.failed), (2, 0, 0), "{up:?}");
    let again = send_once(&queue, &mailer, &settings, plus(t0(), 90))
        .await
        .unwrap();
    assert_eq!(again.leased, 0);
    assert_eq!(ids(&sink), ["<a@parley.test>", "<b@parley.test>"]);
    assert_eq!(queue.row("a").item.attempts, 2);
}

#[tokio::test]
async fn mail_waits_for_working_hours_on_working_days() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let queue = MemQueue::new();
    // Saturday 5 December 2026, 11:00 GMT.
    let saturday: Timestamp = "2026-12-05T11:00:00Z".parse().unwrap();
    queue.push("a", "one@health.test", saturday);
    let (mailer, settings) = (mailer(sink.port), settings(MailHours::default()));

    let report = send_once(&queue, &mailer, &settings, saturday)
        .await
        .unwrap();
    assert_eq!(report.waiting, [PARTNERSHIP]);
    assert_eq!(report.leased, 0);
    let monday_early: Timestamp = "2026-12-07T07:59:00Z".parse().unwrap();
    assert_eq!(
        send_once(&queue, &mailer, &settings, monday_early)
            .await
            .unwrap()
            .leased,
        0
    );
    assert!(sink.messages().is_empty());
    let monday: Timestamp = "2026-12-07T08:00:00Z".parse().unwrap();
    let report = send_once(&queue, &mailer, &settings, monday).await.unwrap();
    assert_eq!((report.sent, report.waiting.len()), (1, 0), "{report:?}");
    assert_eq!(ids(&sink), ["<a@parley.test>"]);
}

#[tokio::test]
async fn a_daily_summary_goes_once_a_day_with_what_came_before_opening() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let queue = MemQueue::new();
    let wednesday_evening: Timestamp = "2026-12-02T19:00:00Z".parse().unwrap();
    queue.push_digest("a", "person-1", "daily@health.test", wednesday_evening);
    queue.push_digest(
        "b",
        "person-1",
        "daily@health.test",
        plus(wednesday_evening, 5),
    );
    queue.push_digest(
        "c",
        "person-2",
        "other@police.test",
        plus(wednesday_evening, 9),
    );
    let (mailer, settings) = (mailer(sink.port), settings(MailHours::default()));

    // Thursday 3 December, 10:00: the window opened at 08:00.
    let report = send_once(&queue, &mailer, &settings, t0()).await.unwrap();
    assert_eq!((report.digests, report.digested), (2, 3), "{report:?}");
    let got = sink.messages();
    assert_eq!(got.len(), 2);
    let one = got
        .iter()
        .find(|m| m.delivered_to == ["daily@health.test"])
        .unwrap();
    assert_eq!(one.subject, "Daily summary: 2 Parley notifications");
    assert_eq!(one.message_id.as_deref(), Some("<digest-a@parley.test>"));
    assert!(
        one.text.contains("CR-2026-a") && one.text.contains("CR-2026-b"),
        "{}",
        one.text
    );

    // Something new during the day waits for tomorrow's summary.
    queue.push_digest("d", "person-1", "daily@health.test", plus(t0(), 30));
    let afternoon = send_once(&queue, &mailer, &settings, plus(t0(), 300))
        .await
        .unwrap();
    assert_eq!(afternoon.digests, 0, "{afternoon:?}");
    let friday: Timestamp = "2026-12-04T08:00:00Z".parse().unwrap();
    let next = send_once(&queue, &mailer, &settings, friday).await.unwrap();
    assert_eq!((next.digests, next.digested), (1, 1), "{next:?}");
    assert_eq!(sink.messages().len(), 3);
    assert_eq!(queue.row("d").state, State::Sent);
    assert_eq!(
        send_once(&queue, &mailer, &settings, plus(friday, 60))
            .await
            .unwrap()
            .digests,
        0
    );
}

/// A batch whose lease is (almost) over sends nothing more: another worker may take those rows
/// once the lease runs out, and both would send them. Here the lease is over before the first
/// message: nothing reaches the sink and nothing is marked; once the lease has run out, a pass
/// with a lease long enough sends each message once.
#[tokio::test]
async fn nothing_is_sent_once_its_lease_is_near_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let queue = MemQueue::new();
    queue.push("a", "one@health.test", t0());
    queue.push("b", "two@police.test", t0());
    let mailer = mailer(sink.port);
    let mut short = settings(MailHours::Always);
    short.lease = std::time::Duration::ZERO;
    let report = send_once(&queue, &mailer, &short, t0()).await.unwrap();
    assert_eq!(
        (report.leased, report.sent, report.retrying, report.failed),
        (2, 0, 0, 0),
        "{report:?}"
    );
    assert!(
        report
            .problems
            .iter()
            .all(|(_, why)| why.contains("lease was near its end")),
        "{report:?}"
    );
    assert!(ids(&sink).is_empty());
    assert_eq!(queue.row("a").item.attempts, 0);

    let report = send_once(&queue, &mailer, &settings(MailHours::Always), plus(t0(), 1))
        .await
        .unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(ids(&sink), ["<a@parley.test>", "<b@parley.test>"]);
}
