//! Parley's e-mail: composing notices (never with a child's details), mail hours in the
//! partnership's calendar, and the sender that delivers the mail queue over SMTP.
//!
//! Invariants:
//! - **Never a child in an e-mail.** Messages are composed from [`Notice`], which has no field
//!   for a child's details.
//! - **Sent only after acceptance.** A delivery is marked sent only after the SMTP server has
//!   answered 2xx to the message; anything else is retried or failed, never marked sent.
//! - **One bad address holds up nobody.** Each delivery is its own message and its own
//!   outcome.

pub mod compose;
pub mod describe;
pub mod hours;
pub mod mailer;
pub mod queue;
pub mod records;
pub mod send;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;

pub use compose::{
    Context, Digest, EscalationNotice, Happening, Needed, Notice, Rendered, ReportNotice,
    message_id,
};
pub use hours::{MailHours, MailHoursError};
pub use lettre::message::Mailbox;
pub use mailer::{Accepted, Failure, Mailer, MailerError, SendError, mail_test};
pub use queue::{DigestDue, PartnershipCalendar, Queue, Queued};
pub use records::{QueueError, StoreQueue};
pub use send::{SendReport, send_once};
pub use settings::{
    MailFrom, MailSettings, PublicUrl, RetryPolicy, Security, SmtpUrl, SmtpUrlError,
};

/// The e-mail layer's error.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail queue: {0}")]
    Queue(Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Mailer(#[from] MailerError),
}

impl MailError {
    pub(crate) fn queue<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        MailError::Queue(Box::new(e))
    }
}
