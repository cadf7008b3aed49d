//! Both backends' migrations describe the same tables, columns and indexes, with the same
//! versions.

use std::collections::BTreeSet;

use parley_store::Backend;

use super::backends;

#[test]
fn both_migration_directories_have_the_same_versions_and_names() {
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let mut shapes = Vec::new();
    for db in backends().await {
        let columns: BTreeSet<(String, String)> = match db.backend {
            Backend::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect(&db.url)
                    .await
                    .unwrap();
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%'",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect()
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%'",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect()
            }
        };
        assert!(
            columns.contains(&("events".to_owned(), "hash".to_owned())),
            "{columns:?}"
        );
        shapes.push(columns);
    }
    for other in &shapes[1..] {
        let only_first: Vec<_> = shapes[0].difference(other).collect();
        let only_other: Vec<_> = other.difference(&shapes[0]).collect();
        assert!(
            only_first.is_empty() && only_other.is_empty(),
            "sqlite only: {only_first:?}\npostgres only: {only_other:?}"
        );
    }
}

/// The indexes a migration creates (not those behind a primary key or a UNIQUE constraint,
/// which the table columns test already covers): the same names, on the same columns in the
/// same order, on both backends.
#[tokio::test]
async fn both_backends_have_the_same_indexes() {
    let mut shapes = Vec::new();
    for db in backends().await {
        let indexes: BTreeSet<(String, String, String)> = match db.backend {
            Backend::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect(&db.url)
                    .await
                    .unwrap();
                sqlx::query_as(
                    "SELECT m.tbl_name, m.name, \
                     (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(m.name) ORDER BY seqno)) \
                     FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect()
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                sqlx::query_as(
                    "SELECT t.relname::text, c.relname::text, \
                     (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) \
                      FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) \
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
                     JOIN pg_namespace s ON s.oid = t.relnamespace \
                     WHERE s.nspname = 'public' AND t.relname NOT LIKE '\\_%' \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
                .into_iter()
                .collect()
            }
        };
        for expected in [
            ("sessions", "sessions_person", "person_id"),
            ("sessions", "sessions_expiry", "expires_at_us"),
            ("escalations", "escalations_raised_by", "raised_by"),
            (
                "escalations",
                "escalations_partnership_stage",
                "partnership_id,current_stage",
            ),
        ] {
            let expected = (
                expected.0.to_owned(),
                expected.1.to_owned(),
                expected.2.to_owned(),
            );
            assert!(
                indexes.contains(&expected),
                "{:?}: {expected:?} missing from {indexes:?}",
                db.backend
            );
        }
        shapes.push(indexes);
    }
    for other in &shapes[1..] {
        let only_first: Vec<_> = shapes[0].difference(other).collect();
        let only_other: Vec<_> = other.difference(&shapes[0]).collect();
        assert!(
            only_first.is_empty() && only_other.is_empty(),
            "sqlite only: {only_first:?}\npostgres only: {only_other:?}"
        );
    }
}

/// Tables that are not projections: the log and its heads, the outbox, the web's security
/// state and the delivery state. Every other table is a query table that `audit verify` must
/// compare with the events.
const NOT_PROJECTIONS: [&str; 8] = [
    "events",
    "chain_heads",
    "outbox",
    "accounts",
    "sessions",
    "api_tokens",
    "deliveries",
    "mail_preferences",
];

/// `audit verify` compares every query table, every column of it, with the events: a table
/// or column added by a migration and missing from `consistency::TABLES` fails here.
#[tokio::test]
async fn the_consistency_check_covers_every_projection_table_and_column() {
    let db = backends().await.remove(0);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(&db.url)
        .await
        .unwrap();
    let stored: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .filter(|(t, _): &(String, String)| !NOT_PROJECTIONS.contains(&t.as_str()))
    .collect();
    let checked: BTreeSet<(String, String)> = parley_store::consistency::TABLES
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .map(|(c, _)| (t.name.to_owned(), (*c).to_owned()))
        })
        .collect();
    assert_eq!(stored, checked);
}
