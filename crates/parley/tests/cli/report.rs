//! `parley report` (issue 17, item 1) on a real SQLite file seeded with the demo: the JSON
//! figures agree with an independent calculation over the events (`parley_demo::expected`,
//! the core replaying them), for several periods; the CSV is each table with its header row;
//! the PDF reads back (pdftotext) with its period and marking, the published one without the
//! lists; the HTML is the Reports page; bad dates and unknown partnerships fail saying why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use jiff::civil::{Date, date};
use parley_demo::expected::{Expected, expected, reached};
use parley_store::records::Records;
use serde_json::Value;

use super::{Run, parley_in};

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A demo seeded into `dir/parley.db` as of 2026-11-20; the partnerships' short names and ids.
pub(crate) fn seeded(dir: &Path) -> Vec<(String, String)> {
    let url = format!("sqlite://{}", dir.join("parley.db").display());
    block_on(async {
        let records = Records::open(&url).await.unwrap();
        let now = "2026-11-20T15:30:00Z".parse().unwrap();
        let summary = parley_demo::seed(&records, now, 60, 23, |_, _| {})
            .await
            .unwrap();
        summary
            .partnerships
            .iter()
            .map(|p| (p.short_name.clone(), p.id.clone()))
            .collect()
    })
}

fn want(dir: &Path, partnership: &str, from: Date, to: Date) -> Expected {
    let url = format!("sqlite://{}", dir.join("parley.db").display());
    block_on(async {
        let records = Records::open(&url).await.unwrap();
        expected(records.store().as_ref(), partnership, from, to)
            .await
            .unwrap()
    })
}

/// The JSON's current figures in the independent calculation's terms.
fn got(json: &Value) -> Expected {
    let f = &json["current"];
    let counts = |key: &str| -> BTreeMap<String, u64> {
        f[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["count"].as_u64().unwrap() > 0)
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    Expected {
        raised: f["raised"].as_u64().unwrap(),
        by_category: counts("by_category"),
        highest_stage: counts("highest_stage")
            .into_iter()
            .map(|(k, v)| (k.parse().unwrap(), v))
            .collect(),
        outcomes: counts("outcomes"),
        open_at_end: f["open_at_end"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["reference"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        meetings: f["meetings"].as_u64().unwrap(),
        referrals: f["referrals"].as_u64().unwrap(),
        learning: f["learning"].as_array().unwrap().len() as u64,
        compliments: f["compliments"].as_u64().unwrap(),
    }
}

fn report(dir: &Path, args: &[&str]) -> Run {
    let db = format!("sqlite://{}", dir.join("parley.db").display());
    let mut all = vec!["--database", db.as_str(), "report"];
    all.extend_from_slice(args);
    parley_in(dir, &all)
}

#[test]
fn report_figures_agree_with_the_events_and_every_format_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let partnerships = seeded(dir.path());
    let mut raised = 0;
    let mut closed = 0;
    // Periods that ended before the demo's "now", so that the day they are read does not
    // matter: a month, a quarter, a financial year and an odd range.
    let periods = [
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2025, 4, 1), date(2026, 3, 31)),
        (date(2026, 2, 17), date(2026, 11, 19)),
    ];
    for (short, id) in &partnerships {
        for (from, to) in periods {
            let out = report(
                dir.path(),
                &[
                    "--partnership",
                    short,
                    "--from",
                    &from.to_string(),
                    "--to",
                    &to.to_string(),
                    "--format",
                    "json",
                ],
            )
            .ok();
            let json: Value = serde_json::from_str(&out).unwrap();
            let want = want(dir.path(), id, from, to);
            assert_eq!(
                got(&json),
                want,
                "{short} {from} to {to}: report (left), events (right)"
            );
            assert_eq!(json["exact"], Value::Bool(true));
            assert_eq!(
                json["previous"]["period"]["to"],
                (from - jiff::Span::new().days(1)).to_string()
            );
            raised += want.raised;
            closed += want.outcomes.values().sum::<u64>();
        }
    }
    assert!(
        raised > 0 && closed > 0,
        "the demo must have something to count"
    );

    // A preset gives the same report as its dates.
    let (short, _) = &partnerships[0];
    let by_preset = report(
        dir.path(),
        &[
            "--partnership",
            short,
            "--preset",
            "financial-year",
            "--on",
            "2025-06-01",
        ],
    )
    .ok();
    let by_dates = report(
        dir.path(),
        &[
            "--partnership",
            short,
            "--from",
            "2025-04-01",
            "--to",
            "2026-03-31",
        ],
    )
    .ok();
    assert_eq!(by_preset, by_dates, "a whole financial year is that preset");
    assert!(
        by_preset.contains("Financial year 2025 to 2026"),
        "{by_preset}"
    );

    // CSV: one table with its header row; every table of counts one after the other.
    let args = |format: &'static str| -> Vec<String> {
        [
            "--partnership",
            short,
            "--from",
            "2025-04-01",
            "--to",
            "2026-03-31",
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let with = |mut v: Vec<String>, more: &[&str]| {
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        report(dir.path(), &refs)
    };
    let outcomes = run(with(args("csv"), &["--table", "outcomes"])).ok();
    assert!(
        outcomes.starts_with("\"Outcome\",\"Escalations\"\r\n"),
        "{outcomes}"
    );
    assert!(outcomes.contains("\"Total\","), "{outcomes}");
    let all = run(args("csv")).ok();
    assert!(
        all.contains("# open-at-end\r\n") && all.contains("# learning-log\r\n"),
        "{all}"
    );
    let published = run(with(args("csv"), &["--publish"])).ok();
    assert!(!published.contains("# open-at-end") && !published.contains("# learning-log"));
    let refused = run(with(args("csv"), &["--publish", "--table", "open-at-end"])).fails();
    assert!(
        refused.contains("no table \"open-at-end\" in the form for publication"),
        "{refused}"
    );

    // PDF: exact and for publication, read back.
    let exact_pdf = dir.path().join("exact.pdf");
    let published_pdf = dir.path().join("published.pdf");
    run(with(args("pdf"), &["--out", exact_pdf.to_str().unwrap()])).ok();
    run(with(
        args("pdf"),
        &["--publish", "--out", published_pdf.to_str().unwrap()],
    ))
    .ok();
    for (path, marking, lists) in [
        (&exact_pdf, "Not for publication", true),
        (&published_pdf, "For publication", false),
    ] {
        assert!(std::fs::read(path).unwrap().starts_with(b"%PDF-"));
        let Some(text) = pdftotext(path) else {
            continue;
        };
        assert!(text.contains(marking), "{text}");
        assert!(text.contains("2025 to 2026"), "{text}");
        assert_eq!(text.contains("Learning log"), lists, "{text}");
    }

    // HTML: the Reports page, with its charts and tables, no JavaScript.
    let html = run(args("html")).ok();
    assert!(
        html.contains("<h1 class=\"govuk-heading-l\">Reports</h1>"),
        "{html}"
    );
    assert_eq!(html.matches("role=\"img\"").count(), 4, "four charts");
    assert!(!html.contains("<script>"));

    // Refusals say why.
    let bad = report(
        dir.path(),
        &[
            "--partnership",
            short,
            "--from",
            "2026-02-30",
            "--to",
            "2026-03-31",
        ],
    )
    .fails();
    assert!(bad.contains("--from"), "{bad}");
    let backwards = report(
        dir.path(),
        &[
            "--partnership",
            short,
            "--from",
            "2026-03-31",
            "--to",
            "2026-03-01",
        ],
    )
    .fails();
    assert!(backwards.contains("--to"), "{backwards}");
    let unknown = report(
        dir.path(),
        &[
            "--partnership",
            "NOPE",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
        ],
    )
    .fails();
    assert!(unknown.contains("no partnership \"NOPE\""), "{unknown}");
}

/// `--procedure-report`: the reports the procedures call for (`[[report]]`). Dorset's monthly
/// list of escalations to stage 3 and above names exactly those the events say reached stage 3
/// or 4 in the month (the core replaying them), in every format; Solihull's quarterly review
/// is the quarter's figures; a procedure that calls for none, and an unknown id, say so.
#[test]
fn procedure_reports_list_what_the_events_say() {
    let dir = tempfile::tempdir().unwrap();
    let partnerships = seeded(dir.path());
    let id_of = |short: &str| {
        partnerships
            .iter()
            .find(|(s, _)| s == short)
            .map(|(_, id)| id.clone())
            .unwrap()
    };
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let dorset = id_of("DSCP");
    let mut listed = 0;
    for (from, to) in [
        (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2025, 4, 1), date(2026, 11, 19)),
    ] {
        let (from_s, to_s) = (from.to_string(), to.to_string());
        let base = [
            "--partnership",
            "DSCP",
            "--procedure-report",
            "stage-3-and-above",
            "--from",
            from_s.as_str(),
            "--to",
            to_s.as_str(),
        ];
        let with = |format: &'static str| {
            let mut v = base.to_vec();
            v.extend(["--format", format]);
            report(dir.path(), &v).ok()
        };
        let json: Value = serde_json::from_str(&with("json")).unwrap();
        let got: BTreeSet<String> = json["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reference"].as_str().unwrap().to_owned())
            .collect();
        let want = block_on(async {
            let records = Records::open(&url).await.unwrap();
            reached(records.store().as_ref(), &dorset, 3, from, to)
                .await
                .unwrap()
        });
        assert_eq!(got, want, "{from} to {to}: report (left), events (right)");
        assert_eq!(json["report"]["every"], "month");
        assert_eq!(json["period"]["from"], from_s.as_str());
        for e in json["escalations"].as_array().unwrap() {
            assert!(e["highest_stage"]["stage"].as_u64().unwrap() >= 3, "{e}");
            assert!(!e["reached"].as_array().unwrap().is_empty(), "{e}");
        }
        listed += got.len();
        let csv = with("csv");
        assert!(
            csv.starts_with("\"Reference\",\"Route\",\"Category\""),
            "{csv}"
        );
        assert_eq!(csv.matches("\r\n").count(), got.len() + 1, "{csv}");
        for r in &got {
            assert!(csv.contains(&format!("\"{r}\"")), "{r} in {csv}");
        }
        let html = with("html");
        assert!(
            html.contains("Escalations to Stage Three and above"),
            "{html}"
        );
        for r in &got {
            assert!(html.contains(r.as_str()), "{r} on the page");
        }
    }
    assert!(listed > 0, "the demo must reach stage 3 in some month");

    // Without dates, the month due now (the last whole month).
    let due = report(
        dir.path(),
        &[
            "--partnership",
            "DSCP",
            "--procedure-report",
            "stage-3-and-above",
        ],
    )
    .ok();
    let due: Value = serde_json::from_str(&due).unwrap();
    assert_eq!(due["period"], due["report"]["due_period"]);
    assert_eq!(due["period"]["preset"], "month");

    // Solihull's quarterly review: the figures of the quarter.
    let solihull = report(
        dir.path(),
        &[
            "--partnership",
            "SSCP",
            "--procedure-report",
            "quarterly-review",
            "--from",
            "2026-07-01",
            "--to",
            "2026-09-30",
        ],
    )
    .ok();
    let solihull: Value = serde_json::from_str(&solihull).unwrap();
    assert!(solihull["escalations"].is_null());
    assert_eq!(
        solihull["figures"]["current"]["raised"].as_u64().unwrap(),
        want(
            dir.path(),
            &id_of("SSCP"),
            date(2026, 7, 1),
            date(2026, 9, 30)
        )
        .raised
    );

    let none = report(
        dir.path(),
        &["--partnership", "BSCP", "--procedure-report", "monthly"],
    )
    .fails();
    assert!(none.contains("calls for no report of its own"), "{none}");
    let unknown = report(
        dir.path(),
        &["--partnership", "DSCP", "--procedure-report", "weekly"],
    )
    .fails();
    assert!(
        unknown.contains("no procedure report \"weekly\"; the procedure's: stage-3-and-above"),
        "{unknown}"
    );
    let no_pdf = report(
        dir.path(),
        &[
            "--partnership",
            "DSCP",
            "--procedure-report",
            "stage-3-and-above",
            "--format",
            "pdf",
        ],
    )
    .fails();
    assert!(no_pdf.contains("is a list of escalations"), "{no_pdf}");
}

/// The text of a PDF (pdftotext, from `scripts/pdf-tools`); `None`, loudly, when the tool is
/// missing outside CI.
pub(crate) fn pdftotext(path: &Path) -> Option<String> {
    match Command::new("pdftotext").arg(path).arg("-").output() {
        Ok(out) if out.status.success() => Some(
            String::from_utf8(out.stdout)
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
                panic!("pdftotext failed: {other:?}; run scripts/pdf-tools");
            }
            eprintln!(
                "!!!! SKIPPED the PDF text: pdftotext unavailable ({other:?}); run scripts/pdf-tools !!!!"
            );
            None
        }
    }
}
