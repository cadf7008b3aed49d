//! `parley audit` end to end on a SQLite file: history written through the records library,
//! tampered with directly in the file, found by the real binary.

use std::path::Path;
use std::sync::Arc;

use parley_store::audit::AuditKey;
use parley_store::backend::SqliteStore;
use parley_store::records::{Actor, Records};
use sqlx::sqlite::SqlitePoolOptions;

use super::{Run, parley_in};

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A partnership with three events (created, procedure adopted, agency added), in the data
/// directory's default database. Returns the partnership's id.
fn seed(data_dir: &Path) -> String {
    let path = data_dir.join("parley.db");
    block_on(async {
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let records = Records::new(Arc::new(store.clone()));
        let at: jiff::Timestamp = "2026-12-21T09:00:00Z".parse().unwrap();
        let source = parley_core::seeds::source("solihull").unwrap();
        let p = records
            .create_partnership(at, &Actor::SYSTEM, "Test Partnership", Some("TSP"), source)
            .await
            .unwrap();
        records
            .add_agency(at, &Actor::SYSTEM, &p, "Oak Primary School", "education")
            .await
            .unwrap();
        drop(records);
        store.close().await;
        p
    })
}

/// Runs SQL on the database file with the append-only triggers dropped, as someone with the
/// file could.
pub(crate) fn tamper(data_dir: &Path, statements: &[String]) {
    let url = format!("sqlite://{}", data_dir.join("parley.db").display());
    block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        for trigger in [
            "events_refuse_update",
            "events_refuse_delete",
            "events_refuse_out_of_sequence",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP TRIGGER IF EXISTS {trigger}"
            )))
            .execute(&pool)
            .await
            .unwrap();
        }
        for sql in statements {
            let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 1, "{sql}");
        }
        pool.close().await;
    });
}

fn audit(data_dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    parley_in(data_dir, &all)
}

#[test]
fn a_checkpoint_is_signed_and_later_shows_the_newest_event_removed() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let p = seed(data.path());

    let out = audit(data.path(), &["verify"]).ok();
    assert!(
        out.contains(&format!(
            "partnership {p} (Test Partnership): 3 events, intact (head seq 3, hash "
        )),
        "{out}"
    );
    assert!(out.ends_with("intact: 1 chain, 3 events\n"), "{out}");

    // The first checkpoint creates the key, privately, and says so on stderr only.
    let first = audit(data.path(), &["checkpoint"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("created the audit signing key"),
        "{}",
        first.stderr
    );
    let key_path = data.path().join("audit-signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key_text = std::fs::read_to_string(&key_path).unwrap();
    let secret = key_text.lines().last().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(!first.stdout.contains(secret) && !first.stderr.contains(secret));

    let json: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(json["format"], "parley-checkpoint/v1");
    assert_eq!(json["chains"][0]["partnership_id"], p.as_str());
    assert_eq!(json["chains"][0]["seq"], 3);
    let public_key = json["public_key"].as_str().unwrap().to_owned();
    assert!(first.stderr.contains(&public_key));
    // The checkpoint is kept away from the database.
    let file = elsewhere.path().join("checkpoint.json");
    std::fs::write(&file, &first.stdout).unwrap();
    let file = file.to_str().unwrap();

    let out = audit(data.path(), &["verify", "--checkpoint", file]).ok();
    assert!(
        out.contains(&format!(
            "partnership {p} (Test Partnership): event 3 is there with the checkpoint's hash"
        )),
        "{out}"
    );
    audit(
        data.path(),
        &["verify", "--checkpoint", file, "--public-key", &public_key],
    )
    .ok();
    // The key is made once.
    let again = audit(data.path(), &["checkpoint"]).ok();
    assert!(again.contains(&public_key));

    // A witness who trusts another key refuses the checkpoint.
    let other = AuditKey::generate().unwrap().public_key().to_string();
    let err = audit(
        data.path(),
        &["verify", "--checkpoint", file, "--public-key", &other],
    )
    .fails();
    assert!(err.contains("not by the trusted key"), "{err}");

    // Remove the newest event and move the recorded head back to hide it: the chain agrees
    // with itself, and only the checkpoint tells.
    tamper(
        data.path(),
        &[
            format!("DELETE FROM events WHERE partnership_id = '{p}' AND seq = 3"),
            format!(
                "UPDATE chain_heads SET seq = 2, hash = (SELECT hash FROM events WHERE partnership_id = '{p}' \
                 AND seq = 2) WHERE partnership_id = '{p}'"
            ),
        ],
    );
    // The query tables still hold what the removed event made, and give it away...
    let err = audit(data.path(), &["verify"]).fails();
    assert!(err.contains("2 events, intact (head seq 2"), "{err}");
    assert!(
        err.contains("QUERY TABLE NOT AS THE EVENTS SAY: agencies (id=")
            && err.contains("no event made this row"),
        "{err}"
    );
    // ...until those are put back too: then only the checkpoint tells.
    tamper(
        data.path(),
        &[
            format!("DELETE FROM agencies WHERE partnership_id = '{p}'"),
            format!("UPDATE partnerships SET config_version = config_version - 1 WHERE id = '{p}'"),
        ],
    );
    let out = audit(data.path(), &["verify"]).ok();
    assert!(out.contains("2 events, intact (head seq 2"), "{out}");
    let err = audit(data.path(), &["verify", "--checkpoint", file]).fails();
    assert!(
        err.contains(&format!(
            "first broken event: partnership {p}: event 3: missing"
        )),
        "{err}"
    );
}

#[test]
fn an_edited_event_is_named_and_no_checkpoint_vouches_for_it() {
    let data = tempfile::tempdir().unwrap();
    let p = seed(data.path());
    tamper(
        data.path(),
        &[format!(
            "UPDATE events SET payload = REPLACE(payload, 'Oak', 'Elm') WHERE partnership_id = '{p}' AND seq = 3"
        )],
    );
    let err = audit(data.path(), &["verify"]).fails();
    assert!(
        err.contains(&format!(
            "first broken event: partnership {p}: event 3: its content does not match its digest"
        )),
        "{err}"
    );
    assert!(err.contains("2 events verified, then BROKEN"), "{err}");
    let err = audit(data.path(), &["checkpoint"]).fails();
    assert!(err.starts_with("refusing to sign a checkpoint"), "{err}");
    assert!(!data.path().join("audit-signing.key").exists());
}

#[test]
fn verify_explains_what_it_needs() {
    let data = tempfile::tempdir().unwrap();
    let err = audit(data.path(), &["verify"]).fails();
    assert!(err.contains("there is no database at"), "{err}");

    seed(data.path());
    let file = data.path().join("checkpoint.json");
    std::fs::write(&file, "{\"format\": \"something else\"}").unwrap();
    let file = file.to_str().unwrap();
    let err = audit(data.path(), &["verify", "--checkpoint", file]).fails();
    assert!(err.contains("not a Parley checkpoint"), "{err}");

    let elsewhere = tempfile::tempdir().unwrap();
    let key = elsewhere.path().join("elsewhere.key");
    let signed = audit(data.path(), &["checkpoint", "--key", key.to_str().unwrap()]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    std::fs::write(file, &signed.stdout).unwrap();
    // No key file in the data directory and none named: which key to trust must be said.
    let err = audit(data.path(), &["verify", "--checkpoint", file]).fails();
    assert!(err.contains("--public-key HEX"), "{err}");
    let err = audit(
        data.path(),
        &["verify", "--checkpoint", file, "--public-key", "not-hex"],
    )
    .fails();
    assert!(err.contains("not an Ed25519 public key"), "{err}");
    // Naming the key file that signed it is enough.
    audit(
        data.path(),
        &[
            "verify",
            "--checkpoint",
            file,
            "--key",
            key.to_str().unwrap(),
        ],
    )
    .ok();
}
