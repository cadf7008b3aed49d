//! The record of any stage an escalation went through (issue 14, item 8): a stage's record
//! can be completed after the stage has ended, by those who led it (the escalation's record of
//! officers for that stage) as well as by those who may record today. Learning is often written
//! up afterwards (Solihull §6; Dorset §10; Sunderland's proforma: "actions taken", "outcome",
//! "learning identified" at each step).

use parley_core::procedure::StageNumber;

use super::escalation::{Loaded, RecordEntry, record_entries};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The stage a record form or action is about: `stage` when given (it must be one the
/// escalation went through), else the current one.
pub fn stage_of(loaded: &Loaded, stage: Option<i64>) -> Result<StageNumber, AppError> {
    let Some(n) = stage else {
        return Ok(loaded.state.current_stage());
    };
    let reached: Vec<String> = loaded
        .state
        .stages
        .iter()
        .map(|s| s.number.to_string())
        .collect();
    StageNumber::new(n)
        .filter(|n| loaded.state.stages.iter().any(|s| s.number == *n))
        .ok_or_else(|| {
            AppError::invalid_field("stage", format!(
                "This escalation never reached stage {n}: a record can be kept only for the stages it went through ({})",
                reached.join(", ")
            ))
        })
}

/// Whether `user` may write the record of `stage`: whoever may record now, or, for a stage
/// that has ended (a past stage, or any stage once closed), an officer who led it.
pub async fn may_record(
    state: &AppState,
    user: &CurrentUser,
    loaded: &Loaded,
    stage: StageNumber,
) -> Result<bool, AppError> {
    if loaded.access.can_record {
        return Ok(true);
    }
    let ended = stage != loaded.state.current_stage() || !loaded.state.status.is_open();
    if !ended {
        return Ok(false);
    }
    let officers = state.store.escalation_officers(&loaded.row.id).await?;
    let me = user.id();
    Ok(loaded
        .ctx
        .directory
        .stage_leads(&loaded.row, &officers)
        .any(|o| o.person_id == me && o.stage == i64::from(stage.get())))
}

/// The record fields of `stage`, with what is recorded.
pub fn entries(loaded: &Loaded, stage: StageNumber) -> Vec<RecordEntry> {
    loaded
        .state
        .stages
        .iter()
        .find(|s| s.number == stage)
        .map(|st| record_entries(&loaded.ctx.rules.procedure, st))
        .unwrap_or_default()
}
