//! The learning log (issue 14, item 8): the learning identified at any stage of any escalation
//! of the partnership, for the partnership business team, without child details (Solihull §6:
//! lessons "should be forwarded to the Solihull SSCP Business Manager"), also where the
//! escalation ended before the stage from which the team sees escalations. Only the learning
//! text is shown, with the escalation's reference, stage, category, agencies and date: never
//! the child, the case as put, or a link into an escalation the team may not open. Which
//! record field holds learning is the procedure's (`learning = true` on a `[[record_field]]`);
//! its text was checked against the child's identifiers when it was written
//! (`free_text.rs`).

use serde::Serialize;

use super::Context;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The learning log of the signed-in person's partnership.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LearningLog {
    /// Newest escalation first, its stages in order.
    pub entries: Vec<LearningEntry>,
}

/// The learning identified at one stage of one escalation.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LearningEntry {
    pub reference: String,
    pub stage: i64,
    /// The stage as the procedure names it.
    pub stage_name: String,
    pub category: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    /// `YYYY-MM-DD`: the day the stage began.
    pub stage_began: String,
    /// The record field's label, e.g. `Learning identified`.
    pub label: String,
    pub text: String,
}

pub async fn log(state: &AppState, user: &CurrentUser) -> Result<LearningLog, AppError> {
    let ctx = Context::load(state, user).await?;
    let mut rows = state.store.escalations(&ctx.partnership.id).await?;
    rows.sort_by(|a, b| (&b.raised_on, &b.reference).cmp(&(&a.raised_on, &a.reference)));
    let mut entries = Vec::new();
    for row in &rows {
        let rules = state
            .rules(&ctx.partnership, Some(row.procedure_version))
            .await?;
        let p = &rules.procedure;
        let learning: Vec<_> = p.record_fields.iter().filter(|f| f.learning).collect();
        if learning.is_empty() {
            continue;
        }
        let mut stages = state.store.stages(&row.id).await?;
        stages.sort_by_key(|s| s.stage);
        for s in &stages {
            for field in &learning {
                let Some((_, text)) = s.record.iter().find(|(f, _)| *f == field.id) else {
                    continue;
                };
                if text.trim().is_empty() {
                    continue;
                }
                let stage = parley_core::StageNumber::new(s.stage);
                entries.push(LearningEntry {
                    reference: row.reference.clone(),
                    stage: s.stage,
                    stage_name: stage
                        .and_then(|n| p.stage(n))
                        .map_or_else(|| format!("Stage {}", s.stage), |st| st.name()),
                    category: p
                        .category(&row.category)
                        .map_or_else(|| row.category.clone(), |c| c.label.clone()),
                    raising_agency: ctx.agency_name(&row.raising_agency_id, &ctx.agencies),
                    receiving_agency: ctx.agency_name(&row.receiving_agency_id, &ctx.agencies),
                    stage_began: s.started_on.clone(),
                    label: field.label.clone(),
                    text: text.clone(),
                });
            }
        }
    }
    Ok(LearningLog { entries })
}
