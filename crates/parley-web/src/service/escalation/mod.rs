//! One escalation as its people see it (issue: "An escalation: summary, current stage and who
//! leads it, deadline, the full history as a timeline, the stage record, and the actions the
//! procedure allows now"), its child's details (each reading recorded), and the actions.
//!
//! Pages and the API both build their answers here, so the two cannot disagree:
//!
//! - [`load`] finds the escalation and answers 404 unless `access::access` lets the person see
//!   it (never revealing that it exists);
//! - [`view`] is the escalation as shown, with the case as put only for those allowed the
//!   child's details, and never the child's details themselves (they are behind [`child`],
//!   which records the reading first);
//! - [`history`] is the escalation's events in words, with nothing of the child or the case;
//! - [`offered`] says which actions the procedure allows now, by trying each candidate event
//!   against the state machine (pure, no write), so no page offers what would be refused;
//! - [`act`] checks who may act, the version the person saw, and appends the event through
//!   the records.
//!
//! The files: this one loads; `view` builds the view, `child` the child's details, `history`
//! the timeline, `offer` the actions on offer, `request` reads an action as sent, and `act`
//! checks and records it.

use std::sync::Arc;

use parley_core::escalation::{Escalation, Rules as CoreRules};
use parley_core::procedure::Procedure;
use parley_store::chain::Link;
use parley_store::payload::Payload;
use parley_store::rows::{AgencyRow, EscalationRow};

use super::Context;
use crate::access::Access;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

mod view;
pub use view::*;

mod child;
pub use child::*;

mod history;
pub use history::*;

mod offer;
pub use offer::*;

mod request;
pub use request::*;

mod act;
pub use act::*;

#[cfg(test)]
mod tests;

/// The longest text a stage-record field or a reason may hold.
pub const MAX_TEXT: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// Loading

/// An escalation the signed-in person may see, with what the views are built from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The person's context, its rules replaced by those of the procedure version the
    /// escalation runs under (deadlines are counted on its calendar).
    pub ctx: Context,
    pub row: EscalationRow,
    pub access: Access,
    /// The state rebuilt from the escalation's events: stages, records, status, version.
    pub state: Escalation,
    /// The escalation's events, oldest first (its history).
    pub events: Arc<Vec<Link>>,
    pub agencies: Arc<Vec<AgencyRow>>,
    /// Who is appointed to it in a partnership role (issue 14, item 4).
    pub appointments: Vec<parley_store::rows::EscalationAppointmentRow>,
    /// The row's due dates (the governing ones the lists show), read.
    pub stage_due: jiff::civil::Date,
    pub overall_due: Option<jiff::civil::Date>,
}

impl Loaded {
    pub(crate) fn procedure(&self) -> &Procedure {
        &self.ctx.rules.procedure
    }

    pub(crate) fn core_rules(&self) -> CoreRules<'_> {
        CoreRules {
            procedure: &self.ctx.rules.procedure,
            calendar: &self.ctx.rules.calendar,
        }
    }

    /// The version forms are based on.
    pub fn version(&self) -> i64 {
        self.state.version as i64
    }

    /// The version a person's change made on the form of version `seen` is appended on:
    /// this one, when nothing but the deadline monitor's records came after `seen` (a
    /// reminder, a deadline recorded as passed: [`parley_core::escalation::Event::is_monitor_record`]).
    /// A person filling in a form over a stage's last working day would otherwise be told
    /// that "someone" changed it. Anything else after `seen`, an event that cannot be read,
    /// or a `seen` the escalation never had, is a conflict.
    pub(crate) fn based_on(&self, seen: i64) -> Result<i64, ActError> {
        let current = self.version();
        let monitor_only = (0..=current).contains(&seen)
            && self
                .events
                .iter()
                .filter(|l| l.stream_version > seen)
                .all(|l| {
                    l.payload
                        .as_deref()
                        .and_then(|j| serde_json::from_str::<Payload>(j).ok())
                        .and_then(|p| p.to_core().ok().flatten())
                        .is_some_and(|e| e.is_monitor_record())
                });
        if monitor_only {
            Ok(current)
        } else {
            Err(ActError::Conflict {
                seen,
                current,
                raced: false,
            })
        }
    }
}

/// Runs `attempt` again while the store refuses its append for a write that came between its
/// reading of the escalation and the append, three times in all at most: that write may be
/// the deadline monitor's reminder, which the next attempt, reading it again, goes on past
/// ([`Loaded::based_on`]). A conflict the reading itself found (another person's change after
/// the version the person saw) is final, and returned at once.
pub(crate) async fn retrying<F, Fut>(mut attempt: F) -> Result<i64, ActError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<i64, ActError>>,
{
    const ATTEMPTS: usize = 3;
    let mut tried = 1;
    loop {
        match attempt().await {
            Err(ActError::Conflict { raced: true, .. }) if tried < ATTEMPTS => tried += 1,
            done => return done,
        }
    }
}

/// The escalation `id` if `user` may see it; `NotFound` otherwise (also for another
/// partnership's, so that nobody learns it exists).
pub async fn load(state: &AppState, user: &CurrentUser, id: &str) -> Result<Loaded, AppError> {
    let row = state
        .store
        .escalation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.partnership_id != user.partnership_id() {
        return Err(AppError::NotFound);
    }
    let mut ctx = Context::load(state, user).await?;
    let officers = state.store.escalation_officers(&row.id).await?;
    let appointments = state.store.escalation_appointments(&row.id).await?;
    let base = ctx.access(user, &row, &officers, &appointments);
    ctx.rules = state
        .rules(&ctx.partnership, Some(row.procedure_version))
        .await?;
    ctx.today = ctx.rules.today(state.now());
    let read = state
        .records
        .escalation_read(&row, ctx.config_version)
        .await?;
    // Issue 14, item 5: the lead of a referral step it went to.
    let access = super::referral::lead_access(
        &user.person,
        &read.state,
        &ctx.rules.procedure,
        &row.partnership_id,
        base,
    )
    .ok_or(AppError::NotFound)?;
    let mut access = access;
    // Issue 14, item 2: the person who made the proposal awaiting an answer answers it not.
    access.proposer = read.state.pending().is_some_and(|p| {
        read.events.iter().any(|l| {
            u64::try_from(l.stream_version).ok() == Some(p.version)
                && l.actor.as_deref() == Some(user.id())
        })
    });
    let agencies = ctx.agencies.clone();
    let date = |column: &str, value: &str| {
        crate::service::stored_date("escalation", &row.id, column, value)
    };
    let stage_due = date("stage_due", &row.stage_due)?;
    let overall_due = match row.overall_due.as_deref() {
        Some(d) => Some(date("overall_due", d)?),
        None => None,
    };
    Ok(Loaded {
        ctx,
        stage_due,
        overall_due,
        row,
        access,
        state: read.state,
        events: read.events,
        agencies,
        appointments,
    })
}
