//! The deadline monitor's pass: every escalation whose wake date has come (the index on
//! `escalations.wake_on`, never a scan of the open ones) has the events that are due at the
//! pass's instant recorded, through the same command path as any action, by Parley itself.
//!
//! A pass is idempotent. Each command names the escalation's version it was decided on; when
//! another writer got there first (another server's pass, a person acting), the command is a
//! conflict, the escalation is read again, and a deadline already recorded is no longer due
//! (`Escalation::due_events`). Running a pass after days without one records every deadline
//! that passed meanwhile, once each.

use futures_util::StreamExt;
use jiff::Timestamp;
use parley_core::escalation::{Event, Rules};

use crate::StoreError;
use crate::notify::PassReport;
use crate::records::{Actor, Records};

/// How many escalations a pass works on at once: enough for the group-commit writer to fill
/// its batches (64 commands each), few enough to keep the reads they start modest.
const IN_FLIGHT: usize = 256;

/// How many times one escalation is read again after a conflict before the pass gives up on it
/// (until the next pass).
const ATTEMPTS: usize = 5;

/// What recording one escalation's due events came to.
#[derive(Debug, Default)]
struct Tally {
    recorded: usize,
    reminders: usize,
    conflicts: usize,
}

impl Records {
    /// One pass of the deadline monitor at `now`: reads only the escalations whose wake date
    /// is on or before the partnership's local today (the procedure's time zone), and records
    /// each event due for them (`Escalation::due_events`) as Parley itself. Idempotent: a
    /// conflict with another writer is read again, and a deadline already recorded skipped.
    /// A database failure ends the pass with the error; anything else that stops one
    /// escalation is reported in [`PassReport::failed`] and the pass goes on.
    pub async fn deadline_pass(&self, now: Timestamp) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        for partnership in self.store().partnerships().await? {
            let (projector, _) = self.configuration(&partnership.id, None).await?;
            let Some(today) = projector.local_today(&partnership.id, now) else {
                continue;
            };
            let due = self
                .store()
                .due_escalations(&partnership.id, &today.to_string())
                .await?;
            report.escalations += due.len();
            let pid = partnership.id.as_str();
            let mut outcomes = futures_util::stream::iter(due)
                .map(|id| async move {
                    let outcome = self.record_due(pid, &id, now).await;
                    (id, outcome)
                })
                .buffer_unordered(IN_FLIGHT);
            while let Some((id, outcome)) = outcomes.next().await {
                match outcome {
                    Ok(t) => {
                        report.recorded += t.recorded;
                        report.reminders += t.reminders;
                        report.conflicts += t.conflicts;
                    }
                    Err(e) if e.is_database_failure() => return Err(e),
                    Err(e) => report.failed.push((id, e.to_string())),
                }
            }
        }
        Ok(report)
    }

    /// Records the events due at `now` for one escalation, reading it again after a conflict.
    async fn record_due(
        &self,
        partnership_id: &str,
        escalation_id: &str,
        now: Timestamp,
    ) -> Result<Tally, StoreError> {
        let mut tally = Tally::default();
        for _ in 0..ATTEMPTS {
            let (mut projector, mut version) = self
                .decided_escalation(partnership_id, escalation_id)
                .await?;
            let (state, row) = projector
                .escalation(escalation_id)
                .map(|(s, r)| (s.clone(), r.procedure_version))
                .ok_or_else(|| StoreError::NotFound(format!("escalation {escalation_id}")))?;
            // Another server's clock ahead of this one's wrote the escalation's last event:
            // nothing may be recorded before it, and the next pass will find it still due.
            if now < state.last_event_at {
                return Ok(tally);
            }
            let (procedure, calendar) = projector.rules_for(partnership_id, row)?;
            let rules = Rules {
                procedure: &procedure,
                calendar: &calendar,
            };
            let mut conflicted = false;
            for event in state.due_events(rules, now) {
                match self
                    .act(now, &Actor::SYSTEM, escalation_id, version, &event, None)
                    .await
                {
                    Ok(v) => {
                        version = v;
                        match event {
                            Event::DeadlinePassed { .. } => tally.recorded += 1,
                            // The reminders the core's monitor adds (issue 15).
                            _ => tally.reminders += 1,
                        }
                    }
                    Err(StoreError::Conflict { .. }) => {
                        tally.conflicts += 1;
                        conflicted = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if !conflicted {
                return Ok(tally);
            }
        }
        Err(StoreError::Invalid(format!(
            "escalation {escalation_id} kept changing while its due events were recorded ({ATTEMPTS} attempts); the next pass tries again"
        )))
    }
}
