//! The way out: SMTP through lettre (rustls, a pool of connections), or `.eml` files in a
//! folder (the demo). A message counts as sent only when the server has accepted it: lettre
//! returns `Ok` only on a 2xx reply to the end of DATA.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{self, PoolConfig};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::compose::{self, Rendered};
use crate::settings::{MailFrom, PublicUrl, Security, SmtpUrl};

/// Where messages go.
#[derive(Clone)]
pub struct Mailer {
    way: Way,
}

#[derive(Clone)]
enum Way {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        url: SmtpUrl,
    },
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({})", self.describe())
    }
}

/// Whether a failed attempt is worth trying again as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection, a time-out, a 4xx reply, TLS trouble, refused credentials: try later.
    Temporary,
    /// A 5xx reply about this message or its recipient: it will not go through as it is.
    Permanent,
}

/// A message the server (or the folder) did not take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub failure: Failure,
    /// The reply code, when the server gave one.
    pub code: Option<u16>,
    pub message: String,
}

/// What the server said on accepting a message (or the file it was written to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub reply: String,
}

/// The SMTP settings could not be turned into a transport.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("TLS for {host} could not be set up: {source}")]
    Tls { host: String, source: smtp::Error },
    #[error("the mail folder {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// How long one SMTP command may wait for the server.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    /// A pooled SMTP transport for `url` (up to `pool` connections at once). Without
    /// credentials STARTTLS is used when the server offers it; with credentials it is required
    /// (or `smtps://`), so a password never goes in clear. The greeting names the public
    /// URL's host.
    pub fn smtp(url: &SmtpUrl, public_url: &PublicUrl, pool: u32) -> Result<Self, MailerError> {
        let tls_params = || {
            TlsParameters::new(url.host.clone()).map_err(|source| MailerError::Tls {
                host: url.host.clone(),
                source,
            })
        };
        let tls = match url.security {
            Security::Opportunistic => Tls::Opportunistic(tls_params()?),
            Security::StartTlsRequired => Tls::Required(tls_params()?),
            Security::ImplicitTls => Tls::Wrapper(tls_params()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .hello_name(ClientId::Domain(public_url.host().to_owned()))
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(pool.max(1)));
        if let Some((user, pass)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
        }
        Ok(Mailer {
            way: Way::Smtp {
                transport: builder.build(),
                url: url.clone(),
            },
        })
    }

    /// One `.eml` file per message in `dir` (made if missing): `parley demo` without SMTP.
    pub fn files(dir: impl Into<PathBuf>) -> Result<Self, MailerError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| MailerError::Folder {
            dir: dir.clone(),
            source,
        })?;
        Ok(Mailer {
            way: Way::Files {
                transport: AsyncFileTransport::new(&dir),
                dir,
            },
        })
    }

    /// The folder `.eml` files go to, for a file mailer.
    pub fn folder(&self) -> Option<&Path> {
        match &self.way {
            Way::Files { dir, .. } => Some(dir),
            Way::Smtp { .. } => None,
        }
    }

    /// Where messages go, without secrets: `smtp://user:***@host:587 (STARTTLS required)`.
    pub fn describe(&self) -> String {
        match &self.way {
            Way::Smtp { url, .. } => {
                let how = match url.security {
                    Security::Opportunistic => "STARTTLS when offered",
                    Security::StartTlsRequired => "STARTTLS required",
                    Security::ImplicitTls => "TLS",
                };
                format!("{url} ({how})")
            }
            Way::Files { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    /// Sends one message; `Ok` only once the server has accepted it.
    pub async fn send(&self, message: &Message) -> Result<Accepted, SendError> {
        match &self.way {
            Way::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(response) => Ok(Accepted {
                    reply: format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    ),
                }),
                Err(e) => Err(classify(&e)),
            },
            Way::Files { transport, dir } => match transport.send(message.clone()).await {
                Ok(id) => Ok(Accepted {
                    reply: format!("written to {}", dir.join(format!("{id}.eml")).display()),
                }),
                Err(e) => Err(SendError {
                    failure: Failure::Temporary,
                    code: None,
                    message: format!("writing to {}: {e}", dir.display()),
                }),
            },
        }
    }
}

/// SMTP reply codes that are about Parley's own settings (authentication, encryption), not
/// about a message: every message would fail alike, so they wait for the settings to be put
/// right instead of failing each message for good.
const SETTINGS_CODES: [u16; 4] = [530, 534, 535, 538];

fn classify(e: &smtp::Error) -> SendError {
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    let failure = match code {
        Some(c) if e.is_permanent() && !SETTINGS_CODES.contains(&c) => Failure::Permanent,
        _ => Failure::Temporary,
    };
    let mut message = e.to_string();
    if e.is_timeout() && !message.contains("timed out") {
        message.push_str(" (timed out)");
    }
    SendError {
        failure,
        code,
        message,
    }
}

/// `parley mail test --to ADDRESS`: sends one short message and returns what the server said.
pub async fn mail_test(
    mailer: &Mailer,
    from: &MailFrom,
    public_url: &PublicUrl,
    to: Mailbox,
    now: jiff::Timestamp,
) -> Result<Accepted, crate::MailError> {
    let text = format!(
        "This is a test message from Parley at {public_url}.\n\n\
         It was sent to check the e-mail settings. Nothing needs to be done.\n"
    );
    let rendered = Rendered {
        subject: "Test message from Parley".to_owned(),
        html: format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Test message from Parley</title></head>\
             <body><p style=\"font-family: Arial, sans-serif; font-size: 19px;\">{}</p></body></html>\n",
            compose::escape_html(&text).replace(
                "\n\n",
                "</p><p style=\"font-family: Arial, sans-serif; font-size: 19px;\">"
            )
        ),
        text,
    };
    let id = format!("<test-{}@{}>", now.as_microsecond(), public_url.host());
    let message = compose::message(&rendered, from, to, id, now)?;
    Ok(mailer.send(&message).await?)
}
