//! The partnership view: every escalation of the partnership from the stage its procedure
//! first tells the partnership business team (Croydon Appendix A: from stage 3, "do not
//! include details of any child or family"; Solihull: from stage 2; Dorset §6: from Stage
//! Three), filterable by stage, agency, category, status and overdue, a page at a time, with
//! simple totals. Only `EscalationLine` fields are shown: never a child's details nor the case
//! as put.
//!
//! Filters come from the query string (the page's filter form is sent by GET, so a filtered
//! list has a web address that can be shared). A value that names nothing (a stage the
//! procedure does not have or the business team is not told of, an agency or category that
//! is not the partnership's, an unknown status) is a [`FilterProblem`]: the page leaves that
//! filter out and says so beside it, since a shared link may have gone stale (an agency
//! removed, a new procedure version); the API answers 422, so that a client never takes a
//! broader list for the one it asked for.

use parley_store::EscalationFilter;
use serde::{Deserialize, Serialize};

use super::{Context, EscalationLine};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Escalations on a page of the list.
pub const PER_PAGE: i64 = 50;
/// The most the API gives at once.
pub const MAX_PER_PAGE: i64 = 200;

/// The statuses of an escalation, as stored, with their labels.
pub const STATUSES: [(&str, &str); 5] = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("referred-on", "Referred on"),
    ("withdrawn", "Withdrawn"),
    ("redirected", "Redirected to another procedure"),
];

/// The filters as sent (every value text, so that a wrong one is reported, not refused
/// unread). An empty value is no filter.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterQuery {
    /// At this stage (a number, at or after the stage the business team is first told).
    pub stage: Option<String>,
    /// Raised by or against this agency (its id).
    pub agency: Option<String>,
    /// In this category (its id in the procedure).
    pub category: Option<String>,
    /// `open`, `resolved`, `referred-on`, `withdrawn` or `redirected`.
    pub status: Option<String>,
    /// `yes` (or `true`, `on`, `1`): only open escalations past the stage's or the overall
    /// deadline.
    pub overdue: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
    /// Escalations per page, 1 to 200 (default 50). API only.
    pub per_page: Option<String>,
}

/// The filters once checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Filters {
    pub stage: Option<i64>,
    pub agency: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub overdue: bool,
    pub page: i64,
    pub per_page: i64,
}

/// A filter value that names nothing, and what to tell the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FilterProblem {
    /// The query parameter (and the form field's id).
    pub field: &'static str,
    pub value: String,
    pub message: String,
}

/// One value a filter can take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FilterOption {
    pub value: String,
    pub text: String,
}

/// What each filter can be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FilterOptions {
    /// The stages the business team is told of.
    pub stages: Vec<FilterOption>,
    pub agencies: Vec<FilterOption>,
    pub categories: Vec<FilterOption>,
    pub statuses: Vec<FilterOption>,
}

impl FilterOptions {
    fn new(ctx: &Context, agencies: &[parley_store::rows::AgencyRow]) -> FilterOptions {
        let from = ctx.business_from.unwrap_or(i64::MAX);
        let mut agencies: Vec<FilterOption> = agencies
            .iter()
            .map(|a| FilterOption {
                value: a.id.clone(),
                text: a.name.clone(),
            })
            .collect();
        agencies.sort_by(|a, b| a.text.cmp(&b.text));
        FilterOptions {
            stages: ctx
                .rules
                .procedure
                .stages
                .iter()
                .filter(|s| i64::from(s.number.get()) >= from)
                .map(|s| FilterOption {
                    value: s.number.to_string(),
                    text: super::escalation::stage_name(s.number, &s.title),
                })
                .collect(),
            agencies,
            categories: ctx
                .rules
                .procedure
                .categories
                .iter()
                .map(|c| FilterOption {
                    value: c.id.clone(),
                    text: c.label.clone(),
                })
                .collect(),
            statuses: STATUSES
                .iter()
                .map(|(v, t)| FilterOption {
                    value: (*v).to_owned(),
                    text: (*t).to_owned(),
                })
                .collect(),
        }
    }

    fn has(list: &[FilterOption], value: &str) -> bool {
        list.iter().any(|o| o.value == value)
    }
}

/// A value, trimmed; `None` when absent or empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks the filters against what exists. `business_from` is the first stage the business
/// team is told of (`None`: never). Every value that names nothing is left out and reported.
pub fn parse(
    q: &FilterQuery,
    options: &FilterOptions,
    business_from: Option<i64>,
) -> (Filters, Vec<FilterProblem>) {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, value: &str, message: String| {
        problems.push(FilterProblem {
            field,
            value: value.to_owned(),
            message,
        });
    };
    let mut f = Filters {
        page: 1,
        per_page: PER_PAGE,
        ..Filters::default()
    };
    if let Some(v) = given(&q.stage) {
        match v.parse::<i64>() {
            Ok(n) if FilterOptions::has(&options.stages, &n.to_string()) => f.stage = Some(n),
            Ok(n) if business_from.is_some_and(|b| n >= 1 && n < b) => problem(
                "stage",
                v,
                format!(
                    "The partnership is told from stage {}. Select stage {} or later",
                    business_from.unwrap_or_default(),
                    business_from.unwrap_or_default()
                ),
            ),
            Ok(n) => problem(
                "stage",
                v,
                format!("There is no stage {n}. Select a stage from the list"),
            ),
            Err(_) => problem("stage", v, "Select a stage from the list".to_owned()),
        }
    }
    if let Some(v) = given(&q.agency) {
        if FilterOptions::has(&options.agencies, v) {
            f.agency = Some(v.to_owned());
        } else {
            problem("agency", v, "Select an agency from the list".to_owned());
        }
    }
    if let Some(v) = given(&q.category) {
        if FilterOptions::has(&options.categories, v) {
            f.category = Some(v.to_owned());
        } else {
            problem("category", v, "Select a category from the list".to_owned());
        }
    }
    if let Some(v) = given(&q.status) {
        if FilterOptions::has(&options.statuses, v) {
            f.status = Some(v.to_owned());
        } else {
            problem("status", v, "Select a status from the list".to_owned());
        }
    }
    if let Some(v) = given(&q.overdue) {
        match v.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" => f.overdue = true,
            "no" | "false" | "off" | "0" => {}
            _ => problem("overdue", v, "Overdue must be yes or no".to_owned()),
        }
    }
    if let Some(v) = given(&q.page) {
        match v.parse::<i64>() {
            Ok(n) if n >= 1 => f.page = n,
            _ => problem(
                "page",
                v,
                "The page must be a whole number from 1".to_owned(),
            ),
        }
    }
    if let Some(v) = given(&q.per_page) {
        match v.parse::<i64>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => f.per_page = n,
            _ => problem(
                "per_page",
                v,
                format!("Escalations per page must be a whole number from 1 to {MAX_PER_PAGE}"),
            ),
        }
    }
    (f, problems)
}

impl Filters {
    /// What the store is asked for: from the notified stage on, and these filters.
    pub fn store_filter(&self, business_from: i64, today: jiff::civil::Date) -> EscalationFilter {
        EscalationFilter {
            min_stage: Some(business_from),
            stage: self.stage,
            agency_id: self.agency.clone(),
            category: self.category.clone(),
            status: self.status.clone(),
            overdue_on: self.overdue.then(|| today.to_string()),
        }
    }

    /// Whether any filter (other than the page) is set.
    pub fn any(&self) -> bool {
        self.stage.is_some()
            || self.agency.is_some()
            || self.category.is_some()
            || self.status.is_some()
            || self.overdue
    }

    /// The filters as a query string (no page), in a fixed order: `stage=3&overdue=yes`.
    pub fn query(&self, with_per_page: bool) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(s) = self.stage {
            pairs.push(("stage", s.to_string()));
        }
        if let Some(a) = &self.agency {
            pairs.push(("agency", a.clone()));
        }
        if let Some(c) = &self.category {
            pairs.push(("category", c.clone()));
        }
        if let Some(s) = &self.status {
            pairs.push(("status", s.clone()));
        }
        if self.overdue {
            pairs.push(("overdue", "yes".to_owned()));
        }
        if with_per_page && self.per_page != PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// Links between the pages of a list (GOV.UK pagination: the first, the last, the current
/// page and its neighbours, with gaps shown as ellipses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
    /// Pages in all (at least 1).
    pub pages: i64,
    /// Escalations that pass the filters, in all.
    pub total: i64,
    /// The first and last escalation shown, counting from 1 (0 and 0 when none is).
    pub first_shown: i64,
    pub last_shown: i64,
    pub previous: Option<PageLink>,
    pub next: Option<PageLink>,
    /// Empty when there is only one page.
    pub items: Vec<PageItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PageLink {
    pub href: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PageItem {
    /// `None` for an ellipsis.
    pub number: Option<i64>,
    pub href: Option<String>,
    pub current: bool,
    pub ellipsis: bool,
}

/// The pagination of `total` items shown `per_page` at a time, on `page`, linking to
/// `base?query&page=N`.
pub fn pagination(base: &str, query: &str, page: i64, per_page: i64, total: i64) -> Pagination {
    let per_page = per_page.max(1);
    let pages = ((total + per_page - 1) / per_page).max(1);
    let href = |n: i64| {
        if query.is_empty() {
            format!("{base}?page={n}")
        } else {
            format!("{base}?{query}&page={n}")
        }
    };
    let first_shown = ((page - 1) * per_page + 1).min(total + 1);
    let last_shown = (page * per_page).min(total);
    let (first_shown, last_shown) = if first_shown > last_shown {
        (0, 0)
    } else {
        (first_shown, last_shown)
    };
    let mut items = Vec::new();
    if pages > 1 {
        let mut last_listed = 0;
        for n in 1..=pages {
            let shown = n == 1 || n == pages || (n - page).abs() <= 1;
            if !shown {
                continue;
            }
            if n > last_listed + 1 {
                items.push(PageItem {
                    number: None,
                    href: None,
                    current: false,
                    ellipsis: true,
                });
            }
            items.push(PageItem {
                number: Some(n),
                href: Some(href(n)),
                current: n == page,
                ellipsis: false,
            });
            last_listed = n;
        }
    }
    Pagination {
        page,
        per_page,
        pages,
        total,
        first_shown,
        last_shown,
        previous: (page > 1).then(|| PageLink {
            href: href((page - 1).min(pages)),
        }),
        next: (page < pages).then(|| PageLink {
            href: href(page + 1),
        }),
        items,
    }
}

/// Counts over everything the business team is told of (not the filters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub all: i64,
    pub open: i64,
    /// Open and past the stage's or the overall deadline.
    pub overdue: i64,
    pub by_stage: Vec<Total>,
    /// By category; escalations in a category the current procedure no longer has are
    /// counted under `other` (value empty).
    pub by_category: Vec<Total>,
}

/// The count of one stage or category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Total {
    /// The stage number or category id (as in the filters).
    pub value: String,
    pub text: String,
    pub open: i64,
    pub all: i64,
}

/// Adds a row for what the listed rows do not cover (categories of an earlier procedure
/// version), if anything.
fn with_other(mut rows: Vec<Total>, open: i64, all: i64, text: &str) -> Vec<Total> {
    let (o, a) = rows
        .iter()
        .fold((0, 0), |(o, a), t| (o + t.open, a + t.all));
    if all > a || open > o {
        rows.push(Total {
            value: String::new(),
            text: text.to_owned(),
            open: (open - o).max(0),
            all: (all - a).max(0),
        });
    }
    rows
}

/// The partnership view.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnershipView {
    pub partnership: String,
    /// The first stage at which the procedure tells the partnership business team of an
    /// escalation; `null` when it never does (and then nothing is listed).
    pub business_from: Option<i64>,
    /// The filters applied.
    pub filters: Filters,
    /// Filter values left out because they name nothing (the page says so; the API refuses
    /// them with a 422 instead, so this is empty there).
    pub ignored: Vec<FilterProblem>,
    /// This page of the escalations that pass the filters, newest first.
    pub escalations: Vec<EscalationLine>,
    pub pagination: Pagination,
    /// Counts over everything the business team is told of; `null` when it is told of none.
    pub totals: Option<Totals>,
    /// What each filter can be.
    pub options: FilterOptions,
}

/// The filters checked, before anything is listed.
#[derive(Debug)]
pub struct Prepared {
    ctx: Context,
    options: FilterOptions,
    pub filters: Filters,
    pub problems: Vec<FilterProblem>,
}

/// Loads what the filters need and checks them.
pub async fn prepare(
    state: &AppState,
    user: &CurrentUser,
    q: &FilterQuery,
) -> Result<Prepared, AppError> {
    let ctx = Context::load(state, user).await?;
    let agencies = ctx.agencies.clone();
    let options = FilterOptions::new(&ctx, &agencies);
    let (filters, problems) = parse(q, &options, ctx.business_from);
    Ok(Prepared {
        ctx,
        options,
        filters,
        problems,
    })
}

/// How many escalations pass `f`. One row is asked for, as the total rides on the rows (with
/// none, the store counts again).
async fn count(state: &AppState, partnership: &str, f: &EscalationFilter) -> Result<i64, AppError> {
    Ok(state.store.escalation_page(partnership, f, 1, 0).await?.1)
}

/// Lists a page of escalations under the checked filters, with the totals. Links go to
/// `base` (the page's or the API's path).
pub async fn view(
    state: &AppState,
    p: Prepared,
    base: &str,
    with_per_page: bool,
) -> Result<PartnershipView, AppError> {
    let Prepared {
        ctx,
        options,
        filters,
        problems,
    } = p;
    let pid = ctx.partnership.id.clone();
    let query = filters.query(with_per_page);
    let Some(from) = ctx.business_from else {
        return Ok(PartnershipView {
            partnership: ctx.partnership.name.clone(),
            business_from: None,
            pagination: pagination(base, &query, filters.page, filters.per_page, 0),
            filters,
            ignored: problems,
            escalations: Vec::new(),
            totals: None,
            options,
        });
    };
    let agencies = state.store.agencies(&pid).await?;
    let (rows, total) = state
        .store
        .escalation_page(
            &pid,
            &filters.store_filter(from, ctx.today),
            filters.per_page,
            (filters.page - 1).saturating_mul(filters.per_page),
        )
        .await?;
    let escalations = rows
        .iter()
        .map(|e| EscalationLine::new(&ctx, e, &agencies))
        .collect();

    // Totals: one count per figure, each an index look-up (partnership and status or stage).
    let base_filter = EscalationFilter {
        min_stage: Some(from),
        ..EscalationFilter::default()
    };
    let open_filter = EscalationFilter {
        status: Some("open".to_owned()),
        ..base_filter.clone()
    };
    let all = count(state, &pid, &base_filter).await?;
    let open = count(state, &pid, &open_filter).await?;
    let overdue = count(
        state,
        &pid,
        &EscalationFilter {
            overdue_on: Some(ctx.today.to_string()),
            ..base_filter.clone()
        },
    )
    .await?;
    let mut by_stage = Vec::new();
    for s in &options.stages {
        let stage = s.value.parse::<i64>().ok();
        by_stage.push(Total {
            value: s.value.clone(),
            text: s.text.clone(),
            open: count(
                state,
                &pid,
                &EscalationFilter {
                    stage,
                    ..open_filter.clone()
                },
            )
            .await?,
            all: count(
                state,
                &pid,
                &EscalationFilter {
                    stage,
                    ..base_filter.clone()
                },
            )
            .await?,
        });
    }
    let mut by_category = Vec::new();
    for c in &options.categories {
        let category = Some(c.value.clone());
        by_category.push(Total {
            value: c.value.clone(),
            text: c.text.clone(),
            open: count(
                state,
                &pid,
                &EscalationFilter {
                    category: category.clone(),
                    ..open_filter.clone()
                },
            )
            .await?,
            all: count(
                state,
                &pid,
                &EscalationFilter {
                    category,
                    ..base_filter.clone()
                },
            )
            .await?,
        });
    }
    let by_category = with_other(
        by_category,
        open,
        all,
        "Other categories (earlier procedure versions)",
    );
    Ok(PartnershipView {
        partnership: ctx.partnership.name.clone(),
        business_from: Some(from),
        pagination: pagination(base, &query, filters.page, filters.per_page, total),
        filters,
        ignored: problems,
        escalations,
        totals: Some(Totals {
            all,
            open,
            overdue,
            by_stage,
            by_category,
        }),
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            statuses: STATUSES.iter().map(|(v, _)| option(v)).collect(),
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
                status: Some("open".into()),
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
            &query(
                "stage=1&agency=nowhere&category=x&status=closed&overdue=maybe&page=0&per_page=500",
            ),
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
    use crate::auth::CurrentUser;

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
}
