//! "My work": what awaits the person's action (overdue first), then everything else they
//! raised or are involved in, with due dates and working days left.

use serde::Serialize;

use super::{Context, EscalationLine};
use crate::access::Relation;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyWork {
    /// Open escalations whose current stage this person leads (as a named officer of either
    /// agency, or as the raiser or receiver at the stage it entered at): overdue first, then
    /// by due date.
    pub awaiting: Vec<MyLine>,
    /// Open escalations they raised or are involved in otherwise (including as a manager).
    pub involved: Vec<MyLine>,
    /// Closed ones they raised or were involved in, newest first.
    pub closed: Vec<MyLine>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MyLine {
    #[serde(flatten)]
    pub line: EscalationLine,
    pub relations: Vec<Relation>,
}

pub async fn my_work(state: &AppState, user: &CurrentUser) -> Result<MyWork, AppError> {
    let ctx = Context::load(state, user).await?;
    let me = user.id().to_owned();
    let mut people = ctx.directory.reports_of(&me);
    people.push(me.clone());
    let officer_of: Vec<(String, i64)> = ctx
        .directory
        .officers
        .iter()
        .filter(|o| people.contains(&o.person_id))
        .map(|o| (o.agency_id.clone(), o.stage))
        .collect();
    let rows = state
        .store
        .escalations_involving(&ctx.partnership.id, &people, &officer_of)
        .await?;
    let agencies = state.store.agencies(&ctx.partnership.id).await?;
    let mut work = MyWork {
        awaiting: Vec::new(),
        involved: Vec::new(),
        closed: Vec::new(),
    };
    for e in &rows {
        let Some(access) = ctx.access(user, e) else {
            continue;
        };
        let relations: Vec<Relation> = access
            .relations
            .into_iter()
            .filter(|r| *r != Relation::BusinessTeam)
            .collect();
        if relations.is_empty() {
            continue;
        }
        let line = MyLine {
            line: EscalationLine::new(&ctx, e, &agencies),
            relations,
        };
        if e.status != "open" {
            work.closed.push(line);
            continue;
        }
        let leads_now = ctx
            .directory
            .leads_at(e, e.current_stage)
            .any(|o| o.person_id == me);
        let entry_stage = ctx
            .rules
            .procedure
            .routes
            .iter()
            .find(|r| r.kind.as_str() == e.route)
            .map_or(1, |r| i64::from(r.entry_stage.get()));
        let party_at_entry = e.current_stage == entry_stage
            && (e.raised_by == me || e.receiving_person_id.as_deref() == Some(me.as_str()));
        if leads_now || party_at_entry {
            work.awaiting.push(line);
        } else {
            work.involved.push(line);
        }
    }
    let urgency = |l: &MyLine| {
        (
            !l.line.overdue,
            l.line.stage_deadline.due.clone(),
            l.line.reference.clone(),
        )
    };
    work.awaiting.sort_by_key(urgency);
    work.involved.sort_by_key(urgency);
    work.closed
        .sort_by(|a, b| b.line.raised_on.cmp(&a.line.raised_on));
    Ok(work)
}
