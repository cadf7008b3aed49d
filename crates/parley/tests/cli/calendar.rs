//! `parley calendar add | list | import`.

use std::fs;

use super::{parley, parley_in};

#[test]
fn add_prints_only_the_date() {
    let cases = [
        ("england-and-wales", "2026-12-23", "1", "2026-12-24\n"), // DESIGN.md §5
        ("england-and-wales", "2026-12-24", "1", "2026-12-29\n"),
        ("scotland", "2025-12-31", "1", "2026-01-05\n"),
        ("northern-ireland", "2026-03-16", "1", "2026-03-18\n"),
        ("england-and-wales", "2026-12-26", "5", "2027-01-05\n"), // from a Saturday
        ("scotland", "2022-09-16", "1", "2022-09-20\n"),
    ];
    for (calendar, from, n, want) in cases {
        let out = parley(&[
            "calendar",
            "add",
            "--calendar",
            calendar,
            "--from",
            from,
            "--working-days",
            n,
        ])
        .ok();
        assert_eq!(out, want, "{calendar} {from} + {n}");
    }
}

#[test]
fn add_refuses_bad_input() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--calendar",
                "wales",
                "--from",
                "2026-12-23",
                "--working-days",
                "1",
            ],
            "known: england-and-wales, scotland, northern-ireland",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "2026-13-01",
                "--working-days",
                "1",
            ],
            "not a valid date",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "2026-12-23",
                "--working-days",
                "0",
            ],
            "at least 1",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "2026-12-23",
                "--working-days",
                "-3",
            ],
            "at least 1",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "2026-12-23",
                "--working-days",
                "three",
            ],
            "not a whole number",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "1999-06-01",
                "--working-days",
                "1",
            ],
            "outside the scotland calendar",
        ),
        (
            &[
                "--calendar",
                "scotland",
                "--from",
                "2060-06-01",
                "--working-days",
                "1",
            ],
            "parley calendar import",
        ),
    ];
    for (args, words) in cases {
        let mut all = vec!["calendar", "add"];
        all.extend_from_slice(args);
        let err = parley(&all).fails();
        assert!(
            err.contains(words),
            "{args:?}: expected \"{words}\" in {err}"
        );
    }
}

#[test]
fn list_shows_a_years_bank_holidays() {
    let out = parley(&[
        "calendar",
        "list",
        "--calendar",
        "scotland",
        "--year",
        "2027",
    ])
    .ok();
    assert!(out.contains("2027-01-04"), "{out}");
    assert!(out.contains("2027-11-30"), "{out}");
    let out = parley(&[
        "calendar",
        "list",
        "--calendar",
        "england-and-wales",
        "--year",
        "2031",
    ])
    .ok();
    assert!(out.lines().all(|l| l.ends_with("[predicted]")), "{out}");
    assert_eq!(out.lines().count(), 8, "{out}");
    let err = parley(&[
        "calendar",
        "list",
        "--calendar",
        "england-and-wales",
        "--year",
        "1990",
    ])
    .fails();
    assert!(err.contains("outside"), "{err}");
}

/// A GOV.UK-format file for 2036 (beyond the shipped data), and a changed 2026.
const NEWER: &str = r#"{
  "england-and-wales": {"division": "england-and-wales", "events": [
    {"title": "New Year’s Day", "date": "2036-01-01", "notes": "", "bunting": true},
    {"title": "Extra day", "date": "2026-06-15", "notes": "Extra bank holiday", "bunting": true}
  ]},
  "scotland": {"division": "scotland", "events": [
    {"title": "New Year’s Day", "date": "2036-01-01", "notes": "", "bunting": true}
  ]},
  "northern-ireland": {"division": "northern-ireland", "events": [
    {"title": "New Year’s Day", "date": "2036-01-01", "notes": "", "bunting": true}
  ]}
}"#;

#[test]
fn import_extends_and_replaces_years() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("newer.json");
    fs::write(&file, NEWER).unwrap();
    // Before: 2036 is beyond the calendar.
    let before = parley_in(
        dir.path(),
        &[
            "calendar",
            "add",
            "--calendar",
            "england-and-wales",
            "--from",
            "2035-12-31",
            "--working-days",
            "1",
        ],
    );
    assert!(before.fails().contains("falls after 2035-12-31"));
    let out = parley_in(dir.path(), &["calendar", "import", file.to_str().unwrap()]).ok();
    assert!(out.contains("england-and-wales 2036: new year"), "{out}");
    assert!(out.contains("england-and-wales 2026: updated"), "{out}");
    // After: 2036 is covered, and the file's 2026 replaced the shipped 2026.
    let after = parley_in(
        dir.path(),
        &[
            "calendar",
            "add",
            "--calendar",
            "england-and-wales",
            "--from",
            "2035-12-31",
            "--working-days",
            "1",
        ],
    )
    .ok();
    assert_eq!(after, "2036-01-02\n");
    let after = parley_in(
        dir.path(),
        &[
            "calendar",
            "add",
            "--calendar",
            "england-and-wales",
            "--from",
            "2026-06-12",
            "--working-days",
            "1",
        ],
    )
    .ok();
    assert_eq!(after, "2026-06-16\n");
    let list = parley_in(
        dir.path(),
        &[
            "calendar",
            "list",
            "--calendar",
            "england-and-wales",
            "--year",
            "2026",
        ],
    )
    .ok();
    assert_eq!(list.lines().count(), 1, "{list}");
}

#[test]
fn import_refuses_a_bad_file_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    for (text, words) in [
        ("{}", "no \"england-and-wales\" division"),
        ("not json", "not a GOV.UK bank-holidays file"),
        (
            r#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "x", "date": "2026-02-30"}]}, "scotland": {"division": "scotland", "events": []}, "northern-ireland": {"division": "northern-ireland", "events": []}}"#,
            "\"2026-02-30\" is not a date",
        ),
    ] {
        fs::write(&bad, text).unwrap();
        let err = parley_in(dir.path(), &["calendar", "import", bad.to_str().unwrap()]).fails();
        assert!(err.contains(words), "{text}: {err}");
    }
    assert!(!dir.path().join("bank-holidays.json").exists());
}
