//! Group commit: one task owns writing. Commands queue up while a commit is in flight and the
//! next transaction takes all of them, so several writers share one fsync. Nothing is
//! acknowledged before the transaction holding it has committed.
//!
//! On SQLite, where the writer is a thread of its own, a caller that has been alone for a while
//! (the thread's last `CALM` batches each held one command, nobody waiting) writes its
//! command on its own thread instead, inside `block_in_place`: for it the queue's two thread
//! hand-offs cost more than sharing a commit saves. The first time another caller queues behind
//! it, commands go through the thread again.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::backend::BlockingAppender;
use crate::{AppendRequest, Appended, Store, StoreError};

/// How many commands one transaction takes at most.
const MAX_BATCH: usize = 64;

/// The longest one batch may take, connecting included. A database that stops answering (a
/// stalled network, a server that hangs) fails its callers instead of holding them for ever;
/// the pool's own acquire timeout (30 s) covers waiting for a restarting server.
const BATCH_TIMEOUT: Duration = Duration::from_secs(45);

/// How many batches in a row the writer thread writes for a lone caller before letting a lone
/// caller write on its own thread (see [`ThreadQueue::claim`]).
const CALM: u32 = 16;

/// The longest the writer thread holds a batch open for callers it expects back (see
/// [`Gathering`]).
const MAX_PATIENCE: Duration = Duration::from_millis(2);

type Reply = oneshot::Sender<Result<Appended, StoreError>>;
type Job = (AppendRequest, Reply);

/// A handle to the writing task; clone it freely.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: Queue,
}

/// Where commands wait for the writer.
#[derive(Clone, Debug)]
enum Queue {
    Task(mpsc::Sender<Job>),
    Thread(Arc<ThreadQueue>),
}

/// The writer thread's queue. Unbounded: every caller waits for its own acknowledgement, so it
/// holds at most one command per caller. Dropped with the last `Writer`, it tells the thread
/// to finish.
struct ThreadQueue(Arc<Shared>, BlockingAppender);

impl std::fmt::Debug for ThreadQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ThreadQueue").finish()
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<Waiting>,
    arrived: Condvar,
}

#[derive(Debug, Default)]
struct Waiting {
    jobs: Vec<Job>,
    /// How many the writer is waiting for: it is woken only once that many are here (or its
    /// deadline passes), not for each one.
    wanted: usize,
    closed: bool,
    /// A batch is being formed or written (by the thread), or a lone caller is writing.
    writing: bool,
    /// How many batches in a row the thread has written for a lone caller, nobody else
    /// waiting (reset when two callers meet).
    calm: u32,
}

impl ThreadQueue {
    fn push(&self, job: Job) -> Result<(), StoreError> {
        let mut state = self.0.state.lock().map_err(|_| StoreError::Closed)?;
        if state.closed {
            return Err(StoreError::Closed);
        }
        state.jobs.push(job);
        let wake = state.jobs.len() >= state.wanted;
        drop(state);
        if wake {
            self.0.arrived.notify_one();
        }
        Ok(())
    }
}

impl ThreadQueue {
    /// Whether a caller may write its command on its own thread ([`ThreadQueue::write_here`]):
    /// on a multi-threaded runtime (whose other tasks move to another thread meanwhile), when
    /// nothing is being written or waiting and the writer thread has seen only a lone caller
    /// for a while, so that steady callers still share commits. Claims the writing if so.
    fn claim(&self) -> bool {
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if !multi {
            return false;
        }
        let Ok(mut state) = self.0.state.lock() else {
            return false;
        };
        if state.writing || state.closed || !state.jobs.is_empty() || state.calm < CALM {
            return false;
        }
        state.writing = true;
        true
    }

    /// Writes a lone caller's command on the caller's thread, after [`ThreadQueue::claim`]:
    /// the two thread hand-offs of the queue cost a lone caller more than its share of the
    /// commit. Returns once the command is durable, like the queue.
    fn write_here(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        let outcome = tokio::task::block_in_place(|| (self.1)(&[request]));
        if let Ok(mut state) = self.0.state.lock() {
            state.writing = false;
            // Callers that queued meanwhile make this one of several: the thread gathers them
            // all again, this caller included, until it has seen a lone caller for a while.
            let wake = !state.jobs.is_empty();
            if wake {
                state.calm = 0;
            }
            drop(state);
            if wake {
                self.0.arrived.notify_one();
            }
        }
        outcome?.pop().unwrap_or(Err(StoreError::Closed))
    }
}

impl Drop for ThreadQueue {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.lock() {
            state.closed = true;
        }
        self.0.arrived.notify_one();
    }
}

impl Shared {
    /// Marks the thread's batch of `size` commands as written, `queued` more having arrived
    /// meanwhile: a batch of one with nobody waiting makes the writer calmer.
    fn written(&self, size: usize, queued: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.writing = false;
            state.calm = match (size, queued) {
                (1, 0) => state.calm.saturating_add(1),
                _ => 0,
            };
        }
    }

    /// Moves what has arrived into `into`, first waiting for something (with no `deadline`, for
    /// as long as it takes) while `into` holds fewer than `want`. False once the queue is closed
    /// and empty.
    fn take(&self, into: &mut Vec<Job>, want: usize, deadline: Option<Instant>) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        loop {
            into.append(&mut state.jobs);
            // Commands in hand are a batch being formed and written: a lone caller queues
            // behind it rather than writing on its own thread.
            state.writing |= !into.is_empty();
            if into.len() >= want || state.closed {
                state.wanted = 1;
                return !(state.closed && into.is_empty());
            }
            state.wanted = want - into.len();
            state = match deadline {
                None => match self.arrived.wait(state) {
                    Ok(state) => state,
                    Err(_) => return false,
                },
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.wanted = 1;
                        return true;
                    }
                    match self.arrived.wait_timeout(state, left) {
                        Ok((state, _)) => state,
                        Err(_) => return false,
                    }
                }
            };
        }
    }
}

impl Writer {
    /// Starts the writing task: on a thread of its own when the store writes with blocking
    /// calls (SQLite), otherwise on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> Writer {
        if let Some(append) = store.blocking_appender() {
            let shared = Arc::new(Shared::default());
            let queue = Arc::new(ThreadQueue(shared.clone(), append.clone()));
            let spawned = std::thread::Builder::new()
                .name("parley-writer".to_owned())
                .spawn(move || write_blocking(&shared, &append));
            if let Err(e) = spawned {
                // Without the thread every append fails at once (the channel is closed).
                tracing::error!(error = %e, "the writer thread could not start");
            }
            return Writer {
                queue: Queue::Thread(queue),
            };
        }
        let (tx, rx) = mpsc::channel::<Job>(1024);
        tokio::spawn(write_async(rx, store));
        Writer {
            queue: Queue::Task(tx),
        }
    }

    /// Appends one command's changes; returns once they are durable.
    pub async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        let (reply, wait) = oneshot::channel();
        match &self.queue {
            Queue::Task(tx) => tx
                .send((request, reply))
                .await
                .map_err(|_| StoreError::Closed)?,
            Queue::Thread(queue) => {
                if queue.claim() {
                    return queue.write_here(request);
                }
                queue.push((request, reply))?;
            }
        }
        wait.await.map_err(|_| StoreError::Closed)?
    }
}

/// How the writer forms its batches.
///
/// Taking only what has queued up splits steady writers into groups that take turns: while one
/// group's batch commits, the other prepares its next commands, and every commit carries only
/// part of them. The callers of one batch come back (most of them) soon after it is
/// acknowledged, so the writer counts the callers it has seen active (the last batch and what
/// queued behind it while it was written) and holds the next batch open until that many have
/// arrived, for no longer than the last batch took to write. A caller that has gone away costs
/// one such wait, after which the count has dropped; a lone caller is never kept waiting (the
/// count is then one). Nothing is acknowledged any earlier for it: the wait is before the
/// transaction, not after.
#[derive(Debug)]
struct Gathering {
    expected: usize,
    patience: Duration,
}

impl Gathering {
    fn new() -> Gathering {
        Gathering {
            expected: 1,
            patience: Duration::ZERO,
        }
    }

    /// How many commands the next batch waits for.
    fn wanted(&self) -> usize {
        self.expected.min(MAX_BATCH)
    }

    /// How long from now the next batch may wait for them.
    fn deadline(&self) -> Instant {
        Instant::now() + self.patience
    }

    /// Learns from a batch of `size` commands that took `took` to write, `queued` more having
    /// arrived meanwhile.
    fn learn(&mut self, size: usize, queued: usize, took: Duration) {
        self.expected = size + queued;
        self.patience = took.min(MAX_PATIENCE);
    }
}

/// The first `MAX_BATCH` of `pending`, split into requests and replies.
fn next_batch(pending: &mut Vec<Job>) -> (Vec<AppendRequest>, Vec<Reply>) {
    let take = pending.len().min(MAX_BATCH);
    pending.drain(..take).unzip()
}

/// Moves every command already queued into `pending`.
fn drain(rx: &mut mpsc::Receiver<Job>, pending: &mut Vec<Job>) {
    while let Ok(job) = rx.try_recv() {
        pending.push(job);
    }
}

async fn write_async(mut rx: mpsc::Receiver<Job>, store: Arc<dyn Store>) {
    let mut gathering = Gathering::new();
    let mut pending: Vec<Job> = Vec::new();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(first) => pending.push(first),
                None => return,
            }
        }
        drain(&mut rx, &mut pending);
        let deadline = tokio::time::Instant::from_std(gathering.deadline());
        while pending.len() < gathering.wanted() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(job)) => {
                    pending.push(job);
                    drain(&mut rx, &mut pending);
                }
                Ok(None) | Err(_) => break,
            }
        }
        let (requests, replies) = next_batch(&mut pending);
        let size = requests.len();
        let started = Instant::now();
        let outcome = tokio::time::timeout(BATCH_TIMEOUT, store.append_batch(requests))
            .await
            .unwrap_or_else(|_| Err(timed_out()));
        // Counted before acknowledging: a caller of this batch that comes straight back must
        // not count twice.
        drain(&mut rx, &mut pending);
        gathering.learn(size, pending.len(), started.elapsed());
        answer(replies, outcome);
    }
}

/// The writing loop on a thread of its own. SQLite's busy timeout bounds how long a batch can
/// wait for the database.
fn write_blocking(queue: &Shared, append: &BlockingAppender) {
    let mut gathering = Gathering::new();
    let mut pending: Vec<Job> = Vec::new();
    loop {
        if !queue.take(&mut pending, 1, None) {
            return;
        }
        queue.take(&mut pending, gathering.wanted(), Some(gathering.deadline()));
        let (requests, replies) = next_batch(&mut pending);
        let started = Instant::now();
        let outcome = append(&requests);
        // As in `write_async`.
        queue.take(&mut pending, 0, None);
        gathering.learn(requests.len(), pending.len(), started.elapsed());
        queue.written(requests.len(), pending.len());
        answer(replies, outcome);
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
    use crate::backend::{EventLog, NewEvent, SqliteStore};

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
        let (_dir, store) = scratch_store().await;
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

    /// A store in a file of a temporary directory (kept as long as the directory is).
    async fn scratch_store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        (dir, store)
    }

    fn job(stream: &str) -> Job {
        (request(stream), oneshot::channel().0)
    }

    /// The writer thread's queue hands over what has arrived, waits for as many commands as
    /// it was asked for (and no longer once they are there), gives up at the deadline with
    /// what it has, and tells the thread to finish once the last handle is gone and the queue
    /// is empty.
    /// An appender for tests of the queue alone, which never write.
    fn unused_appender() -> BlockingAppender {
        Arc::new(|_: &[AppendRequest]| Err(StoreError::Closed))
    }

    #[test]
    fn the_thread_queue_waits_for_the_callers_it_expects() {
        let shared = Arc::new(Shared::default());
        let queue = ThreadQueue(shared.clone(), unused_appender());
        queue.push(job("a")).unwrap();
        let mut pending = Vec::new();
        assert!(shared.take(&mut pending, 1, None));
        assert_eq!(pending.len(), 1);

        // Two more arrive from another thread while the writer waits for three in all.
        let late = Arc::new(queue);
        let pusher = {
            let late = late.clone();
            std::thread::spawn(move || {
                for stream in ["b", "c"] {
                    std::thread::sleep(Duration::from_millis(20));
                    late.push(job(stream)).unwrap();
                }
            })
        };
        let started = Instant::now();
        assert!(shared.take(&mut pending, 3, Some(started + Duration::from_secs(60))));
        assert_eq!(pending.len(), 3);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "it waited on after the third command arrived"
        );
        pusher.join().unwrap();

        // Nobody else comes: the deadline ends the wait, with what there is.
        pending.clear();
        late.push(job("d")).unwrap();
        assert!(shared.take(
            &mut pending,
            4,
            Some(Instant::now() + Duration::from_millis(30))
        ));
        assert_eq!(pending.len(), 1);

        // The last handle goes: what is queued is still handed over, then the queue is done.
        pending.clear();
        late.push(job("e")).unwrap();
        drop(late);
        assert!(shared.take(&mut pending, 1, None));
        assert_eq!(pending.len(), 1);
        pending.clear();
        assert!(!shared.take(&mut pending, 1, None));
    }

    /// The count of callers is the last batch and what queued behind it; the wait is never
    /// longer than the last batch took, nor than `MAX_PATIENCE`.
    #[test]
    fn gathering_learns_from_the_last_batch() {
        let mut gathering = Gathering::new();
        assert_eq!(gathering.wanted(), 1);
        gathering.learn(5, 3, Duration::from_micros(400));
        assert_eq!(gathering.wanted(), 8);
        assert_eq!(gathering.patience, Duration::from_micros(400));
        gathering.learn(MAX_BATCH, 10, Duration::from_secs(1));
        assert_eq!(gathering.wanted(), MAX_BATCH);
        assert_eq!(gathering.patience, MAX_PATIENCE);
        gathering.learn(1, 0, Duration::from_micros(300));
        assert_eq!(gathering.wanted(), 1);
    }

    /// A caller writes on its own thread only after the writer thread has seen a lone caller
    /// for a while, one at a time, and not again once callers have met.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_caller_writes_on_its_own_thread_only_once_it_has_been_alone_a_while() {
        let (_dir, store) = scratch_store().await;
        let shared = Arc::new(Shared::default());
        let queue = ThreadQueue(shared.clone(), store.blocking_appender().unwrap());
        assert!(
            !queue.claim(),
            "claimed before the thread saw a lone caller"
        );
        for _ in 0..CALM {
            shared.written(1, 0);
        }
        assert!(queue.claim());
        assert!(!queue.claim(), "claimed while another caller writes");
        // Another caller queues while this one writes: they have met, so the thread gathers
        // them both from now on (and is woken for the one queued).
        queue.push(job("late")).unwrap();
        let appended = queue.write_here(request("s1")).unwrap();
        assert_eq!((appended.seq, appended.stream_version), (1, 1));
        let mut pending = Vec::new();
        shared.take(&mut pending, 0, None);
        assert_eq!(pending.len(), 1);
        assert!(!queue.claim(), "claimed though two callers have just met");
        // Batches of two keep it so; a lone caller for a while again lets it write.
        shared.written(2, 0);
        for _ in 0..CALM - 1 {
            shared.written(1, 0);
        }
        assert!(!queue.claim());
        shared.written(1, 0);
        assert!(queue.claim());
        let mut second = request("s1");
        second.expected_version = 1;
        assert_eq!(queue.write_here(second).unwrap().stream_version, 2);
    }

    /// On a runtime of one thread, a caller blocking would stop every other task: it never
    /// writes on its own thread.
    #[tokio::test(flavor = "current_thread")]
    async fn a_single_threaded_runtime_always_hands_commands_to_the_writer_thread() {
        let shared = Arc::new(Shared::default());
        let queue = ThreadQueue(shared.clone(), unused_appender());
        for _ in 0..CALM {
            shared.written(1, 0);
        }
        assert!(!queue.claim());
    }

    /// A lone caller's commands, written first by the thread and then on the caller's own
    /// thread, form one gapless stream.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_callers_commands_are_written_in_order_either_way() {
        let (_dir, store) = scratch_store().await;
        let writer = Writer::start(Arc::new(store.clone()));
        for n in 0..(2 * i64::from(CALM)) {
            let mut req = request("s1");
            req.expected_version = n;
            let appended = writer.append(req).await.unwrap();
            assert_eq!((appended.seq, appended.stream_version), (n + 1, n + 1));
        }
        let Queue::Thread(queue) = &writer.queue else {
            panic!("SQLite writes on a thread of its own");
        };
        assert!(queue.0.state.lock().unwrap().calm >= CALM);
    }

    /// Many callers at once through the writer thread: each gets its own result, and the
    /// chain holds every one of them, in one unbroken sequence.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_each_get_their_own_acknowledgement() {
        let (_dir, store) = scratch_store().await;
        let writer = Writer::start(Arc::new(store.clone()));
        let callers = (0..8).map(|caller| {
            let writer = writer.clone();
            tokio::spawn(async move {
                let mut versions = Vec::new();
                for n in 0..25 {
                    let mut req = request(&format!("caller-{caller}"));
                    req.expected_version = n;
                    versions.push(writer.append(req).await.unwrap().stream_version);
                }
                versions
            })
        });
        for caller in callers {
            assert_eq!(caller.await.unwrap(), (1..=25).collect::<Vec<i64>>());
        }
        let chain = store.chain("p", 0, 1000).await.unwrap();
        assert_eq!(
            chain.iter().map(|l| l.seq).collect::<Vec<_>>(),
            (1..=200).collect::<Vec<i64>>()
        );
    }

    #[tokio::test]
    async fn every_caller_of_a_failed_batch_gets_an_error() {
        let (_dir, store) = scratch_store().await;
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
