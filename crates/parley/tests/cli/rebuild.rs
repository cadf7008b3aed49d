//! `parley admin rebuild-projections` on a SQLite file: the record of who led each stage of
//! each escalation (`escalation_officers`) comes back row for row from the events, also after
//! an officer was replaced while escalations were at their stage, and after the table was
//! emptied or filled with rows the events never gave.

use std::path::Path;
use std::sync::Arc;

use parley_store::Directory;
use parley_store::backend::SqliteStore;
use parley_store::records::{Actor, Records};
use sqlx::sqlite::SqlitePoolOptions;

use super::parley_in;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

type Row = (String, String, i64, String, String, i64);

/// Every row of the record, in one order.
fn record(db: &Path) -> Vec<Row> {
    let url = format!("sqlite://{}", db.display());
    block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let rows = sqlx::query_as(
            "SELECT escalation_id, partnership_id, stage, agency_id, person_id, since_us \
             FROM escalation_officers ORDER BY escalation_id, stage, agency_id, person_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    })
}

fn sql(db: &Path, statement: &str) {
    let url = format!("sqlite://{}", db.display());
    block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
}

#[test]
fn rebuilding_gives_back_the_record_of_officers_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db");
    block_on(async {
        let store = SqliteStore::open(&db.display().to_string()).await.unwrap();
        let records = Records::new(Arc::new(store.clone()));
        let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let summary = parley_demo::seed(&records, now, 60, 7, |_, _| {})
            .await
            .unwrap();
        // In every partnership, each stage-2 post of an agency with open escalations at stage
        // 2 changes hands: the new officer joins those, the old one stays in their record.
        for p in &summary.partnerships {
            let people = store.people(&p.id).await.unwrap();
            let officers = store.named_officers(&p.id).await.unwrap();
            for o in officers.iter().filter(|o| o.stage == 2) {
                let other = people
                    .iter()
                    .find(|x| x.agency_id.as_deref() == Some(&o.agency_id) && x.id != o.person_id)
                    .unwrap();
                records
                    .set_named_officer(now, &Actor::SYSTEM, &p.id, &o.agency_id, 2, Some(&other.id))
                    .await
                    .unwrap();
            }
        }
        drop(records);
        store.close().await;
    });
    let before = record(&db);
    assert!(before.len() > 60, "{} rows", before.len());
    // Some open escalations were at stage 2 when its officers changed: the newcomers joined.
    let renamed_at = "2026-11-23T10:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_microsecond();
    assert!(
        before.iter().any(|r| r.2 == 2 && r.5 == renamed_at),
        "no officer joined an escalation at their stage"
    );
    let url = format!("sqlite://{}", db.display());
    // Emptied, or holding rows no event gave (an officer of a stage never reached, a stranger
    // on a real escalation): the rebuild gives back exactly the record.
    let hostile = [
        "DELETE FROM escalation_officers".to_owned(),
        "DELETE FROM escalation_officers WHERE stage = 2".to_owned(),
        format!(
            "INSERT INTO escalation_officers VALUES ('{}', '{}', 1, '{}', 'a-stranger', 0)",
            before[0].0, before[0].1, before[0].3
        ),
        "UPDATE escalation_officers SET since_us = since_us + 1".to_owned(),
        "UPDATE escalation_officers SET person_id = person_id || '-x'".to_owned(),
    ];
    for statement in &hostile {
        sql(&db, statement);
        assert_ne!(record(&db), before, "{statement} changed nothing");
        let out = parley_in(
            dir.path(),
            &["--database", &url, "admin", "rebuild-projections"],
        )
        .ok();
        assert!(out.contains("rebuilt the projections"), "{out}");
        assert_eq!(record(&db), before, "after {statement}");
    }
}
