use super::*;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::service::Context;
use parley_store::EscalationFilter;

fn option(value: &str) -> FilterOption {
    FilterOption {
        value: value.to_owned(),
        text: value.to_uppercase(),
    }
}

fn options() -> FilterOptions {
    FilterOptions {
        stages: vec![option("3"), option("4"), option("5")],
        agencies: vec![option("police"), option("school")],
        categories: vec![option("threshold"), option("plan")],
        statuses: StatusFilter::ALL
            .iter()
            .map(|s| option(s.as_str()))
            .collect(),
    }
}

fn query(pairs: &str) -> FilterQuery {
    serde_urlencoded::from_str(pairs).unwrap()
}

fn fields(problems: &[FilterProblem]) -> Vec<&'static str> {
    problems.iter().map(|p| p.field).collect()
}

#[test]
fn good_filters_are_kept_and_empty_ones_ignored() {
    let (f, problems) = parse(
        &query("stage=4&agency=police&category=plan&status=open&overdue=yes&page=3"),
        &options(),
        Some(3),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        f,
        Filters {
            stage: Some(4),
            agency: Some("police".into()),
            category: Some("plan".into()),
            status: Some(StatusFilter::Open),
            overdue: true,
            page: 3,
            per_page: PER_PAGE,
        }
    );
    assert_eq!(
        f.query(false),
        "stage=4&agency=police&category=plan&status=open&overdue=yes"
    );
    assert!(f.any());

    // The form sends every field; "any" is the empty value.
    let (f, problems) = parse(
        &query("stage=&agency=&category=&status=&page="),
        &options(),
        Some(3),
    );
    assert!(problems.is_empty());
    assert_eq!(f.page, 1);
    assert!(!f.any());
    assert_eq!(f.query(true), "");
}

#[test]
fn values_that_name_nothing_are_reported_and_left_out() {
    let (f, problems) = parse(
        &query("stage=1&agency=nowhere&category=x&status=closed&overdue=maybe&page=0&per_page=500"),
        &options(),
        Some(3),
    );
    assert_eq!(
        f,
        Filters {
            page: 1,
            per_page: PER_PAGE,
            ..Filters::default()
        }
    );
    assert_eq!(
        fields(&problems),
        [
            "stage", "agency", "category", "status", "overdue", "page", "per_page"
        ]
    );
    assert_eq!(
        problems[0].message,
        "The partnership is told from stage 3. Select stage 3 or later"
    );
    let (_, problems) = parse(&query("stage=9"), &options(), Some(3));
    assert!(problems[0].message.contains("no stage 9"));
    let (_, problems) = parse(&query("stage=three"), &options(), Some(3));
    assert_eq!(problems[0].message, "Select a stage from the list");
    let (_, problems) = parse(&query("stage=-2"), &options(), Some(3));
    assert!(problems[0].message.contains("no stage -2"));
}

#[test]
fn overdue_reads_the_usual_spellings() {
    for (v, want) in [
        ("yes", true),
        ("TRUE", true),
        ("on", true),
        ("1", true),
        ("no", false),
        ("0", false),
    ] {
        let (f, problems) = parse(&query(&format!("overdue={v}")), &options(), Some(3));
        assert!(problems.is_empty());
        assert_eq!(f.overdue, want, "{v}");
    }
}

#[test]
fn the_store_is_asked_from_the_notified_stage() {
    let f = Filters {
        overdue: true,
        category: Some("plan".into()),
        ..Filters::default()
    };
    let today = jiff::civil::date(2026, 11, 23);
    assert_eq!(
        f.store_filter(3, today),
        EscalationFilter {
            min_stage: Some(3),
            category: Some("plan".into()),
            overdue_on: Some("2026-11-23".into()),
            ..EscalationFilter::default()
        }
    );
}

#[test]
fn query_values_are_encoded() {
    let f = Filters {
        agency: Some("a b&c".into()),
        per_page: 20,
        ..Filters::default()
    };
    assert_eq!(f.query(false), "agency=a+b%26c");
    assert_eq!(f.query(true), "agency=a+b%26c&per_page=20");
}

fn numbers(p: &Pagination) -> Vec<String> {
    p.items
        .iter()
        .map(|i| match i.number {
            Some(n) if i.current => format!("[{n}]"),
            Some(n) => n.to_string(),
            None => "…".to_owned(),
        })
        .collect()
}

#[test]
fn pagination_shows_the_ends_and_the_neighbours() {
    let p = pagination("/partnership", "", 1, 50, 0);
    assert_eq!((p.pages, p.first_shown, p.last_shown), (1, 0, 0));
    assert!(p.items.is_empty() && p.previous.is_none() && p.next.is_none());

    let p = pagination("/partnership", "", 1, 50, 50);
    assert_eq!((p.pages, p.first_shown, p.last_shown), (1, 1, 50));
    assert!(p.items.is_empty());

    let p = pagination("/partnership", "status=open", 1, 50, 51);
    assert_eq!(numbers(&p), ["[1]", "2"]);
    assert_eq!(
        p.next.as_ref().unwrap().href,
        "/partnership?status=open&page=2"
    );
    assert!(p.previous.is_none());

    let p = pagination("/partnership", "", 5, 50, 500);
    assert_eq!(numbers(&p), ["1", "…", "4", "[5]", "6", "…", "10"]);
    assert_eq!((p.first_shown, p.last_shown), (201, 250));
    assert_eq!(p.previous.as_ref().unwrap().href, "/partnership?page=4");
    assert_eq!(p.items[0].href.as_deref(), Some("/partnership?page=1"));

    let p = pagination("/partnership", "", 10, 50, 480);
    assert_eq!(numbers(&p), ["1", "…", "9", "[10]"]);
    assert_eq!((p.first_shown, p.last_shown), (451, 480));
    assert!(p.next.is_none());

    let p = pagination("/partnership", "", 2, 50, 120);
    assert_eq!(numbers(&p), ["1", "[2]", "3"]);

    // Past the end: nothing shown, a way back to the last page.
    let p = pagination("/partnership", "", 7, 50, 120);
    assert_eq!((p.first_shown, p.last_shown), (0, 0));
    assert!(p.next.is_none());
    assert_eq!(p.previous.as_ref().unwrap().href, "/partnership?page=3");
}

#[test]
fn categories_of_earlier_versions_are_counted_as_other() {
    let t = |v: &str, open, all| Total {
        value: v.to_owned(),
        text: v.to_owned(),
        open,
        all,
    };
    let rows = with_other(vec![t("a", 1, 4), t("b", 0, 2)], 1, 6, "Other");
    assert_eq!(rows.len(), 2);
    let rows = with_other(vec![t("a", 1, 4), t("b", 0, 2)], 2, 9, "Other");
    assert_eq!(rows[2], t("", 1, 3).with_text("Other"));
}

impl Total {
    fn with_text(mut self, text: &str) -> Total {
        self.text = text.to_owned();
        self
    }
}

// Against a real store: the demo data in a temporary SQLite file.

use std::sync::Arc;

use parley_store::records::{Actor, PersonInput, Records};

use crate::app::{Clock, Config};

fn now() -> jiff::Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

async fn demo(dir: &tempfile::TempDir) -> (AppState, parley_demo::DemoSummary) {
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let records = Records::open(&url).await.unwrap();
    let summary = parley_demo::seed(&records, now(), 100, 7, |_, _| {})
        .await
        .unwrap();
    let state = AppState::new(Arc::new(records), Config::default(), Clock::Fixed(now()));
    (state, summary)
}

async fn user(state: &AppState, id: &str) -> CurrentUser {
    CurrentUser {
        person: state.store.person(id).await.unwrap().unwrap(),
        session: None,
        config: None,
        partnership_seq: None,
        unread: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totals_and_pages_agree_with_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (state, summary) = demo(&dir).await;
    let (mut seen_in_all, mut open_in_all) = (0, 0);
    for s in summary
        .sign_ins
        .iter()
        .filter(|s| s.role == crate::access::BUSINESS_TEAM)
    {
        let me = user(&state, &s.person_id).await;
        let ctx = Context::load(&state, &me).await.unwrap();
        let from = ctx.business_from.unwrap();
        let today = ctx.today.to_string();
        // What the business team is told of, counted row by row.
        let rows: Vec<_> = state
            .store
            .escalations(&s.partnership_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.current_stage >= from)
            .collect();
        let open = |e: &&parley_store::rows::EscalationRow| e.status == "open";
        let overdue = |e: &&parley_store::rows::EscalationRow| {
            e.status == "open"
                && (e.stage_due < today || e.overall_due.as_ref().is_some_and(|d| *d < today))
        };

        let q = FilterQuery {
            per_page: Some("7".into()),
            ..FilterQuery::default()
        };
        let prepared = prepare(&state, &me, &q).await.unwrap();
        assert!(prepared.problems.is_empty());
        let v = view(&state, prepared, "/api/partnership/escalations", true)
            .await
            .unwrap();
        let t = v.totals.clone().unwrap();
        assert_eq!(t.all, rows.len() as i64, "{}", s.partnership);
        assert_eq!(t.open, rows.iter().filter(open).count() as i64);
        assert_eq!(t.overdue, rows.iter().filter(overdue).count() as i64);
        seen_in_all += t.all;
        open_in_all += t.open;
        for st in &t.by_stage {
            let n: i64 = st.value.parse().unwrap();
            let at: Vec<_> = rows.iter().filter(|e| e.current_stage == n).collect();
            assert_eq!(st.all, at.len() as i64);
            assert_eq!(
                st.open,
                at.iter().filter(|e| e.status == "open").count() as i64
            );
        }
        assert_eq!(t.by_stage.iter().map(|x| x.all).sum::<i64>(), t.all);
        assert_eq!(t.by_category.iter().map(|x| x.all).sum::<i64>(), t.all);
        assert_eq!(t.by_category.iter().map(|x| x.open).sum::<i64>(), t.open);

        // The list: every row once, newest first, 7 to a page, nothing before the notified
        // stage.
        assert_eq!(v.pagination.total, t.all);
        let mut seen = Vec::new();
        for page in 1..=v.pagination.pages {
            let q = FilterQuery {
                page: Some(page.to_string()),
                per_page: Some("7".into()),
                ..FilterQuery::default()
            };
            let p = prepare(&state, &me, &q).await.unwrap();
            let v = view(&state, p, "/api/partnership/escalations", true)
                .await
                .unwrap();
            assert!(v.escalations.len() <= 7);
            assert!(v.escalations.iter().all(|l| l.stage >= from));
            seen.extend(v.escalations.into_iter().map(|l| (l.raised_on, l.id)));
        }
        assert_eq!(seen.len() as i64, t.all);
        assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");

        // Filters narrow the list to the matching rows.
        let q = FilterQuery {
            overdue: Some("yes".into()),
            ..FilterQuery::default()
        };
        let p = prepare(&state, &me, &q).await.unwrap();
        let v = view(&state, p, "/partnership", false).await.unwrap();
        assert_eq!(v.pagination.total, t.overdue);
        assert!(
            v.escalations
                .iter()
                .all(|l| l.overdue && l.status == "open")
        );
        let q = FilterQuery {
            status: Some("resolved".into()),
            stage: Some(from.to_string()),
            ..FilterQuery::default()
        };
        let p = prepare(&state, &me, &q).await.unwrap();
        let v = view(&state, p, "/partnership", false).await.unwrap();
        assert!(
            v.escalations
                .iter()
                .all(|l| l.status == "resolved" && l.stage == from)
        );
        assert_eq!(
            v.pagination.total,
            rows.iter()
                .filter(|e| e.status == "resolved" && e.current_stage == from)
                .count() as i64
        );

        // A stage before the notified one is reported, not listed.
        let q = FilterQuery {
            stage: Some((from - 1).to_string()),
            ..FilterQuery::default()
        };
        let p = prepare(&state, &me, &q).await.unwrap();
        assert_eq!(fields(&p.problems), ["stage"]);
    }
    assert!(
        seen_in_all > 0 && open_in_all > 0,
        "the demo reaches the business team"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procedure_that_never_tells_the_partnership_lists_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let records = Records::open(&url).await.unwrap();
    // Croydon without its notification to the business team.
    let source = parley_core::seeds::source("croydon").unwrap();
    let at = source.find("to = \"partnership-business-team\"").unwrap();
    let start = source[..at].rfind("[[notification]]").unwrap();
    let end = at + source[at..].find("[[notification]]").unwrap();
    let source = format!("{}{}", &source[..start], &source[end..]);
    let system = Actor::SYSTEM;
    let pid = records
        .create_partnership(now(), &system, "Nowhere Partnership", None, &source)
        .await
        .unwrap();
    let person = records
        .save_person(
            now(),
            &system,
            &pid,
            None,
            PersonInput {
                agency_id: None,
                name: "Pat Business".into(),
                email: "pat@example.org".into(),
                job_title: "Business manager".into(),
                roles: vec![crate::access::BUSINESS_TEAM.into()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let state = AppState::new(Arc::new(records), Config::default(), Clock::Fixed(now()));
    let me = user(&state, &person).await;
    let p = prepare(&state, &me, &query("stage=3&status=open"))
        .await
        .unwrap();
    let v = view(&state, p, "/partnership", false).await.unwrap();
    assert_eq!(v.business_from, None);
    assert!(v.escalations.is_empty() && v.totals.is_none());
    assert!(v.options.stages.is_empty());
}
