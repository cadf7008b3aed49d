//! Several writers on one database, and a writer whose connection is cut under a batch.
//!
//! PostgreSQL's writer decides a batch in memory when it knows the chain head and stream
//! versions from its own last commit (`backend/postgres/mod.rs`). These stories check that what it
//! remembers never stands in for what is in the database: another instance moving the head,
//! and a connection lost before or after the server received the batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use parley_store::audit;
use parley_store::backend::PgStore;
use parley_store::rows::{Op, ProcedureRow};
use parley_store::{AppendRequest, Backend, Directory, EventLog, NewEvent, Store, StoreError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::backends;

const PARTNERSHIP: &str = "p";

/// What the proxy looks for in a batch it is to cut.
const MARK: &str = "cut-here";

fn request(stream: &str, expected_version: i64) -> AppendRequest {
    marked(stream, expected_version, "")
}

fn marked(stream: &str, expected_version: i64, note: &str) -> AppendRequest {
    AppendRequest {
        partnership_id: PARTNERSHIP.to_owned(),
        stream: stream.to_owned(),
        expected_version,
        partnership_version: None,
        events: vec![NewEvent {
            at_us: 1,
            kind: "note".to_owned(),
            actor: None,
            reason: None,
            payload: format!("{{\"after\":{expected_version},\"note\":\"{note}\"}}"),
        }],
        ops: Vec::new(),
        outbox: Vec::new(),
    }
}

/// Appends one request on its own; returns (chain position, stream version).
async fn append(store: &dyn Store, stream: &str, expected: i64) -> Result<(i64, i64), StoreError> {
    append_request(store, request(stream, expected)).await
}

async fn append_request(
    store: &dyn Store,
    request: AppendRequest,
) -> Result<(i64, i64), StoreError> {
    let mut results = store.append_batch(vec![request]).await?;
    let appended = results.pop().expect("one result")?;
    Ok((appended.seq, appended.stream_version))
}

/// Asserts the chain is intact and holds `n` events at positions 1..=n.
async fn assert_chain(store: &dyn Store, n: i64, backend: Backend) {
    let report = audit::verify(store).await.unwrap();
    assert!(report.is_intact(), "{backend:?}: {report:?}");
    let chain = store.chain(PARTNERSHIP, 0, 1000).await.unwrap();
    let seqs: Vec<i64> = chain.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "{backend:?}");
}

/// Two instances on one database take turns on the same chain: each writes on the head the
/// other left, and a command decided on a version the other has since moved is a conflict,
/// though the writer last saw that stream at the version the command names.
#[tokio::test]
async fn writers_sharing_a_database_each_write_on_the_head_the_other_left() {
    for db in backends().await {
        let a = db.store().await;
        let b = db.store().await;
        let backend = db.backend;
        assert_eq!(append(&*a, "s1", 0).await.unwrap(), (1, 1), "{backend:?}");
        assert_eq!(append(&*a, "s1", 1).await.unwrap(), (2, 2), "{backend:?}");
        // `a` now knows the head and s1; `b` moves the head.
        assert_eq!(append(&*b, "s2", 0).await.unwrap(), (3, 1), "{backend:?}");
        assert_eq!(append(&*a, "s1", 2).await.unwrap(), (4, 3), "{backend:?}");
        assert_eq!(append(&*a, "s1", 3).await.unwrap(), (5, 4), "{backend:?}");
        // `b` moves s1 itself: `a` last wrote s1 at version 4, but it is at 5 now.
        assert_eq!(append(&*b, "s1", 4).await.unwrap(), (6, 5), "{backend:?}");
        match append(&*a, "s1", 4).await {
            Err(StoreError::Conflict {
                stream,
                expected,
                actual,
            }) => assert_eq!((stream.as_str(), expected, actual), ("s1", 4, 5)),
            other => panic!("{backend:?}: {other:?}"),
        }
        // A stream `a` has never seen, named at a version it is not at.
        assert!(
            matches!(
                append(&*a, "s2", 0).await,
                Err(StoreError::Conflict { actual: 1, .. })
            ),
            "{backend:?}"
        );
        assert_eq!(append(&*a, "s1", 5).await.unwrap(), (7, 6), "{backend:?}");
        assert_chain(&*a, 7, backend).await;
    }
}

/// Two instances writing the same chain at once, several commands in flight on each: every
/// acknowledged append is there once, each stream's versions run without a gap, and the
/// chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_writing_one_chain_at_once_lose_and_break_nothing() {
    const STREAMS: usize = 4;
    const EACH: i64 = 60;
    for db in backends().await {
        let instances = [db.store().await, db.store().await];
        let mut tasks = Vec::new();
        for (i, store) in instances.iter().enumerate() {
            for s in 0..STREAMS {
                let store = store.clone();
                let stream = format!("i{i}-s{s}");
                tasks.push(tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for v in 0..EACH {
                        let (seq, version) = append(&*store, &stream, v).await.unwrap();
                        assert_eq!(version, v + 1);
                        seqs.push(seq);
                    }
                    seqs
                }));
            }
        }
        let mut acknowledged = Vec::new();
        for task in tasks {
            acknowledged.extend(task.await.unwrap());
        }
        acknowledged.sort_unstable();
        let total = i64::try_from(acknowledged.len()).unwrap();
        assert_eq!(
            acknowledged,
            (1..=total).collect::<Vec<_>>(),
            "{:?}",
            db.backend
        );
        assert_chain(&*instances[0], total, db.backend).await;
    }
}

/// The proxy passes everything on (it cuts the next connection that sends [`MARK`] when
/// switched to one of the others).
const PASS: u8 = 0;
/// Cut it without passing the message on: the server never sees the batch.
const CUT_BEFORE: u8 = 1;
/// Pass the message on, let the server answer (so it has committed), and cut before the
/// answer reaches the writer.
const CUT_AFTER: u8 = 2;
/// Cut the writer's side first, then pass the message on after a pause: the server receives
/// the batch after the writer has seen its connection go (a pause from [`late_pause`]).
const CUT_LATE: u8 = 3;

/// The pause of a `CUT_LATE` cut, varied so that the batch reaches the server at different
/// points of the writer's settling.
fn late_pause(n: u64) -> Duration {
    Duration::from_millis(n % 7 * 3)
}

/// A TCP proxy in front of PostgreSQL that can cut a connection under a batch. Returns its
/// port and the switch (`PASS`, `CUT_BEFORE`, `CUT_AFTER`; back to `PASS` once used).
async fn cutting_proxy(server: String) -> (u16, Arc<AtomicU8>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mode = Arc::new(AtomicU8::new(PASS));
    let switch = mode.clone();
    let late = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(&server).await.unwrap();
            tokio::spawn(relay(client, upstream, mode.clone(), late.clone()));
        }
    });
    (port, switch)
}

async fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    mode: Arc<AtomicU8>,
    late: Arc<AtomicU64>,
) {
    let (mut up, mut down) = ([0u8; 65536], [0u8; 65536]);
    // The end of the last chunk, so that a mark split across two reads is still seen.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        tokio::select! {
            n = client.read(&mut up) => {
                let Ok(n @ 1..) = n else { return };
                let mut seen = std::mem::take(&mut tail);
                seen.extend_from_slice(&up[..n]);
                let marked = seen.windows(MARK.len()).any(|w| w == MARK.as_bytes());
                tail = seen[seen.len().saturating_sub(MARK.len() - 1)..].to_vec();
                let cut = if marked { mode.swap(PASS, Ordering::SeqCst) } else { PASS };
                if cut == CUT_BEFORE {
                    return;
                }
                if cut == CUT_LATE {
                    drop(client);
                    tokio::time::sleep(late_pause(late.fetch_add(1, Ordering::SeqCst))).await;
                    if server.write_all(&up[..n]).await.is_ok() {
                        let _ = tokio::time::timeout(Duration::from_secs(10), server.read(&mut down)).await;
                    }
                    return;
                }
                if server.write_all(&up[..n]).await.is_err() {
                    return;
                }
                if cut == CUT_AFTER {
                    drop(client);
                    // Wait for the server's answer (or its end), which it sends once the
                    // transaction is over.
                    let _ = tokio::time::timeout(Duration::from_secs(10), server.read(&mut down)).await;
                    return;
                }
            }
            n = server.read(&mut down) => {
                let Ok(n @ 1..) = n else { return };
                if client.write_all(&down[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A connection lost under a batch sent in one round trip leaves its outcome unknown to the
/// writer, which settles it on a new connection: a batch the server committed is acknowledged
/// (not written twice, not reported as failed), and one it never received is written then.
/// Both single round trips are cut each way: the one statement (a batch of events only), and
/// the one message (a batch that also writes a procedure row).
#[tokio::test]
async fn a_batch_whose_connection_is_cut_is_settled_not_lost_or_doubled() {
    for db in backends().await {
        if db.backend != Backend::Postgres {
            continue; // SQLite has no connection to lose
        }
        let (credentials, rest) = db.url.split_once('@').unwrap();
        let (server, database) = rest.split_once('/').unwrap();
        let (port, switch) = cutting_proxy(server.to_owned()).await;
        let through = format!("{credentials}@127.0.0.1:{port}/{database}");
        let store = PgStore::open(&through).await.unwrap();
        let mut version = 0;
        let mut cuts = vec![
            (CUT_AFTER, false),
            (CUT_BEFORE, false),
            (CUT_AFTER, true),
            (CUT_BEFORE, true),
        ];
        // The batch reaching the server late, at each pause twice over.
        for _ in 0..14 {
            cuts.extend([(CUT_LATE, false), (CUT_LATE, true)]);
        }
        for (n, &(cut, as_message)) in (1..).zip(&cuts) {
            // Two plain appends: the writer reads first (it forgets after a cut), then knows.
            for _ in 0..2 {
                version += 1;
                assert_eq!(append(&store, "s1", version - 1).await.unwrap().1, version);
            }
            let mut request = marked("s1", version, MARK);
            if as_message {
                request.ops.push(Op::Procedure(ProcedureRow {
                    partnership_id: PARTNERSHIP.to_owned(),
                    version: n,
                    procedure_id: "x".to_owned(),
                    source: String::new(),
                    sha256: String::new(),
                    adopted_at_us: 1,
                }));
            }
            switch.store(cut, Ordering::SeqCst);
            version += 1;
            let appended = append_request(&store, request).await;
            let case = format!("cut {cut}, as a message: {as_message}");
            assert_eq!(appended.unwrap().1, version, "{case}");
            assert_eq!(switch.load(Ordering::SeqCst), PASS, "{case}: no cut");
            let stored = store.stream_version(PARTNERSHIP, "s1").await.unwrap();
            assert_eq!(stored, version, "{case}");
        }
        let with_procedure = cuts.iter().filter(|(_, as_message)| *as_message).count();
        assert_eq!(
            store.procedures(PARTNERSHIP).await.unwrap().len(),
            with_procedure
        );
        assert_chain(&store, version, db.backend).await;
        store.close().await;
    }
}
