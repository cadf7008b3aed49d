//! Whatever text an append carries comes back exactly as it went in, on both backends. Every
//! value is bound as a parameter (on PostgreSQL as arrays, `backend/postgres/batch.rs`), never
//! written into SQL text; this keeps the proof of it: quotes, backslashes, dollar signs,
//! statement separators and any Unicode, through the real server, by each way a batch is
//! written (the first read first, the rest decided in memory).

use parley_store::rows::{AgencyRow, Op, PartnershipRow};
use parley_store::{AppendRequest, Backend, NewEvent, StoreError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::backends;

/// Pieces that would break text spliced into SQL.
const AWKWARD: &[&str] = &[
    "'",
    "''",
    "\\",
    "\\'",
    "E'",
    "\\x41",
    "$1",
    "$$",
    "$tag$",
    ";",
    "--",
    "/*",
    "*/",
    "');DROP TABLE events;--",
    "\r\n",
    "\t",
    "%",
    "_",
    "\u{2028}",
    "é",
    "😀",
    "\u{feff}",
];

/// Text built from awkward pieces and arbitrary characters (NUL aside: see the test below).
fn awkward_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(AWKWARD).prop_map(str::to_owned),
            any::<String>(),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat().replace('\0', ""))
}

fn request(partnership: &str, stream: String, texts: &[String], ops: Vec<Op>) -> AppendRequest {
    AppendRequest {
        partnership_id: partnership.to_owned(),
        stream,
        expected_version: 0,
        partnership_version: None,
        events: vec![NewEvent {
            at_us: 1,
            kind: "agency-added".to_owned(),
            actor: Some(texts[0].clone()),
            reason: Some(texts[1].clone()),
            payload: texts[2].clone(),
        }],
        ops,
        outbox: Vec::new(),
    }
}

fn partnership(id: &str, name: &str) -> Op {
    Op::Partnership(PartnershipRow {
        id: id.to_owned(),
        name: name.to_owned(),
        short_name: None,
        procedure_id: "p".to_owned(),
        procedure_version: 1,
        closure_days: Vec::new(),
        created_at_us: 1,
    })
}

#[tokio::test]
async fn any_text_is_stored_exactly() {
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(awkward_text(), 5);
    // Cases drawn up front (the store is async); 8 batches of 8 commands.
    let cases: Vec<Vec<String>> = (0..64)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    for db in backends().await {
        let store = db.store().await;
        let mut first = request("p", "partnership".to_owned(), &cases[0], Vec::new());
        first.ops.push(partnership("p", &cases[0][3]));
        store
            .append_batch(vec![first])
            .await
            .unwrap()
            .remove(0)
            .unwrap();
        for (b, chunk) in cases.chunks(8).enumerate() {
            let batch = chunk
                .iter()
                .enumerate()
                .map(|(i, texts)| {
                    let id = format!("a{b}-{i}");
                    let op = Op::Agency(AgencyRow {
                        id: id.clone(),
                        partnership_id: "p".to_owned(),
                        name: texts[3].clone(),
                        sector: texts[4].clone(),
                    });
                    request("p", id, texts, vec![op])
                })
                .collect();
            for result in store.append_batch(batch).await.unwrap() {
                result.unwrap();
            }
        }
        // Two commands renaming one agency: two writes of the table in one transaction (the
        // second way on PostgreSQL), the later name kept.
        let renames = (0..2)
            .map(|i| {
                let texts = &cases[8 + i];
                let op = Op::Agency(AgencyRow {
                    id: "a0-0".to_owned(),
                    partnership_id: "p".to_owned(),
                    name: texts[3].clone(),
                    sector: texts[4].clone(),
                });
                request("p", format!("rename-{i}"), texts, vec![op])
            })
            .collect();
        for result in store.append_batch(renames).await.unwrap() {
            result.unwrap();
        }
        let streams: Vec<String> = (0..8)
            .flat_map(|b| (0..8).map(move |i| format!("a{b}-{i}")))
            .collect();
        let events = store.stream_events("p", &streams).await.unwrap();
        let agencies = store.agencies("p").await.unwrap();
        for (n, texts) in cases.iter().enumerate() {
            let id = format!("a{}-{}", n / 8, n % 8);
            let e = events.iter().find(|l| l.stream == id).unwrap();
            let what = format!("{:?}: case {n} {texts:?}", db.backend);
            assert_eq!(e.actor.as_deref(), Some(texts[0].as_str()), "{what}");
            assert_eq!(e.reason.as_deref(), Some(texts[1].as_str()), "{what}");
            assert_eq!(e.payload.as_deref(), Some(texts[2].as_str()), "{what}");
            // The first agency was renamed last by case 9.
            let named = if n == 0 { &cases[9] } else { texts };
            let a = agencies.iter().find(|a| a.id == id).unwrap();
            assert_eq!((&a.name, &a.sector), (&named[3], &named[4]), "{what}");
        }
        let renames = ["rename-0".to_owned(), "rename-1".to_owned()];
        let events = store.stream_events("p", &renames).await.unwrap();
        for (i, stream) in renames.iter().enumerate() {
            let texts = &cases[8 + i];
            let e = events.iter().find(|l| &l.stream == stream).unwrap();
            let what = format!("{:?}: rename {i} {texts:?}", db.backend);
            assert_eq!(e.actor.as_deref(), Some(texts[0].as_str()), "{what}");
            assert_eq!(e.reason.as_deref(), Some(texts[1].as_str()), "{what}");
            assert_eq!(e.payload.as_deref(), Some(texts[2].as_str()), "{what}");
        }
        assert_eq!(store.partnerships().await.unwrap()[0].name, cases[0][3]);
        let report = parley_store::audit::verify(&*store).await.unwrap();
        assert!(report.first_break().is_none(), "{:?}", db.backend);
    }
}

/// PostgreSQL cannot store text holding NUL: such a command is refused on its own, and the
/// rest of its batch is written. SQLite stores it as given.
#[tokio::test]
async fn text_holding_nul_takes_only_its_own_command_out() {
    for db in backends().await {
        let store = db.store().await;
        let plain = vec!["a".to_owned(); 5];
        let mut first = request("p", "partnership".to_owned(), &plain, Vec::new());
        first.ops.push(partnership("p", "P"));
        let nul = vec!["a\0b".to_owned(); 5];
        let results = store
            .append_batch(vec![
                first,
                request("p", "s1".to_owned(), &nul, Vec::new()),
                request("p", "s2".to_owned(), &plain, Vec::new()),
            ])
            .await
            .unwrap();
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        match db.backend {
            Backend::Postgres => assert!(
                matches!(results[1], Err(StoreError::Invalid(_))),
                "{results:?}"
            ),
            Backend::Sqlite => assert!(results[1].is_ok(), "{results:?}"),
        }
        let report = parley_store::audit::verify(&*store).await.unwrap();
        assert!(report.first_break().is_none(), "{:?}", db.backend);
    }
}
