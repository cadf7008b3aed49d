//! The record of who led each stage of an escalation (`escalation_officers`, migration 4), on
//! both backends: kept from the stages an escalation actually went through and the officers
//! who held each post while it was there, never from stage numbers; the same after a rebuild
//! of the projections; and the same through every write path (the writer's batches, and the
//! careful path a refused batch takes).

use std::collections::BTreeSet;
use std::pin::Pin;

use parley_core::escalation::Event;
use parley_demo::join_all;
use parley_store::records::{Actor, PersonInput, RaiseInput, Records};
use parley_store::rows::{EscalationOfficerRow, NamedOfficerRow, Op, ProcedureRow};
use parley_store::{AppendRequest, NewEvent, Store, StoreError};

use super::stories::{World, raise_input, world};
use super::{at, backends};

/// (stage, agency, person) of one escalation's record.
type Led = BTreeSet<(i64, String, String)>;

async fn record(store: &dyn Store, escalation_id: &str) -> Led {
    store
        .escalation_officers(escalation_id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.stage, o.agency_id, o.person_id))
        .collect()
}

/// Every row of the record of officers of the partnership's escalations.
async fn everything(store: &dyn Store, partnership_id: &str) -> Vec<EscalationOfficerRow> {
    let ids: Vec<String> = store
        .escalations(partnership_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    store
        .officers_of_escalations(partnership_id, &ids)
        .await
        .unwrap()
}

async fn officer(records: &Records, w: &World, agency: &str, name: &str) -> String {
    records
        .save_person(
            at(3),
            &Actor::SYSTEM,
            &w.partnership,
            None,
            PersonInput {
                agency_id: Some(agency.to_owned()),
                name: name.to_owned(),
                email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
                job_title: "Named officer".to_owned(),
                roles: vec!["manager".to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap()
}

async fn name(
    records: &Records,
    w: &World,
    minute: i64,
    agency: &str,
    stage: i64,
    person: Option<&str>,
) {
    records
        .set_named_officer(
            at(minute),
            &Actor::SYSTEM,
            &w.partnership,
            agency,
            stage,
            person,
        )
        .await
        .unwrap();
}

fn route(w: &World, route: &str) -> RaiseInput {
    let mut input = raise_input(w, "child-protection-plan");
    input.category = "other".to_owned();
    // Dorset §4: the decision to raise it, that morning, is Day One.
    input.decided_on = Some(jiff::civil::date(2026, 12, 21));
    if route != "individual" {
        input.route = route.to_owned();
        input.child_status = None;
        input.child = None;
    }
    input
}

async fn raise(records: &Records, w: &World, minute: i64, input: RaiseInput) -> String {
    records
        .raise(
            at(minute),
            &Actor::person(&w.teacher),
            &w.partnership,
            input,
        )
        .await
        .unwrap()
        .id
}

async fn act(records: &Records, w: &World, minute: i64, id: &str, event: Event) {
    let store = records.store();
    let version = store.escalation(id).await.unwrap().unwrap().version;
    records
        .act(
            at(minute),
            &Actor::person(&w.teacher),
            id,
            version,
            &event,
            None,
        )
        .await
        .unwrap();
}

/// Dorset: individual escalations start at stage 1, thematic ones at stage 3, strategic ones
/// at stage 4. Officers are named, replaced and removed while escalations move; each record
/// holds exactly who held the post of each stage reached while the escalation was at it.
#[tokio::test]
async fn the_record_follows_the_stages_reached_and_who_held_each_post() {
    for db in backends().await {
        let records = db.records().await;
        let store = records.store().clone();
        let w = world(&records, "dorset").await;
        let b = db.backend;
        let health = records
            .add_agency(at(1), &Actor::SYSTEM, &w.partnership, "Health", "health")
            .await
            .unwrap();
        let (school, council) = (w.school.clone(), w.council.clone());
        let mut people = std::collections::HashMap::new();
        for (key, agency) in [
            ("s1", &school),
            ("c1", &council),
            ("s2", &school),
            ("c2", &council),
            ("c2b", &council),
            ("c2c", &council),
            ("c2d", &council),
            ("s3", &school),
            ("s3b", &school),
            ("c3", &council),
            ("h3", &health),
            ("c4", &council),
            ("c4b", &council),
        ] {
            people.insert(
                key,
                officer(&records, &w, agency, &format!("Officer {key}")).await,
            );
        }
        let p = |key: &str| people[key].clone();
        // Named before anything is raised: every stage of both agencies, and health's stage 3.
        for (agency, stage, key) in [
            (&school, 1, "s1"),
            (&council, 1, "c1"),
            (&school, 2, "s2"),
            (&council, 2, "c2"),
            (&school, 3, "s3"),
            (&council, 3, "c3"),
            (&health, 3, "h3"),
            (&council, 4, "c4"),
        ] {
            name(&records, &w, 4, agency, stage, Some(&p(key))).await;
        }

        let individual = raise(&records, &w, 10, route(&w, "individual")).await;
        let thematic = raise(&records, &w, 11, route(&w, "thematic")).await;
        let strategic = raise(&records, &w, 12, route(&w, "strategic")).await;
        let late = raise(&records, &w, 13, route(&w, "individual")).await;
        // The individual one moves to stage 2; its council officer is replaced there.
        act(&records, &w, 20, &individual, Event::Escalated).await;
        name(&records, &w, 21, &council, 2, Some(&p("c2b"))).await;
        // It moves on to stage 3; then stage 2 gets another officer, who never led it.
        act(&records, &w, 30, &individual, Event::Escalated).await;
        name(&records, &w, 31, &council, 2, Some(&p("c2c"))).await;
        // The late one is still at stage 1 when stage 2's post changes again; it then enters
        // stage 2 under the officer named then.
        name(&records, &w, 40, &council, 2, Some(&p("c2d"))).await;
        act(&records, &w, 41, &late, Event::Escalated).await;
        // Stage 3's council post is left empty, then the school's changes hands while the
        // individual and thematic ones are at stage 3.
        name(&records, &w, 50, &council, 3, None).await;
        name(&records, &w, 51, &school, 3, Some(&p("s3b"))).await;
        // The strategic one closes; a new officer for its stage then takes nothing of it.
        act(
            &records,
            &w,
            60,
            &strategic,
            Event::AgreementProposed {
                proposal: parley_core::agreement::Proposal::Resolution,
                by: parley_core::names::Side::Receiving,
            },
        )
        .await;
        act(
            &records,
            &w,
            60,
            &strategic,
            Event::AgreementConfirmed {
                by: parley_core::names::Party::RaisingSide,
            },
        )
        .await;
        name(&records, &w, 61, &council, 4, Some(&p("c4b"))).await;

        let led = |rows: &[(i64, &String, &str)]| -> Led {
            rows.iter()
                .map(|(stage, agency, key)| (*stage, (*agency).clone(), p(key)))
                .collect()
        };
        let cases: Vec<(&str, &String, Led)> = vec![
            (
                "individual: stage 1, stage 2 (replaced), stage 3 (school's changed hands)",
                &individual,
                led(&[
                    (1, &school, "s1"),
                    (1, &council, "c1"),
                    (2, &school, "s2"),
                    (2, &council, "c2"),
                    (2, &council, "c2b"),
                    (3, &school, "s3"),
                    (3, &council, "c3"),
                    (3, &school, "s3b"),
                ]),
            ),
            (
                "thematic: from stage 3 only, never health's officer",
                &thematic,
                led(&[(3, &school, "s3"), (3, &council, "c3"), (3, &school, "s3b")]),
            ),
            (
                "strategic: stage 4 only, nobody named after it closed",
                &strategic,
                led(&[(4, &council, "c4")]),
            ),
            (
                "late: stage 2 under the officer named when it got there",
                &late,
                led(&[
                    (1, &school, "s1"),
                    (1, &council, "c1"),
                    (2, &school, "s2"),
                    (2, &council, "c2d"),
                ]),
            ),
        ];
        for (what, id, want) in &cases {
            assert_eq!(record(store.as_ref(), id).await, *want, "{b:?} {what}");
        }

        // The lists follow the record: who finds what.
        let finds = |ids: &[&String]| -> Vec<String> {
            let mut v: Vec<String> = ids.iter().map(|i| (*i).clone()).collect();
            v.sort();
            v
        };
        let lists: Vec<(&str, Vec<String>)> = vec![
            ("s1", finds(&[&individual, &late])),
            ("c2", finds(&[&individual])),
            ("c2b", finds(&[&individual])),
            ("c2c", finds(&[])),
            ("c2d", finds(&[&late])),
            ("s3", finds(&[&individual, &thematic])),
            ("s3b", finds(&[&individual, &thematic])),
            ("h3", finds(&[])),
            ("c4", finds(&[&strategic])),
            ("c4b", finds(&[])),
        ];
        for (key, want) in lists {
            let mut got: Vec<String> = store
                .escalations_involving(&w.partnership, &[p(key)])
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.id)
                .collect();
            got.sort();
            assert_eq!(got, want, "{b:?}: what {key} finds");
        }

        // A rebuild from the events gives the same rows.
        let before = everything(store.as_ref(), &w.partnership).await;
        assert_eq!(before.len(), 16, "{b:?}");
        records.rebuild_projections().await.unwrap();
        assert_eq!(
            everything(store.as_ref(), &w.partnership).await,
            before,
            "{b:?}"
        );
    }
}

/// Raises, escalations and changes of officer written concurrently, so that they share the
/// writer's batches (one transaction, in chain order): the record is what replaying the chain
/// in order gives, on both backends.
#[tokio::test]
async fn concurrent_writes_keep_the_record_a_rebuild_gives() {
    for db in backends().await {
        let records = db.records().await;
        let store = records.store().clone();
        let w = world(&records, "dorset").await;
        let b = db.backend;
        let mut officers = Vec::new();
        for i in 0..6 {
            let agency = if i % 2 == 0 { &w.school } else { &w.council };
            officers.push(officer(&records, &w, agency, &format!("Rota {i}")).await);
        }
        for stage in 1..=4 {
            name(&records, &w, 4, &w.school, stage, Some(&officers[0])).await;
            name(&records, &w, 4, &w.council, stage, Some(&officers[1])).await;
        }
        let routes = ["individual", "thematic", "strategic"];
        let raises: Vec<_> = (0..12)
            .map(|i| raise(&records, &w, 10, route(&w, routes[i % 3])))
            .collect();
        let ids = join_all(raises).await;
        // Escalate every one that has a further stage while the posts change hands, all at
        // once (a strategic one starts at the last stage).
        let mut work: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = Vec::new();
        for id in ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 2)
            .map(|(_, id)| id)
        {
            let records = &records;
            let w = &w;
            work.push(Box::pin(async move {
                act(records, w, 20, id, Event::Escalated).await;
            }));
        }
        for (i, person) in officers.iter().enumerate().skip(2) {
            let agency = if i % 2 == 0 { &w.school } else { &w.council };
            let records = &records;
            let w = &w;
            // Each post is changed by one task only (two would conflict on its stream).
            let stages = if i < 4 { 1..=2 } else { 3..=4 };
            work.push(Box::pin(async move {
                for stage in stages {
                    name(records, w, 20, agency, stage, Some(person)).await;
                }
            }));
        }
        join_all(work).await;
        let before = everything(store.as_ref(), &w.partnership).await;
        // Every escalation has its entry stage's first officers at least.
        for id in &ids {
            let led = record(store.as_ref(), id).await;
            assert!(
                led.iter().any(|(_, _, person)| *person == officers[0])
                    && led.iter().any(|(_, _, person)| *person == officers[1]),
                "{b:?} {id}: {led:?}"
            );
        }
        records.rebuild_projections().await.unwrap();
        assert_eq!(
            everything(store.as_ref(), &w.partnership).await,
            before,
            "{b:?}"
        );
    }
}

/// A request refused in a batch sends the batch to the careful path (a savepoint per
/// command): the other commands' records are written there, the refused one's are not.
#[tokio::test]
async fn the_careful_path_writes_the_record_of_the_commands_it_keeps() {
    for db in backends().await {
        let store = db.store().await;
        let b = db.backend;
        let request = |stream: &str, ops: Vec<Op>| AppendRequest {
            partnership_id: "p".to_owned(),
            stream: stream.to_owned(),
            expected_version: 0,
            partnership_version: None,
            events: vec![NewEvent {
                at_us: 1,
                kind: "note".to_owned(),
                actor: None,
                reason: None,
                payload: "{}".to_owned(),
            }],
            ops,
            outbox: Vec::new(),
        };
        let entered = |escalation: &str| Op::StageEntered {
            escalation_id: escalation.to_owned(),
            partnership_id: "p".to_owned(),
            stage: 3,
            raising_agency_id: "a1".to_owned(),
            receiving_agency_id: "a2".to_owned(),
            at_us: 5,
        };
        let officer = |agency: &str, stage: i64, person: &str| {
            Op::NamedOfficer(NamedOfficerRow {
                partnership_id: "p".to_owned(),
                agency_id: agency.to_owned(),
                stage,
                person_id: person.to_owned(),
            })
        };
        let procedure = Op::Procedure(ProcedureRow {
            partnership_id: "p".to_owned(),
            version: 1,
            procedure_id: "x".to_owned(),
            source: String::new(),
            sha256: String::new(),
            adopted_at_us: 1,
        });
        let first = store
            .append_batch(vec![request(
                "setup",
                vec![
                    procedure.clone(),
                    officer("a1", 1, "one"),
                    officer("a1", 3, "three"),
                    officer("a2", 3, "other-three"),
                    officer("a3", 3, "not-involved"),
                ],
            )])
            .await
            .unwrap();
        assert!(first[0].is_ok(), "{b:?}: {first:?}");
        // The second command writes procedure version 1 again: the database refuses it, and
        // the batch is written a command at a time.
        let results = store
            .append_batch(vec![
                request("escalation:kept", vec![entered("kept")]),
                request("escalation:refused", vec![entered("refused"), procedure]),
                request("escalation:after", vec![entered("after")]),
            ])
            .await
            .unwrap();
        assert!(
            results[0].is_ok() && results[2].is_ok(),
            "{b:?}: {results:?}"
        );
        assert!(
            matches!(
                results[1],
                Err(StoreError::Database(_) | StoreError::Sqlite(_))
            ),
            "{b:?}: {results:?}"
        );
        let kept: Led = [(3, "a1", "three"), (3, "a2", "other-three")]
            .iter()
            .map(|(s, a, p)| (*s, (*a).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(record(store.as_ref(), "kept").await, kept, "{b:?}");
        assert_eq!(record(store.as_ref(), "after").await, kept, "{b:?}");
        assert_eq!(record(store.as_ref(), "refused").await, Led::new(), "{b:?}");
    }
}

/// A database upgraded in place to schema version 4 already holds escalations: the migration
/// gives each stage they reached the officers named now. On the demo, whose officers never
/// change, that is exactly the record the events give.
#[tokio::test]
async fn an_upgraded_database_gets_the_record_of_the_stages_reached() {
    for db in backends().await {
        let records = db.records().await;
        let summary = super::demo::seed(&records, 40, 3).await;
        let store = records.store().clone();
        let b = db.backend;
        let mut want = Vec::new();
        for p in &summary.partnerships {
            want.extend(everything(store.as_ref(), &p.id).await);
        }
        assert!(want.len() > 40, "{b:?}: {} rows", want.len());
        drop(records);
        // Back to version 3, as the owner: no table, no migration recorded.
        for statement in [
            "DROP TABLE escalation_officers",
            "DELETE FROM _sqlx_migrations WHERE version = 4",
        ] {
            match b {
                parley_store::Backend::Sqlite => {
                    let pool = sqlx::sqlite::SqlitePoolOptions::new()
                        .connect(&db.owner_url)
                        .await
                        .unwrap();
                    sqlx::query(statement).execute(&pool).await.unwrap();
                    pool.close().await;
                }
                parley_store::Backend::Postgres => {
                    let pool = sqlx::postgres::PgPoolOptions::new()
                        .connect(&db.owner_url)
                        .await
                        .unwrap();
                    sqlx::query(statement).execute(&pool).await.unwrap();
                    pool.close().await;
                }
            }
        }
        // The owner opens it: the migration runs again, with its backfill.
        let upgraded = parley_store::open(&db.owner_url).await.unwrap();
        // Migration 4 ran again although later ones were there.
        let newest = super::newest_migration();
        assert_eq!(upgraded.schema_version().await.unwrap(), newest, "{b:?}");
        let mut got = Vec::new();
        for p in &summary.partnerships {
            got.extend(everything(upgraded.as_ref(), &p.id).await);
        }
        // Each row dated from when the stage started, as the events date it.
        assert_eq!(got, want, "{b:?}");
    }
}
