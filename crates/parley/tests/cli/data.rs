//! `parley demo seed`, `export`, `import`, `backup` and `restore` on real files, with the
//! database named by `--database` or `PARLEY_DATABASE_URL`.

use std::path::Path;
use std::process::Command;

use super::Run;

/// Runs `parley` with its own data directory and, if given, `PARLEY_DATABASE_URL`.
fn run(dir: &Path, env_url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parley"));
    command
        .args(args)
        .env("PARLEY_DATA_DIR", dir.join("data"))
        .env_remove("XDG_DATA_HOME")
        .env_remove("PARLEY_DATABASE_URL");
    if let Some(url) = env_url {
        command.env("PARLEY_DATABASE_URL", url);
    }
    Run::from(command.output().unwrap())
}

/// Asserts success; stderr may hold progress lines.
#[track_caller]
fn succeeds(r: Run) -> String {
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stdout
}

fn url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

/// The export without its header line (which names the backend and the time).
fn body(export: &str) -> &str {
    export.split_once('\n').unwrap().1
}

#[test]
fn seed_export_import_backup_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let a = url(dir, "a.db");

    let out = succeeds(run(
        dir,
        None,
        &["demo", "seed", "--escalations", "20", "--database", &a],
    ));
    assert!(out.contains("Demo data: 5 partnerships"), "{out}");
    assert!(out.contains("Escalations: 20 ("), "{out}");
    for role in [
        "practitioner",
        "manager",
        "senior-manager",
        "partnership-business-team",
        "administrator",
    ] {
        assert!(
            out.contains(&format!(" {role} ")),
            "no {role} sign-in: {out}"
        );
    }
    for status in ["open", "resolved", "withdrawn", "redirected", "referred-on"] {
        assert!(
            out.contains(&format!("\n  {status} ")),
            "no {status}: {out}"
        );
    }
    assert!(!out.contains("MARKER-"), "a child's details in the summary");

    // A second demo in the same database is refused.
    let again = run(dir, Some(&a), &["demo", "seed", "--escalations", "2"]).fails();
    assert!(again.contains("already holds"), "{again}");

    // Export to stdout (the URL from the environment), import into a fresh file.
    let export = succeeds(run(dir, Some(&a), &["export"]));
    assert!(
        export.starts_with(r#"{"type":"header","format":"parley-export""#),
        "{}",
        &export[..200]
    );
    assert!(export.ends_with("}\n"));
    let file = dir.join("a.jsonl");
    std::fs::write(&file, &export).unwrap();
    let b = url(dir, "b.db");
    let out = run(dir, Some(&b), &["import", file.to_str().unwrap()]).ok();
    assert!(out.contains("every chain verifies"), "{out}");
    let export_b = run(dir, None, &["export", "--database", &b]).ok();
    assert_eq!(body(&export_b), body(&export));

    // Importing again into a database with data is refused and leaves it as it was.
    let err = run(dir, Some(&b), &["import", file.to_str().unwrap()]).fails();
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(body(&run(dir, Some(&b), &["export"]).ok()), body(&export));

    // A truncated export is refused, and creates no database.
    let cut = dir.join("cut.jsonl");
    std::fs::write(&cut, &export[..export.len() / 2]).unwrap();
    let err = run(
        dir,
        Some(&url(dir, "c.db")),
        &["import", cut.to_str().unwrap()],
    )
    .fails();
    assert!(err.contains("is incomplete"), "{err}");
    assert!(!dir.join("c.db").exists());

    // Backup, and restore into a new file: the same export.
    let backup = dir.join("a.backup");
    let out = run(dir, Some(&a), &["backup", backup.to_str().unwrap()]).ok();
    assert!(out.contains("backed up the database to"), "{out}");
    let err = run(dir, Some(&a), &["backup", backup.to_str().unwrap()]).fails();
    assert!(err.contains("already exists"), "{err}");
    let d = url(dir, "d.db");
    let out = run(
        dir,
        None,
        &["restore", backup.to_str().unwrap(), "--database", &d],
    )
    .ok();
    assert!(out.contains("every chain verifies"), "{out}");
    assert_eq!(body(&run(dir, Some(&d), &["export"]).ok()), body(&export));

    // Restoring over a database with data needs --force.
    let err = run(dir, Some(&b), &["restore", backup.to_str().unwrap()]).fails();
    assert!(err.contains("--force"), "{err}");
    run(
        dir,
        Some(&b),
        &["restore", "--force", backup.to_str().unwrap()],
    )
    .ok();
    assert_eq!(body(&run(dir, Some(&b), &["export"]).ok()), body(&export));

    // An export restores too (into an empty database).
    let e = url(dir, "e.db");
    run(dir, Some(&e), &["restore", file.to_str().unwrap()]).ok();
    assert_eq!(body(&run(dir, Some(&e), &["export"]).ok()), body(&export));
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let missing = url(dir, "missing.db");
    let err = run(dir, Some(&missing), &["export"]).fails();
    assert!(err.contains("there is no database at"), "{err}");
    assert!(!dir.join("missing.db").exists());
    let err = run(dir, Some(&missing), &["backup", "x.backup"]).fails();
    assert!(err.contains("there is no database at"), "{err}");
    let err = run(dir, Some(&missing), &["export", "--format", "csv"]).fails();
    assert!(err.contains("unknown export format \"csv\""), "{err}");
    let not_export = dir.join("notes.txt");
    std::fs::write(&not_export, "hello\n").unwrap();
    let err = run(
        dir,
        Some(&missing),
        &["import", not_export.to_str().unwrap()],
    )
    .fails();
    assert!(err.contains("is not a Parley export"), "{err}");
    let err = run(
        dir,
        Some(&missing),
        &["restore", not_export.to_str().unwrap()],
    )
    .fails();
    assert!(err.contains("is not a Parley export or backup"), "{err}");
    let err = run(dir, Some("mysql://x/y"), &["export"]).fails();
    assert!(err.contains("unsupported database URL scheme"), "{err}");
    for args in [
        vec!["demo", "seed", "--help"],
        vec!["export", "--help"],
        vec!["import", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
    ] {
        assert!(
            run(dir, None, &args).ok().contains("--database <URL>"),
            "{args:?}"
        );
    }
}
