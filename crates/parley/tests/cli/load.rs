//! `parley admin raw-ceiling`: the single-row raw ceiling that group commit is measured
//! against, and the larger transactions (`--rows`, `--row-bytes`) that show what a commit costs
//! as it writes more.

use super::parley;

/// The value of `name=` in a line of `key=value` words.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name}= in {line}"))
}

/// `parley admin raw-ceiling` for 0.2 s on `url`, with `extra` arguments; its output.
fn raw_ceiling(url: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--database",
        url,
        "admin",
        "raw-ceiling",
        "--seconds",
        "0.2",
    ];
    args.extend_from_slice(extra);
    parley(&args).ok()
}

#[test]
fn the_raw_ceiling_commits_what_it_reports() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("raw.db").display());
    let single = raw_ceiling(&url, &[]);
    assert!(
        single.contains("journal_mode=wal synchronous=2"),
        "{single}"
    );
    let inserts: i64 = field(&single, "inserts").parse().unwrap();
    let shaped = raw_ceiling(&url, &["--rows", "3", "--row-bytes", "500"]);
    assert_eq!(field(&shaped, "rows"), "3", "{shaped}");
    let commits: i64 = field(&shaped, "commits").parse().unwrap();
    assert!(inserts > 0 && commits > 0, "{single}{shaped}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (rows, long): (i64, i64) = runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let counts = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE length(note) = 500) FROM raw_ceiling",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        counts
    });
    assert_eq!(rows, inserts + 3 * commits);
    assert_eq!(long, 3 * commits);
}

#[test]
fn the_raw_ceiling_refuses_a_run_of_no_time() {
    let err = parley(&[
        "--database",
        "sqlite:///nonexistent/x.db",
        "admin",
        "raw-ceiling",
        "--seconds",
        "0",
    ])
    .fails();
    assert!(err.contains("--seconds"), "{err}");
}
