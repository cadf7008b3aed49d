//! Group commit: one task owns writing. Commands queue up while a commit is in flight and the
//! next transaction takes all of them, so several writers share one fsync. Nothing is
//! acknowledged before the transaction holding it has committed.

pub mod probe;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::backend::BlockingAppender;
use crate::{AppendRequest, Appended, Store, StoreError};

/// How many commands one transaction takes at most.
const MAX_BATCH: usize = 64;

/// The longest one batch may take, connecting included. A database that stops answering (a
/// stalled network, a server that hangs) fails its callers instead of holding them for ever;
/// the pool's own acquire timeout (30 s) covers waiting for a restarting server.
const BATCH_TIMEOUT: Duration = Duration::from_secs(45);

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// A handle to the writing task; clone it freely.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<(AppendRequest, Reply)>,
}

impl Writer {
    /// Starts the writing task: on a thread of its own when the store writes with blocking
    /// calls (SQLite), otherwise on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> Writer {
        let (tx, rx) = mpsc::channel::<(AppendRequest, Reply)>(1024);
        if let Some(append) = store.blocking_appender() {
            let spawned = std::thread::Builder::new()
                .name("parley-writer".to_owned())
                .spawn(move || write_blocking(rx, &append));
            if let Err(e) = spawned {
                // Without the thread every append fails at once (the channel is closed).
                tracing::error!(error = %e, "the writer thread could not start");
            }
        } else {
            tokio::spawn(write_async(rx, store));
        }
        Writer { tx }
    }

    /// Appends one command's changes; returns once they are durable.
    pub async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((request, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        wait.await.map_err(|_| StoreError::Closed)?
    }
}

/// The next batch: the first command to arrive and whatever queued up behind it.
fn take_batch(
    first: (AppendRequest, Reply),
    rx: &mut mpsc::Receiver<(AppendRequest, Reply)>,
) -> (Vec<AppendRequest>, Vec<Reply>) {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    batch.into_iter().unzip()
}

async fn write_async(mut rx: mpsc::Receiver<(AppendRequest, Reply)>, store: Arc<dyn Store>) {
    while let Some(first) = rx.recv().await {
        let (requests, replies) = take_batch(first, &mut rx);
        let outcome = tokio::time::timeout(BATCH_TIMEOUT, store.append_batch(requests))
            .await
            .unwrap_or_else(|_| Err(timed_out()));
        answer(replies, outcome);
    }
}

/// The writing loop on a thread of its own. SQLite's busy timeout bounds how long a batch can
/// wait for the database.
fn write_blocking(mut rx: mpsc::Receiver<(AppendRequest, Reply)>, append: &BlockingAppender) {
    while let Some(first) = rx.blocking_recv() {
        let (requests, replies) = take_batch(first, &mut rx);
        answer(replies, append(&requests));
    }
}

/// Acknowledges each command of a batch once the batch's transaction has committed, or gives
/// every one of them the failure.
fn answer(replies: Vec<Reply>, outcome: Result<Vec<Result<Appended, StoreError>>, StoreError>) {
    match outcome {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            // Nothing in the batch is acknowledged. Usually nothing in it was written either,
            // but when the connection is lost during COMMIT the outcome is unknown: a caller
            // that retries must re-read first (the stream version check turns a blind retry
            // into a conflict).
            tracing::warn!(error = %e, "append batch failed");
            let mut replies = replies.into_iter();
            let first = replies.next();
            for reply in replies {
                let _ = reply.send(Err(same_failure(&e)));
            }
            if let Some(reply) = first {
                let _ = reply.send(Err(e));
            }
        }
    }
}

fn timed_out() -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "the database did not finish a commit within {} s",
            BATCH_TIMEOUT.as_secs()
        ),
    )))
}

/// The error a batch's other commands get: `StoreError` is not `Clone`, so this keeps the kind
/// that matters to a caller (a database or I/O failure, which it may retry after re-reading)
/// and the message.
fn same_failure(e: &StoreError) -> StoreError {
    let message = format!("the transaction holding this change failed: {e}");
    match e {
        StoreError::Database(sqlx::Error::Io(io)) => {
            StoreError::Database(sqlx::Error::Io(std::io::Error::new(io.kind(), message)))
        }
        StoreError::Closed => StoreError::Closed,
        // Keep the unique-violation kind readable (a raise retries on it).
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(*f, Some(message)))
        }
        _ => StoreError::Database(sqlx::Error::Protocol(message)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::backend::{NewEvent, SqliteStore};

    fn request(stream: &str) -> AppendRequest {
        AppendRequest {
            partnership_id: "p".to_owned(),
            stream: stream.to_owned(),
            expected_version: 0,
            partnership_version: None,
            events: vec![NewEvent {
                at_us: 1,
                kind: "partnership-created".to_owned(),
                actor: None,
                reason: None,
                payload: "{}".to_owned(),
            }],
            ops: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// One batch: a good request, a stale one, one whose projection row cannot be written,
    /// and another good one. The stale one is a conflict, the broken one an error, the good
    /// ones are written, and the chain has no gap.
    #[tokio::test]
    async fn a_failing_request_takes_only_itself_out_of_its_batch() {
        use crate::rows::{Op, ProcedureRow};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let procedure = || {
            Op::Procedure(ProcedureRow {
                partnership_id: "p".to_owned(),
                version: 1,
                procedure_id: "x".to_owned(),
                source: String::new(),
                sha256: String::new(),
                adopted_at_us: 1,
            })
        };
        let mut first = request("s1");
        first.ops.push(procedure());
        let mut stale = request("s2");
        stale.expected_version = 3;
        // The same procedure version again: the projection's primary key refuses it.
        let mut broken = request("s3");
        broken.ops.push(procedure());
        let results = store
            .append_batch(vec![first, stale, broken, request("s4")])
            .await
            .unwrap();
        assert!(results[0].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(StoreError::Conflict { .. })),
            "{results:?}"
        );
        assert!(
            matches!(&results[2], Err(e) if e.is_unique_violation()),
            "{results:?}"
        );
        let last = results[3].as_ref().unwrap();
        assert_eq!(last.seq, 2, "{results:?}");
        let chain = store.chain("p", 0, 10).await.unwrap();
        assert_eq!(
            chain
                .iter()
                .map(|l| (l.seq, l.stream.as_str()))
                .collect::<Vec<_>>(),
            [(1, "s1"), (2, "s4")]
        );
        let heads = store.chain_heads().await.unwrap();
        assert_eq!(heads[0].1, 2);
        assert_eq!(heads[0].2, chain[1].hash);
    }

    #[tokio::test]
    async fn every_caller_of_a_failed_batch_gets_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let writer = Writer::start(Arc::new(store.clone()));
        writer.append(request("s0")).await.unwrap();
        // The database goes away: the next batches cannot even begin.
        store.close().await;
        let appends = (1..=8).map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.append(request(&format!("s{i}"))).await })
        });
        let results = tokio::time::timeout(Duration::from_secs(30), async {
            let mut results = Vec::new();
            for a in appends {
                results.push(a.await.unwrap());
            }
            results
        })
        .await
        .expect("a caller was left waiting");
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(StoreError::Database(_)))),
            "{results:?}"
        );
    }
}
