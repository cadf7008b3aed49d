//! The procedure page: the version in force, uploading a new one, downloading any.

use crate::app::AppState;
use crate::auth::{CurrentUser, same};
use crate::error::AppError;
use crate::pages::{invalid, render};
use crate::service::admin::{self as svc, ProcedureVersions};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use super::*;

#[derive(Serialize)]
struct ProcedurePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    versions: ProcedureVersions,
    source: String,
    problems: Vec<Problem>,
    errors: ErrorSummary,
    has_errors: bool,
    banner: Option<String>,
    max_kb: usize,
}

/// A problem in an uploaded file, as shown.
#[derive(Serialize)]
struct Problem {
    text: String,
    source_line: Option<String>,
}

async fn procedure_view(
    state: &AppState,
    user: &CurrentUser,
    source: String,
    problems: &[FieldError],
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let versions = svc::procedure_versions(state, user).await?;
    let in_file: Vec<&FieldError> = problems.iter().filter(|p| p.line.is_some()).collect();
    // Nothing sent, or a file that is not text: on the file input; anything else about the
    // text: on the text.
    let mut errors = ErrorSummary::with_ids(problems.iter().filter(|p| p.line.is_none()), |f| {
        if f == "file" || source.trim().is_empty() {
            "file"
        } else {
            "source"
        }
        .to_owned()
    });
    errors.in_file("source", "procedure file", &in_file);
    render(
        state,
        Some(user),
        "/admin",
        "admin/procedure.html",
        ProcedurePage {
            page_title: "Procedure",
            breadcrumbs: crumbs("Procedure", None),
            versions,
            source,
            problems: in_file
                .iter()
                .map(|p| Problem {
                    text: p.text(),
                    source_line: p.source_line.clone(),
                })
                .collect(),
            has_errors: !errors.is_empty(),
            errors,
            banner,
            max_kb: svc::MAX_PROCEDURE / 1024,
        },
    )
}

pub(super) async fn procedure_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = match done.adopted.and_then(|v| v.parse::<i64>().ok()) {
        Some(v) if svc::procedure_versions(&state, &user).await?.current == v => Some(format!(
            "Version {v} of the procedure has been adopted. New escalations follow it; escalations already raised keep the version they were raised under."
        )),
        _ => None,
    };
    procedure_view(&state, &user, String::new(), &[], banner).await
}

/// What the procedure form sent: a file, or pasted text.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Option<Vec<u8>>,
    source: String,
}

async fn read_upload(state: &AppState, request: Request) -> Result<Upload, AppError> {
    let unreadable = || AppError::invalid("the form could not be read".to_owned());
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut upload = Upload::default();
    if multipart {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
            match field.name() {
                Some("csrf") => upload.csrf = field.text().await.map_err(|_| unreadable())?,
                Some("source") => upload.source = field.text().await.map_err(|_| unreadable())?,
                Some("file") => {
                    let bytes = field.bytes().await.map_err(|_| unreadable())?;
                    if !bytes.is_empty() {
                        upload.file = Some(bytes.to_vec());
                    }
                }
                _ => {}
            }
        }
    } else {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| unreadable())?;
        upload.csrf = value(&pairs, "csrf");
        upload.source = value(&pairs, "source");
    }
    Ok(upload)
}

/// The upload is multipart, which `CsrfForm` does not read: the token is checked here.
pub(super) async fn procedure_upload(
    State(state): State<AppState>,
    user: CurrentUser,
    request: Request,
) -> Result<Response, AppError> {
    let upload = read_upload(&state, request).await?;
    if user.session.is_none() || !same(&upload.csrf, user.csrf()) {
        return Err(AppError::Csrf);
    }
    let source = match upload.file {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                let wrong = [FieldError::new(
                    "file",
                    "The selected file must be a procedure file in TOML (a text file)",
                )];
                return Ok(invalid(
                    procedure_view(&state, &user, upload.source, &wrong, None).await?,
                ));
            }
        },
        None => upload.source,
    };
    // A file saved by some editors starts with a byte-order mark.
    let source = source
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(source);
    match svc::adopt_procedure(&state, &user, &source).await {
        Ok(v) => {
            Ok(Redirect::to(&format!("/admin/procedure?adopted={}", v.version)).into_response())
        }
        Err(AppError::Invalid(list)) => Ok(invalid(
            procedure_view(&state, &user, source, &list, None).await?,
        )),
        Err(e) => Err(e),
    }
}

/// A version's file, to download and edit.
pub(super) async fn procedure_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version): Path<String>,
) -> Result<Response, AppError> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    let v = svc::procedure_version(&state, &user, version).await?;
    let name = format!(
        "{}-version-{}.toml",
        v.version.procedure_id, v.version.version
    );
    let mut response = v.source.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(d) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
