//! Tamper evidence, tried for real: each test changes the database behind Parley's back (as
//! someone with the database files or the owner's password could) and checks that
//! `audit::verify`, or a signed checkpoint taken before, names what was done.
//!
//! SQLite: a plain connection to the file, with the append-only triggers dropped first.
//! PostgreSQL: the owner's connection, with the table's triggers disabled first.

use std::sync::Arc;

use parley_core::escalation::Event;
use parley_store::audit::{self, AuditKey, Checkpoint, Finding, Problem, Report};
use parley_store::backend::{PgStore, SqliteStore};
use parley_store::chain::{self, Break, Content, Fixed, Link};
use parley_store::records::{Actor, Records};
use parley_store::{Backend, Store};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};

use super::stories::{raise_input, world};
use super::{TestDb, at, backends, with_database};

/// Events each partnership of `history` has: created, procedure adopted, two agencies, two
/// people, an escalation raised, then escalated.
const EVENTS: i64 = 8;

/// Two partnerships with `EVENTS` events each. Returns their ids, in chain (id) order.
async fn history(records: &Records) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(partnership(records).await);
    }
    ids.sort();
    ids
}

async fn partnership(records: &Records) -> String {
    let w = world(records, "solihull").await;
    let teacher = Actor::person(&w.teacher);
    let raised = records
        .raise(at(10), &teacher, &w.partnership, raise_input(&w, "none"))
        .await
        .unwrap();
    records
        .act(at(20), &teacher, &raised.id, 1, &Event::Escalated, None)
        .await
        .unwrap();
    w.partnership
}

/// A connection that can change the event log: the owner, with the guards taken down.
pub(crate) enum Owner {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

impl Owner {
    pub(crate) async fn connect(db: &TestDb) -> Owner {
        match db.backend {
            Backend::Sqlite => {
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                let triggers: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                assert!(!triggers.is_empty(), "no append-only triggers to drop");
                for name in triggers {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                Owner::Sqlite(pool)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                sqlx::query("ALTER TABLE events DISABLE TRIGGER USER")
                    .execute(&pool)
                    .await
                    .unwrap();
                Owner::Pg(pool)
            }
        }
    }

    pub(crate) async fn exec(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Owner::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            Owner::Pg(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    /// Rewrites an event's content and hashes as they are in `link`.
    async fn rewrite(&self, link: &Link) {
        const SQL: &str = "UPDATE events SET payload = $3, content_hash = $4, prev_hash = $5, hash = $6 \
                           WHERE partnership_id = $1 AND seq = $2";
        let affected = match self {
            Owner::Sqlite(pool) => sqlx::query(SQL)
                .bind(&link.partnership_id)
                .bind(link.seq)
                .bind(&link.payload)
                .bind(&link.content_hash)
                .bind(&link.prev_hash)
                .bind(&link.hash)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            Owner::Pg(pool) => sqlx::query(SQL)
                .bind(&link.partnership_id)
                .bind(link.seq)
                .bind(&link.payload)
                .bind(&link.content_hash)
                .bind(&link.prev_hash)
                .bind(&link.hash)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(affected, 1);
    }

    /// Points `chain_heads` at the chain's last event, as the tamperer would to hide a deletion.
    async fn fix_head(&self, p: &str) {
        let n = self
            .exec(&format!(
                "UPDATE chain_heads SET \
                 seq = (SELECT MAX(seq) FROM events WHERE partnership_id = '{p}'), \
                 hash = (SELECT hash FROM events WHERE partnership_id = '{p}' ORDER BY seq DESC LIMIT 1) \
                 WHERE partnership_id = '{p}'"
            ))
            .await;
        assert_eq!(n, 1);
    }

    pub(crate) async fn close(self) {
        match self {
            Owner::Sqlite(pool) => pool.close().await,
            Owner::Pg(pool) => pool.close().await,
        }
    }
}

/// Verifies, and returns the report with the first break's partnership and problem.
async fn first_break(store: &dyn Store) -> (Report, Option<(String, Problem)>) {
    let report = audit::verify(store).await.unwrap();
    let first = report
        .first_break()
        .map(|(c, p)| (c.partnership_id.clone(), p.clone()));
    (report, first)
}

pub(crate) async fn checkpoint(store: &dyn Store, key: &AuditKey) -> Checkpoint {
    let report = audit::verify(store).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    Checkpoint::sign(report.heads(), at(100), key).unwrap()
}

/// Asserts a chain breaks exactly as expected and that the message names the event.
#[track_caller]
fn assert_named(found: Option<(String, Problem)>, p: &str, expected: Break, db: &TestDb) {
    let (partnership, problem) = found.unwrap_or_else(|| panic!("{:?}: not detected", db.backend));
    assert_eq!(partnership, p, "{:?}", db.backend);
    let seq = expected.seq();
    assert_eq!(problem, Problem::Break(expected), "{:?}", db.backend);
    assert!(
        problem.to_string().starts_with(&format!("event {seq}:")),
        "{problem}"
    );
}

#[tokio::test]
async fn an_intact_database_verifies_with_and_without_its_checkpoint() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let store = records.store().as_ref();
        let report = audit::verify(store).await.unwrap();
        assert!(report.is_intact(), "{:?}: {report:?}", db.backend);
        assert_eq!(report.chains.len(), 2);
        for (chain, id) in report.chains.iter().zip(&ids) {
            assert_eq!(&chain.partnership_id, id);
            assert_eq!((chain.events, chain.purged), (EVENTS as u64, 0));
            assert_eq!(chain.head.unwrap().seq, EVENTS);
        }
        // The heads are the ones the store recorded.
        let mut recorded = store.chain_heads().await.unwrap();
        recorded.sort();
        let heads = report.heads();
        assert_eq!(recorded.len(), heads.len());
        for ((id, seq, hash), head) in recorded.iter().zip(&heads) {
            assert_eq!(
                (id, *seq, &hash[..]),
                (&head.partnership_id, head.seq, &head.hash[..])
            );
        }

        let key = AuditKey::generate().unwrap();
        let c = checkpoint(store, &key).await;
        let c = Checkpoint::from_json(&c.to_json()).unwrap();
        let findings = audit::verify_against(store, &c, &key.public_key())
            .await
            .unwrap();
        assert_eq!(findings, vec![], "{:?}", db.backend);

        // Later events do not trouble an earlier checkpoint.
        partnership(&records).await;
        let findings = audit::verify_against(store, &c, &key.public_key())
            .await
            .unwrap();
        assert_eq!(findings, vec![], "{:?}", db.backend);
        assert!(audit::verify(store).await.unwrap().is_intact());
    }
}

#[tokio::test]
async fn an_edited_payload_is_named() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[1];
        let owner = Owner::connect(&db).await;
        let n = owner
            .exec(&format!(
                "UPDATE events SET payload = REPLACE(payload, 'Oak Primary', 'Elm Primary') \
                 WHERE partnership_id = '{p}' AND seq = 3"
            ))
            .await;
        assert_eq!(n, 1);
        owner.close().await;
        let (report, found) = first_break(records.store().as_ref()).await;
        assert_named(found, p, Break::Content { seq: 3 }, &db);
        // The other chain is still intact, and the broken one verified up to the break.
        assert!(report.chains[0].problem.is_none());
        assert_eq!(report.chains[1].events, 2);
    }
}

#[tokio::test]
async fn a_deleted_event_is_named() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[0];
        let owner = Owner::connect(&db).await;
        let n = owner
            .exec(&format!(
                "DELETE FROM events WHERE partnership_id = '{p}' AND seq = 4"
            ))
            .await;
        assert_eq!(n, 1);
        owner.close().await;
        let (_, found) = first_break(records.store().as_ref()).await;
        assert_named(
            found,
            p,
            Break::Sequence {
                seq: 5,
                expected: 4,
            },
            &db,
        );
    }
}

#[tokio::test]
async fn swapped_events_are_named() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[0];
        let owner = Owner::connect(&db).await;
        // Exchange the sequence numbers of events 4 and 5 (through a free number, since the
        // primary key is checked row by row).
        for (from, to) in [(4, -4), (5, 4), (-4, 5)] {
            let n = owner
                .exec(&format!(
                    "UPDATE events SET seq = {to} WHERE partnership_id = '{p}' AND seq = {from}"
                ))
                .await;
            assert_eq!(n, 1);
        }
        owner.close().await;
        let (_, found) = first_break(records.store().as_ref()).await;
        assert_named(found, p, Break::Link { seq: 4 }, &db);
    }
}

#[tokio::test]
async fn an_event_moved_before_the_chain_is_not_skipped() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[0];
        let owner = Owner::connect(&db).await;
        owner
            .exec(&format!(
                "UPDATE events SET seq = -1 WHERE partnership_id = '{p}' AND seq = {EVENTS}"
            ))
            .await;
        owner.fix_head(p).await;
        owner.close().await;
        let (_, found) = first_break(records.store().as_ref()).await;
        assert_named(
            found,
            p,
            Break::Sequence {
                seq: -1,
                expected: 1,
            },
            &db,
        );
    }
}

#[tokio::test]
async fn deleted_newest_events_are_caught_by_the_recorded_head_or_a_checkpoint() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[1];
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let before = checkpoint(store, &key).await;

        let owner = Owner::connect(&db).await;
        let n = owner
            .exec(&format!(
                "DELETE FROM events WHERE partnership_id = '{p}' AND seq > {}",
                EVENTS - 2
            ))
            .await;
        assert_eq!(n, 2);
        // Left as it was, the recorded head gives the deletion away, naming the first
        // missing event.
        let (_, found) = first_break(store).await;
        let (partnership, problem) = found.unwrap();
        assert_eq!(&partnership, p);
        assert!(
            matches!(problem, Problem::HeadMismatch { .. }),
            "{problem:?}"
        );
        assert_eq!(problem.seq(), EVENTS - 1);
        assert!(
            problem
                .to_string()
                .starts_with(&format!("event {}: missing", EVENTS - 1)),
            "{problem}"
        );

        // With the head moved back too, the chain agrees with itself...
        owner.fix_head(p).await;
        owner.close().await;
        let (report, found) = first_break(store).await;
        assert_eq!(found, None, "{:?}", db.backend);
        assert_eq!(report.chains[1].head.unwrap().seq, EVENTS - 2);
        // ...and only the checkpoint shows what was lost.
        let findings = audit::verify_against(store, &before, &key.public_key())
            .await
            .unwrap();
        assert_eq!(
            findings,
            vec![Finding::EventMissing {
                partnership_id: p.clone(),
                seq: EVENTS
            }],
            "{:?}",
            db.backend
        );
    }
}

#[tokio::test]
async fn a_chain_recomputed_after_an_edit_is_caught_by_a_checkpoint() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[0];
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let before = checkpoint(store, &key).await;

        // Edit event 3 and recompute every hash from there on, as someone who knows the
        // hashing scheme (it is no secret) would.
        let mut links = store.chain(p, 0, 1000).await.unwrap();
        assert_eq!(links.len() as i64, EVENTS);
        let edited = links[2]
            .payload
            .as_deref()
            .unwrap()
            .replace("Oak Primary", "Elm Primary");
        assert_ne!(Some(edited.as_str()), links[2].payload.as_deref());
        links[2].payload = Some(edited);
        let owner = Owner::connect(&db).await;
        let mut prev = links[1].hash.clone();
        for link in &mut links[2..] {
            let content = Content {
                actor: link.actor.as_deref(),
                reason: link.reason.as_deref(),
                payload: link.payload.as_deref().unwrap(),
            };
            link.content_hash =
                chain::content_hash(link.salt.as_deref().unwrap(), content).to_vec();
            link.prev_hash = prev;
            let fixed = Fixed {
                partnership_id: &link.partnership_id,
                seq: link.seq,
                stream: &link.stream,
                stream_version: link.stream_version,
                at_us: link.at_us,
                kind: &link.kind,
            };
            link.hash = chain::event_hash(&link.prev_hash, fixed, &link.content_hash).to_vec();
            prev = link.hash.clone();
            owner.rewrite(link).await;
        }
        owner.fix_head(p).await;
        owner.close().await;

        let (_, found) = first_break(store).await;
        assert_eq!(
            found, None,
            "{:?}: the rewrite should be self-consistent",
            db.backend
        );
        let findings = audit::verify_against(store, &before, &key.public_key())
            .await
            .unwrap();
        assert_eq!(
            findings,
            vec![Finding::HashDiffers {
                partnership_id: p.clone(),
                seq: EVENTS
            }],
            "{:?}",
            db.backend
        );
    }
}

/// A store of one backend whose connections the test can close.
enum Live {
    Sqlite(SqliteStore),
    Pg(PgStore),
}

impl Live {
    async fn open(backend: Backend, url: &str) -> (Live, Records) {
        let (live, store): (Live, Arc<dyn Store>) = match backend {
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap();
                let s = SqliteStore::open(path).await.unwrap();
                (Live::Sqlite(s.clone()), Arc::new(s))
            }
            Backend::Postgres => {
                let s = PgStore::open(url).await.unwrap();
                (Live::Pg(s.clone()), Arc::new(s))
            }
        };
        (live, Records::new(store))
    }

    async fn close(self, records: Records) {
        drop(records);
        match self {
            Live::Sqlite(s) => s.close().await,
            Live::Pg(s) => s.close().await,
        }
    }
}

#[tokio::test]
async fn a_restored_older_backup_is_caught_by_a_checkpoint() {
    for db in backends().await {
        let (live, records) = Live::open(db.backend, &db.url).await;
        let ids = history(&records).await;
        let p = &ids[0];

        // The backup, taken the way each backend's operators would.
        let (live, records, backup_url) = match live {
            Live::Sqlite(s) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(s.pool())
                    .await
                    .unwrap();
                let path = db.path.as_ref().unwrap();
                let copy = path.with_extension("backup");
                std::fs::copy(path, &copy).unwrap();
                (
                    Live::Sqlite(s),
                    records,
                    format!("sqlite://{}", copy.display()),
                )
            }
            Live::Pg(s) => {
                // A template database must have no other connections.
                Live::Pg(s).close(records).await;
                let (base, name) = db.owner_url.rsplit_once('/').unwrap();
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&format!("{base}/postgres"))
                    .await
                    .unwrap();
                let copy = format!("{name}_backup");
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {copy} TEMPLATE {name}"
                )))
                .execute(&admin)
                .await
                .unwrap();
                admin.close().await;
                let (live, records) = Live::open(db.backend, &db.url).await;
                (live, records, with_database(&db.url, &copy))
            }
        };

        // Life goes on: another event in the first partnership and a new partnership; then a
        // checkpoint.
        assert_eq!(records.store().partnerships().await.unwrap().len(), 2);
        records
            .add_agency(at(30), &Actor::SYSTEM, p, "Community Health", "health")
            .await
            .unwrap();
        let newer = partnership(&records).await;
        let key = AuditKey::generate().unwrap();
        let later = checkpoint(records.store().as_ref(), &key).await;
        assert_eq!(later.chains.len(), 3);
        live.close(records).await;

        // The older copy is put back (SQLite) or used in place of the database (PostgreSQL).
        let restored_url = match db.backend {
            Backend::Sqlite => {
                let path = db.path.as_ref().unwrap();
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                let copy = backup_url.strip_prefix("sqlite://").unwrap();
                std::fs::copy(copy, path).unwrap();
                db.url.clone()
            }
            Backend::Postgres => backup_url,
        };
        let (live, records) = Live::open(db.backend, &restored_url).await;
        let store = records.store().as_ref();
        // The backup agrees with itself...
        let (report, found) = first_break(store).await;
        assert_eq!(found, None, "{:?}", db.backend);
        assert_eq!(report.chains.len(), 2);
        // ...but not with the checkpoint.
        let mut findings = audit::verify_against(store, &later, &key.public_key())
            .await
            .unwrap();
        findings.sort_by_key(|f| f.to_string());
        let mut expected = vec![
            Finding::EventMissing {
                partnership_id: p.clone(),
                seq: EVENTS + 1,
            },
            Finding::ChainMissing {
                partnership_id: newer,
                seq: EVENTS,
            },
        ];
        expected.sort_by_key(|f| f.to_string());
        assert_eq!(findings, expected, "{:?}", db.backend);
        live.close(records).await;
    }
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_refused() {
    for db in backends().await {
        let records = db.records().await;
        history(&records).await;
        let store = records.store().as_ref();
        let trusted = AuditKey::generate().unwrap();
        let other = AuditKey::generate().unwrap();
        let c = checkpoint(store, &other).await;
        let findings = audit::verify_against(store, &c, &trusted.public_key())
            .await
            .unwrap();
        assert_eq!(
            findings,
            vec![Finding::UntrustedSigner {
                signer: other.public_key().to_string(),
                trusted: trusted.public_key().to_string(),
            }]
        );
    }
}

#[tokio::test]
async fn an_edited_checkpoint_file_is_refused() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let c = checkpoint(store, &key).await;
        let text = c.to_json();
        let seq_line = format!("\"seq\": {EVENTS}");
        let earlier = hex::encode(&store.chain(&ids[0], EVENTS - 2, 1).await.unwrap()[0].hash);
        let original = hex::encode(c.chains[0].hash);
        // Each edit describes a chain that really is in the database: only the signature can
        // tell that the file was changed.
        let edits = [
            text.replacen(&seq_line, &format!("\"seq\": {}", EVENTS - 1), 1),
            text.replacen(&seq_line, &format!("\"seq\": {}", EVENTS - 1), 1)
                .replacen(&original, &earlier, 1),
            text.replace("2026-12-21T10:40:00Z", "2026-12-21T10:41:00Z"),
        ];
        for edited in edits {
            assert_ne!(edited, text);
            let edited = Checkpoint::from_json(&edited).unwrap();
            let findings = audit::verify_against(store, &edited, &key.public_key())
                .await
                .unwrap();
            assert_eq!(findings, vec![Finding::BadSignature], "{:?}", db.backend);
        }
    }
}

#[tokio::test]
async fn content_emptied_behind_parleys_back_is_named_even_under_a_checkpoint() {
    for db in backends().await {
        let records = db.records().await;
        let ids = history(&records).await;
        let p = &ids[0];
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let before = checkpoint(store, &key).await;

        // Content and salt gone, with no purge record: erased, not purged.
        let owner = Owner::connect(&db).await;
        let n = owner
            .exec(&format!(
                "UPDATE events SET payload = NULL, salt = NULL, actor = NULL, reason = NULL \
                 WHERE partnership_id = '{p}' AND seq = 7"
            ))
            .await;
        assert_eq!(n, 1);
        let (report, found) = first_break(store).await;
        let (partnership, problem) = found.expect("an erased event passed verify");
        assert_eq!(&partnership, p, "{:?}", db.backend);
        assert_eq!(problem, Problem::UnrecordedPurge { seqs: vec![7] });
        assert!(problem.to_string().starts_with("event 7:"), "{problem}");
        assert_eq!(report.chains[0].purged, 1);
        // The checkpoint cannot see content (it holds hashes): verify is what catches it.
        let findings = audit::verify_against(store, &before, &key.public_key())
            .await
            .unwrap();
        assert_eq!(findings, vec![]);

        // Content removed but its salt kept (or the other way round) is not a purge either.
        owner
            .exec(&format!(
                "UPDATE events SET payload = NULL WHERE partnership_id = '{p}' AND seq = 5"
            ))
            .await;
        owner.close().await;
        let (_, found) = first_break(store).await;
        assert_named(found, p, Break::PartialPurge { seq: 5 }, &db);
    }
}
