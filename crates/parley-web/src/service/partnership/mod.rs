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
use crate::error::{AppError, FieldError};

pub mod csv;
#[cfg(test)]
mod tests;

/// Escalations on a page of the list.
pub const PER_PAGE: i64 = 50;
/// The most the API gives at once.
pub const MAX_PER_PAGE: i64 = 200;

/// The statuses of an escalation a list is filtered on, by their stored names (the core's
/// `Status::as_str`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StatusFilter {
    Open,
    Resolved,
    ReferredOn,
    Withdrawn,
    Redirected,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 5] = [
        StatusFilter::Open,
        StatusFilter::Resolved,
        StatusFilter::ReferredOn,
        StatusFilter::Withdrawn,
        StatusFilter::Redirected,
    ];

    /// The stored name, as the query and the store take it.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Resolved => "resolved",
            StatusFilter::ReferredOn => "referred-on",
            StatusFilter::Withdrawn => "withdrawn",
            StatusFilter::Redirected => "redirected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Open => "Open",
            StatusFilter::Resolved => "Resolved",
            StatusFilter::ReferredOn => "Referred on",
            StatusFilter::Withdrawn => "Withdrawn",
            StatusFilter::Redirected => "Redirected to another procedure",
        }
    }

    pub fn parse(name: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

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
    pub status: Option<StatusFilter>,
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

/// The field error of a filter that names nothing: on its query parameter, with the
/// message (the value sent is not repeated).
impl From<&FilterProblem> for FieldError {
    fn from(p: &FilterProblem) -> Self {
        FieldError::new(p.field, p.message.clone())
    }
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
            statuses: StatusFilter::ALL
                .iter()
                .map(|s| FilterOption {
                    value: s.as_str().to_owned(),
                    text: s.label().to_owned(),
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
        if let Some(s) =
            StatusFilter::parse(v).filter(|s| FilterOptions::has(&options.statuses, s.as_str()))
        {
            f.status = Some(s);
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
            status: self.status.map(|s| s.as_str().to_owned()),
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
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().to_owned()));
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
    /// Every escalation that passes the filters (not only this page) as CSV.
    pub csv: String,
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
    let csv = csv_href(base, &filters);
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
            csv,
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
        .collect::<Result<_, _>>()?;

    // Totals: one count per figure, each an index look-up (partnership and status or stage).
    let base_filter = EscalationFilter {
        min_stage: Some(from),
        ..EscalationFilter::default()
    };
    let open_filter = EscalationFilter {
        status: Some(StatusFilter::Open.as_str().to_owned()),
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
        csv,
    })
}

/// Where the list with these filters is as CSV: beside the page, or the API's.
fn csv_href(base: &str, filters: &Filters) -> String {
    let path = if base.starts_with("/api/") {
        format!("{base}/csv")
    } else {
        format!("{base}/escalations.csv")
    };
    match filters.query(false) {
        q if q.is_empty() => path,
        q => format!("{path}?{q}"),
    }
}
