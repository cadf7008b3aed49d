//! Group commit: one task owns writing. Commands queue up while a commit is in flight and the
//! next transaction takes all of them, so several writers share one fsync. Nothing is
//! acknowledged before the transaction holding it has committed.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::{AppendRequest, Appended, Store, StoreError};

/// How many commands one transaction takes at most.
const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// A handle to the writing task; clone it freely.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<(AppendRequest, Reply)>,
}

impl Writer {
    /// Starts the writing task on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> Writer {
        let (tx, mut rx) = mpsc::channel::<(AppendRequest, Reply)>(1024);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                match store.append_batch(requests).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(result);
                        }
                    }
                    Err(e) => {
                        // The transaction failed as a whole: nothing in it was written.
                        let message = e.to_string();
                        tracing::warn!(error = %message, "append batch failed");
                        let mut first = Some(e);
                        for reply in replies {
                            let err = first.take().unwrap_or_else(|| {
                                StoreError::NotFound(format!("batch failed: {message}"))
                            });
                            let _ = reply.send(Err(err));
                        }
                    }
                }
            }
        });
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
