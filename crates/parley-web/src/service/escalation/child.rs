//! The child's details, for those allowed them; each showing is recorded before it is made.

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use parley_core::names::ChildStatus;
use parley_store::payload::ChildDetails;
use serde::Serialize;

use super::*;

/// The child's details, for those allowed them; each showing is recorded first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChildView {
    pub escalation_id: String,
    pub reference: String,
    /// Name or initials, as the agencies know the child.
    pub name: String,
    pub date_of_birth: Option<String>,
    /// An agency's case number or NHS number, if given.
    pub identifier: Option<String>,
    pub status: Option<String>,
    pub status_label: Option<String>,
    /// When this reading was recorded.
    pub recorded_at_us: i64,
}

/// Escalation `id`, if `user` may read its child's details; `NotFound` otherwise (as
/// [`child`]). Records nothing: this is what a GET may ask (issue 13 item 10: a link on
/// another site must not record a reading in someone's name), and the reading itself is a
/// POST with the form token.
pub async fn child_allowed(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Loaded, AppError> {
    let loaded = load(state, user, id).await?;
    if !loaded.access.child_details || loaded.row.subject != "child" {
        return Err(AppError::NotFound);
    }
    Ok(loaded)
}

/// Records that `user` is shown the child's details of escalation `id`, then returns them.
/// Only ever called for a POST.
/// `NotFound` for anyone not allowed them (the business team, people not involved) and for a
/// thematic escalation, which has no child.
pub async fn child(state: &AppState, user: &CurrentUser, id: &str) -> Result<ChildView, AppError> {
    let loaded = child_allowed(state, user, id).await?;
    let json = state
        .store
        .child_details(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let details: ChildDetails = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("child details of {id}: {e}")))?;
    let now = state.now();
    state
        .records
        .record_child_details_read(id, user.id(), now)
        .await?;
    let status = loaded.row.child_status.clone();
    Ok(ChildView {
        escalation_id: loaded.row.id.clone(),
        reference: loaded.row.reference.clone(),
        name: details.name,
        date_of_birth: details.date_of_birth,
        identifier: details.identifier,
        status_label: status
            .as_deref()
            .and_then(|s| s.parse::<ChildStatus>().ok())
            .map(|s| s.label().to_owned()),
        status,
        recorded_at_us: now.as_microsecond(),
    })
}
