//! parley-mail against a real SMTP server: `scripts/smtp-sink` (aiosmtpd from PyPI in a venv
//! the script makes) writing a Maildir that the tests read back. Nothing on the sending path
//! is a stand-in; the mail queue is an in-memory one (`queue.rs`), as the store's is tested in
//! parley-store.
//!
//! Without python3 and venv the tests say SKIPPED loudly and pass, except in CI (`CI` set),
//! where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod queue;
mod records;
mod send;
mod smtp;

use std::path::Path;

use parley_mail::testing::{SinkOptions, SmtpSink};
use parley_mail::{MailFrom, PublicUrl};

pub(crate) fn public() -> PublicUrl {
    "https://parley.test".parse().unwrap()
}

pub(crate) fn from() -> MailFrom {
    "Parley <parley@parley.test>".parse().unwrap()
}

/// A sink with `options` writing under `dir`, or `None` (skipped) where it cannot run.
pub(crate) fn sink(dir: &Path, options: &SinkOptions) -> Option<SmtpSink> {
    SmtpSink::start(dir, options)
}

/// A port nothing listens on (bound, then let go).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
