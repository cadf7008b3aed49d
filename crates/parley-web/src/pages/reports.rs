//! The Reports page (issue 17, items 1, 2, 3 and 5), for the partnership business team and
//! administrators: a GET form with the period's first and last days and one-click periods,
//! then the report of the period (`service::reports::page`), with links to download its
//! tables as CSV and the whole as PDF from `/api/reports`. Works without JavaScript.

use axum::extract::{Path, Query, State};
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
use crate::service::reports::own::{self, ProcedureReportInfo};
use crate::service::reports::own_page::{self, OwnReportView};
use crate::service::reports::page::{PresetLink, ReportView, presets, view};
use crate::service::reports::{self, period_of};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/reports", READERS, get(page)),
        // A report the procedure calls for (`[[report]]`), by its id: a 404 for one the
        // partnership's procedure does not declare.
        route(
            Method::GET,
            "/reports/procedure/{report}",
            READERS,
            get(own_report),
        ),
    ]
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
    /// The reports the procedure calls for, each for the period due now.
    own: Vec<ProcedureReportInfo>,
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
            own: own::offered(&ctx.rules.procedure, ctx.today),
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
    let period = report.current.period;
    let page = Page {
        page_title: "Reports",
        form: Form {
            from: period.from().to_string(),
            to: period.to().to_string(),
        },
        errors: ErrorSummary::default(),
        presets: presets("/reports", report.as_of),
        own: own::offered(&report.procedure, report.as_of),
        report: Some(view(report, "/api/reports")?),
    };
    standalone("reports.html", &page)
}

/// A page rendered with no one signed in (no menu), for the CLI.
fn standalone<T: Serialize>(name: &str, page: &T) -> Result<String, AppError> {
    let env = crate::templates::environment();
    let template = env
        .get_template(name)
        .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    template
        .render(minijinja::Value::from(minijinja::value::Serde(page)))
        .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")))
}

#[derive(Debug, Default, Deserialize)]
struct OwnQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct OwnPage {
    page_title: String,
    form: Form,
    errors: ErrorSummary,
    report: Option<OwnReportView>,
}

/// A report the procedure calls for, for the period due now or the one asked for.
async fn own_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<OwnQuery>,
) -> Result<Response, AppError> {
    let ctx = Context::load(&state, &user).await?;
    let spec = own::spec(&ctx.rules.procedure, &id)?.clone();
    let mut errors = FieldErrors::default();
    let chosen = own::period_for(&spec, q.from.as_deref(), q.to.as_deref(), ctx.today);
    let (form, report) = match chosen {
        Ok(period) => {
            let made = own::make(
                state.records.as_ref(),
                &ctx.partnership,
                &spec,
                period,
                ctx.today,
            )
            .await?;
            (
                Form {
                    from: period.from().to_string(),
                    to: period.to().to_string(),
                },
                Some(own_page::view(&made)?),
            )
        }
        Err((field, message)) => {
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
        "reports_procedure.html",
        OwnPage {
            page_title: spec.title.clone(),
            form,
            errors: ErrorSummary::of(&errors),
            report,
        },
    )?;
    Ok(if failed {
        invalid(html)
    } else {
        html.into_response()
    })
}

/// A procedure's report as a page for `parley report --procedure-report ID --format html`.
pub fn standalone_own_html(report: &own::OwnReport) -> Result<String, AppError> {
    let page = OwnPage {
        page_title: report.spec.title.clone(),
        form: Form {
            from: report.period.from().to_string(),
            to: report.period.to().to_string(),
        },
        errors: ErrorSummary::default(),
        report: Some(own_page::view(report)?),
    };
    standalone("reports_procedure.html", &page)
}
