//! What the records do, told the same way on both backends.

use std::sync::Arc;

use parley_core::escalation::Event;
use parley_core::procedure::StageNumber;
use parley_store::StoreError;
use parley_store::payload::ChildDetails;
use parley_store::records::{Actor, PersonInput, RaiseInput, Records};

use super::{at, backends};

pub(crate) struct World {
    pub(crate) partnership: String,
    pub school: String,
    pub council: String,
    pub teacher: String,
    pub social_worker: String,
}

pub(crate) async fn world(records: &Records, procedure: &str) -> World {
    let source = parley_core::seeds::source(procedure).unwrap();
    let admin = Actor::SYSTEM;
    let partnership = records
        .create_partnership(at(0), &admin, "Test Partnership", Some("TSP"), source)
        .await
        .unwrap();
    let school = records
        .add_agency(
            at(1),
            &admin,
            &partnership,
            "Oak Primary School",
            "education",
        )
        .await
        .unwrap();
    let council = records
        .add_agency(
            at(1),
            &admin,
            &partnership,
            "Children's Social Care",
            "local-authority",
        )
        .await
        .unwrap();
    let person = |agency: &str, name: &str, roles: &[&str]| PersonInput {
        agency_id: Some(agency.to_owned()),
        name: name.to_owned(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        job_title: "Practitioner".to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        line_manager_id: None,
        active: true,
    };
    let teacher = records
        .save_person(
            at(2),
            &admin,
            &partnership,
            None,
            person(&school, "Ada Teacher", &["practitioner"]),
        )
        .await
        .unwrap();
    let social_worker = records
        .save_person(
            at(2),
            &admin,
            &partnership,
            None,
            person(&council, "Sam Worker", &["practitioner"]),
        )
        .await
        .unwrap();
    World {
        partnership,
        school,
        council,
        teacher,
        social_worker,
    }
}

/// The teacher raises a child-protection-plan challenge at minute `minute`.
pub(crate) async fn raise_as_teacher(
    records: &Records,
    w: &World,
    minute: i64,
) -> Result<parley_store::records::RaisedEscalation, StoreError> {
    records
        .raise(
            at(minute),
            &Actor::person(&w.teacher),
            &w.partnership,
            raise_input(w, "child-protection-plan"),
        )
        .await
}

pub(crate) fn raise_input(w: &World, child_status: &str) -> RaiseInput {
    RaiseInput {
        route: "individual".to_owned(),
        child_status: Some(child_status.to_owned()),
        child: Some(ChildDetails {
            name: "MARKER-CHILD-1".to_owned(),
            date_of_birth: Some("2015-04-01".to_owned()),
            identifier: None,
        }),
        category: "referral-eligibility".to_owned(),
        raised_by: w.teacher.clone(),
        raising_agency_id: w.school.clone(),
        receiving_agency_id: w.council.clone(),
        receiving_person_id: Some(w.social_worker.clone()),
        summary: "Referral not accepted for assessment".to_owned(),
        decision: "The referral was closed with no further action.".to_owned(),
        evidence: "Three incidents this term.".to_owned(),
        outcome_wanted: "A child and family assessment.".to_owned(),
        decided_on: None,
    }
}

#[tokio::test]
async fn both_backends_reach_the_same_schema_version() {
    let mut versions = Vec::new();
    for db in backends().await {
        let store = db.store().await;
        versions.push((db.backend, store.schema_version().await.unwrap()));
    }
    assert!(
        versions.iter().all(|(_, v)| *v == versions[0].1),
        "{versions:?}"
    );
    // The newest migration's number (each migration directory names its files NNNN_...).
    let newest = super::newest_migration();
    assert_eq!(versions[0].1, newest);
}

/// The configuration version moves with every change to the partnership's configuration
/// (here: an agency, a closure day) and with nothing an escalation does; a rebuild of the
/// projections gives it back the same.
#[tokio::test]
async fn the_configuration_version_moves_with_the_configuration_only() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let store = records.store();
        let version = || async { store.config_version(&w.partnership).await.unwrap().unwrap() };
        let v0 = version().await;
        assert!(
            v0 > 0,
            "{:?}: creating the partnership moves it",
            db.backend
        );
        let raised = raise_as_teacher(&records, &w, 10).await.unwrap();
        records
            .act(
                at(20),
                &Actor::person(&w.teacher),
                &raised.id,
                1,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            version().await,
            v0,
            "{:?}: an escalation moved it",
            db.backend
        );
        records
            .add_agency(
                at(30),
                &Actor::SYSTEM,
                &w.partnership,
                "Elm GP Practice",
                "health",
            )
            .await
            .unwrap();
        let v1 = version().await;
        assert!(v1 > v0, "{:?}: a new agency did not move it", db.backend);
        records
            .set_closure_days(
                at(40),
                &Actor::SYSTEM,
                &w.partnership,
                vec!["2027-01-04".to_owned()],
            )
            .await
            .unwrap();
        let v2 = version().await;
        assert!(v2 > v1, "{:?}: closure days did not move it", db.backend);
        records.rebuild_projections().await.unwrap();
        assert_eq!(
            version().await,
            v2,
            "{:?}: a rebuild changed it",
            db.backend
        );
        assert_eq!(
            store.config_version("no-such-partnership").await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn an_escalation_is_raised_escalated_and_resolved() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let raised = raise_as_teacher(&records, &w, 10).await.unwrap();
        assert_eq!(raised.version, 1);
        assert!(
            raised.reference.starts_with("TSP-2026-"),
            "{}",
            raised.reference
        );
        let store = records.store();
        let row = store.escalation(&raised.id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.current_stage), ("open", 1));
        // Solihull §4: stage 1 within 1 working day of Monday 21 December 2026.
        assert_eq!(row.stage_due, "2026-12-22");
        assert!(
            store
                .child_details(&raised.id)
                .await
                .unwrap()
                .unwrap()
                .contains("MARKER-CHILD-1")
        );

        let teacher = Actor::person(&w.teacher);
        let v = records
            .act(
                at(60),
                &teacher,
                &raised.id,
                1,
                &Event::Escalated,
                Some("not resolved"),
            )
            .await
            .unwrap();
        assert_eq!(v, 2);
        let fields = vec![("outcome".to_owned(), "Assessment agreed".to_owned())];
        let v = records
            .act(
                at(70),
                &teacher,
                &raised.id,
                2,
                &Event::StageRecordUpdated {
                    stage: StageNumber::new(2).unwrap(),
                    fields,
                },
                None,
            )
            .await
            .unwrap();
        // Issue 14, item 2: agreed takes both sides, the other side's confirmation closing it.
        let v = records
            .act(
                at(80),
                &teacher,
                &raised.id,
                v,
                &Event::AgreementProposed {
                    proposal: parley_core::agreement::Proposal::Resolution,
                    by: parley_core::names::Side::Raising,
                },
                None,
            )
            .await
            .unwrap();
        let v = records
            .act(
                at(81),
                &teacher,
                &raised.id,
                v,
                &Event::AgreementConfirmed {
                    by: parley_core::names::Party::ReceivingSide,
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(v, 5);
        let row = store.escalation(&raised.id).await.unwrap().unwrap();
        assert_eq!(
            (row.status.as_str(), row.outcome.as_deref()),
            ("resolved", Some("agreed"))
        );
        let stages = store.stages(&raised.id).await.unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(
            stages[1].record,
            vec![("outcome".to_owned(), "Assessment agreed".to_owned())]
        );

        // Notifications: the IRO at each stage (child protection plan, Solihull §7), the
        // business manager from stage 2 without the child's details (§3).
        let outbox = store.outbox(&w.partnership).await.unwrap();
        let partnership: Vec<_> = outbox
            .iter()
            .filter(|o| o.recipient == "partnership-business-team")
            .collect();
        assert!(!partnership.is_empty(), "{outbox:?}");
        assert!(partnership.iter().all(|o| !o.child_details && o.stage >= 2));
        assert!(
            outbox
                .iter()
                .any(|o| o.recipient == "independent-reviewing-officer" && o.stage == 1)
        );

        // The state rebuilt from the events agrees with the projection.
        let state = records.escalation_state(&raised.id).await.unwrap();
        assert_eq!(state.version, 5);
        assert!(!state.status.is_open());
    }
}

#[tokio::test]
async fn a_stale_action_is_a_conflict_and_a_refused_one_writes_nothing() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let actor = Actor::person(&w.teacher);
        let e = records
            .raise(
                at(10),
                &actor,
                &w.partnership,
                raise_input(&w, "child-in-need"),
            )
            .await
            .unwrap();
        records
            .act(at(20), &actor, &e.id, 1, &Event::Escalated, None)
            .await
            .unwrap();
        let stale = records
            .act(at(30), &actor, &e.id, 1, &Event::Escalated, None)
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    expected: 1,
                    actual: 2,
                    ..
                })
            ),
            "{stale:?}"
        );
        // The state machine refuses an outcome the procedure does not allow: nothing is written.
        let refused = records
            .act(
                at(40),
                &actor,
                &e.id,
                2,
                &Event::ReferredOn {
                    referral: "ofsted".into(),
                },
                None,
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Project(_))),
            "{refused:?}"
        );
        assert_eq!(
            records
                .store()
                .escalation(&e.id)
                .await
                .unwrap()
                .unwrap()
                .version,
            2
        );
    }
}

/// Two managers escalating the same case at once: exactly one wins, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_actions_on_one_escalation_exactly_one_wins() {
    const RACES: usize = 1000;
    for db in backends().await {
        let records = Arc::new(db.records().await);
        let w = world(&records, "croydon").await;
        let actor = Actor::person(&w.teacher);
        let mut input = raise_input(&w, "child-in-need");
        input.category = "levels-of-need".to_owned();
        let e = records
            .raise(at(10), &actor, &w.partnership, input)
            .await
            .unwrap();
        let mut wins = 0;
        for i in 0..RACES {
            let version = 1 + i as i64;
            let text = format!("note {i}");
            let attempt = |who: &str| {
                let records = records.clone();
                let id = e.id.clone();
                let actor = Actor::person(who);
                let fields = vec![("discussion".to_owned(), format!("{text} by {who}"))];
                async move {
                    let event = Event::StageRecordUpdated {
                        stage: StageNumber::new(1).unwrap(),
                        fields,
                    };
                    records
                        .act(at(20), &actor, &id, version, &event, None)
                        .await
                }
            };
            let (a, b) = tokio::join!(
                tokio::spawn(attempt(&w.teacher)),
                tokio::spawn(attempt(&w.social_worker))
            );
            let results = [a.unwrap(), b.unwrap()];
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let conflicts = results
                .iter()
                .filter(|r| matches!(r, Err(StoreError::Conflict { .. })))
                .count();
            assert_eq!(
                (ok, conflicts),
                (1, 1),
                "race {i} on {:?}: {results:?}",
                db.backend
            );
            wins += ok;
        }
        assert_eq!(wins, RACES);
        let row = records.store().escalation(&e.id).await.unwrap().unwrap();
        assert_eq!(row.version, 1 + RACES as i64);
    }
}

#[tokio::test]
async fn rebuilt_projections_answer_every_query_the_same() {
    // The notifications the story queued, as the first backend wrote them.
    let mut first_outbox = None;
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "buckinghamshire").await;
        let actor = Actor::person(&w.teacher);
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut input = raise_input(&w, "looked-after");
            input.category = "levels-of-need".to_owned();
            let e = records
                .raise(at(10 + i), &actor, &w.partnership, input)
                .await
                .unwrap();
            ids.push(e.id.clone());
            if i % 2 == 0 {
                records
                    .act(at(100 + i), &actor, &e.id, 1, &Event::Escalated, None)
                    .await
                    .unwrap();
            }
        }
        // One command after another on each escalation: on PostgreSQL these are written from
        // what the writer remembers, as one statement each (`backend/postgres/mod.rs`), and must
        // leave the same rows as a replay.
        for (i, id) in ids.iter().enumerate() {
            let mut version = if i % 2 == 0 { 2 } else { 1 };
            let stage = StageNumber::new(if i % 2 == 0 { 2 } else { 1 }).unwrap();
            let minute = 120 + 10 * i64::try_from(i).unwrap();
            let mut steps = vec![
                Event::StageRecordUpdated {
                    stage,
                    fields: vec![("discussion".to_owned(), format!("talked {i}"))],
                },
                Event::StageRecordUpdated {
                    stage,
                    fields: vec![("discussion".to_owned(), format!("talked again {i}"))],
                },
                Event::Escalated,
            ];
            if i < 2 {
                steps.push(Event::AgreementProposed {
                    proposal: parley_core::agreement::Proposal::Resolution,
                    by: parley_core::names::Side::Receiving,
                });
                steps.push(Event::AgreementConfirmed {
                    by: parley_core::names::Party::RaisingSide,
                });
            }
            for (n, step) in (0..).zip(&steps) {
                version = records
                    .act(at(minute + n), &actor, id, version, step, None)
                    .await
                    .unwrap_or_else(|e| panic!("{:?} {step:?}: {e}", db.backend));
            }
        }
        records
            .give_compliment(
                at(200),
                &actor,
                &w.partnership,
                &w.teacher,
                &w.social_worker,
                "Thank you",
            )
            .await
            .unwrap();
        records
            .set_named_officer(
                at(201),
                &Actor::SYSTEM,
                &w.partnership,
                &w.council,
                2,
                Some(&w.social_worker),
            )
            .await
            .unwrap();
        let snapshot = || async {
            let s = records.store();
            let mut out = format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
                s.partnerships().await.unwrap(),
                s.procedures(&w.partnership).await.unwrap(),
                s.agencies(&w.partnership).await.unwrap(),
                s.people(&w.partnership).await.unwrap(),
                s.named_officers(&w.partnership).await.unwrap(),
                s.escalations(&w.partnership).await.unwrap(),
                s.compliments(&w.partnership).await.unwrap(),
            );
            for id in &ids {
                out.push_str(&format!(
                    "{:?}\n{:?}\n{:?}\n{:?}\n",
                    s.stages(id).await.unwrap(),
                    s.child_details(id).await.unwrap(),
                    s.case(id).await.unwrap(),
                    s.escalation_officers(id).await.unwrap()
                ));
            }
            out
        };
        // Every backend queues the same notifications (escalations named by their order).
        let mut outbox: Vec<_> = records
            .store()
            .outbox(&w.partnership)
            .await
            .unwrap()
            .into_iter()
            .map(|o| {
                let escalation = o
                    .escalation_id
                    .and_then(|e| ids.iter().position(|id| *id == e));
                let sent = (o.sent_at_us, o.attempts, o.last_error);
                let what = (o.recipient, o.reason, o.stage, o.child_details, o.address);
                (o.event_seq, escalation, what, o.created_at_us, sent)
            })
            .collect();
        outbox.sort();
        assert!(outbox.len() > 10, "{:?}: {outbox:?}", db.backend);
        match &first_outbox {
            None => first_outbox = Some(outbox),
            Some(first) => assert_eq!(first, &outbox, "{:?}", db.backend),
        }
        let before = snapshot().await;
        let replayed = records.rebuild_projections().await.unwrap();
        assert!(replayed > 10);
        let after = snapshot().await;
        assert_eq!(before, after, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn unknown_url_schemes_are_refused() {
    let err = parley_store::open("mysql://localhost/parley")
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme \"mysql\""),
        "{err}"
    );
}

#[tokio::test]
async fn settings_that_could_lose_a_write_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?synchronous=normal",
        dir.path().join("x.db").display()
    );
    let err = parley_store::open(&url).await.err().unwrap();
    assert!(matches!(err, StoreError::Durability(_)), "{err}");
    assert!(err.to_string().contains("synchronous=normal"), "{err}");

    for db in backends().await {
        if db.backend != parley_store::Backend::Postgres {
            continue;
        }
        let (_, name) = db.owner_url.rsplit_once('/').unwrap();
        let owner = sqlx::postgres::PgPoolOptions::new()
            .connect(&db.owner_url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        )))
        .execute(&owner)
        .await
        .unwrap();
        let err = parley_store::open(&db.url).await.err().unwrap();
        assert!(
            err.to_string().contains("synchronous_commit is off"),
            "{err}"
        );
    }
}

/// A command decided on a state this process keeps is decided again when another process
/// (another `parley serve` on the same database) has changed the partnership's configuration
/// meanwhile: what it writes follows the new configuration, as a replay would.
#[tokio::test]
async fn a_command_follows_configuration_changed_by_another_process() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let teacher = Actor::person(&w.teacher);
        let mut ids = Vec::new();
        for minute in [10, 11] {
            let raised = records
                .raise(
                    at(minute),
                    &teacher,
                    &w.partnership,
                    raise_input(&w, "child-protection-plan"),
                )
                .await
                .unwrap();
            // Decided here, and the state kept for the next command.
            records
                .act(at(20), &teacher, &raised.id, 1, &Event::Escalated, None)
                .await
                .unwrap();
            ids.push(raised.id);
        }
        // The first escalates again before the change: the due date without closure days.
        records
            .act(at(25), &teacher, &ids[0], 2, &Event::Escalated, None)
            .await
            .unwrap();
        let other = db.records().await;
        other
            .set_closure_days(
                at(30),
                &Actor::SYSTEM,
                &w.partnership,
                vec!["2026-12-22".to_owned(), "2026-12-23".to_owned()],
            )
            .await
            .unwrap();
        records
            .act(at(40), &teacher, &ids[1], 2, &Event::Escalated, None)
            .await
            .unwrap();
        let store = records.store();
        let before = store.escalation(&ids[0]).await.unwrap().unwrap();
        let after = store.escalation(&ids[1]).await.unwrap().unwrap();
        assert_eq!(before.current_stage, after.current_stage);
        assert!(
            after.stage_due > before.stage_due,
            "{:?}: the closure days were not counted: {} then {}",
            db.backend,
            before.stage_due,
            after.stage_due
        );
        other.rebuild_projections().await.unwrap();
        let replayed = store.escalation(&ids[1]).await.unwrap().unwrap();
        assert_eq!(replayed.stage_due, after.stage_due, "{:?}", db.backend);
    }
}

/// The write itself refuses a command decided on a configuration that has moved.
#[tokio::test]
async fn an_append_decided_on_a_moved_configuration_is_a_conflict() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let store = records.store();
        let config = store
            .stream_version(&w.partnership, parley_store::stream::PARTNERSHIP)
            .await
            .unwrap();
        let request = |partnership_version| parley_store::AppendRequest {
            partnership_id: w.partnership.clone(),
            stream: "note:1".to_owned(),
            expected_version: 0,
            partnership_version: Some(partnership_version),
            events: vec![parley_store::NewEvent {
                at_us: 1,
                kind: "note".to_owned(),
                actor: None,
                reason: None,
                payload: "{}".to_owned(),
            }],
            ops: Vec::new(),
            outbox: Vec::new(),
        };
        let results = store
            .append_batch(vec![request(config - 1), request(config)])
            .await
            .unwrap();
        match &results[0] {
            Err(StoreError::Conflict {
                stream,
                expected,
                actual,
            }) => {
                assert_eq!(
                    (stream.as_str(), *expected, *actual),
                    ("partnership", config - 1, config)
                );
            }
            other => panic!("{:?}: {other:?}", db.backend),
        }
        assert!(results[1].is_ok(), "{:?}: {results:?}", db.backend);
    }
}

/// Reference numbers: raises at once in one process take 0001, 0002... with none twice and none
/// skipped; a second process on the same database (which numbers from its own memory once it
/// has counted) meets the first's numbers and moves past them, so no raise fails.
#[tokio::test]
async fn concurrent_raises_and_two_processes_share_one_reference_series() {
    for db in backends().await {
        let backend = db.backend;
        let first = Arc::new(db.records().await);
        let w = Arc::new(world(&first, "solihull").await);
        let mut raises = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let (records, w) = (first.clone(), w.clone());
            raises.spawn(async move {
                raise_as_teacher(&records, &w, 10)
                    .await
                    .map(|r| r.reference)
            });
        }
        let mut references: Vec<String> = raises
            .join_all()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        references.sort();
        let expected: Vec<String> = (1..=12).map(|n| format!("TSP-2026-{n:04}")).collect();
        assert_eq!(references, expected, "{backend:?}");

        // The second process counts 12 and takes 13; the first, numbering from memory, then
        // meets 13, counts again and takes 14; and so on, turn about.
        let second = db.records().await;
        let mut ids = Vec::new();
        for turn in 0..6 {
            let records = if turn % 2 == 0 { &second } else { &*first };
            let raised = raise_as_teacher(records, &w, 20 + turn)
                .await
                .unwrap_or_else(|e| panic!("{backend:?}: turn {turn}: {e}"));
            references.push(raised.reference);
            ids.push(raised.id);
        }
        // Escalation ids are time-ordered (new rows go at the end of the indexes keyed by them).
        assert!(ids.is_sorted(), "{backend:?}: {ids:?}");
        let mut unique = references.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 18, "{backend:?}: {references:?}");
        assert_eq!(
            references[12..],
            (13..=18)
                .map(|n| format!("TSP-2026-{n:04}"))
                .collect::<Vec<_>>(),
            "{backend:?}"
        );
    }
}
