//! The deadline monitor (issue 15): the wake date the projector keeps for each escalation, and
//! the passes that record what has come due, on both backends.

use parley_core::escalation::{Deadline, Event};
use parley_core::procedure::StageNumber;
use parley_store::consistency::{self, ProjectionReport};
use parley_store::records::{Actor, Records};

use super::stories::{raise_input, world};
use super::{at, backends};

/// An instant `days` days and `hours` hours after the suite's base (Monday 21 December 2026,
/// 09:00 UTC).
pub(crate) fn day(days: i64, hours: i64) -> jiff::Timestamp {
    at(days * 24 * 60 + hours * 60)
}

async fn wake_on(records: &Records, id: &str) -> Option<String> {
    let row = records.store().escalation(id).await.unwrap().unwrap();
    assert_eq!(
        consistency::check(records.store().as_ref(), records.holidays().clone())
            .await
            .unwrap(),
        ProjectionReport::Consistent
    );
    row.wake_on
}

#[tokio::test]
async fn the_wake_date_follows_the_story_on_every_write_path() {
    for db in backends().await {
        let records = db.records().await;
        // Buckinghamshire 2.4.24: 5 working days a stage, 15 at most.
        let w = world(&records, "buckinghamshire").await;
        let teacher = Actor::person(&w.teacher);
        let mut input = raise_input(&w, "child-in-need");
        input.category = "levels-of-need".to_owned();
        let e = records
            .raise(at(10), &teacher, &w.partnership, input)
            .await
            .unwrap();
        let row = records.store().escalation(&e.id).await.unwrap().unwrap();
        // Raised Monday 21 December 2026: stage 1 is due Wednesday 30 December (25 and 28
        // December are bank holidays), and passes when that day ends. The stage leads are
        // reminded one working day before (the file's Parley default): Tuesday 29 December.
        assert_eq!(row.stage_due, "2026-12-30", "{:?}", db.backend);
        assert_eq!(row.overall_due.as_deref(), Some("2027-01-14"));
        let woken = wake_on(&records, &e.id).await;
        assert_eq!(woken.as_deref(), Some("2026-12-29"), "{:?}", db.backend);

        // Escalated on Tuesday 29 December: stage 2 is due on Wednesday 6 January, its
        // reminder on Tuesday 5 January.
        let v = records
            .act(
                day(8, 1),
                &teacher,
                &e.id,
                e.version,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();
        let row = records.store().escalation(&e.id).await.unwrap().unwrap();
        assert_eq!(row.stage_due, "2027-01-06");
        assert_eq!(
            wake_on(&records, &e.id).await.as_deref(),
            Some("2027-01-05")
        );

        // A record written meanwhile changes nothing the monitor waits for (SQLite writes
        // such a row in place).
        let v = records
            .act(
                day(8, 2),
                &teacher,
                &e.id,
                v,
                &Event::StageRecordUpdated {
                    stage: StageNumber::new(2).unwrap(),
                    fields: vec![("discussion".to_owned(), "Talked it through".to_owned())],
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            wake_on(&records, &e.id).await.as_deref(),
            Some("2027-01-05")
        );

        // Stage 2's deadline recorded on Thursday 7 January, as it passes (its reminder was
        // never recorded, and is not given once the deadline has passed): the overall one's
        // reminder, on Wednesday 13 January, is next.
        let stage = StageNumber::new(2).unwrap();
        let v = records
            .act(
                day(17, 0),
                &Actor::SYSTEM,
                &e.id,
                v,
                &Event::DeadlinePassed {
                    deadline: Deadline::Stage(stage),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            wake_on(&records, &e.id).await.as_deref(),
            Some("2027-01-13"),
            "{:?}",
            db.backend
        );

        // Closed: nothing left to wait for.
        records
            .act(day(17, 1), &teacher, &e.id, v, &Event::Withdrawn, None)
            .await
            .unwrap();
        assert_eq!(wake_on(&records, &e.id).await, None, "{:?}", db.backend);

        // A rebuild gives the same column.
        records.rebuild_projections().await.unwrap();
        assert_eq!(wake_on(&records, &e.id).await, None);
    }
}

/// Buckinghamshire escalations raised on Monday 21 December 2026 (stage 1 due Wednesday 30
/// December, the 15 working days on Thursday 14 January).
async fn raise_many(records: &Records, w: &super::stories::World, n: i64) -> Vec<(String, i64)> {
    let teacher = Actor::person(&w.teacher);
    let mut out = Vec::new();
    for i in 0..n {
        let mut input = raise_input(w, "child-in-need");
        input.category = "levels-of-need".to_owned();
        let e = records
            .raise(at(10 + i), &teacher, &w.partnership, input)
            .await
            .unwrap();
        out.push((e.id, e.version));
    }
    out
}

/// Every `deadline-passed` event of the partnership, as (escalation stream, payload): each
/// must be there once.
async fn recorded_deadlines(records: &Records, partnership: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = records
        .store()
        .chain(partnership, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == "deadline-passed")
        .map(|l| (l.stream, l.payload.unwrap_or_default()))
        .collect();
    let all = found.len();
    found.sort();
    found.dedup();
    assert_eq!(found.len(), all, "a deadline recorded twice: {found:?}");
    found
}

#[tokio::test]
async fn a_pass_records_what_is_due_once_and_catches_up_after_days_without_one() {
    for db in backends().await {
        let b = db.backend;
        let records = db.records().await;
        let w = world(&records, "buckinghamshire").await;
        let raised = raise_many(&records, &w, 6).await;
        // One is escalated on Tuesday 29 December: its stage 2 is due on 6 January.
        let (first, version) = &raised[0];
        records
            .act(
                day(8, 1),
                &Actor::person(&w.teacher),
                first,
                *version,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();

        // Wednesday 30 December, midday: stage 1 is due today, not passed; the five still at
        // it are reminded (their reminder day was yesterday, which had no pass).
        let report = records.deadline_pass(day(9, 3)).await.unwrap();
        assert_eq!(
            (report.escalations, report.recorded, report.reminders),
            (5, 0, 5),
            "{b:?}"
        );

        // Just after midnight (London): stage 1 has passed for the five still at it.
        let report = records.deadline_pass(day(9, 16)).await.unwrap();
        assert_eq!(
            (report.escalations, report.recorded),
            (5, 5),
            "{b:?}: {report:?}"
        );
        assert!(report.failed.is_empty(), "{report:?}");
        // The procedure tells the stage leads (a Parley default for Buckinghamshire).
        let outbox = records.store().outbox(&w.partnership).await.unwrap();
        assert_eq!(
            outbox
                .iter()
                .filter(|o| o.reason == "deadline-passed:1")
                .count(),
            5
        );

        // Again at once: nothing is due any more, and nothing is read.
        let report = records.deadline_pass(day(9, 17)).await.unwrap();
        assert_eq!((report.escalations, report.recorded), (0, 0), "{b:?}");
        assert_eq!(recorded_deadlines(&records, &w.partnership).await.len(), 5);

        // No pass for three weeks, then a server starts (new records over the same database):
        // the overall deadline of all six, and the escalated one's stage 2, each once.
        drop(records);
        let records = db.records().await;
        let report = records.deadline_pass(day(30, 0)).await.unwrap();
        assert_eq!(
            (report.escalations, report.recorded),
            (6, 7),
            "{b:?}: {report:?}"
        );
        assert_eq!(recorded_deadlines(&records, &w.partnership).await.len(), 12);
        let report = records.deadline_pass(day(31, 0)).await.unwrap();
        assert_eq!((report.escalations, report.recorded), (0, 0), "{b:?}");
        let row = records.store().escalation(first).await.unwrap().unwrap();
        assert_eq!(row.wake_on, None, "every running deadline is recorded");
        assert_eq!(
            consistency::check(records.store().as_ref(), records.holidays().clone())
                .await
                .unwrap(),
            ProjectionReport::Consistent
        );
    }
}

#[tokio::test]
async fn two_servers_passing_at_once_record_each_deadline_once() {
    for db in backends().await {
        let b = db.backend;
        let one = db.records().await;
        let two = db.records().await;
        let w = world(&one, "buckinghamshire").await;
        raise_many(&one, &w, 40).await;
        // Both run their pass at the same moment, three weeks on: the stage and the overall
        // deadline of every escalation are due.
        let (a, c) = tokio::join!(one.deadline_pass(day(30, 0)), two.deadline_pass(day(30, 0)));
        let (a, c) = (a.unwrap(), c.unwrap());
        assert!(a.failed.is_empty() && c.failed.is_empty(), "{a:?} {c:?}");
        assert_eq!(a.recorded + c.recorded, 80, "{b:?}: {a:?} {c:?}");
        assert_eq!(recorded_deadlines(&one, &w.partnership).await.len(), 80);
        eprintln!(
            "{b:?}: two passes at once: {} + {} recorded, {} + {} conflicts",
            a.recorded, c.recorded, a.conflicts, c.conflicts
        );
        assert_eq!(one.deadline_pass(day(30, 1)).await.unwrap().recorded, 0);
    }
}

/// A pass over more escalations than it decides together (a group is read in one query and
/// written in one transaction, the next read while the last is written) records every deadline
/// once, with the chain intact and the query tables what the events say.
#[tokio::test]
async fn a_pass_over_many_groups_records_each_deadline_once_with_the_chain_intact() {
    for db in backends().await {
        let b = db.backend;
        let records = db.records().await;
        let w = world(&records, "buckinghamshire").await;
        raise_many(&records, &w, 1100).await;
        // Three weeks on: the stage and the overall deadline of every escalation.
        let report = records.deadline_pass(day(30, 0)).await.unwrap();
        assert!(report.failed.is_empty(), "{b:?}: {report:?}");
        assert_eq!(
            (report.escalations, report.recorded, report.conflicts),
            (1100, 2200, 0),
            "{b:?}"
        );
        assert_eq!(
            recorded_deadlines(&records, &w.partnership).await.len(),
            2200
        );
        let outbox = records.store().outbox(&w.partnership).await.unwrap();
        assert_eq!(
            outbox
                .iter()
                .filter(|o| o.reason.starts_with("deadline-passed"))
                .count(),
            // Buckinghamshire's stage leads are told of each deadline that passes.
            2200,
            "{b:?}"
        );
        let again = records.deadline_pass(day(30, 1)).await.unwrap();
        assert_eq!((again.escalations, again.recorded), (0, 0), "{b:?}");
        let audit = parley_store::audit::verify(records.store().as_ref())
            .await
            .unwrap();
        assert!(audit.first_break().is_none(), "{b:?}");
        assert_eq!(
            consistency::check(records.store().as_ref(), records.holidays().clone())
                .await
                .unwrap(),
            ProjectionReport::Consistent,
            "{b:?}"
        );
    }
}

/// The pass reads the due escalations through `escalations_wake`, whatever else is open: its
/// cost is what is due. Asserted on each backend's plan, over a table with many rows not due.
#[tokio::test]
async fn the_pass_reads_only_what_is_due_through_the_index() {
    use parley_store::Backend;
    use parley_store::backend::notices::DUE_ESCALATIONS;
    for db in backends().await {
        // 20,000 escalations of two partnerships: a tenth open and due in the future, the
        // rest closed (no wake date).
        let columns = "id, partnership_id, reference, procedure_version, version, route, subject, category, \
                       status, current_stage, stage_due, raised_at_us, raised_on, resolved_by_events, raised_by, \
                       raising_agency_id, receiving_agency_id, summary, updated_at_us, wake_on";
        let values = |n: &str| {
            format!(
                "'e' || {n}, CASE WHEN {n} % 20 < 10 THEN 'p' ELSE 'q' END, 'R-' || {n}, 1, 1, 'individual', 'child', 'c', \
                 CASE WHEN {n} % 10 = 0 THEN 'open' ELSE 'resolved' END, 1, '2026-01-01', 0, '2026-01-01', FALSE, 'x', \
                 'a', 'b', 's', 0, CASE WHEN {n} % 10 = 0 THEN '2027-06-01' ELSE NULL END"
            )
        };
        let plan: Vec<String> = match db.backend {
            Backend::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                     INSERT INTO escalations ({columns}) SELECT {} FROM n",
                    values("i")
                )))
                .execute(&pool)
                .await
                .unwrap();
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("EXPLAIN QUERY PLAN {DUE_ESCALATIONS}"),
                ))
                .bind("p")
                .bind("2027-01-01")
                .fetch_all(&pool)
                .await
                .unwrap();
                rows.into_iter().map(|r| r.3).collect()
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO escalations ({columns}) SELECT {} FROM generate_series(1, 20000) AS n",
                    values("n")
                )))
                .execute(&pool)
                .await
                .unwrap();
                sqlx::query("ANALYZE escalations")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {DUE_ESCALATIONS}")))
                    .bind("p")
                    .bind("2027-01-01")
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
        };
        assert!(
            plan.iter().any(|l| l.contains("escalations_wake")),
            "{:?}: {plan:#?}",
            db.backend
        );
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN") || l.contains("Seq Scan")),
            "{:?}: {plan:#?}",
            db.backend
        );
        let store = db.store().await;
        assert!(
            store
                .due_escalations("p", "2027-01-01")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .due_escalations("p", "2027-06-01")
                .await
                .unwrap()
                .len(),
            1000
        );
    }
}

/// A database upgraded to migration 8 in place: its open escalations wake on the day after
/// their earliest running deadline (none was recorded before this version), closed ones never.
#[tokio::test]
async fn an_upgraded_database_wakes_its_open_escalations() {
    use parley_store::{Backend, EventLog};
    for db in backends().await {
        let dir = match db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let migrations = sqlx::migrate::Migrator::new(std::path::Path::new(&format!(
            "{}/migrations/{dir}",
            env!("CARGO_MANIFEST_DIR")
        )))
        .await
        .unwrap();
        let columns = "id, partnership_id, reference, procedure_version, version, route, subject, category, \
                       status, current_stage, stage_due, overall_due, raised_at_us, raised_on, resolved_by_events, \
                       raised_by, raising_agency_id, receiving_agency_id, summary, updated_at_us";
        let rows = [
            ("open-stage", "open", "2027-01-06", Some("2027-01-14")),
            ("open-overall", "open", "2027-01-20", Some("2027-01-14")),
            ("open-referral", "open", "2027-02-01", None),
            ("closed", "resolved", "2027-01-06", Some("2027-01-14")),
        ];
        let insert = |id: &str, status: &str, stage_due: &str, overall: Option<&str>| {
            format!(
                "INSERT INTO escalations ({columns}) VALUES ('{id}', 'p', 'R-{id}', 1, 1, 'individual', 'child', 'c', \
                 '{status}', 1, '{stage_due}', {}, 0, '2026-12-21', FALSE, 'x', 'a', 'b', 's', 0)",
                overall.map_or("NULL".to_owned(), |d| format!("'{d}'"))
            )
        };
        // A fresh database taken to migration 7 by the owner, with escalations in it; then
        // opened by this Parley, which migrates it.
        let wake: Vec<(String, Option<String>)> = match db.backend {
            Backend::Sqlite => {
                let url = format!("{}.old", db.url);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect_with(
                        url.parse::<sqlx::sqlite::SqliteConnectOptions>()
                            .unwrap()
                            .create_if_missing(true)
                            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
                    )
                    .await
                    .unwrap();
                migrations.run_to(7, &pool).await.unwrap();
                for (id, status, stage_due, overall) in rows {
                    sqlx::query(sqlx::AssertSqlSafe(insert(id, status, stage_due, overall)))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                pool.close().await;
                let store = parley_store::open(&url).await.unwrap();
                assert!(store.schema_version().await.unwrap() >= 8);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect(&url)
                    .await
                    .unwrap();
                sqlx::query_as("SELECT id, wake_on FROM escalations ORDER BY id")
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(&db.owner_url)
                    .await
                    .unwrap();
                // The database the harness made is at the newest version already: start again
                // from an empty schema.
                sqlx::query("DROP SCHEMA public CASCADE")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query("CREATE SCHEMA public")
                    .execute(&pool)
                    .await
                    .unwrap();
                migrations.run_to(7, &pool).await.unwrap();
                for (id, status, stage_due, overall) in rows {
                    sqlx::query(sqlx::AssertSqlSafe(insert(id, status, stage_due, overall)))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                let store = parley_store::backend::PgStore::open(&db.owner_url)
                    .await
                    .unwrap();
                assert!(store.schema_version().await.unwrap() >= 8);
                store.close().await;
                sqlx::query_as("SELECT id, wake_on FROM escalations ORDER BY id")
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
        };
        let some = |d: &str| Some(d.to_owned());
        assert_eq!(
            wake,
            vec![
                ("closed".to_owned(), None),
                ("open-overall".to_owned(), some("2027-01-15")),
                ("open-referral".to_owned(), some("2027-02-02")),
                ("open-stage".to_owned(), some("2027-01-07")),
            ],
            "{:?}",
            db.backend
        );
    }
}
