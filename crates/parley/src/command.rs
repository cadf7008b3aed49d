//! What every command shares: its context (where the data is) and its outcome (text for
//! stdout, or a failure for stderr and a non-zero exit). A leaf: the commands and `cli`
//! import it, it imports none of them.

use std::path::PathBuf;

/// A failure to report: the message goes to stderr and the exit code is non-zero.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

pub(crate) type Outcome = Result<String, Failure>;

/// What every command that touches data needs.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) data_dir: Option<PathBuf>,
    /// The database URL (flag, environment, or the default file in the data directory).
    pub(crate) database: String,
}
