//! The mailer against the sink: accepted messages, refusals and how they are classed, the
//! password never sent in clear, `.eml` files, and the canary check.

use jiff::Timestamp;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use parley_core::StageNumber;
use parley_core::escalation::Reason;
use parley_core::names::Recipient;
use parley_mail::compose::{self, Context};
use parley_mail::testing::{SinkOptions, assert_no_child_markers, read_maildir};
use parley_mail::{Failure, Mailbox, Mailer, Queued, SmtpUrl, mail_test};

use crate::queue::notice_for;
use crate::{free_port, from, public, sink};

fn at() -> Timestamp {
    "2026-12-06T09:00:00Z".parse().unwrap()
}

fn mailer(url: &str) -> Mailer {
    let url: SmtpUrl = url.parse().unwrap();
    Mailer::smtp(&url, &public(), 2).unwrap()
}

/// The e-mail for delivery `id`, to `to`.
fn message(id: &str, to: &str) -> lettre::Message {
    let item = Queued {
        id: id.to_owned(),
        partnership_id: "p".to_owned(),
        escalation_id: Some(format!("esc-{id}")),
        person_id: None,
        address: Some(to.to_owned()),
        recipient: Recipient::StageLeads,
        reason: Reason::StageEntered(StageNumber::new(2).unwrap()),
        stage: StageNumber::new(2).unwrap(),
        attempts: 0,
        created_at_us: 0,
    };
    let public = public();
    let rendered = notice_for(&item).render(&Context {
        public_url: &public,
        today: jiff::civil::date(2026, 12, 6),
    });
    let to: Mailbox = to.parse().unwrap();
    compose::message(
        &rendered,
        &from(),
        to,
        compose::message_id(id, &public),
        at(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_message_arrives_once_with_its_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let mailer = mailer(&sink.url());
    let accepted = mailer
        .send(&message("d1", "lead@health.test"))
        .await
        .unwrap();
    assert!(accepted.reply.starts_with("250"), "{accepted:?}");

    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.message_id.as_deref(), Some("<d1@parley.test>"));
    assert_eq!(m.delivered_to, ["lead@health.test"]);
    assert_eq!(m.subject, "Stage 2 deadline tomorrow: CR-2026-d1");
    assert!(
        m.text.contains("https://parley.test/escalations/esc-d1"),
        "{}",
        m.text
    );
    assert!(
        m.html
            .contains("href=\"https://parley.test/escalations/esc-d1\""),
        "{}",
        m.html
    );
    assert!(
        m.headers.contains("Auto-Submitted: auto-generated"),
        "{}",
        m.headers
    );
}

#[tokio::test]
async fn a_550_is_permanent_and_the_next_message_still_goes() {
    let dir = tempfile::tempdir().unwrap();
    let options = SinkOptions {
        reject: vec!["gone@health.test".to_owned()],
        defer: vec!["busy@health.test".to_owned()],
        ..SinkOptions::default()
    };
    let Some(sink) = sink(dir.path(), &options) else {
        return;
    };
    let mailer = mailer(&sink.url());
    let refused = mailer
        .send(&message("d1", "gone@health.test"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.failure, refused.code),
        (Failure::Permanent, Some(550)),
        "{refused}"
    );
    assert!(refused.message.contains("mailbox unavailable"), "{refused}");
    let deferred = mailer
        .send(&message("d2", "busy@health.test"))
        .await
        .unwrap_err();
    assert_eq!(
        (deferred.failure, deferred.code),
        (Failure::Temporary, Some(451)),
        "{deferred}"
    );
    mailer
        .send(&message("d3", "lead@health.test"))
        .await
        .unwrap();

    let got = sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].message_id.as_deref(), Some("<d3@parley.test>"));
}

#[tokio::test]
async fn no_server_is_a_temporary_failure() {
    let mailer = mailer(&format!("smtp://127.0.0.1:{}", free_port()));
    let e = mailer
        .send(&message("d1", "lead@health.test"))
        .await
        .unwrap_err();
    assert_eq!((e.failure, e.code), (Failure::Temporary, None), "{e}");
    assert!(e.message.to_lowercase().contains("connection"), "{e}");
}

#[tokio::test]
async fn with_credentials_starttls_is_required_and_no_password_goes_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let options = SinkOptions {
        auth_log: true,
        ..SinkOptions::default()
    };
    let Some(sink) = sink(dir.path(), &options) else {
        return;
    };
    let url = format!("smtp://parley:hunter2@127.0.0.1:{}", sink.port);
    let mailer = mailer(&url);
    assert!(
        !mailer.describe().contains("hunter2"),
        "{}",
        mailer.describe()
    );
    let e = mailer
        .send(&message("d1", "lead@health.test"))
        .await
        .unwrap_err();
    assert_eq!(e.failure, Failure::Temporary, "{e}");
    assert!(e.message.contains("STARTTLS"), "{e}");
    assert!(!e.message.contains("hunter2"), "{e}");
    assert_eq!(sink.auth_attempts(), Vec::<String>::new());
    assert!(sink.messages().is_empty());

    // The check can fail: a client willing to authenticate in clear shows up in the log.
    let careless = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .tls(Tls::None)
        .credentials(Credentials::new("parley".to_owned(), "hunter2".to_owned()))
        .build();
    careless
        .send(message("d2", "lead@health.test"))
        .await
        .unwrap();
    assert_eq!(sink.auth_attempts(), ["AUTH PLAIN parley"]);
}

#[tokio::test]
async fn the_file_mailer_writes_one_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("mail");
    let mailer = Mailer::files(&folder).unwrap();
    assert_eq!(mailer.folder(), Some(folder.as_path()));
    for id in ["d1", "d2"] {
        let accepted = mailer.send(&message(id, "lead@health.test")).await.unwrap();
        assert!(accepted.reply.contains(".eml"), "{accepted:?}");
    }
    let mut ids: Vec<_> = read_maildir(&folder)
        .into_iter()
        .map(|m| m.message_id.unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["<d1@parley.test>", "<d2@parley.test>"]);
    let files = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(files, 2);
}

#[tokio::test]
async fn mail_test_says_what_the_server_answered() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let mailer = mailer(&sink.url());
    let to: Mailbox = "admin@croydon.test".parse().unwrap();
    let accepted = mail_test(&mailer, &from(), &public(), to, at())
        .await
        .unwrap();
    assert!(
        accepted.reply.starts_with("250 2.0.0 Message accepted"),
        "{accepted:?}"
    );
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject, "Test message from Parley");

    let nowhere = self::mailer(&format!("smtp://127.0.0.1:{}", free_port()));
    let to: Mailbox = "admin@croydon.test".parse().unwrap();
    let e = mail_test(&nowhere, &from(), &public(), to, at())
        .await
        .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("connection"), "{e}");
}

#[tokio::test]
async fn the_canary_check_finds_a_marker_in_any_part() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("mail");
    let mailer = Mailer::files(&folder).unwrap();
    mailer
        .send(&message("d1", "lead@health.test"))
        .await
        .unwrap();
    assert_eq!(
        assert_no_child_markers(&folder, &["Zephyrine Quillfeather", "QX-MARKER-7731"]),
        1
    );

    // A marker in a quoted-printable HTML part, and one in an encoded subject, are found.
    let public = public();
    let rendered = compose::Rendered {
        subject: "Über QX-MARKER-7731".to_owned(),
        text: "plain".to_owned(),
        html: format!("<p>{}Zephyrine Quillfeather</p>", "=".repeat(200)),
    };
    let to: Mailbox = "lead@health.test".parse().unwrap();
    let leaky = compose::message(
        &rendered,
        &from(),
        to,
        compose::message_id("d2", &public),
        at(),
    )
    .unwrap();
    mailer.send(&leaky).await.unwrap();
    for marker in ["zephyrine quillfeather", "qx-marker-7731"] {
        let caught = std::panic::catch_unwind(|| assert_no_child_markers(&folder, &[marker]));
        assert!(caught.is_err(), "{marker} was not found");
    }
}

#[tokio::test]
async fn smtps_never_falls_back_to_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let options = SinkOptions {
        auth_log: true,
        ..SinkOptions::default()
    };
    let Some(sink) = sink(dir.path(), &options) else {
        return;
    };
    let mailer = mailer(&format!("smtps://parley:hunter2@127.0.0.1:{}", sink.port));
    let e = mailer
        .send(&message("d1", "lead@health.test"))
        .await
        .unwrap_err();
    assert_eq!(e.failure, Failure::Temporary, "{e}");
    assert!(sink.messages().is_empty());
    assert_eq!(sink.auth_attempts(), Vec::<String>::new());
}
