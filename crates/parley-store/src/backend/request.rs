//! What an append carries and what it answers: one command's events, the query-table rows
//! they change and the notifications they call for.

use std::sync::Arc;

use crate::StoreError;
use crate::rows::Op;

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub at_us: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    /// JSON.
    pub payload: String,
}

/// A notification to put in the outbox with the event at `event_index` of its request.
#[derive(Clone, Debug)]
pub struct NewOutbox {
    pub event_index: usize,
    pub escalation_id: Option<String>,
    pub recipient: String,
    pub reason: String,
    pub stage: i64,
    pub child_details: bool,
    pub address: Option<String>,
}

/// One command's changes: its events on one stream, the projection rows they change, and the
/// notifications they call for. All or nothing.
#[derive(Clone, Debug)]
pub struct AppendRequest {
    pub partnership_id: String,
    pub stream: String,
    /// The stream's version the command was decided on; anything else is a conflict.
    pub expected_version: i64,
    /// The partnership stream's version (its configuration) the command was decided with, when
    /// that matters; anything else is a conflict on the partnership stream.
    pub partnership_version: Option<i64>,
    pub events: Vec<NewEvent>,
    pub ops: Vec<Op>,
    pub outbox: Vec<NewOutbox>,
}

/// Where a request's events landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The chain position of the last event.
    pub seq: i64,
    /// The stream's new version.
    pub stream_version: i64,
}

/// A blocking `append_batch` (see [`EventLog::blocking_appender`](super::EventLog::blocking_appender)).
pub type BlockingAppender = Arc<
    dyn Fn(&[AppendRequest]) -> Result<Vec<Result<Appended, StoreError>>, StoreError> + Send + Sync,
>;
