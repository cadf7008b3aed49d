//! Period reports (issue 17, items 1, 2, 3 and 5) on the demo: the Reports page for the
//! business team and administrators (form, presets, tables, four charts each with its data
//! table, the previous period, the note on exact figures, download links); `GET /api/reports`
//! agrees with an independent calculation over the events (`parley_demo::expected`); the CSV
//! and PDF downloads; bad dates are the API's one 422 problem and the page's error summary;
//! no download holds a child's marker.

use axum::http::StatusCode;
use jiff::civil::date;
use parley_demo::MARKER_PREFIX;
use parley_demo::expected::expected;

use crate::harness::{Harness, now};

#[tokio::test]
async fn the_reports_page_and_api_for_the_business_team_and_administrators() {
    let h = Harness::new().await;
    let partnership = h.partnership_of("solihull");
    let team = h
        .person(
            &h.sign_in_of(&partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let admin = h
        .person(&h.sign_in_of(&partnership, "administrator").person_id)
        .await;
    let team = h.session_at(&team, now()).await;
    let admin = h.session_at(&admin, now()).await;

    // The page: this month by default, then a chosen range, for both roles.
    for auth in [&team, &admin] {
        let r = h.get("/reports", auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("November 2026"), "this month by default");
        let r = h.get("/reports?from=2026-04-01&to=2027-03-31", auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let body = &r.body.replace("&#x2f;", "/");
        assert!(
            body.contains("Financial year 2026 to 2027"),
            "a whole year is that period"
        );
        assert!(
            body.contains("Financial year 2025 to 2026"),
            "the previous period beside it"
        );
        assert_eq!(body.matches("role=\"img\"").count(), 4, "four charts");
        assert!(body.contains("The figures on this page are exact"));
        assert!(body.contains("Last financial year") && body.contains("This quarter"));
        for link in [
            "/api/reports/pdf?from=2026-04-01&amp;to=2027-03-31&amp;publish=true",
            "/api/reports/csv?from=2026-04-01&amp;to=2027-03-31&amp;table=outcomes",
            "/api/reports/csv?from=2026-04-01&amp;to=2027-03-31&amp;table=learning-log",
        ] {
            assert!(body.contains(link), "{link}");
        }
        assert!(
            !body.contains(MARKER_PREFIX),
            "a child's marker on the page"
        );
        assert!(!body.contains("<script>"), "no inline script");
    }

    // A bad date: the form again, with the GOV.UK error summary, and no report.
    let r = h.get("/reports?from=2026-02-30&to=2026-03-31", &team).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("govuk-error-summary") && r.body.contains("href=\"#from\""));
    assert!(!r.body.contains("role=\"img\""));

    // The API agrees with the events, for a few periods.
    let store = h.state.store.clone();
    let mut raised = 0;
    for (from, to) in [
        (date(2026, 4, 1), date(2027, 3, 31)),
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 6, 12), date(2026, 11, 2)),
    ] {
        let r = h
            .get(&format!("/api/reports?from={from}&to={to}"), &team)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        let end = to.min(date(2026, 11, 23));
        let want = expected(store.as_ref(), &partnership, from, end)
            .await
            .unwrap();
        let f = &v["current"];
        assert_eq!(f["raised"].as_u64(), Some(want.raised), "{from} {to}");
        let open: std::collections::BTreeSet<String> = f["open_at_end"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["reference"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(open, want.open_at_end, "{from} {to}");
        let closed: u64 = f["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        assert_eq!(closed, want.outcomes.values().sum::<u64>(), "{from} {to}");
        assert_eq!(
            f["learning"].as_array().unwrap().len() as u64,
            want.learning
        );
        assert_eq!(f["learning_count"].as_u64(), Some(want.learning));
        assert_eq!(f["meetings"].as_u64(), Some(want.meetings));
        assert_eq!(v["exact"], true);
        assert!(!r.body.contains(MARKER_PREFIX));
        raised += want.raised;
    }
    assert!(raised > 0, "the demo must have something to count");

    // The lists a page at a time: the pages, put together, are the whole list, in order,
    // and the counts are the whole whatever the page.
    let year = "from=2026-04-01&to=2027-03-31";
    let whole = h
        .get(&format!("/api/reports?{year}&limit=5000"), &team)
        .await
        .json();
    for list in ["learning", "open"] {
        let of = |v: &serde_json::Value| -> Vec<serde_json::Value> {
            let f = &v["current"];
            let lines = match list {
                "learning" => &f["learning"],
                _ => &f["open_at_end"]["lines"],
            };
            lines.as_array().unwrap().clone()
        };
        let all = of(&whole);
        assert!(all.len() > 3, "{list}: the demo's year has lines to page");
        let mut paged = Vec::new();
        for offset in (0..all.len() + 3).step_by(3) {
            let r = h
                .get(
                    &format!("/api/reports?{year}&offset={offset}&limit=3"),
                    &team,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let v = r.json();
            assert_eq!(v["lines"]["offset"].as_u64(), Some(offset as u64));
            assert_eq!(v["lines"]["limit"].as_u64(), Some(3));
            assert_eq!(
                v["current"]["learning_count"],
                whole["current"]["learning_count"]
            );
            assert_eq!(
                v["current"]["open_at_end"]["count"],
                whole["current"]["open_at_end"]["count"]
            );
            let page = of(&v);
            assert!(page.len() <= 3, "{list} {offset}");
            paged.extend(page);
        }
        assert_eq!(paged, all, "{list}: the pages make the whole");
    }
    // Without a limit, a page of 500.
    let r = h.get(&format!("/api/reports?{year}"), &team).await.json();
    assert_eq!(r["lines"]["limit"].as_u64(), Some(500));

    // Bad dates and unknown parameters: the one 422 problem shape, naming the field.
    for (query, field, code) in [
        ("from=2026-02-30&to=2026-03-31", "from", "wrong-type"),
        ("from=2026-03-31&to=2026-03-01", "to", "wrong-type"),
        ("from=1900-01-01&to=2026-03-01", "from", "wrong-type"),
        ("from=2026-03-01", "to", "missing-field"),
        (
            "from=2026-03-01&to=2026-03-31&colour=red",
            "colour",
            "unknown-field",
        ),
    ] {
        for path in ["/api/reports", "/api/reports/pdf"] {
            let r = h.get(&format!("{path}?{query}"), &team).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}?{query}");
            let v = r.json();
            assert_eq!(v["code"], "invalid", "{query}");
            assert_eq!(v["errors"][0]["field"], field, "{query}: {v}");
            assert_eq!(v["errors"][0]["code"], code, "{query}: {v}");
        }
    }
    // A page outside 1 to 5000 lines, or not a number: the same problem, naming it.
    for (query, field, code) in [
        ("limit=0", "limit", "out-of-range"),
        ("limit=5001", "limit", "out-of-range"),
        ("limit=many", "limit", "wrong-type"),
        ("offset=-1", "offset", "wrong-type"),
    ] {
        let r = h
            .get(
                &format!("/api/reports?from=2026-03-01&to=2026-03-31&{query}"),
                &team,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let v = r.json();
        assert_eq!(v["errors"][0]["field"], field, "{query}: {v}");
        assert_eq!(v["errors"][0]["code"], code, "{query}: {v}");
    }

    // CSV: a header row of the column names shown; published counts suppressed; the lists
    // never published.
    let r = h
        .get(
            "/api/reports/csv?from=2026-04-01&to=2027-03-31&table=outcomes",
            &team,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").is_some_and(|d| {
        d.starts_with("attachment; filename=\"escalations-2026-04-01-to-2027-03-31-outcomes.csv")
    }));
    assert!(
        r.body.starts_with("\"Outcome\",\"Escalations\"\r\n"),
        "{}",
        r.body
    );
    for table in ["open-at-end", "learning-log"] {
        let r = h
            .get(
                &format!("/api/reports/csv?from=2026-04-01&to=2027-03-31&table={table}"),
                &team,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{table}");
        assert!(!r.body.contains(MARKER_PREFIX), "{table}");
        let r = h
            .get(
                &format!(
                    "/api/reports/csv?from=2026-04-01&to=2027-03-31&table={table}&publish=true"
                ),
                &team,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{table} published");
    }
    let r = h
        .get(
            "/api/reports/csv?from=2026-11-01&to=2026-11-30&table=outcomes&publish=true",
            &team,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for line in r.body.lines().skip(1) {
        for cell in line.split(',').skip(1) {
            if let Ok(n) = cell.trim_matches('"').parse::<u64>() {
                assert!(n == 0 || n >= 5, "a small number published: {line}");
            }
        }
    }

    // PDF, exact and for publication.
    for publish in ["false", "true"] {
        let r = h
            .get(
                &format!("/api/reports/pdf?from=2026-10-01&to=2026-10-31&publish={publish}"),
                &team,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert!(r.body.starts_with("%PDF-"));
    }

    // Nobody else: a practitioner is refused the page and the API.
    let practitioner = h
        .person(&h.sign_in_of(&partnership, "practitioner").person_id)
        .await;
    let practitioner = h.session_at(&practitioner, now()).await;
    for path in ["/reports", "/api/reports?from=2026-04-01&to=2026-04-30"] {
        let r = h.get(path, &practitioner).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// The reports the procedures call for (`[[report]]`): the Reports page lists them with the
/// period due; Dorset's monthly list of escalations to stage 3 and above names exactly those
/// the events say reached stage 3 or 4 in the month (`parley_demo::expected::reached`), on its
/// page, in JSON and in CSV, with no child's marker; Solihull's quarterly review is the
/// quarter's figures; a report the procedure does not declare is a 404, a bad date a 422.
#[tokio::test]
async fn the_procedures_own_reports() {
    let h = Harness::new().await;
    let dorset = h.partnership_of("dorset");
    let team = h
        .person(&h.sign_in_of(&dorset, "partnership-business-team").person_id)
        .await;
    let team = h.session_at(&team, now()).await;

    // Listed on the Reports page and in the API, each for the last whole month (October, as
    // the demo's today is 23 November 2026).
    let r = h.get("/reports", &team).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.body.replace("&#x2f;", "/");
    assert!(body.contains("Reports your procedure calls for"), "{body}");
    assert!(
        body.contains("/reports/procedure/stage-3-and-above?from=2026-10-01&amp;to=2026-10-31"),
        "{body}"
    );
    let r = h.get("/api/reports/procedure", &team).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = r.json();
    assert_eq!(list["reports"][0]["id"], "stage-3-and-above");
    assert_eq!(list["reports"][0]["every"], "month");
    assert_eq!(list["reports"][0]["from_stage"], 3);
    assert_eq!(list["reports"][0]["due_period"]["from"], "2026-10-01");
    assert_eq!(list["reports"][0]["due_on"], "2026-11-01");

    let store = h.state.store.clone();
    let mut listed = 0;
    for (from, to) in [
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 4, 1), date(2026, 11, 22)),
    ] {
        let q = format!("from={from}&to={to}");
        let want = parley_demo::expected::reached(store.as_ref(), &dorset, 3, from, to)
            .await
            .unwrap();
        let r = h
            .get(
                &format!("/api/reports/procedure/stage-3-and-above?{q}"),
                &team,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let got: std::collections::BTreeSet<String> = r.json()["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reference"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "{q}: report (left), events (right)");
        assert!(!r.body.contains(MARKER_PREFIX));
        let page = h
            .get(&format!("/reports/procedure/stage-3-and-above?{q}"), &team)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(!page.body.contains(MARKER_PREFIX));
        for reference in &want {
            assert!(
                page.body.contains(reference.as_str()),
                "{reference} on the page"
            );
        }
        let csv = h
            .get(
                &format!("/api/reports/procedure/stage-3-and-above/csv?{q}"),
                &team,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            csv.header("content-disposition")
                .is_some_and(|d| d.contains(&format!("stage-3-and-above-{from}-to-{to}.csv")))
        );
        assert_eq!(csv.body.matches("\r\n").count(), want.len() + 1);
        assert!(!csv.body.contains(MARKER_PREFIX));
        listed += want.len();
    }
    assert!(listed > 0, "the demo must reach stage 3 in some month");

    // Without dates: the month due. A report the procedure does not declare, and bad dates.
    let r = h.get("/reports/procedure/stage-3-and-above", &team).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("October 2026 (due now)"), "{}", r.body);
    for path in [
        "/reports/procedure/quarterly-review",
        "/api/reports/procedure/quarterly-review",
        "/api/reports/procedure/nothing/csv",
    ] {
        assert_eq!(
            h.get(path, &team).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = h
        .get(
            "/api/reports/procedure/stage-3-and-above?from=2026-10-01&to=2026-09-30",
            &team,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "to");
    let r = h
        .get(
            "/reports/procedure/stage-3-and-above?from=2026-13-01&to=2026-10-31",
            &team,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("govuk-error-summary"));

    // Solihull's quarterly review: the figures of the quarter, beside the one before.
    let solihull = h.partnership_of("solihull");
    let team = h
        .person(
            &h.sign_in_of(&solihull, "partnership-business-team")
                .person_id,
        )
        .await;
    let team = h.session_at(&team, now()).await;
    let r = h
        .get("/api/reports/procedure/quarterly-review", &team)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["period"]["from"], "2026-07-01");
    assert!(v["escalations"].is_null());
    let want = expected(
        store.as_ref(),
        &solihull,
        date(2026, 7, 1),
        date(2026, 9, 30),
    )
    .await
    .unwrap();
    assert_eq!(
        v["figures"]["current"]["raised"].as_u64(),
        Some(want.raised)
    );
    let r = h.get("/reports/procedure/quarterly-review", &team).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Key figures"), "{}", r.body);
    let r = h
        .get("/api/reports/procedure/quarterly-review/csv", &team)
        .await;
    assert!(
        r.body.starts_with("\"Figure\",\"July to September 2026\""),
        "{}",
        r.body
    );
}

/// The partnership list as CSV (issue 17, item 5): the page's "Download CSV" link carries its
/// filters; the file is every escalation that passes them (not a page), with a header row of
/// the column names shown and ISO dates, the same from the API, which refuses a filter that
/// names nothing; no child's marker.
#[tokio::test]
async fn the_partnership_list_as_csv() {
    let h = Harness::new().await;
    let dorset = h.partnership_of("dorset");
    let team = h
        .person(&h.sign_in_of(&dorset, "partnership-business-team").person_id)
        .await;
    let team = h.session_at(&team, now()).await;

    for query in ["", "status=open", "stage=3&status=open", "overdue=yes"] {
        let page = h.get(&format!("/partnership?{query}"), &team).await;
        assert_eq!(page.status, StatusCode::OK);
        let href = if query.is_empty() {
            "/partnership/escalations.csv\"".to_owned()
        } else {
            format!(
                "/partnership/escalations.csv?{}\"",
                query.replace('&', "&amp;")
            )
        };
        let body = page.body.replace("&#x2f;", "/");
        // Every query here matches something in the demo, so the link is shown.
        assert!(body.contains(&href), "{href} on /partnership?{query}");

        // What the list says, every page of it.
        let mut want = std::collections::BTreeSet::new();
        let mut n = 1;
        loop {
            let r = h
                .get(
                    &format!("/api/partnership/escalations?{query}&per_page=200&page={n}"),
                    &team,
                )
                .await;
            let v = r.json();
            for e in v["escalations"].as_array().unwrap() {
                want.insert(e["reference"].as_str().unwrap().to_owned());
            }
            if n >= v["pagination"]["pages"].as_i64().unwrap() {
                break;
            }
            n += 1;
        }
        let csv = h
            .get(&format!("/partnership/escalations.csv?{query}"), &team)
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(csv.header("content-disposition").is_some_and(|d| {
            d == "attachment; filename=\"partnership-escalations-2026-11-23.csv\""
        }));
        let mut rows = csv.body.split("\r\n");
        assert_eq!(
            rows.next(),
            Some(
                "\"Reference\",\"Raised\",\"Summary\",\"Category\",\"Raising agency\",\"Receiving agency\",\"Stage\",\"Status\",\"Due\",\"Overdue\""
            )
        );
        let got: std::collections::BTreeSet<String> = rows
            .filter(|r| !r.is_empty())
            .map(|r| r.split(',').next().unwrap().trim_matches('"').to_owned())
            .collect();
        assert_eq!(got, want, "?{query}: CSV (left), list (right)");
        assert_eq!(
            csv.body.matches("\r\n").count(),
            want.len() + 1,
            "one line each"
        );
        // The raising day is an ISO date, the second cell of every row.
        for row in csv.body.split("\r\n").skip(1).filter(|r| !r.is_empty()) {
            let raised = row.split("\",").nth(1).unwrap_or_default();
            assert!(
                raised.len() >= 10 && raised[..10].parse::<jiff::civil::Date>().is_ok(),
                "{row}"
            );
        }
        assert!(!csv.body.contains(MARKER_PREFIX));
        let api = h
            .get(&format!("/api/partnership/escalations/csv?{query}"), &team)
            .await;
        assert_eq!(api.status, StatusCode::OK);
        assert_eq!(api.body, csv.body, "the API's CSV is the page's");
    }

    let r = h
        .get("/api/partnership/escalations/csv?status=lost", &team)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = h
        .get("/api/partnership/escalations/csv?page=2", &team)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no page: every escalation"
    );
}

/// The partnership's threshold for published reports (issue 17, item 3): an administrator
/// sets it, a whole number from 2 to 20 (a 422 naming `threshold` otherwise, on the page and
/// in the API); the published CSV and PDF then hide counts below it, "fewer than N"; the
/// Reports page says so; the exact forms are unchanged; another partnership keeps its own.
#[tokio::test]
async fn the_partnership_sets_the_threshold_of_published_reports() {
    let h = Harness::new().await;
    let solihull = h.partnership_of("solihull");
    let admin_person = h
        .person(&h.sign_in_of(&solihull, "administrator").person_id)
        .await;
    let admin = h.session_at(&admin_person, now()).await;
    let api = h.bearer_for(&admin_person).await;
    let team = h
        .person(
            &h.sign_in_of(&solihull, "partnership-business-team")
                .person_id,
        )
        .await;
    let team = h.session_at(&team, now()).await;

    let r = h.get("/api/report-threshold", &api).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["threshold"], 5);
    let before = h.state.store.chain_heads().await.unwrap();
    for body in [
        r#"{"threshold": 1}"#,
        r#"{"threshold": 21}"#,
        r#"{"threshold": -3}"#,
        r#"{"threshold": 5.5}"#,
        r#"{"threshold": "ten"}"#,
        r#"{}"#,
    ] {
        let r = h
            .send_json(
                axum::http::Method::PUT,
                "/api/report-threshold",
                &api,
                &serde_json::from_str::<serde_json::Value>(body).unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(r.json()["errors"][0]["field"], "threshold", "{body}");
    }
    assert_eq!(
        h.state.store.chain_heads().await.unwrap(),
        before,
        "nothing recorded for a refused threshold"
    );
    // The page: the box again with the GOV.UK error summary.
    let r = h
        .post_form("/admin/reports", &admin, &[("threshold", "twenty")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("govuk-error-summary") && r.body.contains("href=\"#threshold\""));
    assert!(
        r.body.contains("Enter a whole number from 2 to 20"),
        "{}",
        r.body
    );

    // Set on the page; the API reads it back; recorded as an event.
    let r = h
        .post_form("/admin/reports", &admin, &[("threshold", "12")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        h.get("/api/report-threshold", &admin).await.json()["threshold"],
        12
    );
    let kinds: Vec<String> = h
        .state
        .store
        .chain(&solihull, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.kind)
        .collect();
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("report-threshold-set")
    );
    let page = h.get("/admin/reports", &admin).await;
    assert!(page.body.contains("“fewer than 12”"), "{}", page.body);

    // The published CSV hides counts below 12, as "fewer than 12"; the exact one does not.
    let year = "from=2026-04-01&to=2027-03-31";
    let published = h
        .get(
            &format!("/api/reports/csv?{year}&table=raised-by-category&publish=true"),
            &team,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK);
    let exact = h
        .get(
            &format!("/api/reports/csv?{year}&table=raised-by-category"),
            &team,
        )
        .await;
    let small = exact
        .body
        .lines()
        .skip(1)
        .flat_map(|l| l.split(',').skip(1))
        .filter_map(|c| c.trim_matches('"').parse::<u64>().ok())
        .any(|n| (1..12).contains(&n));
    assert!(small, "the demo must have a count below 12: {}", exact.body);
    assert!(
        published.body.contains("fewer than 12"),
        "{}",
        published.body
    );
    for line in published.body.lines().skip(1) {
        for cell in line.split(',').skip(1) {
            if let Ok(n) = cell.trim_matches('"').parse::<u64>() {
                assert!(n == 0 || n >= 12, "a count below 12 published: {line}");
            }
        }
    }
    let page = h.get(&format!("/reports?{year}"), &team).await;
    assert!(page.body.contains("“fewer than 12”"), "the page's note");
    let pdf = h
        .get(&format!("/api/reports/pdf?{year}&publish=true"), &team)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);

    // Another partnership keeps the default.
    let dorset = h.partnership_of("dorset");
    let other = h
        .person(&h.sign_in_of(&dorset, "administrator").person_id)
        .await;
    let other = h.session_at(&other, now()).await;
    assert_eq!(
        h.get("/api/report-threshold", &other).await.json()["threshold"],
        5
    );
}

/// The deadline monitor's reminder that a report the procedure calls for is due (issue 17)
/// reaches the business team's inbox, names the report and its period, and opens the report
/// for that period; nobody else is told.
#[tokio::test]
async fn the_business_team_is_reminded_when_a_report_falls_due() {
    let h = Harness::new().await;
    let dorset = h.partnership_of("dorset");
    // The demo's own monitor ran up to today; once more changes nothing.
    h.state.records.deadline_pass(now()).await.unwrap();
    h.state.records.resolve_outbox(now()).await.unwrap();
    let person = h
        .person(&h.sign_in_of(&dorset, "partnership-business-team").person_id)
        .await;
    let api = h.bearer_for(&person).await;
    let inbox = h.get("/api/notifications?page=1", &api).await.json();
    let entry = inbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["what_happened"] == "Report due: Escalations to Stage Three and above, October 2026"
        })
        .unwrap_or_else(|| panic!("no reminder of October's report: {inbox}"))
        .clone();
    assert!(entry["escalation"].is_null());
    assert!(
        entry["needed"]
            .as_str()
            .unwrap()
            .starts_with("Read the report and share it with the place-based"),
        "{entry}"
    );
    let session = h.session_at(&person, now()).await;
    let r = h.get(entry["open_href"].as_str().unwrap(), &session).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        Some("/reports/procedure/stage-3-and-above?from=2026-10-01&to=2026-10-31")
    );
    // Once: the reminder of October is in the chain once, whoever passes again.
    let again = h.state.records.deadline_pass(now()).await.unwrap();
    assert_eq!(again.reports_due, 0);
    let reminders = h
        .state
        .store
        .chain(&dorset, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == "report-due" && l.stream == "report:stage-3-and-above")
        .filter(|l| {
            l.payload
                .as_deref()
                .is_some_and(|p| p.contains("2026-10-01"))
        })
        .count();
    assert_eq!(reminders, 1);
    // A practitioner of the partnership has no such reminder.
    let practitioner = h
        .person(&h.sign_in_of(&dorset, "practitioner").person_id)
        .await;
    let theirs = h
        .get(
            "/api/notifications?page=1",
            &h.bearer_for(&practitioner).await,
        )
        .await;
    assert!(!theirs.body.contains("Report due"));
}
