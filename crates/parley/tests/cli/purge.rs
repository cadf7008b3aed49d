//! `parley audit purge` and what `parley audit verify` says about purges and the query
//! tables, end to end on a SQLite file: the real binary, tampering done directly in the file.
//! The same rules on PostgreSQL are tried in the store's tests (`tests/store/purge.rs`,
//! `projections.rs`).

use std::path::Path;
use std::sync::Arc;

use parley_store::backend::SqliteStore;
use parley_store::payload::ChildDetails;
use parley_store::records::{Actor, PersonInput, RaiseInput, Records};

use super::audit::{block_on, tamper};
use super::{Run, parley_in};

/// What `seed` made.
pub(crate) struct Seeded {
    pub(crate) partnership: String,
    escalation: String,
    admin: String,
    /// The child-details-read event's sequence number.
    pub(crate) read_seq: i64,
}

const ADMIN: &str = "ari.admin@example.org";
const TEACHER: &str = "ada.teacher@example.org";

/// A partnership with an administrator, a teacher, an escalation with a child, and a record
/// of the child's details being read, in the data directory's default database.
pub(crate) fn seed(data_dir: &Path) -> Seeded {
    let path = data_dir.join("parley.db");
    block_on(async {
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let records = Records::new(Arc::new(store.clone()));
        let seeded = seed_records(&records).await;
        drop(records);
        store.close().await;
        seeded
    })
}

/// `seed`'s history, written through `records`.
async fn seed_records(records: &Records) -> Seeded {
    let store = records.store();
    let at: jiff::Timestamp = "2026-12-21T09:00:00Z".parse().unwrap();
    let source = parley_core::seeds::source("solihull").unwrap();
    let sys = Actor::SYSTEM;
    let p = records
        .create_partnership(at, &sys, "Test Partnership", Some("TSP"), source)
        .await
        .unwrap();
    let school = records
        .add_agency(at, &sys, &p, "Oak Primary School", "education")
        .await
        .unwrap();
    let council = records
        .add_agency(at, &sys, &p, "Children's Social Care", "local-authority")
        .await
        .unwrap();
    let person = |email: &str, agency: Option<&str>, role: &str| PersonInput {
        agency_id: agency.map(str::to_owned),
        name: email.split('@').next().unwrap().to_owned(),
        email: email.to_owned(),
        job_title: String::new(),
        roles: vec![role.to_owned()],
        line_manager_id: None,
        active: true,
    };
    let admin = records
        .save_person(at, &sys, &p, None, person(ADMIN, None, "administrator"))
        .await
        .unwrap();
    let teacher = records
        .save_person(
            at,
            &sys,
            &p,
            None,
            person(TEACHER, Some(&school), "practitioner"),
        )
        .await
        .unwrap();
    let raised = records
        .raise(
            at,
            &Actor::person(&teacher),
            &p,
            RaiseInput {
                route: "individual".to_owned(),
                child_status: Some("none".to_owned()),
                child: Some(ChildDetails {
                    name: "MARKER-CHILD-9".to_owned(),
                    date_of_birth: Some("2015-04-01".to_owned()),
                    identifier: None,
                }),
                category: "referral-eligibility".to_owned(),
                raised_by: teacher.clone(),
                raising_agency_id: school,
                receiving_agency_id: council,
                receiving_person_id: None,
                summary: "Referral not accepted for assessment".to_owned(),
                decision: "Closed with no further action.".to_owned(),
                evidence: "Three incidents this term.".to_owned(),
                outcome_wanted: "An assessment.".to_owned(),
                decided_on: None,
            },
        )
        .await
        .unwrap();
    records
        .record_child_details_read(&raised.id, &teacher, at)
        .await
        .unwrap();
    let read_seq = store.chain(&p, 0, 100).await.unwrap().len() as i64;
    Seeded {
        partnership: p,
        escalation: raised.id,
        admin,
        read_seq,
    }
}

fn audit(data_dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    parley_in(data_dir, &all)
}

/// Copies the seeded database into a new data directory.
pub(crate) fn copy(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    std::fs::copy(from.join("parley.db"), to.path().join("parley.db")).unwrap();
    to
}

const AUTHORITY: &str = "Retention schedule RS-7; DPO decision 2026/114";
const REASON: &str = "Access records are kept for six years";

fn purge_args<'a>(seq: &'a str, by: &'a str) -> Vec<&'a str> {
    vec![
        "purge",
        "--partnership",
        "TSP",
        "--seq",
        seq,
        "--authority",
        AUTHORITY,
        "--reason",
        REASON,
        "--by",
        by,
    ]
}

#[test]
fn an_erased_read_record_fails_verify_and_a_lawful_purge_passes_with_its_authority() {
    let data = tempfile::tempdir().unwrap();
    let s = seed(data.path());
    let seq = s.read_seq.to_string();
    let out = audit(data.path(), &["verify"]).ok();
    assert!(
        out.contains("query tables: every row is what the events give"),
        "{out}"
    );
    let checkpoint = data.path().join("checkpoint.json");
    std::fs::write(&checkpoint, audit(data.path(), &["checkpoint"]).stdout).unwrap();
    let checkpoint = checkpoint.display().to_string();

    // Erased behind Parley's back: fails, checkpoint or not, naming the event.
    let erased = copy(data.path());
    std::fs::copy(
        data.path().join("audit-signing.key"),
        erased.path().join("audit-signing.key"),
    )
    .unwrap();
    tamper(
        erased.path(),
        &[format!(
            "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL \
             WHERE partnership_id = '{}' AND seq = {seq}",
            s.partnership
        )],
    );
    for args in [vec!["verify"], vec!["verify", "--checkpoint", &checkpoint]] {
        let err = audit(erased.path(), &args);
        assert_ne!(err.code, 0, "{args:?} passed:\n{}", err.stdout);
        assert!(
            err.stderr.contains(&format!(
                "first broken event: partnership {}: event {seq}: its content was emptied without a purge record",
                s.partnership
            )),
            "{args:?}: {}",
            err.stderr
        );
    }

    // Only an administrator of the partnership purges.
    for (by, words) in [
        (TEACHER, "is not an administrator"),
        ("nobody@example.org", "is not an administrator"),
        ("ARI.ADMIN@example.org.evil", "is not an administrator"),
    ] {
        let err = audit(data.path(), &purge_args(&seq, by)).fails();
        assert!(err.contains(words), "{by}: {err}");
    }
    let err = audit(data.path(), &purge_args("2", ADMIN)).fails();
    assert!(err.contains("cannot be purged"), "{err}");
    audit(data.path(), &["verify"]).ok();

    let out = audit(data.path(), &purge_args(&seq, ADMIN)).ok();
    let record = s.read_seq + 1;
    assert_eq!(
        out,
        format!(
            "Purged the content of event {seq} of Test Partnership; the purge is recorded as event {record}.\n"
        )
    );
    for args in [vec!["verify"], vec!["verify", "--checkpoint", &checkpoint]] {
        let out = audit(data.path(), &args).ok();
        assert!(
            out.contains(&format!(
                "  event {seq} (child-details-read): content purged by event {record} at 20"
            )) && out.contains(&format!(
                ", by {}, on the authority \"{AUTHORITY}\", because \"{REASON}\"",
                s.admin
            )),
            "{out}"
        );
        assert!(out.contains("(1 purged), intact"), "{out}");
    }
    // Never twice.
    let err = audit(data.path(), &purge_args(&seq, ADMIN)).fails();
    assert!(err.contains("no content left"), "{err}");
}

#[test]
fn edited_deleted_or_inserted_query_rows_fail_verify_naming_table_and_key() {
    let data = tempfile::tempdir().unwrap();
    let s = seed(data.path());
    let (p, e) = (&s.partnership, &s.escalation);
    // (the tampering, what stderr must say)
    let cases: Vec<(String, String)> = vec![
        (
            format!("UPDATE escalations SET status = 'resolved' WHERE id = '{e}'"),
            format!("escalations (id=\"{e}\"): escalations.status not what the events say"),
        ),
        (
            format!("UPDATE escalations SET current_stage = 3 WHERE id = '{e}'"),
            format!("escalations (id=\"{e}\"): escalations.current_stage not what"),
        ),
        (
            format!("UPDATE escalations SET summary = 'All fine' WHERE id = '{e}'"),
            format!("escalations (id=\"{e}\"): escalations.summary not what"),
        ),
        (
            format!(
                "UPDATE escalation_children SET details = '{{\"name\":\"X\"}}' WHERE escalation_id = '{e}'"
            ),
            format!(
                "escalation_children (escalation_id=\"{e}\"): escalation_children.details not what"
            ),
        ),
        (
            format!("DELETE FROM escalation_children WHERE escalation_id = '{e}'"),
            format!("escalation_children (escalation_id=\"{e}\"): missing"),
        ),
        (
            format!("UPDATE people SET roles = '[\"administrator\"]' WHERE email = '{TEACHER}'"),
            "people.roles not what the events say".to_owned(),
        ),
        (
            format!(
                "INSERT INTO named_officers (partnership_id, agency_id, stage, person_id) \
                 SELECT '{p}', agency_id, 1, id FROM people WHERE email = '{TEACHER}'"
            ),
            "named_officers (agency_id=".to_owned(),
        ),
    ];
    for (sql, words) in cases {
        let dir = copy(data.path());
        tamper(dir.path(), std::slice::from_ref(&sql));
        let err = audit(dir.path(), &["verify"]).fails();
        assert!(err.contains(&words), "{sql}:\n{err}");
        assert!(
            err.contains("the query tables do not match the events"),
            "{sql}:\n{err}"
        );
        // The values themselves (a child's details, say) are never printed.
        assert!(!err.contains("MARKER-CHILD-9"), "{err}");
    }
}

/// The same on PostgreSQL, through the application's role (which has no UPDATE on the event
/// log: the purge goes through the owner's function): purge, verify, an edited query row, an
/// erased event, and `serve` refusing to start. Skipped, loudly, without a server (not under
/// CI).
#[test]
fn on_postgres_the_purge_verifies_and_tampering_is_named() {
    let admin_url = std::env::var("PARLEY_TEST_PG_URL").unwrap_or_else(|_| {
        "postgres://parley_owner:parley_owner@127.0.0.1:5432/postgres".to_owned()
    });
    let Some((owner_url, app_url, s)) = block_on(pg_seed(&admin_url)) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--database", app_url.as_str(), "audit"];
        all.extend_from_slice(args);
        parley_in(data.path(), &all)
    };
    let seq = s.read_seq.to_string();
    run(&["verify"]).ok();
    let err = run(&purge_args(&seq, TEACHER)).fails();
    assert!(err.contains("is not an administrator"), "{err}");
    run(&purge_args(&seq, ADMIN)).ok();
    let out = run(&["verify"]).ok();
    assert!(
        out.contains(&format!(
            "  event {seq} (child-details-read): content purged by event {}",
            s.read_seq + 1
        )),
        "{out}"
    );

    let owner = |sql: String| {
        block_on(async {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&owner_url)
                .await
                .unwrap();
            sqlx::query("ALTER TABLE events DISABLE TRIGGER USER")
                .execute(&pool)
                .await
                .unwrap();
            let n = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            sqlx::query("ALTER TABLE events ENABLE TRIGGER USER")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            assert_eq!(n, 1, "{sql}");
        });
    };
    owner(format!(
        "UPDATE escalations SET status = 'withdrawn' WHERE id = '{}'",
        s.escalation
    ));
    let err = run(&["verify"]).fails();
    assert!(
        err.contains(&format!(
            "escalations (id=\"{}\"): escalations.status not what the events say",
            s.escalation
        )),
        "{err}"
    );
    // The newest event (the purge record) erased: verify and serve both name it.
    let record = s.read_seq + 1;
    owner(format!(
        "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL \
         WHERE partnership_id = '{}' AND seq = {record}",
        s.partnership
    ));
    let err = run(&["verify"]).fails();
    assert!(
        err.contains(&format!(
            "first broken event: partnership {}: event {seq}: its content was emptied without a purge record",
            s.partnership
        )),
        "{err}"
    );
    let refused = parley_in(
        data.path(),
        &["--database", &app_url, "serve", "--listen", "127.0.0.1:0"],
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("refusing to start")
            && refused
                .stderr
                .contains(&format!("partnership {}: event {seq}:", s.partnership))
            && refused.stderr.contains("`parley audit verify`"),
        "{}",
        refused.stderr
    );
}

/// A new PostgreSQL database (the owner migrates it and grants the application's role), with
/// `seed`'s history written through the application's role: (owner URL, application URL).
async fn pg_seed(admin_url: &str) -> Option<(String, String, Seeded)> {
    let admin = match sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL is required under CI: {e}"
            );
            eprintln!("\n!!!! SKIPPING POSTGRESQL: no server at {admin_url} ({e}) !!!!\n");
            return None;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("parley_cli_{}_{nanos}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let base = admin_url.rsplit_once('/').unwrap().0;
    let owner_url = format!("{base}/{name}");
    let owner = parley_store::backend::PgStore::open(&owner_url)
        .await
        .unwrap();
    owner.grant_app_role("parley_app").await.unwrap();
    owner.close().await;
    let rest = owner_url.split_once('@').unwrap().1;
    let app_url = format!("postgres://parley_app:parley_app@{rest}");
    let records = Records::open(&app_url).await.unwrap();
    let seeded = seed_records(&records).await;
    Some((owner_url, app_url, seeded))
}
