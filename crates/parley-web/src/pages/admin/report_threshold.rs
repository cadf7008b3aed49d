//! The threshold of published reports: the number below which a count in the PDF and CSV for
//! publication shows as "fewer than N" (issue 17, item 3).

use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::pages::{ErrorSummary, invalid, render};
use crate::service::admin::{self as svc, ReportThreshold};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::*;

#[derive(Serialize)]
struct ThresholdPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    current: ReportThreshold,
    /// What the box holds: the current threshold, or what was sent.
    value: String,
    errors: ErrorSummary,
    banner: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ThresholdForm {
    #[serde(default)]
    threshold: String,
}

async fn threshold_view(
    state: &AppState,
    user: &CurrentUser,
    value: Option<String>,
    errors: ErrorSummary,
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let current = svc::report_threshold(state, user).await?;
    render(
        state,
        Some(user),
        "/admin",
        "admin/report_threshold.html",
        ThresholdPage {
            page_title: "Small numbers in published reports",
            breadcrumbs: crumbs("Small numbers in published reports", None),
            value: value.unwrap_or_else(|| current.threshold.to_string()),
            current,
            errors,
            banner,
        },
    )
}

pub(super) async fn threshold_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = done
        .saved
        .is_some()
        .then(|| "The threshold has been saved".to_owned());
    threshold_view(&state, &user, None, ErrorSummary::default(), banner).await
}

pub(super) async fn threshold_save(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<ThresholdForm>,
) -> Result<Response, AppError> {
    let parsed = svc::parse_threshold(&form.threshold);
    match svc::set_report_threshold(&state, &user, parsed).await {
        Ok(_) => Ok(Redirect::to("/admin/reports?saved=threshold").into_response()),
        Err(AppError::Invalid(list)) => {
            let errors = ErrorSummary::of(&list);
            Ok(invalid(
                threshold_view(&state, &user, Some(form.threshold), errors, None).await?,
            ))
        }
        Err(e) => Err(e),
    }
}
