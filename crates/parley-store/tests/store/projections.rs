//! The query tables against the events, tried from the attacker's side: an edit to any column
//! of any projection table, a deleted row and an inserted row, each on both backends, must be
//! named by `consistency::check` (what `parley audit verify` prints) with its table, key and
//! column. An intact database, and one rebuilt from its events, have no difference.

use parley_store::consistency::{self, Kind, Mismatch, ProjectionReport, TABLES};
use parley_store::records::Records;

use super::backends;
use super::purge::estate;
use super::tamper::Owner;

async fn check(records: &Records) -> ProjectionReport {
    consistency::check(records.store().as_ref(), records.holidays().clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_edited_column_is_named_with_its_table_and_key() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let (p, esc) = (&e.w.partnership, &e.escalation);
        let (school, teacher, admin) = (&e.w.school, &e.w.teacher, &e.admin);
        assert_eq!(check(&records).await, ProjectionReport::Consistent);

        // (table, column, SET expression, WHERE, the key as reported)
        let by_id = |id: &str| format!("id = '{id}'");
        let escalation = by_id(esc);
        let child = format!("escalation_id = '{esc}'");
        let stage = format!("escalation_id = '{esc}' AND stage = 1");
        let officer = format!("agency_id = '{school}' AND stage = 2");
        let procedure = format!("partnership_id = '{p}' AND version = 1");
        let edits: Vec<(&str, &str, String, String, String)> = vec![
            (
                "partnerships",
                "name",
                "'Elsewhere'".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "short_name",
                "'ZZZ'".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "procedure_id",
                "'other'".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "procedure_version",
                "procedure_version + 1".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "closure_days",
                "'[\"2026-12-24\"]'".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "created_at_us",
                "created_at_us + 1".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "partnerships",
                "config_version",
                "config_version + 5".to_owned(),
                by_id(p),
                format!("id=\"{p}\""),
            ),
            (
                "procedures",
                "source",
                "source || ' '".to_owned(),
                procedure.clone(),
                format!("partnership_id=\"{p}\", version=1"),
            ),
            (
                "procedures",
                "sha256",
                "'0'".to_owned(),
                procedure.clone(),
                format!("partnership_id=\"{p}\", version=1"),
            ),
            (
                "agencies",
                "name",
                "'Elm Primary'".to_owned(),
                by_id(school),
                format!("id=\"{school}\""),
            ),
            (
                "agencies",
                "sector",
                "'health'".to_owned(),
                by_id(school),
                format!("id=\"{school}\""),
            ),
            (
                "agencies",
                "partnership_id",
                "'elsewhere'".to_owned(),
                by_id(school),
                format!("id=\"{school}\""),
            ),
            (
                "people",
                "email",
                "'someone@evil.example'".to_owned(),
                by_id(teacher),
                format!("id=\"{teacher}\""),
            ),
            (
                "people",
                "roles",
                "'[\"administrator\"]'".to_owned(),
                by_id(teacher),
                format!("id=\"{teacher}\""),
            ),
            (
                "people",
                "active",
                "NOT active".to_owned(),
                by_id(teacher),
                format!("id=\"{teacher}\""),
            ),
            (
                "people",
                "line_manager_id",
                format!("'{admin}'"),
                by_id(teacher),
                format!("id=\"{teacher}\""),
            ),
            (
                "people",
                "agency_id",
                "NULL".to_owned(),
                by_id(teacher),
                format!("id=\"{teacher}\""),
            ),
            (
                "named_officers",
                "person_id",
                format!("'{admin}'"),
                officer.clone(),
                format!("agency_id=\"{school}\", stage=2"),
            ),
            (
                "escalations",
                "status",
                "'resolved'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "current_stage",
                "current_stage + 1".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "summary",
                "'Nothing to see'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "stage_due",
                "'2099-01-01'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "receiving_person_id",
                format!("'{admin}'"),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "raised_by",
                format!("'{admin}'"),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "version",
                "version + 1".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "outcome",
                "'agreed'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "closed_at_us",
                "1".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "resolved_by_events",
                "NOT resolved_by_events".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "reference",
                "'TSP-1999-0001'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "wake_on",
                "'2000-01-01'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalations",
                "child_status",
                "'looked-after'".to_owned(),
                escalation.clone(),
                format!("id=\"{esc}\""),
            ),
            (
                "escalation_children",
                "details",
                "'{\"name\":\"Someone Else\"}'".to_owned(),
                child.clone(),
                format!("escalation_id=\"{esc}\""),
            ),
            (
                "escalation_cases",
                "evidence",
                "'Nothing happened.'".to_owned(),
                child.clone(),
                format!("escalation_id=\"{esc}\""),
            ),
            (
                "escalation_cases",
                "decision",
                "''".to_owned(),
                child.clone(),
                format!("escalation_id=\"{esc}\""),
            ),
            (
                "escalation_stages",
                "record",
                "'[[\"note\",\"rewritten\"]]'".to_owned(),
                stage.clone(),
                format!("escalation_id=\"{esc}\", stage=1"),
            ),
            (
                "escalation_stages",
                "due",
                "'2099-01-01'".to_owned(),
                stage.clone(),
                format!("escalation_id=\"{esc}\", stage=1"),
            ),
            (
                "escalation_stages",
                "ended_at_us",
                "NULL".to_owned(),
                stage.clone(),
                format!("escalation_id=\"{esc}\", stage=1"),
            ),
            (
                "escalation_stages",
                "meetings",
                "meetings + 1".to_owned(),
                stage.clone(),
                format!("escalation_id=\"{esc}\", stage=1"),
            ),
            (
                "compliments",
                "message",
                "'You were rude.'".to_owned(),
                format!("partnership_id = '{p}'"),
                String::new(),
            ),
            (
                "compliments",
                "to_person_id",
                format!("'{admin}'"),
                format!("partnership_id = '{p}'"),
                String::new(),
            ),
        ];
        let owner = Owner::connect(&db).await;
        for (table, column, set, filter, key) in &edits {
            let n = owner
                .exec(&format!(
                    "UPDATE {table} SET {column} = {set} WHERE {filter}"
                ))
                .await;
            let case = format!("{:?}: {table}.{column}", db.backend);
            assert_eq!(n, 1, "{case}");
            let ProjectionReport::Differ(found) = check(&records).await else {
                panic!("{case}: passed");
            };
            assert_eq!(found.len(), 1, "{case}: {found:?}");
            let d = &found[0];
            assert_eq!(d.table, *table, "{case}");
            assert_eq!(d.what, Mismatch::Columns(vec![*column]), "{case}");
            if !key.is_empty() {
                assert_eq!(&d.key, key, "{case}");
            }
            let text = d.to_string();
            assert!(
                text.starts_with(&format!("{table} ({}", d.key))
                    && text.contains(&format!("{table}.{column}")),
                "{case}: {text}"
            );
            // The rebuild puts it right, and agrees with the check.
            records.rebuild_projections().await.unwrap();
            assert_eq!(
                check(&records).await,
                ProjectionReport::Consistent,
                "{case}"
            );
        }
        owner.close().await;
    }
}

#[tokio::test]
async fn deleted_and_inserted_rows_of_every_table_are_named() {
    for db in backends().await {
        let records = db.records().await;
        estate(&records).await;
        let owner = Owner::connect(&db).await;
        for table in TABLES {
            let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            let first = columns[0];
            // A row deleted.
            let n = owner
                .exec(&format!(
                    "DELETE FROM {t} WHERE {first} = (SELECT MIN({first}) FROM {t})",
                    t = table.name
                ))
                .await;
            assert!(n >= 1, "{}: nothing to delete", table.name);
            let ProjectionReport::Differ(found) = check(&records).await else {
                panic!("{:?}: a deleted {} row passed", db.backend, table.name);
            };
            assert!(
                found
                    .iter()
                    .all(|d| d.table == table.name && d.what == Mismatch::Missing),
                "{:?}: {found:?}",
                db.backend
            );
            assert_eq!(found.len() as u64, n, "{:?}: {found:?}", db.backend);
            records.rebuild_projections().await.unwrap();

            // A row inserted: a copy of one with another key (and reference, which is unique).
            // The key's last column is changed (a text forged, a number moved by 100).
            let select: Vec<String> = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (c, kind))| match (i + 1 == table.key, *kind, *c) {
                    (true, Kind::Int, _) => format!("{c} + 100"),
                    (true, _, _) | (_, _, "reference") => format!("'forged-' || {c}"),
                    _ => (*c).to_owned(),
                })
                .collect();
            let n = owner
                .exec(&format!(
                    "INSERT INTO {t} ({}) SELECT {} FROM {t} WHERE {first} = (SELECT MIN({first}) FROM {t}) LIMIT 1",
                    columns.join(", "),
                    select.join(", "),
                    t = table.name
                ))
                .await;
            assert_eq!(n, 1, "{}", table.name);
            let ProjectionReport::Differ(found) = check(&records).await else {
                panic!("{:?}: an inserted {} row passed", db.backend, table.name);
            };
            assert_eq!(found.len(), 1, "{:?}: {found:?}", db.backend);
            assert_eq!(
                (found[0].table, &found[0].what),
                (table.name, &Mismatch::Extra)
            );
            assert!(
                found[0].key.contains("forged-") || found[0].key.contains("=10"),
                "{:?}: {found:?}",
                db.backend
            );
            records.rebuild_projections().await.unwrap();
            assert_eq!(check(&records).await, ProjectionReport::Consistent);
        }
        owner.close().await;
    }
}

/// The check reads the stored value itself: a value of the wrong type (SQLite lets one in) is
/// a difference, never a default.
#[tokio::test]
async fn an_unreadable_stored_value_is_a_difference() {
    for db in backends().await {
        if db.backend != parley_store::Backend::Sqlite {
            continue;
        }
        let records = db.records().await;
        let e = estate(&records).await;
        let owner = Owner::connect(&db).await;
        owner
            .exec(&format!(
                "UPDATE escalations SET current_stage = 'two' WHERE id = '{}'",
                e.escalation
            ))
            .await;
        owner.close().await;
        let ProjectionReport::Differ(found) = check(&records).await else {
            panic!("passed");
        };
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, Mismatch::Columns(vec!["current_stage"]));
    }
}

/// What the pages read is read by column name, and a stored value that cannot be read is an
/// error naming its table, row and column, never a default: a list of roles or a stage's record
/// that is not JSON (both backends), and a value of the wrong type (SQLite lets one in; its
/// inline read gives way to the pool's, which names it).
#[tokio::test]
async fn an_unreadable_stored_value_is_an_error_naming_its_table_row_and_column() {
    fn named(
        found: Result<impl std::fmt::Debug, parley_store::StoreError>,
        table: &str,
        key: &str,
        column: &str,
    ) {
        match found {
            Err(parley_store::StoreError::UnreadableRow {
                table: t,
                key: k,
                message,
            }) => {
                assert_eq!((t, k.as_str()), (table, key), "{message}");
                assert!(message.contains(&format!("column {column}")), "{message}");
            }
            other => panic!("{table} {key} {column}: {other:?}"),
        }
    }
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let store = records.store().clone();
        let owner = Owner::connect(&db).await;
        let teacher = &e.w.teacher;
        owner
            .exec(&format!(
                "UPDATE people SET roles = 'practitioner' WHERE id = '{teacher}'"
            ))
            .await;
        named(store.person(teacher).await, "people", teacher, "roles");
        named(
            store.people(&e.w.partnership).await,
            "people",
            teacher,
            "roles",
        );
        owner
            .exec(&format!(
                "UPDATE escalation_stages SET record = '{{' WHERE escalation_id = '{}'",
                e.escalation
            ))
            .await;
        let stage = format!("{} 1", e.escalation);
        named(
            store.stages(&e.escalation).await,
            "escalation_stages",
            &stage,
            "record",
        );
        if db.backend == parley_store::Backend::Sqlite {
            owner
                .exec(&format!(
                    "UPDATE escalations SET current_stage = 'two' WHERE id = '{}'",
                    e.escalation
                ))
                .await;
            named(
                store.escalation(&e.escalation).await,
                "escalations",
                &e.escalation,
                "current_stage",
            );
        }
        owner.close().await;
    }
}
