//! Purges, tried from both sides. The lawful one (`purge::purge_event`, an administrator, an
//! authority, a reason) leaves a chain that verifies and says who purged what on whose
//! authority. Every other way of emptying an event's content (each content column alone and
//! together, on every kind of event, under a checkpoint or not) makes `audit verify` fail
//! naming the partnership and the event; the database refuses it outright while its guards
//! stand; and no one but an administrator of the partnership can purge.

use parley_core::escalation::Event;
use parley_store::audit::{self, AuditKey, Problem};
use parley_store::backend::NewEvent;
use parley_store::chain::{Break, Link};
use parley_store::purge::{self, PurgeRequest};
use parley_store::records::{Actor, PersonInput, Records};
use parley_store::{AppendRequest, Backend, StoreError};

use super::stories::{World, raise_input, world};
use super::tamper::{Owner, checkpoint};
use super::{TestDb, at, backends};

/// A partnership with an event of every kind an attacker might erase, and an administrator.
pub(crate) struct Estate {
    pub w: World,
    pub admin: String,
    pub escalation: String,
}

pub(crate) async fn estate(records: &Records) -> Estate {
    let w = world(records, "solihull").await;
    let p = &w.partnership;
    let admin = records
        .save_person(
            at(3),
            &Actor::SYSTEM,
            p,
            None,
            PersonInput {
                agency_id: None,
                name: "Ari Admin".to_owned(),
                email: "ari.admin@example.org".to_owned(),
                job_title: "Business support".to_owned(),
                roles: vec![purge::ADMINISTRATOR_ROLE.to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    records
        .set_named_officer(at(4), &Actor::SYSTEM, p, &w.school, 2, Some(&w.teacher))
        .await
        .unwrap();
    records
        .give_compliment(
            at(5),
            &Actor::person(&w.teacher),
            p,
            &w.teacher,
            &w.social_worker,
            "Thank you for the quick call back.",
        )
        .await
        .unwrap();
    let teacher = Actor::person(&w.teacher);
    let raised = records
        .raise(at(10), &teacher, p, raise_input(&w, "none"))
        .await
        .unwrap();
    records
        .act(
            at(20),
            &teacher,
            &raised.id,
            1,
            &Event::Escalated,
            Some("No reply within the timescale"),
        )
        .await
        .unwrap();
    records
        .record_child_details_read(&raised.id, &w.social_worker, at(30))
        .await
        .unwrap();
    // A second escalation taken to Solihull's stage 4, where the business team appoints an
    // independent chair (issue 14, item 4): a row of `escalation_appointments`.
    let chair = records
        .save_person(
            at(40),
            &Actor::SYSTEM,
            p,
            None,
            PersonInput {
                agency_id: None,
                name: "Cai Chair".to_owned(),
                email: "cai.chair@example.org".to_owned(),
                job_title: "Independent Chair".to_owned(),
                roles: vec!["independent-chair".to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let second = records
        .raise(at(41), &teacher, p, raise_input(&w, "none"))
        .await
        .unwrap();
    for (version, second_at) in [(1, 42), (2, 43), (3, 44)] {
        records
            .act(
                at(second_at),
                &teacher,
                &second.id,
                version,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();
    }
    records
        .act(
            at(45),
            &Actor::SYSTEM,
            &second.id,
            4,
            &Event::Appointed {
                role: parley_core::names::Actor::IndependentChair,
                person: chair,
            },
            None,
        )
        .await
        .unwrap();
    Estate {
        w,
        admin,
        escalation: raised.id,
    }
}

/// The partnership's events, oldest first.
async fn events(records: &Records, p: &str) -> Vec<Link> {
    records.store().chain(p, 0, 1000).await.unwrap()
}

/// The newest event of a kind.
async fn newest(records: &Records, p: &str, kind: &str) -> Link {
    events(records, p)
        .await
        .into_iter()
        .rev()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} event"))
}

/// Puts an event's content back as it was in `link` (the guards being down).
pub(crate) async fn restore(owner: &Owner, link: &Link) {
    const SQL: &str = "UPDATE events SET actor = $3, reason = $4, payload = $5, salt = $6 \
                       WHERE partnership_id = $1 AND seq = $2";
    let n = match owner {
        Owner::Sqlite(pool) => sqlx::query(SQL)
            .bind(&link.partnership_id)
            .bind(link.seq)
            .bind(&link.actor)
            .bind(&link.reason)
            .bind(&link.payload)
            .bind(&link.salt)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        Owner::Pg(pool) => sqlx::query(SQL)
            .bind(&link.partnership_id)
            .bind(link.seq)
            .bind(&link.actor)
            .bind(&link.reason)
            .bind(&link.payload)
            .bind(&link.salt)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(n, 1);
}

/// What `audit verify` must say when these columns of an event are set to NULL.
fn expected_problem(link: &Link, columns: &[&str]) -> Problem {
    let gone = |c: &str| columns.contains(&c);
    let seq = link.seq;
    match (gone("payload"), gone("salt")) {
        (true, true) => Problem::UnrecordedPurge { seqs: vec![seq] },
        (true, false) | (false, true) => Problem::Break(Break::PartialPurge { seq }),
        (false, false) => Problem::Break(Break::Content { seq }),
    }
}

const KINDS: [&str; 8] = [
    "child-details-read",
    "escalated",
    "raised",
    "compliment-given",
    "named-officer-set",
    "person-saved",
    "agency-added",
    "partnership-created",
];

const COLUMN_SETS: [&[&str]; 8] = [
    &["actor"],
    &["reason"],
    &["payload"],
    &["salt"],
    &["actor", "reason"],
    &["payload", "salt"],
    &["actor", "payload", "salt"],
    &["actor", "reason", "payload", "salt"],
];

#[tokio::test]
async fn every_way_of_emptying_content_behind_parleys_back_is_named() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let p = e.w.partnership.clone();
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let before = checkpoint(store, &key).await;
        let owner = Owner::connect(&db).await;
        let mut tried = 0;
        for kind in KINDS {
            let link = newest(&records, &p, kind).await;
            for columns in COLUMN_SETS {
                let was_null = |c: &str| match c {
                    "actor" => link.actor.is_none(),
                    "reason" => link.reason.is_none(),
                    _ => false,
                };
                if columns.iter().all(|c| was_null(c)) {
                    // Nothing to erase (a system event has no actor; most have no reason).
                    continue;
                }
                let set: Vec<String> = columns.iter().map(|c| format!("{c} = NULL")).collect();
                let n = owner
                    .exec(&format!(
                        "UPDATE events SET {} WHERE partnership_id = '{p}' AND seq = {}",
                        set.join(", "),
                        link.seq
                    ))
                    .await;
                assert_eq!(n, 1);
                tried += 1;
                let case = format!("{:?}: {kind} (event {}) {columns:?}", db.backend, link.seq);

                let report = audit::verify(store).await.unwrap();
                let (chain, problem) = report
                    .first_break()
                    .unwrap_or_else(|| panic!("{case}: passed verify"));
                assert_eq!(chain.partnership_id, p, "{case}");
                assert_eq!(*problem, expected_problem(&link, columns), "{case}");
                assert!(
                    problem
                        .to_string()
                        .starts_with(&format!("event {}:", link.seq)),
                    "{case}: {problem}"
                );
                // The checkpoint holds hashes only, and still matches: it does not excuse it.
                assert_eq!(
                    audit::verify_against(store, &before, &key.public_key())
                        .await
                        .unwrap(),
                    vec![],
                    "{case}"
                );
                // The start-up check sees it too (every event here is among the newest).
                let recent = audit::check_recent(store, audit::RECENT_EVENTS)
                    .await
                    .unwrap();
                assert_eq!(recent, vec![(p.clone(), problem.clone())], "{case}");

                restore(&owner, &link).await;
                assert!(
                    audit::verify(store).await.unwrap().is_intact(),
                    "{case}: not restored"
                );
            }
        }
        owner.close().await;
        assert!(tried >= 40, "only {tried} tamperings tried");
    }
}

/// A purge through `purge::purge_event`.
fn request(p: &str, seq: i64) -> PurgeRequest {
    PurgeRequest {
        partnership_id: p.to_owned(),
        seq,
        authority: "Retention schedule RS-7; DPO decision 2026/114".to_owned(),
        reason: "Access records are kept for six years".to_owned(),
    }
}

#[tokio::test]
async fn a_lawful_purge_verifies_and_shows_its_authority() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let p = e.w.partnership.clone();
        let store = records.store().as_ref();
        let key = AuditKey::generate().unwrap();
        let before = checkpoint(store, &key).await;
        let read = newest(&records, &p, "child-details-read").await;
        let head = events(&records, &p).await.len() as i64;

        let appended = purge::purge_event(&records, at(60), &e.admin, &request(&p, read.seq))
            .await
            .unwrap();
        assert_eq!(appended.seq, head + 1, "{:?}", db.backend);

        // The content is gone, in the same transaction as its record.
        let purged = newest(&records, &p, "child-details-read").await;
        assert_eq!(
            (&purged.actor, &purged.reason, &purged.payload, &purged.salt),
            (&None, &None, &None, &None)
        );
        assert_eq!(purged.hash, read.hash);
        assert_eq!(
            records.access_log(&e.escalation).await.unwrap(),
            vec![(at(30).as_microsecond(), String::new())]
        );

        let report = audit::verify(store).await.unwrap();
        assert!(report.is_intact(), "{:?}: {report:?}", db.backend);
        let chain = &report.chains[0];
        assert_eq!(chain.purged, 1);
        assert_eq!(
            chain.purges,
            vec![audit::Purge {
                seq: read.seq,
                kind: "child-details-read".to_owned(),
                record_seq: appended.seq,
                at_us: at(60).as_microsecond(),
                by: Some(e.admin.clone()),
                authority: "Retention schedule RS-7; DPO decision 2026/114".to_owned(),
                reason: Some("Access records are kept for six years".to_owned()),
            }]
        );
        assert_eq!(
            audit::check_recent(store, audit::RECENT_EVENTS)
                .await
                .unwrap(),
            vec![]
        );
        assert_eq!(
            audit::verify_against(store, &before, &key.public_key())
                .await
                .unwrap(),
            vec![]
        );
        let tables = parley_store::consistency::check(store, records.holidays().clone())
            .await
            .unwrap();
        assert_eq!(
            tables,
            parley_store::consistency::ProjectionReport::Consistent
        );

        // Emptying the purge record afterwards erases the account of the purge: both the
        // record and the event it accounted for are then named.
        let owner = Owner::connect(&db).await;
        owner
            .exec(&format!(
                "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL \
                 WHERE partnership_id = '{p}' AND seq = {}",
                appended.seq
            ))
            .await;
        owner.close().await;
        let report = audit::verify(store).await.unwrap();
        assert_eq!(
            report
                .first_break()
                .map(|(c, p)| (c.partnership_id.clone(), p.clone())),
            Some((
                p.clone(),
                Problem::UnrecordedPurge {
                    seqs: vec![read.seq, appended.seq]
                }
            )),
            "{:?}",
            db.backend
        );
    }
}

#[tokio::test]
async fn only_an_administrator_of_the_partnership_purges_and_only_what_may_go() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let p = e.w.partnership.clone();
        // An administrator of another partnership, a deactivated administrator.
        let other = estate(&records).await;
        let retired = records
            .save_person(
                at(40),
                &Actor::SYSTEM,
                &p,
                None,
                PersonInput {
                    agency_id: None,
                    name: "Former Admin".to_owned(),
                    email: "former@example.org".to_owned(),
                    job_title: String::new(),
                    roles: vec![purge::ADMINISTRATOR_ROLE.to_owned()],
                    line_manager_id: None,
                    active: false,
                },
            )
            .await
            .unwrap();
        let read = newest(&records, &p, "child-details-read").await.seq;
        let raised = newest(&records, &p, "raised").await.seq;
        let person = newest(&records, &p, "person-saved").await.seq;
        let compliment = newest(&records, &p, "compliment-given").await.seq;
        let before = events(&records, &p).await;

        let blank = |mut r: PurgeRequest, authority: &str, reason: &str| {
            r.authority = authority.to_owned();
            r.reason = reason.to_owned();
            r
        };
        // (who, what, the refusal's words)
        let attempts: Vec<(&str, PurgeRequest, &str)> = vec![
            (&e.w.teacher, request(&p, read), "only an administrator"),
            (
                &e.w.social_worker,
                request(&p, read),
                "only an administrator",
            ),
            (&other.admin, request(&p, read), "only an administrator"),
            (&retired, request(&p, read), "only an administrator"),
            ("no-such-person", request(&p, read), "only an administrator"),
            (&e.admin, blank(request(&p, read), " ", "why"), "authority"),
            (&e.admin, blank(request(&p, read), "RS-7", "\t"), "reason"),
            (
                &e.admin,
                request(&p, raised),
                "cannot be replayed without it",
            ),
            (&e.admin, request(&p, person), "cannot be purged"),
            (
                &e.admin,
                request(&p, compliment),
                "query tables are built from",
            ),
            (&e.admin, request(&p, 9_999), "not found"),
            (&e.admin, request(&p, 0), "not found"),
            (
                &e.admin,
                request(&other.w.partnership, read),
                "only an administrator",
            ),
        ];
        for (who, req, words) in attempts {
            let refused = purge::purge_event(&records, at(60), who, &req)
                .await
                .expect_err(&format!("{:?}: {who} purged {req:?}", db.backend));
            assert!(
                refused.to_string().contains(words),
                "{:?}: {who} {req:?}: {refused}",
                db.backend
            );
        }
        // Nothing was written.
        assert_eq!(events(&records, &p).await.len(), before.len());

        // Purged once; never twice; a purge record never.
        let record = purge::purge_event(&records, at(60), &e.admin, &request(&p, read))
            .await
            .unwrap();
        let again = purge::purge_event(&records, at(61), &e.admin, &request(&p, read))
            .await
            .unwrap_err();
        assert!(again.to_string().contains("no content left"), "{again}");
        let of_record = purge::purge_event(&records, at(61), &e.admin, &request(&p, record.seq))
            .await
            .unwrap_err();
        assert!(
            of_record.to_string().contains("purge record"),
            "{of_record}"
        );
        assert!(
            audit::verify(records.store().as_ref())
                .await
                .unwrap()
                .is_intact()
        );
    }
}

/// With the guards in place, the application's own connection (and on PostgreSQL the owner's)
/// cannot empty content without a purge record, nor change anything else under one.
#[tokio::test]
async fn the_database_refuses_to_empty_content_without_a_purge_record() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let p = e.w.partnership.clone();
        let read = newest(&records, &p, "child-details-read").await.seq;
        let escalated = newest(&records, &p, "escalated").await.seq;
        let empty = |seq: i64| {
            format!(
                "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL \
                 WHERE partnership_id = '{p}' AND seq = {seq}"
            )
        };
        // A purge record for `read` exists from here on: it sanctions emptying `read` only,
        // and nothing but emptying.
        purge::purge_event(&records, at(60), &e.admin, &request(&p, read))
            .await
            .unwrap();
        let attempts = [
            empty(escalated),
            format!(
                "UPDATE events SET payload = '{{}}' WHERE partnership_id = '{p}' AND seq = {read}"
            ),
            format!("UPDATE events SET kind = 'x' WHERE partnership_id = '{p}' AND seq = {read}"),
            format!("UPDATE events SET at_us = 0 WHERE partnership_id = '{p}' AND seq = {read}"),
            format!(
                "UPDATE events SET payload = NULL, salt = NULL WHERE partnership_id = '{p}' AND seq = {escalated}"
            ),
        ];
        refuse_all(&db, &attempts, "append-only").await;
        if db.backend == Backend::Postgres {
            // The application's role reaches the owner's function, which meets the same guard.
            let app = sqlx::postgres::PgPoolOptions::new()
                .connect(&db.url)
                .await
                .unwrap();
            let message = sqlx::query("SELECT parley_purge_event_content($1, $2)")
                .bind(&p)
                .bind(escalated)
                .fetch_all(&app)
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.contains("append-only"), "{message}");
            app.close().await;
        }
        // A purge record appended by hand (not through `purge_event`) with the wrong hash
        // sanctions nothing either.
        let forged = AppendRequest {
            partnership_id: p.clone(),
            stream: purge::purge_stream(escalated),
            expected_version: 0,
            partnership_version: None,
            events: vec![NewEvent {
                at_us: at(70).as_microsecond(),
                kind: "event-purged".to_owned(),
                actor: Some(e.admin.clone()),
                reason: Some("r".to_owned()),
                payload: serde_json::json!({
                    "type": "event-purged",
                    "purged_seq": escalated,
                    "purged_hash": "00".repeat(32),
                    "purged_kind": "escalated",
                    "authority": "a",
                })
                .to_string(),
            }],
            ops: vec![],
            outbox: vec![],
        };
        let refused = records
            .store()
            .append_purge(forged, escalated)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Database(_)),
            "{:?}: {refused}",
            db.backend
        );
        let report = audit::verify(records.store().as_ref()).await.unwrap();
        assert!(report.is_intact(), "{:?}: {report:?}", db.backend);
        assert_eq!(report.chains[0].purges.len(), 1);
    }
}

/// Runs each statement on the application's connection (and the owner's, on PostgreSQL),
/// guards up, and asserts each is refused with `words` or a permission error.
async fn refuse_all(db: &TestDb, attempts: &[String], words: &str) {
    match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .connect(&db.url)
                .await
                .unwrap();
            for sql in attempts {
                let message = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&pool)
                    .await
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(message.contains(words), "not refused: {sql}\n{message}");
            }
            pool.close().await;
        }
        Backend::Postgres => {
            for (url, expect) in [(&db.url, "permission denied"), (&db.owner_url, words)] {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(url)
                    .await
                    .unwrap();
                for sql in attempts {
                    let message = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&pool)
                        .await
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(message.contains(expect), "not refused: {sql}\n{message}");
                }
                pool.close().await;
            }
        }
    }
}

/// A purged database exports and imports (on both backends) with its purge intact and
/// accounted for, and its query tables rebuilt to what the events say.
#[tokio::test]
async fn a_purge_survives_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let source = backends().await.remove(0);
    let records = source.records().await;
    let e = estate(&records).await;
    let p = e.w.partnership.clone();
    let read = newest(&records, &p, "child-details-read").await.seq;
    purge::purge_event(&records, at(60), &e.admin, &request(&p, read))
        .await
        .unwrap();
    let mut out = Vec::new();
    parley_store::transfer::export(records.store().as_ref(), at(70), &mut out)
        .await
        .unwrap();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, out).unwrap();
    for db in backends().await {
        let imported = db.records().await;
        parley_store::transfer::import(&imported, &file)
            .await
            .unwrap();
        let store = imported.store().as_ref();
        let report = audit::verify(store).await.unwrap();
        assert!(report.is_intact(), "{:?}: {report:?}", db.backend);
        assert_eq!(
            report.chains[0]
                .purges
                .iter()
                .map(|p| (p.seq, p.authority.as_str()))
                .collect::<Vec<_>>(),
            vec![(read, "Retention schedule RS-7; DPO decision 2026/114")]
        );
        assert_eq!(
            parley_store::consistency::check(store, imported.holidays().clone())
                .await
                .unwrap(),
            parley_store::consistency::ProjectionReport::Consistent
        );
    }
}
