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
        assert_eq!(f["meetings"].as_u64(), Some(want.meetings));
        assert_eq!(v["exact"], true);
        assert!(!r.body.contains(MARKER_PREFIX));
        raised += want.raised;
    }
    assert!(raised > 0, "the demo must have something to count");

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
