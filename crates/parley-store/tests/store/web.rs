//! What the web application needs from the store, on both backends: accounts, sessions and API
//! tokens; the lists of escalations a person sees, checked against a brute-force filter; and
//! the record of who was shown a child's details.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_core::escalation::Event;
use parley_core::procedure::StageNumber;
use parley_store::rows::{
    AccountRow, ApiTokenRow, EscalationAppointmentRow, EscalationOfficerRow, EscalationRow,
    NamedOfficerRow, Op, SessionRow,
};
use parley_store::{Backend, EscalationFilter, EventLog, Store, StoreError, audit, transfer};

use super::demo::{now, seed};
use super::stories::{raise_input, world};
use super::{APP_ROLE, at, backends, pg_admin_url, with_database};

fn account(person: &str, email: &str) -> AccountRow {
    AccountRow {
        person_id: person.to_owned(),
        partnership_id: "p1".to_owned(),
        email: email.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        failed_attempts: 0,
        locked_until_us: None,
        created_at_us: 100,
        updated_at_us: 100,
    }
}

fn session(token_hash: &str, person: &str, expires_at_us: i64) -> SessionRow {
    SessionRow {
        token_hash: token_hash.to_owned(),
        person_id: person.to_owned(),
        csrf_token: format!("csrf-{token_hash}"),
        created_at_us: 1_000,
        last_seen_us: 1_000,
        expires_at_us,
        draft: None,
    }
}

#[tokio::test]
async fn accounts_round_trip_and_are_found_by_email_in_any_case() {
    for db in backends().await {
        let store = db.store().await;
        let b = db.backend;
        assert_eq!(store.account("ada").await.unwrap(), None);

        store
            .upsert_account(&account("ada", "Ada.Teacher@Example.ORG"))
            .await
            .unwrap();
        let saved = store.account("ada").await.unwrap().unwrap();
        assert_eq!(saved.email, "ada.teacher@example.org", "{b:?}");
        assert_eq!(
            saved,
            AccountRow {
                email: "ada.teacher@example.org".to_owned(),
                ..account("ada", "")
            }
        );
        for spelling in [
            "ada.teacher@example.org",
            "ADA.TEACHER@EXAMPLE.ORG",
            "Ada.Teacher@example.org",
        ] {
            assert_eq!(
                store.account_by_email(spelling).await.unwrap().as_ref(),
                Some(&saved),
                "{b:?} {spelling}"
            );
        }
        assert_eq!(
            store.account_by_email("sam@example.org").await.unwrap(),
            None
        );

        // Everything but the creation time is replaced.
        let changed = AccountRow {
            partnership_id: "p2".to_owned(),
            email: "ADA@example.org".to_owned(),
            password_hash: "$argon2id$new".to_owned(),
            failed_attempts: 3,
            locked_until_us: Some(9_000),
            created_at_us: 555,
            updated_at_us: 700,
            ..account("ada", "")
        };
        store.upsert_account(&changed).await.unwrap();
        let saved = store.account("ada").await.unwrap().unwrap();
        assert_eq!(
            saved,
            AccountRow {
                email: "ada@example.org".to_owned(),
                created_at_us: 100,
                ..changed.clone()
            },
            "{b:?}"
        );
        assert_eq!(
            store
                .account_by_email("ada.teacher@example.org")
                .await
                .unwrap(),
            None
        );

        // Another person cannot take the address, in any case; nothing changes.
        let err = store
            .upsert_account(&account("sam", "Ada@Example.org"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{b:?}: {err}");
        assert!(err.to_string().starts_with("refused: "), "{err}");
        assert_eq!(store.account("sam").await.unwrap(), None);
        store
            .upsert_account(&account("sam", "sam@example.org"))
            .await
            .unwrap();
        assert_eq!(
            store
                .account_by_email("SAM@example.org")
                .await
                .unwrap()
                .unwrap()
                .person_id,
            "sam"
        );
    }
}

#[tokio::test]
async fn failed_sign_ins_are_counted_exactly_and_lock_the_account() {
    for db in backends().await {
        let store = db.store().await;
        let b = db.backend;
        store
            .upsert_account(&account("ada", "ada@example.org"))
            .await
            .unwrap();
        assert_eq!(
            store.note_sign_in_failure("ada", None, 200).await.unwrap(),
            1
        );
        assert_eq!(
            store.note_sign_in_failure("ada", None, 201).await.unwrap(),
            2
        );
        let a = store.account("ada").await.unwrap().unwrap();
        assert_eq!(
            (a.failed_attempts, a.locked_until_us, a.updated_at_us),
            (2, None, 201)
        );
        // The lock is set when given and kept when not.
        assert_eq!(
            store
                .note_sign_in_failure("ada", Some(5_000), 202)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            store.note_sign_in_failure("ada", None, 203).await.unwrap(),
            4
        );
        let a = store.account("ada").await.unwrap().unwrap();
        assert_eq!((a.failed_attempts, a.locked_until_us), (4, Some(5_000)));

        // Concurrent failures each count.
        let tries = (0..20).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.note_sign_in_failure("ada", None, 300 + i).await })
        });
        let mut counts = BTreeSet::new();
        for t in tries {
            counts.insert(t.await.unwrap().unwrap());
        }
        assert_eq!(counts, (5..=24).collect::<BTreeSet<i64>>(), "{b:?}");

        store.clear_sign_in_failures("ada", 400).await.unwrap();
        let a = store.account("ada").await.unwrap().unwrap();
        assert_eq!(
            (a.failed_attempts, a.locked_until_us, a.updated_at_us),
            (0, None, 400)
        );
        assert_eq!(a.created_at_us, 100);

        let err = store
            .note_sign_in_failure("nobody", None, 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{b:?}: {err}");
    }
}

#[tokio::test]
async fn sessions_are_created_touched_drafted_deleted_and_swept() {
    for db in backends().await {
        let store = db.store().await;
        let b = db.backend;
        let hash = |n: u8| format!("{n:064x}");
        store
            .create_session(&session(&hash(1), "ada", 10_000))
            .await
            .unwrap();
        assert_eq!(
            store.session(&hash(1)).await.unwrap(),
            Some(session(&hash(1), "ada", 10_000))
        );
        assert_eq!(store.session(&hash(9)).await.unwrap(), None);
        // The same token twice is refused.
        assert!(
            store
                .create_session(&session(&hash(1), "sam", 1))
                .await
                .is_err()
        );

        store.touch_session(&hash(1), 2_000, 20_000).await.unwrap();
        let s = store.session(&hash(1)).await.unwrap().unwrap();
        assert_eq!(
            (s.created_at_us, s.last_seen_us, s.expires_at_us),
            (1_000, 2_000, 20_000)
        );

        let draft = r#"{"form":"raise","summary":"Referral \"closed\" – NFA"}"#;
        store
            .set_session_draft(&hash(1), Some(draft))
            .await
            .unwrap();
        assert_eq!(
            store
                .session(&hash(1))
                .await
                .unwrap()
                .unwrap()
                .draft
                .as_deref(),
            Some(draft),
            "{b:?}"
        );
        store.set_session_draft(&hash(1), None).await.unwrap();
        assert_eq!(store.session(&hash(1)).await.unwrap().unwrap().draft, None);
        // Changing a session that is not there does nothing.
        store.touch_session(&hash(9), 1, 1).await.unwrap();
        store.set_session_draft(&hash(9), Some("{}")).await.unwrap();
        assert_eq!(store.session(&hash(9)).await.unwrap(), None);

        store.delete_session(&hash(1)).await.unwrap();
        assert_eq!(store.session(&hash(1)).await.unwrap(), None);
        store.delete_session(&hash(1)).await.unwrap();

        // Signing a person out everywhere leaves everyone else signed in.
        for (n, person) in [(2, "ada"), (3, "ada"), (4, "sam")] {
            store
                .create_session(&session(&hash(n), person, 50_000))
                .await
                .unwrap();
        }
        store.delete_person_sessions("ada").await.unwrap();
        assert_eq!(store.session(&hash(2)).await.unwrap(), None);
        assert_eq!(store.session(&hash(3)).await.unwrap(), None);
        assert!(store.session(&hash(4)).await.unwrap().is_some());

        // The sweep takes what has expired (at `now` or before) and nothing else.
        for (n, expires) in [(5, 29_999), (6, 30_000), (7, 30_001)] {
            store
                .create_session(&session(&hash(n), "kim", expires))
                .await
                .unwrap();
        }
        assert_eq!(store.delete_expired_sessions(30_000).await.unwrap(), 2);
        assert_eq!(store.session(&hash(5)).await.unwrap(), None);
        assert_eq!(store.session(&hash(6)).await.unwrap(), None);
        assert!(store.session(&hash(7)).await.unwrap().is_some());
        assert!(store.session(&hash(4)).await.unwrap().is_some());
        assert_eq!(store.delete_expired_sessions(30_000).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn api_tokens_are_created_read_and_revoked_once() {
    for db in backends().await {
        let store = db.store().await;
        let token = ApiTokenRow {
            token_hash: "ab".repeat(32),
            person_id: "ada".to_owned(),
            label: "Reporting script".to_owned(),
            created_at_us: 10,
            expires_at_us: Some(1_000),
            revoked_at_us: None,
            last_used_at_us: None,
        };
        let forever = ApiTokenRow {
            token_hash: "cd".repeat(32),
            expires_at_us: None,
            ..token.clone()
        };
        store.create_api_token(&token).await.unwrap();
        store.create_api_token(&forever).await.unwrap();
        assert_eq!(
            store.api_token(&token.token_hash).await.unwrap().as_ref(),
            Some(&token)
        );
        assert_eq!(
            store.api_token(&forever.token_hash).await.unwrap().as_ref(),
            Some(&forever)
        );
        assert_eq!(store.api_token(&"ef".repeat(32)).await.unwrap(), None);

        store.revoke_api_token(&token.token_hash, 50).await.unwrap();
        store.revoke_api_token(&token.token_hash, 60).await.unwrap();
        store.revoke_api_token(&"ef".repeat(32), 60).await.unwrap();
        assert_eq!(
            store
                .api_token(&token.token_hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at_us,
            Some(50),
            "{:?}",
            db.backend
        );
        assert_eq!(
            store
                .api_token(&forever.token_hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at_us,
            None
        );
    }
}

/// A person's tokens are listed (theirs only, and their partnership's for administrators),
/// their use noted, and revoked together for good: a second revocation keeps the first time,
/// and a token revoked with the rest stays revoked whatever happens to the person.
#[tokio::test]
async fn a_person_s_tokens_are_listed_touched_and_revoked_together() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let other = world(&records, "dorset").await;
        let store = records.store();
        let token = |hash: &str, person: &str, created: i64| ApiTokenRow {
            token_hash: hash.repeat(32),
            person_id: person.to_owned(),
            label: format!("token {hash}"),
            created_at_us: created,
            expires_at_us: None,
            revoked_at_us: None,
            last_used_at_us: None,
        };
        let mine = [token("a1", &w.teacher, 10), token("a2", &w.teacher, 20)];
        let colleague = token("b1", &w.social_worker, 15);
        let foreign = token("c1", &other.teacher, 30);
        for t in mine.iter().chain([&colleague, &foreign]) {
            store.create_api_token(t).await.unwrap();
        }
        let hashes = |rows: Vec<ApiTokenRow>| -> Vec<String> {
            rows.into_iter()
                .map(|t| t.token_hash[..2].to_owned())
                .collect()
        };
        assert_eq!(
            hashes(store.person_api_tokens(&w.teacher).await.unwrap()),
            ["a2", "a1"],
            "{:?}",
            db.backend
        );
        assert_eq!(
            hashes(store.partnership_api_tokens(&w.partnership).await.unwrap()),
            ["a2", "b1", "a1"]
        );
        assert_eq!(
            hashes(
                store
                    .partnership_api_tokens(&other.partnership)
                    .await
                    .unwrap()
            ),
            ["c1"]
        );
        assert!(store.person_api_tokens("nobody").await.unwrap().is_empty());

        store
            .touch_api_token(&mine[0].token_hash, 500)
            .await
            .unwrap();
        let used = store.api_token(&mine[0].token_hash).await.unwrap().unwrap();
        assert_eq!(used.last_used_at_us, Some(500));

        store
            .revoke_api_token(&mine[1].token_hash, 40)
            .await
            .unwrap();
        assert_eq!(
            store
                .revoke_person_api_tokens(&w.teacher, 90)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .revoke_person_api_tokens(&w.teacher, 95)
                .await
                .unwrap(),
            0
        );
        let after = store.person_api_tokens(&w.teacher).await.unwrap();
        let revoked: Vec<Option<i64>> = after.iter().map(|t| t.revoked_at_us).collect();
        assert_eq!(
            revoked,
            [Some(40), Some(90)],
            "the first revocation time is kept"
        );
        for untouched in [&colleague, &foreign] {
            let t = store
                .api_token(&untouched.token_hash)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(t.revoked_at_us, None, "{}", t.label);
        }
    }
}

#[tokio::test]
async fn security_state_survives_a_rebuild_of_the_projections() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let store = records.store();
        store
            .upsert_account(&AccountRow {
                partnership_id: w.partnership.clone(),
                ..account(&w.teacher, "ada.teacher@example.org")
            })
            .await
            .unwrap();
        store
            .create_session(&session("aa", &w.teacher, 10))
            .await
            .unwrap();
        records.rebuild_projections().await.unwrap();
        assert!(store.account(&w.teacher).await.unwrap().is_some());
        assert!(store.session("aa").await.unwrap().is_some());
        // And `person` reads the projection the account points at.
        let person = store.person(&w.teacher).await.unwrap().unwrap();
        assert_eq!(person.email, "ada.teacher@example.org");
        assert_eq!(person.partnership_id, w.partnership);
        assert_eq!(store.person("nobody").await.unwrap(), None);
    }
}

// ---------------------------------------------------------------------------------------------
// The lists, against brute force

/// What `escalations_involving` must return, worked out from every escalation and every
/// row of the record of officers.
fn involving(
    all: &[EscalationRow],
    officers: &[EscalationOfficerRow],
    appointed: &[EscalationAppointmentRow],
    people: &[String],
) -> Vec<EscalationRow> {
    let mut out: Vec<EscalationRow> = all
        .iter()
        .filter(|e| {
            people.contains(&e.raised_by)
                || e.receiving_person_id
                    .as_ref()
                    .is_some_and(|p| people.contains(p))
                || officers
                    .iter()
                    .any(|o| o.escalation_id == e.id && people.contains(&o.person_id))
                || appointed
                    .iter()
                    .any(|a| a.escalation_id == e.id && people.contains(&a.person_id))
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| (&a.stage_due, &a.reference).cmp(&(&b.stage_due, &b.reference)));
    out
}

/// What `escalation_page` must count and list, worked out from every escalation.
fn filtered(all: &[EscalationRow], f: &EscalationFilter) -> Vec<EscalationRow> {
    let mut out: Vec<EscalationRow> = all
        .iter()
        .filter(|e| {
            f.min_stage.is_none_or(|s| e.current_stage >= s)
                && f.stage.is_none_or(|s| e.current_stage == s)
                && f.agency_id
                    .as_ref()
                    .is_none_or(|a| &e.raising_agency_id == a || &e.receiving_agency_id == a)
                && f.category.as_ref().is_none_or(|c| &e.category == c)
                && f.status.as_ref().is_none_or(|s| &e.status == s)
                && f.overdue_on.as_ref().is_none_or(|d| {
                    e.status == "open"
                        && (e.stage_due < *d || e.overall_due.as_ref().is_some_and(|o| o < d))
                })
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        b.raised_at_us
            .cmp(&a.raised_at_us)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    out
}

/// The filters worth trying on a partnership's escalations: each field alone, some together.
fn filters(all: &[EscalationRow], today: &str) -> Vec<EscalationFilter> {
    let agencies: BTreeSet<&String> = all
        .iter()
        .flat_map(|e| [&e.raising_agency_id, &e.receiving_agency_id])
        .collect();
    let categories: BTreeSet<&String> = all.iter().map(|e| &e.category).collect();
    let mut out = vec![EscalationFilter::default()];
    for stage in 1..=4 {
        out.push(EscalationFilter {
            min_stage: Some(stage),
            ..Default::default()
        });
        out.push(EscalationFilter {
            stage: Some(stage),
            ..Default::default()
        });
    }
    for a in agencies.iter().take(4) {
        out.push(EscalationFilter {
            agency_id: Some((*a).clone()),
            ..Default::default()
        });
    }
    for c in categories.iter().take(4) {
        out.push(EscalationFilter {
            category: Some((*c).clone()),
            ..Default::default()
        });
    }
    for s in [
        "open",
        "resolved",
        "referred-on",
        "withdrawn",
        "redirected",
        "no-such",
    ] {
        out.push(EscalationFilter {
            status: Some(s.to_owned()),
            ..Default::default()
        });
    }
    for day in [today, "2020-01-01", "2099-01-01"] {
        out.push(EscalationFilter {
            overdue_on: Some(day.to_owned()),
            ..Default::default()
        });
    }
    let agency = agencies.iter().next().map(|a| (*a).clone());
    let category = categories.iter().next().map(|c| (*c).clone());
    out.push(EscalationFilter {
        min_stage: Some(2),
        status: Some("open".to_owned()),
        agency_id: agency.clone(),
        ..Default::default()
    });
    out.push(EscalationFilter {
        stage: Some(1),
        category,
        overdue_on: Some(today.to_owned()),
        ..Default::default()
    });
    out.push(EscalationFilter {
        min_stage: Some(1),
        stage: Some(2),
        agency_id: agency,
        status: Some("open".to_owned()),
        overdue_on: Some("2099-01-01".to_owned()),
        category: None,
    });
    out
}

/// Checks every filter, paging through each with a small page, against brute force.
async fn check_pages(store: &dyn Store, partnership_id: &str, all: &[EscalationRow], today: &str) {
    let b = store.backend();
    for f in filters(all, today) {
        let expected = filtered(all, &f);
        let total = expected.len() as i64;
        let (first, n) = store
            .escalation_page(partnership_id, &f, 1_000_000, 0)
            .await
            .unwrap();
        assert_eq!(n, total, "{b:?} {f:?}");
        assert_eq!(first, expected, "{b:?} {f:?}");
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let (page, n) = store
                .escalation_page(partnership_id, &f, 7, offset)
                .await
                .unwrap();
            assert_eq!(n, total, "{b:?} {f:?} at {offset}");
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            offset += page.len() as i64;
            paged.extend(page);
        }
        assert_eq!(paged, expected, "{b:?} {f:?} paged");
        // Past the end, and nonsense limits: nothing listed, the same total.
        for (limit, offset) in [(10, total + 5), (0, 0), (-3, 0), (5, -2)] {
            let (page, n) = store
                .escalation_page(partnership_id, &f, limit, offset)
                .await
                .unwrap();
            assert_eq!(n, total, "{b:?} {f:?} {limit} {offset}");
            let want: Vec<_> = expected
                .iter()
                .skip(offset.max(0) as usize)
                .take(limit.max(0) as usize)
                .cloned()
                .collect();
            assert_eq!(page, want, "{b:?} {f:?} {limit} {offset}");
        }
    }
}

#[tokio::test]
async fn the_web_lists_agree_with_brute_force_on_demo_data() {
    let today = now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .date()
        .to_string();
    for db in backends().await {
        let records = db.records().await;
        let summary = seed(&records, 300, 5).await;
        let store = records.store();
        let b = db.backend;
        let mut checked = 0;
        for p in &summary.partnerships {
            let all = store.escalations(&p.id).await.unwrap();
            assert!(!all.is_empty());
            let people = store.people(&p.id).await.unwrap();
            let officers = store.named_officers(&p.id).await.unwrap();

            // Every row of the record of officers, read escalation by escalation; and who is
            // appointed to each.
            let mut record = Vec::new();
            let mut appointed = Vec::new();
            for e in &all {
                record.extend(store.escalation_officers(&e.id).await.unwrap());
                appointed.extend(store.escalation_appointments(&e.id).await.unwrap());
            }
            assert!(!record.is_empty(), "{b:?}: no record of officers");
            // The demo names its officers before any escalation and never changes them: the
            // record is exactly the officers named for each stage an escalation reached.
            let mut want_record = Vec::new();
            for e in &all {
                for stage in store.stages(&e.id).await.unwrap() {
                    for o in officers.iter().filter(|o| {
                        o.stage == stage.stage
                            && (o.agency_id == e.raising_agency_id
                                || o.agency_id == e.receiving_agency_id)
                    }) {
                        want_record.push((
                            e.id.clone(),
                            o.stage,
                            o.agency_id.clone(),
                            o.person_id.clone(),
                        ));
                    }
                }
            }
            let mut got_record: Vec<_> = record
                .iter()
                .map(|o| {
                    (
                        o.escalation_id.clone(),
                        o.stage,
                        o.agency_id.clone(),
                        o.person_id.clone(),
                    )
                })
                .collect();
            want_record.sort();
            want_record.dedup();
            got_record.sort();
            assert_eq!(got_record, want_record, "{b:?} {}", p.name);
            // Several escalations' records at once are the same rows.
            let ids: Vec<String> = all.iter().map(|e| e.id.clone()).collect();
            let mut sorted = record.clone();
            sorted.sort();
            assert_eq!(
                store.officers_of_escalations(&p.id, &ids).await.unwrap(),
                sorted,
                "{b:?}"
            );
            if let Some(other) = summary.partnerships.iter().find(|o| o.id != p.id) {
                assert!(
                    store
                        .officers_of_escalations(&other.id, &ids)
                        .await
                        .unwrap()
                        .is_empty(),
                    "another partnership's escalations"
                );
            }

            let mut cases: Vec<Vec<String>> = vec![vec![]];
            // Each raiser and receiver alone, and everyone who ever raised together.
            let raisers: BTreeSet<String> = all.iter().map(|e| e.raised_by.clone()).collect();
            let receivers: BTreeSet<String> = all
                .iter()
                .filter_map(|e| e.receiving_person_id.clone())
                .collect();
            for person in raisers.iter().take(5).chain(receivers.iter().take(5)) {
                cases.push(vec![person.clone()]);
            }
            cases.push(raisers.iter().cloned().collect());
            // Each person as they would sign in, and each named officer (now or once) alone.
            for person in people.iter().take(25) {
                cases.push(vec![person.id.clone()]);
            }
            let led: BTreeSet<String> = record.iter().map(|o| o.person_id.clone()).collect();
            for person in led.iter().take(25) {
                cases.push(vec![person.clone()]);
            }
            cases.push(officers.iter().map(|o| o.person_id.clone()).collect());
            // Unknown people, and hostile text.
            cases.push(vec!["nobody".to_owned(), "it's \"quoted\"".to_owned()]);
            cases.push(vec![
                "%".to_owned(),
                "' OR 1=1 --".to_owned(),
                String::new(),
            ]);
            for people in &cases {
                let got = store.escalations_involving(&p.id, people).await.unwrap();
                assert_eq!(
                    got,
                    involving(&all, &record, &appointed, people),
                    "{b:?} {} {people:?}",
                    p.name
                );
                checked += usize::from(!got.is_empty());
                // The open ones, and the closed ones page by page (newest first), are the
                // same escalations split by status.
                let open = store
                    .open_escalations_involving(&p.id, people)
                    .await
                    .unwrap();
                let want_open: Vec<_> =
                    got.iter().filter(|e| e.status == "open").cloned().collect();
                assert_eq!(open, want_open, "{b:?} {people:?}");
                let mut want_closed: Vec<_> =
                    got.iter().filter(|e| e.status != "open").cloned().collect();
                want_closed.sort_by(|a, b| {
                    (b.raised_at_us, &b.reference).cmp(&(a.raised_at_us, &a.reference))
                });
                let mut closed = Vec::new();
                for page in 0.. {
                    let (rows, total) = store
                        .closed_escalations_involving(&p.id, people, 7, page * 7)
                        .await
                        .unwrap();
                    assert_eq!(total, want_closed.len() as i64, "{b:?} page {page}");
                    if rows.is_empty() {
                        break;
                    }
                    assert!(rows.len() <= 7);
                    closed.extend(rows);
                }
                assert_eq!(closed, want_closed, "{b:?} {people:?}");
            }
            // Another partnership's people find nothing here.
            if let Some(other) = summary.partnerships.iter().find(|o| o.id != p.id) {
                let theirs: Vec<String> = store
                    .escalations(&other.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.raised_by)
                    .collect();
                assert!(
                    store
                        .escalations_involving(&p.id, &theirs)
                        .await
                        .unwrap()
                        .is_empty()
                );
            }

            check_pages(store.as_ref(), &p.id, &all, &today).await;
        }
        assert!(checked > 20, "{b:?}: only {checked} cases found anything");
    }
}

/// Ten thousand escalations in one partnership (written straight into the projection): the
/// lists still agree with brute force and answer quickly, through the indexes.
#[tokio::test]
async fn the_web_lists_are_fast_with_ten_thousand_escalations() {
    const N: usize = 10_000;
    for db in backends().await {
        let store = db.store().await;
        let b = db.backend;
        // A deterministic spread: 400 people in 40 agencies, four stages, five statuses.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let day = |d: u64| {
            jiff::civil::date(2026, 1, 1)
                .checked_add(jiff::Span::new().days(d as i64))
                .unwrap()
                .to_string()
        };
        let statuses = ["open", "open", "resolved", "withdrawn", "referred-on"];
        let mut ops = Vec::new();
        // One named officer for each agency and stage, in both partnerships; each escalation
        // enters its stages up to the current one from a random first one (routes that start
        // later), so the record of officers is what the lists follow.
        for partnership in ["big", "other"] {
            for agency in 0..40 {
                for stage in 1..=4 {
                    ops.push(Op::NamedOfficer(NamedOfficerRow {
                        partnership_id: partnership.to_owned(),
                        agency_id: format!("{partnership}-agency-{agency}"),
                        stage,
                        person_id: format!("person-{}", (agency * 10 + stage * 2) % 400),
                    }));
                }
            }
        }
        let mut entered = Vec::new();
        for i in 0..N {
            let partnership = if i % 10 == 9 { "other" } else { "big" };
            let raiser = next(400);
            let receiver = next(400);
            let raised = next(330);
            let current_stage = 1 + next(4) as i64;
            let first_stage = 1 + next(current_stage as u64) as i64;
            for stage in first_stage..=current_stage {
                entered.push(Op::StageEntered {
                    escalation_id: format!("e{i:05}"),
                    partnership_id: partnership.to_owned(),
                    stage,
                    raising_agency_id: format!("{partnership}-agency-{}", raiser / 10),
                    receiving_agency_id: format!("{partnership}-agency-{}", receiver / 10),
                    at_us: 0,
                });
            }
            ops.push(Op::Escalation(Box::new(EscalationRow {
                id: format!("e{i:05}"),
                partnership_id: partnership.to_owned(),
                reference: format!("BIG-2026-{i:05}"),
                procedure_version: 1,
                version: 1,
                route: "individual".to_owned(),
                subject: "child".to_owned(),
                child_status: Some("child-in-need".to_owned()),
                category: format!("category-{}", next(6)),
                status: statuses[next(5) as usize].to_owned(),
                outcome: None,
                current_stage,
                stage_due: day(raised + next(40)),
                overall_due: (next(3) > 0).then(|| day(raised + 60)),
                raised_at_us: 1_767_225_600_000_000
                    + raised as i64 * 86_400_000_000
                    + next(1000) as i64,
                raised_on: day(raised),
                closed_at_us: None,
                resolved_by_events: false,
                raised_by: format!("person-{raiser}"),
                raising_agency_id: format!("{partnership}-agency-{}", raiser / 10),
                receiving_agency_id: format!("{partnership}-agency-{}", receiver / 10),
                receiving_person_id: (next(4) > 0).then(|| format!("person-{receiver}")),
                summary: "A decision challenged".to_owned(),
                updated_at_us: 0,
                wake_on: None,
            })));
        }
        ops.extend(entered);
        store.replace_projections(ops).await.unwrap();
        let all = store.escalations("big").await.unwrap();
        assert_eq!(all.len(), N * 9 / 10);
        let ids: Vec<String> = all.iter().map(|e| e.id.clone()).collect();
        let record = store.officers_of_escalations("big", &ids).await.unwrap();
        assert!(record.len() > N, "{b:?}: {} rows of officers", record.len());

        let mut slowest = Duration::ZERO;
        let cases: Vec<Vec<String>> = vec![
            vec!["person-7".to_owned()],
            vec!["person-7".to_owned(), "person-123".to_owned()],
            vec!["person-22".to_owned()],
            (0..40).map(|p| format!("person-{}", p * 10)).collect(),
            (0..40).map(|p| format!("person-{}", p * 10 + 4)).collect(),
            vec![],
        ];
        for people in &cases {
            let started = Instant::now();
            let got = store.escalations_involving("big", people).await.unwrap();
            slowest = slowest.max(started.elapsed());
            assert_eq!(
                got,
                involving(&all, &record, &[], people),
                "{b:?} {people:?}"
            );
        }
        let page_filters = [
            EscalationFilter::default(),
            EscalationFilter {
                status: Some("open".to_owned()),
                overdue_on: Some("2026-06-01".to_owned()),
                ..Default::default()
            },
            EscalationFilter {
                agency_id: Some("big-agency-5".to_owned()),
                min_stage: Some(2),
                ..Default::default()
            },
        ];
        for f in &page_filters {
            let started = Instant::now();
            let (page, total) = store.escalation_page("big", f, 25, 50).await.unwrap();
            slowest = slowest.max(started.elapsed());
            let expected = filtered(&all, f);
            assert_eq!(total, expected.len() as i64, "{b:?} {f:?}");
            assert_eq!(page, expected[50..75.min(expected.len())], "{b:?} {f:?}");
        }
        eprintln!("{b:?}: slowest web list over {N} escalations: {slowest:?}");
        // Generous, for a loaded test machine (SQLite's plan itself is checked by a unit test
        // in backend/escalations.rs).
        assert!(slowest < Duration::from_secs(2), "{b:?}: {slowest:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Who was shown a child's details

#[tokio::test]
async fn reading_child_details_is_recorded_apart_from_the_escalation() {
    for db in backends().await {
        let records = Arc::new(db.records().await);
        let b = db.backend;
        let w = world(&records, "solihull").await;
        let e = records
            .raise(
                at(10),
                &parley_store::records::Actor::person(&w.teacher),
                &w.partnership,
                raise_input(&w, "child-protection-plan"),
            )
            .await
            .unwrap();
        let store = records.store().clone();
        let stream = format!("escalation:{}", e.id);
        let before = store.escalation(&e.id).await.unwrap().unwrap();
        let stream_before = store.stream_version(&w.partnership, &stream).await.unwrap();
        assert!(records.access_log(&e.id).await.unwrap().is_empty());

        records
            .record_child_details_read(&e.id, &w.social_worker, at(20))
            .await
            .unwrap();
        // Many readers at the same moment: each is recorded once.
        let readers = (0..12).map(|i| {
            let records = records.clone();
            let id = e.id.clone();
            let who = if i % 2 == 0 {
                w.teacher.clone()
            } else {
                w.social_worker.clone()
            };
            tokio::spawn(async move {
                records
                    .record_child_details_read(&id, &who, at(30 + i))
                    .await
            })
        });
        for r in readers {
            r.await.unwrap().unwrap();
        }

        // The escalation has not moved: a form based on its version is not stale.
        assert_eq!(store.escalation(&e.id).await.unwrap().unwrap(), before);
        assert_eq!(
            store.stream_version(&w.partnership, &stream).await.unwrap(),
            stream_before
        );
        let log = records.access_log(&e.id).await.unwrap();
        assert_eq!(log.len(), 13, "{b:?}");
        assert_eq!(log[0], (at(20).as_microsecond(), w.social_worker.clone()));
        let mut times: Vec<i64> = log.iter().map(|(t, _)| *t).collect();
        times.sort_unstable();
        let expected: Vec<i64> = std::iter::once(20)
            .chain(30..42)
            .map(|m| at(m).as_microsecond())
            .collect();
        assert_eq!(times, expected);
        assert_eq!(log.iter().filter(|(_, r)| *r == w.teacher).count(), 6);
        let access = format!("access:{}", e.id);
        assert_eq!(
            store.stream_version(&w.partnership, &access).await.unwrap(),
            13
        );
        let chain = store.chain(&w.partnership, 0, i64::MAX).await.unwrap();
        let reads: Vec<_> = chain.iter().filter(|l| l.stream == access).collect();
        assert_eq!(reads.len(), 13);
        assert!(reads.iter().all(|l| l.kind == "child-details-read"));
        assert!(
            reads
                .iter()
                .all(|l| l.actor.as_deref() == Some(w.teacher.as_str())
                    || l.actor.as_deref() == Some(w.social_worker.as_str()))
        );

        // An action based on the version seen before the reads still goes through.
        records
            .act(
                at(50),
                &parley_store::records::Actor::person(&w.social_worker),
                &e.id,
                before.version,
                &Event::StageRecordUpdated {
                    stage: StageNumber::new(1).unwrap(),
                    fields: vec![("discussion".to_owned(), "Spoke on the phone".to_owned())],
                },
                None,
            )
            .await
            .unwrap();

        // In the chain like everything else; ignored by the projections.
        let report = audit::verify(store.as_ref()).await.unwrap();
        assert!(report.is_intact(), "{b:?}: {report:?}");
        let answer = store.escalation(&e.id).await.unwrap();
        let stages = store.stages(&e.id).await.unwrap();
        records.rebuild_projections().await.unwrap();
        assert_eq!(store.escalation(&e.id).await.unwrap(), answer);
        assert_eq!(store.stages(&e.id).await.unwrap(), stages);

        // Nothing to read about an escalation that is not there.
        let err = records
            .record_child_details_read("no-such-escalation", &w.teacher, at(60))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");

        // Export, import into the other backend, and the record comes along and verifies.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.jsonl");
        let mut out = Vec::new();
        transfer::export(store.as_ref(), at(70), &mut out)
            .await
            .unwrap();
        std::fs::write(&file, &out).unwrap();
        for target in backends().await {
            let imported = target.records().await;
            transfer::import(&imported, &file).await.unwrap();
            assert_eq!(imported.access_log(&e.id).await.unwrap(), log);
            assert!(
                audit::verify(imported.store().as_ref())
                    .await
                    .unwrap()
                    .is_intact()
            );
            assert_eq!(
                imported.store().escalation(&e.id).await.unwrap(),
                store.escalation(&e.id).await.unwrap()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL privileges

const WEB_TABLES: [&str; 3] = ["accounts", "sessions", "api_tokens"];
/// The delivery state of migration 8.
const DELIVERY_TABLES: [&str; 2] = ["deliveries", "mail_preferences"];

async fn privileges(url: &str) -> Vec<(String, bool, bool)> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let mut out = Vec::new();
    // The record of officers (migration 4) as well: a projection the writer keeps.
    for table in WEB_TABLES
        .iter()
        .chain(&DELIVERY_TABLES)
        .chain(&["escalation_officers", "events"])
    {
        let (all, change): (bool, bool) = sqlx::query_as(
            "SELECT has_table_privilege(current_user, $1, 'SELECT, INSERT'), \
             has_table_privilege(current_user, $1, 'UPDATE') OR has_table_privilege(current_user, $1, 'DELETE')",
        )
        .bind(*table)
        .fetch_one(&pool)
        .await
        .unwrap();
        out.push(((*table).to_owned(), all, change));
    }
    pool.close().await;
    out
}

#[tokio::test]
async fn the_app_role_on_postgres_can_use_the_web_tables() {
    for db in backends().await {
        if db.backend != Backend::Postgres {
            continue;
        }
        // Through the store, as the application's role.
        let store = db.store().await;
        store
            .upsert_account(&account("ada", "ada@example.org"))
            .await
            .unwrap();
        store.note_sign_in_failure("ada", None, 1).await.unwrap();
        store
            .create_session(&session("aa", "ada", 10))
            .await
            .unwrap();
        store.delete_expired_sessions(10).await.unwrap();
        store
            .create_api_token(&ApiTokenRow {
                token_hash: "bb".to_owned(),
                person_id: "ada".to_owned(),
                label: "x".to_owned(),
                created_at_us: 1,
                expires_at_us: None,
                revoked_at_us: None,
                last_used_at_us: None,
            })
            .await
            .unwrap();
        store.revoke_api_token("bb", 2).await.unwrap();
        // Full use of the web tables; the event log is still append-only for it.
        let expected = vec![
            ("accounts".to_owned(), true, true),
            ("sessions".to_owned(), true, true),
            ("api_tokens".to_owned(), true, true),
            ("deliveries".to_owned(), true, true),
            ("mail_preferences".to_owned(), true, true),
            ("escalation_officers".to_owned(), true, true),
            ("events".to_owned(), true, false),
        ];
        assert_eq!(privileges(&db.url).await, expected);
    }
}

/// A database granted to the application under schema version 1 and then upgraded in place:
/// the migration gives the application's role the new tables too.
#[tokio::test]
async fn upgrading_a_granted_postgres_database_grants_the_web_tables() {
    // Skipped (loudly) without a server, like every PostgreSQL story.
    if super::pg_db().await.is_none() {
        return;
    }
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&pg_admin_url())
        .await
        .unwrap();
    let name = format!("parley_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let owner_url = with_database(&pg_admin_url(), &name);
    let owner = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&owner_url)
        .await
        .unwrap();
    let migrations = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/postgres"
    )))
    .await
    .unwrap();
    migrations.run_to(1, &owner).await.unwrap();
    // What `grant_app_role` gave under version 1.
    for sql in [
        format!("GRANT USAGE ON SCHEMA public TO {APP_ROLE}"),
        format!("GRANT SELECT, INSERT ON events TO {APP_ROLE}"),
        format!("GRANT SELECT ON _sqlx_migrations TO {APP_ROLE}"),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON chain_heads, partnerships, procedures, agencies, people, \
             named_officers, escalations, escalation_children, escalation_cases, escalation_stages, compliments, \
             outbox TO {APP_ROLE}"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&owner)
            .await
            .unwrap();
    }
    owner.close().await;

    // The owner opens it (migrating to the latest version); no new grant is run.
    let upgraded = parley_store::backend::PgStore::open(&owner_url)
        .await
        .unwrap();
    assert!(upgraded.schema_version().await.unwrap() >= 2);
    upgraded.close().await;
    let app_url = super::url_with_user(&owner_url, APP_ROLE, super::APP_PASSWORD);
    let got = privileges(&app_url).await;
    assert!(
        got.iter()
            .filter(|(t, ..)| t != "events")
            .all(|(_, all, change)| *all && *change),
        "{got:?}"
    );
    let store = parley_store::open(&app_url).await.unwrap();
    store
        .upsert_account(&account("ada", "ada@example.org"))
        .await
        .unwrap();
    assert!(store.account("ada").await.unwrap().is_some());
    // Migration 6 lets the application's role purge through the owner's function, and no one
    // else (PUBLIC's default EXECUTE is revoked).
    let app = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&app_url)
        .await
        .unwrap();
    let (may, public): (bool, bool) = sqlx::query_as(
        "SELECT has_function_privilege(current_user, 'parley_purge_event_content(text, bigint)', 'EXECUTE'), \
         EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a \
                 WHERE p.proname = 'parley_purge_event_content' AND a.grantee = 0)",
    )
    .fetch_one(&app)
    .await
    .unwrap();
    assert!(may && !public, "app may: {may}, PUBLIC may: {public}");
    app.close().await;
}
