//! The e-mail settings, each built only by parsing: the SMTP URL (`--smtp-url`), the sender
//! (`--mail-from`), the public URL the links point at (`--public-url`), the mail hours, and how
//! the sender leases and retries.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::Mailbox;
use url::Url;

use crate::hours::MailHours;

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtp://host` without credentials: STARTTLS when the server offers it, plain otherwise
    /// (a local relay).
    Opportunistic,
    /// `smtp://user:pass@host`: STARTTLS or nothing; no password ever goes in clear.
    StartTlsRequired,
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
}

/// A password that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A checked `--smtp-url`: `smtp://host[:port]`, `smtp://user:pass@host[:port]` or
/// `smtps://[user:pass@]host[:port]`. It prints without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, Secret)>,
}

/// What is wrong with an SMTP URL. Names the problem, never the password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the SMTP URL {shown}: {problem}")]
pub struct SmtpUrlError {
    shown: String,
    problem: String,
}

impl FromStr for SmtpUrl {
    type Err = SmtpUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let fail = |shown: String, problem: &str| SmtpUrlError {
            shown,
            problem: problem.to_owned(),
        };
        let url = Url::parse(text).map_err(|e| {
            fail(
                redact_text(text),
                &format!("{e}; write it as smtp://host:port, smtp://user:password@host:587 or smtps://user:password@host:465"),
            )
        })?;
        let shown = redact(&url);
        let tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(fail(
                    shown,
                    &format!(
                        "the scheme is {other:?}; write smtp://host:port, \
                         smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)"
                    ),
                ));
            }
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_owned(),
            _ => return Err(fail(shown, "it names no host")),
        };
        if !(url.path().is_empty() || url.path() == "/") {
            return Err(fail(
                shown,
                "it has a path; an SMTP URL is only a host and a port",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(fail(
                shown,
                "it has a query or a fragment; the security follows from the scheme and the credentials",
            ));
        }
        let decode = |part: &str| {
            percent_decode(part).ok_or_else(|| {
                fail(
                    shown.clone(),
                    "the user name or password is not valid percent-encoded UTF-8",
                )
            })
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(fail(shown, "it has a password but no user name")),
            (_, None) => {
                return Err(fail(
                    shown,
                    "it has a user name but no password (user:password@host)",
                ));
            }
            (user, Some(pass)) => Some((decode(user)?, Secret(decode(pass)?))),
        };
        let security = match (tls, credentials.is_some()) {
            (true, _) => Security::ImplicitTls,
            (false, true) => Security::StartTlsRequired,
            (false, false) => Security::Opportunistic,
        };
        let port = url.port().unwrap_or(match security {
            Security::ImplicitTls => 465,
            Security::StartTlsRequired => 587,
            Security::Opportunistic => 25,
        });
        Ok(SmtpUrl {
            host,
            port,
            security,
            credentials,
        })
    }
}

fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if url.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// A URL that did not parse: anything between `://` and the last `@` may be a password.
fn redact_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(i), Some(j)) if j > i => format!("{}***{}", &text[..i + 3], &text[j..]),
        _ => text.to_owned(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::ImplicitTls => "smtps",
            _ => "smtp",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match &self.credentials {
            Some((user, _)) => write!(f, "{scheme}://{user}:***@{host}:{}", self.port),
            None => write!(f, "{scheme}://{host}:{}", self.port),
        }
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self}, {:?})", self.security)
    }
}

/// The address Parley is reached at (`--public-url`): every link in an e-mail starts with it,
/// and its host names every Message-ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    base: String,
    host: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the public URL {given:?}: {problem}")]
pub struct PublicUrlError {
    given: String,
    problem: String,
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |problem: String| PublicUrlError {
            given: s.to_owned(),
            problem,
        };
        let url = Url::parse(s.trim()).map_err(|e| fail(e.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(fail("it must start with https:// (or http://)".to_owned()));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| fail("it names no host".to_owned()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(fail("it has a query, a fragment or a user name".to_owned()));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        Ok(PublicUrl { base, host })
    }
}

impl PublicUrl {
    /// The host, for Message-IDs (`<delivery id@host>`) and the SMTP greeting.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// An escalation's page.
    pub fn escalation(&self, id: &str) -> String {
        format!("{}/escalations/{id}", self.base)
    }

    /// The person's notifications (the inbox).
    pub fn inbox(&self) -> String {
        format!("{}/notifications", self.base)
    }

    /// A page of the site, by its path (`/reports?from=...`).
    pub fn path(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// The sender (`--mail-from`): an address with an optional display name,
/// `Parley <parley@example.org>` or `parley@example.org`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailFrom(pub(crate) Mailbox);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the sender address {given:?} is not an e-mail address (write it as `Name <address>` or `address`): {problem}"
)]
pub struct MailFromError {
    given: String,
    problem: String,
}

impl FromStr for MailFrom {
    type Err = MailFromError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<Mailbox>()
            .map(MailFrom)
            .map_err(|e| MailFromError {
                given: s.to_owned(),
                problem: e.to_string(),
            })
    }
}

impl fmt::Display for MailFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// When a failed message is tried again, and when it is given up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the 1st, 2nd, ... failed attempt; the last one repeats.
    pub backoff: Vec<Duration>,
    /// A permanent refusal (5xx) is tried this many times in all, then marked failed.
    pub permanent_attempts: i64,
    /// A temporary one (no connection, a time-out, 4xx) this many times.
    pub temporary_attempts: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        RetryPolicy {
            backoff: vec![minutes(1), minutes(5), minutes(15), minutes(60)],
            permanent_attempts: 3,
            // Hourly once the back-off is at its cap: about three days.
            temporary_attempts: 75,
        }
    }
}

impl RetryPolicy {
    /// When to try again after the `attempts`-th failed attempt (1 for the first).
    pub fn retry_at(&self, attempts: i64, now: Timestamp) -> Timestamp {
        let i = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX);
        let wait = self
            .backoff
            .get(i)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(60));
        let wait = jiff::SignedDuration::try_from(wait).unwrap_or(jiff::SignedDuration::MAX);
        now.checked_add(wait).unwrap_or(Timestamp::MAX)
    }
}

/// Everything the sender needs besides the queue and the mailer.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub from: MailFrom,
    pub public_url: PublicUrl,
    pub hours: MailHours,
    /// Who holds the leases this process takes (host, process id, a random part).
    pub worker: String,
    /// Deliveries leased at a time.
    pub batch: usize,
    /// How long a lease lasts; a killed process's rows go to another after it.
    pub lease: Duration,
    /// Messages on the way at once (the SMTP pool's size).
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl MailSettings {
    /// The defaults: mail hours 08:00-18:00, batches of 50 leased for 5 minutes, 4 at once.
    pub fn new(from: MailFrom, public_url: PublicUrl, worker: impl Into<String>) -> Self {
        MailSettings {
            from,
            public_url,
            hours: MailHours::default(),
            worker: worker.into(),
            batch: 50,
            lease: Duration::from_secs(300),
            concurrency: 4,
            retry: RetryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> SmtpUrl {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn smtp_urls_say_how_the_connection_is_protected() {
        let relay = url("smtp://localhost:2525");
        assert_eq!((relay.host.as_str(), relay.port), ("localhost", 2525));
        assert_eq!(relay.security, Security::Opportunistic);
        assert_eq!(relay.credentials, None);
        assert_eq!(url("smtp://relay.example.org").port, 25);

        let m365 = url("smtp://parley%40example.org:p%40ss:w0rd@smtp.office365.com:587");
        assert_eq!(m365.security, Security::StartTlsRequired);
        let (user, pass) = m365.credentials.unwrap();
        assert_eq!(
            (user.as_str(), pass.expose()),
            ("parley@example.org", "p@ss:w0rd")
        );
        assert_eq!(url("smtp://u:p@mail.example.org").port, 587);

        let tls = url("smtps://u:p@mail.example.org");
        assert_eq!((tls.security, tls.port), (Security::ImplicitTls, 465));
        assert_eq!(
            url("smtps://mail.example.org:2465").security,
            Security::ImplicitTls
        );
        assert_eq!(url("smtp://[::1]:25").host, "::1");
    }

    #[test]
    fn the_password_never_prints() {
        let u = url("smtp://user:hunter2@mail.example.org:587");
        assert_eq!(u.to_string(), "smtp://user:***@mail.example.org:587");
        assert!(!format!("{u:?}").contains("hunter2"));
        for bad in [
            "smtp://user:hunter2@mail.example.org:587/path",
            "http://user:hunter2@mail.example.org",
            "smtp://user:hunter2@mail.example.org:99999",
            "smtp://user:hunter2@mail.example.org?tls=none",
        ] {
            let e = bad.parse::<SmtpUrl>().expect_err(bad).to_string();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_parse_error_names_what_is_wrong() {
        for (bad, problem) in [
            (
                "mail.example.org:25",
                "the scheme is \"mail.example.org\"; write smtp://host:port",
            ),
            ("smtp:relay", "it names no host"),
            ("http://mail.example.org", "the scheme is \"http\""),
            (
                "smtp://user@mail.example.org",
                "a user name but no password",
            ),
            ("smtp://:pw@mail.example.org", "a password but no user name"),
            ("smtp://mail.example.org/x", "it has a path"),
            ("smtp://mail.example.org?tls=none", "a query"),
            ("smtp://mail.example.org:70000", "invalid port"),
            ("smtp://u:%ff@mail.example.org", "percent-encoded"),
        ] {
            let e = bad.parse::<SmtpUrl>().expect_err(bad).to_string();
            assert!(e.contains(problem), "{bad}: {e}");
        }
    }

    #[test]
    fn public_urls_give_links_and_the_message_id_host() {
        let p: PublicUrl = "https://parley.example.org/".parse().unwrap();
        assert_eq!(p.host(), "parley.example.org");
        assert_eq!(
            p.escalation("e1"),
            "https://parley.example.org/escalations/e1"
        );
        assert_eq!(p.inbox(), "https://parley.example.org/notifications");
        let sub: PublicUrl = "https://example.org/parley".parse().unwrap();
        assert_eq!(
            sub.escalation("e1"),
            "https://example.org/parley/escalations/e1"
        );
        for bad in ["ftp://x.org", "https://x.org/?a=b", "not a url"] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn mail_from_takes_an_optional_display_name() {
        let named: MailFrom = "Croydon Safeguarding <parley@croydon.example>"
            .parse()
            .unwrap();
        assert_eq!(named.0.name.as_deref(), Some("Croydon Safeguarding"));
        let bare: MailFrom = "parley@croydon.example".parse().unwrap();
        assert_eq!(bare.0.name, None);
        let e = "Parley".parse::<MailFrom>().unwrap_err().to_string();
        assert!(e.contains("\"Parley\" is not an e-mail address"), "{e}");
    }

    #[test]
    fn retries_back_off_and_cap() {
        let p = RetryPolicy::default();
        let now: Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let mins = |n: i64| now.checked_add(jiff::SignedDuration::from_mins(n)).unwrap();
        assert_eq!(p.retry_at(1, now), mins(1));
        assert_eq!(p.retry_at(2, now), mins(5));
        assert_eq!(p.retry_at(3, now), mins(15));
        assert_eq!(p.retry_at(4, now), mins(60));
        assert_eq!(p.retry_at(40, now), mins(60));
    }
}
