//! Procedure versions: checking an upload (errors with their line numbers) and adopting it.

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use parley_core::procedure::{self, Procedure};
use parley_store::StoreError;
use parley_store::rows::ProcedureRow;
use serde::{Deserialize, Serialize};

use super::*;

/// A version of the partnership's procedure.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureVersion {
    /// The partnership's version number (1, 2, ...).
    pub version: i64,
    pub procedure_id: String,
    pub name: String,
    /// The document's own version and date, as the file gives them.
    pub edition: String,
    pub date: String,
    pub stages: usize,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Microseconds since the Unix epoch.
    pub adopted_at_us: i64,
    /// The version new escalations are raised under.
    pub current: bool,
}

/// Every version, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureVersions {
    pub current: i64,
    pub versions: Vec<ProcedureVersion>,
}

/// A version with its file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureSource {
    #[serde(flatten)]
    pub version: ProcedureVersion,
    /// The TOML file.
    pub source: String,
}

/// A procedure file to adopt (the TOML text).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureFields {
    pub source: String,
}

fn version_view(row: &ProcedureRow, current: i64) -> ProcedureVersion {
    let parsed = procedure::parse(&row.source).ok();
    ProcedureVersion {
        version: row.version,
        procedure_id: row.procedure_id.clone(),
        name: parsed
            .as_ref()
            .map_or_else(|| row.procedure_id.clone(), |p| p.name.clone()),
        edition: parsed
            .as_ref()
            .map_or_else(String::new, |p| p.version.clone()),
        date: parsed
            .as_ref()
            .map_or_else(String::new, |p| p.date.to_string()),
        stages: parsed.as_ref().map_or(0, |p| p.stages.len()),
        sha256: row.sha256.clone(),
        adopted_at_us: row.adopted_at_us,
        current: row.version == current,
    }
}

pub async fn procedure_versions(
    state: &AppState,
    user: &CurrentUser,
) -> Result<ProcedureVersions, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let mut rows = state.store.procedures(&partnership.id).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.version));
    Ok(ProcedureVersions {
        current: partnership.procedure_version,
        versions: rows
            .iter()
            .map(|r| version_view(r, partnership.procedure_version))
            .collect(),
    })
}

pub async fn procedure_version(
    state: &AppState,
    user: &CurrentUser,
    version: i64,
) -> Result<ProcedureSource, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let row = state
        .store
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|r| r.version == version)
        .ok_or(AppError::NotFound)?;
    Ok(ProcedureSource {
        version: version_view(&row, partnership.procedure_version),
        source: row.source,
    })
}

/// Reads and checks a procedure file: every problem with its line and column.
pub fn check_procedure(source: &str) -> Result<Procedure, Vec<FieldError>> {
    if source.trim().is_empty() {
        return Err(vec![FieldError::new(
            "source",
            "Select a procedure file or paste its text",
        )]);
    }
    if source.len() > MAX_PROCEDURE {
        return Err(vec![FieldError::new(
            "source",
            format!(
                "The procedure file must be smaller than {} KB",
                MAX_PROCEDURE / 1024
            ),
        )]);
    }
    procedure::parse(source).map_err(|errors| {
        errors
            .diagnostics
            .iter()
            .map(|d| {
                let (line, column) = d.span.as_ref().map_or((None, None), |s| {
                    let (l, c) = procedure::line_col(source, s.start);
                    (Some(l), Some(c))
                });
                FieldError {
                    field: "source".to_owned(),
                    message: d.message.clone(),
                    line,
                    column,
                    help: d.help.clone(),
                    source_line: line.and_then(|l| {
                        source.lines().nth(l - 1).map(|t| {
                            let t = t.trim_end();
                            if t.chars().count() > 160 {
                                t.chars().take(160).collect::<String>() + "…"
                            } else {
                                t.to_owned()
                            }
                        })
                    }),
                    code: None,
                }
            })
            .collect()
    })
}

/// Checks a procedure file and makes it the partnership's current procedure. Escalations
/// already raised keep the version they were raised under.
pub async fn adopt_procedure(
    state: &AppState,
    user: &CurrentUser,
    source: &str,
) -> Result<ProcedureVersion, AppError> {
    admin(user)?;
    check_procedure(source).map_err(AppError::Invalid)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rows = state.store.procedures(&partnership.id).await?;
    if let Some(current) = rows
        .iter()
        .find(|r| r.version == partnership.procedure_version)
        && current.source == source
    {
        return invalid(
            "source",
            format!(
                "This file is the same as the current procedure (version {}): there is nothing new to adopt",
                current.version
            ),
        );
    }
    let version = match state
        .records
        .adopt_procedure(state.now(), &actor(user), &partnership.id, source)
        .await
    {
        Ok(v) => v,
        Err(StoreError::Invalid(m)) => return invalid("source", m),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(partnership = %partnership.id, version, by = %user.id(), "procedure adopted");
    let row = state
        .store
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|r| r.version == version)
        .ok_or_else(|| AppError::Internal(format!("procedure version {version} not saved")))?;
    Ok(version_view(&row, version))
}
