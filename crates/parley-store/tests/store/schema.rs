//! Both backends' migrations describe the same tables and columns, with the same versions.

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
