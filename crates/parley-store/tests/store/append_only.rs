//! Events cannot be changed or removed through the application's own connection: SQLite's
//! triggers refuse UPDATE, DELETE, INSERT OR REPLACE and REPLACE INTO; on PostgreSQL the
//! application's role has only SELECT and INSERT on the event log (and the owner meets a
//! trigger).

use parley_store::Backend;
use parley_store::records::Actor;

use super::stories::{raise_input, world};
use super::{at, backends};

#[tokio::test]
async fn the_event_log_refuses_every_change() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        records
            .raise(
                at(10),
                &Actor::person(&w.teacher),
                &w.partnership,
                raise_input(&w, "none"),
            )
            .await
            .unwrap();
        let p = &w.partnership;
        match db.backend {
            Backend::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect(&db.url)
                    .await
                    .unwrap();
                let attempts = [
                    format!(
                        "UPDATE events SET payload = '{{}}' WHERE partnership_id = '{p}' AND seq = 2"
                    ),
                    format!("DELETE FROM events WHERE partnership_id = '{p}' AND seq = 2"),
                    format!("DELETE FROM events WHERE partnership_id = '{p}'"),
                    format!(
                        "INSERT OR REPLACE INTO events SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, \
                         reason, '{{}}', salt, content_hash, prev_hash, hash FROM events WHERE partnership_id = '{p}' AND seq = 2"
                    ),
                    format!(
                        "REPLACE INTO events SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, \
                         reason, '{{}}', salt, content_hash, prev_hash, hash FROM events WHERE partnership_id = '{p}' AND seq = 2"
                    ),
                    format!(
                        "INSERT INTO events SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, \
                         payload, salt, content_hash, prev_hash, hash FROM events WHERE partnership_id = '{p}' AND seq = 2 \
                         ON CONFLICT DO UPDATE SET payload = '{{}}'"
                    ),
                    // Skipping ahead in the chain is refused too.
                    format!(
                        "INSERT INTO events SELECT partnership_id, seq + 100, stream, stream_version + 100, at_us, kind, actor, \
                         reason, payload, salt, content_hash, prev_hash, hash FROM events WHERE partnership_id = '{p}' AND seq = 2"
                    ),
                ];
                for sql in attempts {
                    let err = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&pool)
                        .await
                        .err();
                    let message = err.map(|e| e.to_string()).unwrap_or_default();
                    assert!(
                        message.contains("append-only"),
                        "not refused: {sql}\n{message}"
                    );
                }
            }
            Backend::Postgres => {
                let app = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.url)
                    .await
                    .unwrap();
                for sql in [
                    format!("UPDATE events SET payload = '{{}}' WHERE partnership_id = '{p}'"),
                    format!("DELETE FROM events WHERE partnership_id = '{p}'"),
                    "TRUNCATE events".to_owned(),
                    "ALTER TABLE events DISABLE TRIGGER ALL".to_owned(),
                    "DROP TABLE events".to_owned(),
                ] {
                    let message = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&app)
                        .await
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(
                        message.contains("permission denied") || message.contains("must be owner"),
                        "app role not refused: {sql}\n{message}"
                    );
                }
                // The owner is refused by the trigger (only a superuser could get round it;
                // the hash chain and signed checkpoints catch that).
                let owner = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                for sql in [
                    format!("UPDATE events SET payload = '{{}}' WHERE partnership_id = '{p}'"),
                    format!("DELETE FROM events WHERE partnership_id = '{p}'"),
                    "TRUNCATE events".to_owned(),
                ] {
                    let message = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&owner)
                        .await
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(
                        message.contains("append-only"),
                        "owner not refused: {sql}\n{message}"
                    );
                }
            }
        }
        // Nothing changed: the chain is as written.
        let chain = records.store().chain(p, 0, 100).await.unwrap();
        let mut verifier = parley_store::chain::Verifier::default();
        for link in &chain {
            verifier.check(link).unwrap();
        }
        assert_eq!(verifier.head().0, chain.len() as i64);
    }
}
