//! For tests (feature `testing`): the real SMTP sink (`scripts/smtp-sink`, aiosmtpd writing a
//! Maildir) started as a child process, the Maildir read back with every MIME part decoded,
//! and the canary check that no e-mail holds a child's marker.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mail_parser::{HeaderValue, MessageParser};

/// The sink script, beside this crate in the repository.
pub fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink")
}

/// Whether this machine can run the sink: python3 with venv and ensurepip.
pub fn python_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .map_err(|e| format!("python3 cannot be run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 cannot make a virtualenv with pip (Debian: apt-get install python3-venv): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// How to start a sink.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// 0: a free port.
    pub port: u16,
    /// Answered 550 at RCPT.
    pub reject: Vec<String>,
    /// Answered 451 at RCPT.
    pub defer: Vec<String>,
    /// Offer AUTH without TLS and log each attempt (see [`SmtpSink::auth_attempts`]).
    pub auth_log: bool,
    /// Milliseconds to wait before answering each DATA (a slow relay); 0: none.
    pub delay_ms: u64,
}

/// A running sink; stopped (by its own process id) when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
    auth_log: Option<PathBuf>,
}

impl SmtpSink {
    /// Starts the sink writing to `dir/maildir` and waits until it listens. Returns `None`,
    /// saying so loudly, when python3 or venv is missing and `CI` is not set; in CI that
    /// panics, as does any other failure to start.
    pub fn start(dir: &Path, options: &SinkOptions) -> Option<SmtpSink> {
        if let Err(why) = python_available() {
            if std::env::var_os("CI").is_some() {
                panic!("the SMTP sink is needed in CI: {why}");
            }
            eprintln!("SKIPPED (no SMTP sink): {why}");
            return None;
        }
        let maildir = dir.join("maildir");
        let mut cmd = Command::new(sink_script());
        cmd.arg("--maildir")
            .arg(&maildir)
            .args(["--port", &options.port.to_string()]);
        for a in &options.reject {
            cmd.args(["--reject", a]);
        }
        for a in &options.defer {
            cmd.args(["--defer", a]);
        }
        if options.delay_ms > 0 {
            cmd.args(["--delay-ms", &options.delay_ms.to_string()]);
        }
        let auth_log = options.auth_log.then(|| dir.join("auth.log"));
        if let Some(log) = &auth_log {
            cmd.arg("--auth-log").arg(log);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", sink_script().display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep reading so that the sink never blocks on a full pipe.
            for _ in lines {}
        });
        // The first run makes the virtualenv (pip from PyPI): allow for it.
        let line = match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the SMTP sink did not start: {other:?}");
            }
        };
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the sink: {line:?}"));
        Some(SmtpSink {
            child,
            port,
            maildir,
            auth_log,
        })
    }

    /// `smtp://127.0.0.1:PORT`, no credentials.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        read_maildir(&self.maildir)
    }

    /// The AUTH attempts the sink saw (`AUTH PLAIN user`), with `auth_log` on.
    pub fn auth_attempts(&self) -> Vec<String> {
        self.auth_log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Stops the sink and waits for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One message from the Maildir, decoded.
#[derive(Clone, Debug)]
pub struct Received {
    pub file: PathBuf,
    /// The envelope recipients (the sink's `Delivered-To:` lines).
    pub delivered_to: Vec<String>,
    /// With its angle brackets: `<id@host>`.
    pub message_id: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Every header's decoded value, one a line (`Name: value`).
    pub headers: String,
    pub raw: String,
}

impl Received {
    /// Everything a reader could see: the raw message and every decoded header and part.
    pub fn searchable(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            self.raw, self.headers, self.subject, self.text, self.html
        )
    }
}

/// Every message in `maildir` (its new/ and cur/), or in a folder of `.eml` files (the file
/// mailer's), in file-name order.
pub fn read_maildir(maildir: &Path) -> Vec<Received> {
    let list = |dir: PathBuf| {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect::<Vec<_>>()
    };
    let mut files = list(maildir.join("new"));
    files.extend(list(maildir.join("cur")));
    files.extend(
        list(maildir.to_owned())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml")),
    );
    files.sort();
    files.into_iter().map(|f| read_message(&f)).collect()
}

/// One `.eml` or Maildir file, decoded.
pub fn read_message(file: &Path) -> Received {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let message = MessageParser::default()
        .parse(&bytes)
        .unwrap_or_else(|| panic!("{} is not a message", file.display()));
    let mut delivered_to = Vec::new();
    let mut headers = String::new();
    for h in message.headers() {
        let value = header_text(&h.value);
        if h.name.as_str().eq_ignore_ascii_case("Delivered-To") {
            delivered_to.push(value.trim().to_owned());
        }
        headers.push_str(&format!("{}: {value}\n", h.name.as_str()));
    }
    let text = (0..message.text_body.len())
        .filter_map(|i| message.body_text(i))
        .collect::<Vec<_>>()
        .join("\n");
    let html = (0..message.html_body.len())
        .filter_map(|i| message.body_html(i))
        .collect::<Vec<_>>()
        .join("\n");
    Received {
        file: file.to_owned(),
        delivered_to,
        message_id: message.message_id().map(|id| format!("<{id}>")),
        subject: message.subject().unwrap_or_default().to_owned(),
        text,
        html,
        headers,
        raw: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn header_text(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(a) => a
            .iter()
            .map(|addr| {
                format!(
                    "{} <{}>",
                    addr.name.as_deref().unwrap_or(""),
                    addr.address.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => format!("{other:?}"),
    }
}

/// Panics, naming the file and the marker, when any message in `maildir` holds any of
/// `markers` (case-insensitive) in its raw text, a decoded header or a decoded part. Returns
/// how many messages were searched (a sweep over nothing proves nothing: check it).
pub fn assert_no_child_markers(maildir: &Path, markers: &[&str]) -> usize {
    let messages = read_maildir(maildir);
    for m in &messages {
        let haystack = m.searchable().to_lowercase();
        for marker in markers {
            assert!(
                !haystack.contains(&marker.to_lowercase()),
                "the e-mail {} ({:?}) holds the child marker {marker:?}",
                m.file.display(),
                m.subject
            );
        }
    }
    messages.len()
}
