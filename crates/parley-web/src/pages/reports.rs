//! The Reports page (issue 17, items 1, 2, 3 and 5), for the partnership business team and
//! administrators: a GET form with the period's first and last days and one-click periods,
//! then the report of the period (`service::reports::page`), with links to download its
//! tables as CSV and the whole as PDF from `/api/reports`. Works without JavaScript.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{invalid, render};
use crate::api::reports::READERS;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorSummary, FieldErrors};
use crate::route::{Route, route};
use crate::service::Context;
use crate::service::reports::page::{PresetLink, ReportView, presets, view};
use crate::service::reports::{self, period_of};

pub fn routes() -> Vec<Route> {
    vec![route(Method::GET, "/reports", READERS, get(page))]
}

/// The form as sent. Every field is optional: with none, this month.
#[derive(Debug, Default, Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    preset: Option<String>,
    on: Option<String>,
}

#[derive(Serialize)]
struct Form {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct Page {
    page_title: &'static str,
    form: Form,
    errors: ErrorSummary,
    presets: Vec<PresetLink>,
    report: Option<ReportView>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let ctx = Context::load(&state, &user).await?;
    let asked = q.from.is_some() || q.to.is_some() || q.preset.is_some();
    let preset = if asked {
        q.preset.as_deref()
    } else {
        Some("month")
    };
    let chosen = period_of(
        q.from.as_deref(),
        q.to.as_deref(),
        preset,
        q.on.as_deref(),
        ctx.today,
    );
    let mut errors = FieldErrors::default();
    let (form, report) = match chosen {
        Ok(period) => {
            let report =
                reports::make(state.records.as_ref(), &ctx.partnership, period, ctx.today).await?;
            (
                Form {
                    from: period.from().to_string(),
                    to: period.to().to_string(),
                },
                Some(view(&report, "/api/reports")?),
            )
        }
        Err((field, message)) => {
            // A preset's problems are shown against the first day, the form's own field.
            let field = if field == "preset" || field == "on" {
                "from"
            } else {
                field
            };
            errors.add(field, message);
            (
                Form {
                    from: q.from.clone().unwrap_or_default(),
                    to: q.to.clone().unwrap_or_default(),
                },
                None,
            )
        }
    };
    let failed = !errors.is_empty();
    let html = render(
        &state,
        Some(&user),
        "/reports",
        "reports.html",
        Page {
            page_title: "Reports",
            form,
            errors: ErrorSummary::of(&errors),
            presets: presets("/reports", ctx.today),
            report,
        },
    )?;
    Ok(if failed {
        invalid(html)
    } else {
        html.into_response()
    })
}

/// The report page for `parley report --format html`: the same template as the web page,
/// with no one signed in (no menu) and its download links to the server's `/api/reports`.
pub fn standalone_html(report: &reports::Report) -> Result<String, AppError> {
    let env = crate::templates::environment();
    let template = env
        .get_template("reports.html")
        .map_err(|e| AppError::Internal(format!("template reports.html: {e}")))?;
    let period = report.current.period;
    let page = Page {
        page_title: "Reports",
        form: Form {
            from: period.from().to_string(),
            to: period.to().to_string(),
        },
        errors: ErrorSummary::default(),
        presets: presets("/reports", report.as_of),
        report: Some(view(report, "/api/reports")?),
    };
    template
        .render(minijinja::Value::from(minijinja::value::Serde(&page)))
        .map_err(|e| AppError::Internal(format!("template reports.html: {e:#}")))
}
