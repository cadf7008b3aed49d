//! The deadline monitor's pass: every escalation whose wake date has come (the index on
//! `escalations.wake_on`, never a scan of the open ones) has the events that are due at the
//! pass's instant recorded, as commands decided by the core, by Parley itself.
//!
//! The due escalations are taken in groups: one query reads a group's events, each escalation
//! is decided on them, and the whole group's commands are appended in one transaction. Each
//! command still names the version of the escalation (and of the partnership's configuration)
//! it was decided on, and is chained in order like any append; a command whose escalation
//! another writer changed since the read (another server's pass, a person acting) is refused
//! alone, and that escalation is decided again on what it is now, through the same path as any
//! action (`Records::act`). A deadline already recorded is no longer due
//! (`Escalation::due_events`), so a pass is idempotent, and a pass after days without one
//! records every deadline that passed meanwhile, once each.
//!
//! Each pass also records the reports the partnership's procedure calls for that have fallen
//! due (`Records::record_reports_due`), once a period, reminding the business team.

use std::collections::HashMap;

use jiff::Timestamp;
use parley_core::escalation::{Event, Rules};

use crate::StoreError;
use crate::backend::{AppendRequest, NewEvent};
use crate::notify::PassReport;
use crate::payload::Payload;
use crate::projector::{Fact, Projector};
use crate::records::{Actor, Records, outbox_rows};
use crate::stream;

/// How many due escalations are read together and recorded in one transaction. Each
/// transaction is a commit (an fsync): 10,000 due in groups of 512 are 20 commits, where the
/// group-commit writer's batches of 64 made 157 (`scripts/bench-deadlines`). A group's
/// transaction holds SQLite's write lock for some tens of milliseconds, which a person's
/// action waiting behind it does not notice.
const GROUP: usize = 512;

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

/// A group's commands, decided and not yet written.
#[derive(Default)]
struct Group {
    requests: Vec<AppendRequest>,
    /// For each request: its escalation, and whether it records a deadline (otherwise a
    /// reminder).
    owners: Vec<(String, bool)>,
    /// The escalations nothing could be decided for, and why.
    failed: Vec<(String, String)>,
}

impl Records {
    /// One pass of the deadline monitor at `now`: reads only the escalations whose wake date
    /// is on or before the partnership's local today (the procedure's time zone), and records
    /// each event due for them (`Escalation::due_events`) as Parley itself. Idempotent: a
    /// conflict with another writer is read again, and a deadline already recorded skipped.
    /// A database failure ends the pass with the error; anything else that stops one
    /// escalation is reported in [`PassReport::failed`] and the pass goes on.
    ///
    /// While one group's transaction is written, the next group is read and decided: the
    /// groups are different escalations, and the pass changes nothing in the partnership's
    /// configuration they are decided with.
    pub async fn deadline_pass(&self, now: Timestamp) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        for partnership in self.store().partnerships().await? {
            let pid = partnership.id.as_str();
            let (config, config_version) = self.configuration(pid, None).await?;
            let Some(today) = config.local_today(pid, now) else {
                continue;
            };
            report.reports_due += self.record_reports_due(pid, &config, today, now).await?;
            let due = self
                .store()
                .due_escalations(pid, &today.to_string())
                .await?;
            report.escalations += due.len();
            let mut groups = due.chunks(GROUP);
            let Some(first) = groups.next() else {
                continue;
            };
            let mut decided = self
                .decide_group(pid, &config, config_version, first, now)
                .await?;
            loop {
                let (again, following) = match groups.next() {
                    Some(ids) => {
                        let (again, following) = tokio::join!(
                            self.write_group(decided, &mut report),
                            self.decide_group(pid, &config, config_version, ids, now),
                        );
                        (again?, Some(following?))
                    }
                    None => (self.write_group(decided, &mut report).await?, None),
                };
                // Changed by another writer since their group was read: decided again, one at
                // a time, on what each is now.
                for id in again {
                    match self.record_due(pid, &id, now).await {
                        Ok(t) => {
                            report.recorded += t.recorded;
                            report.reminders += t.reminders;
                            report.conflicts += t.conflicts;
                        }
                        Err(e) if e.is_database_failure() => return Err(e),
                        Err(e) => report.failed.push((id, e.to_string())),
                    }
                }
                match following {
                    Some(group) => decided = group,
                    None => break,
                }
            }
        }
        Ok(report)
    }

    /// Decides the events due at `now` for a group of the partnership's escalations, on one
    /// read of their events.
    async fn decide_group(
        &self,
        partnership_id: &str,
        config: &Projector,
        config_version: i64,
        ids: &[String],
        now: Timestamp,
    ) -> Result<Group, StoreError> {
        let events = self.store().escalations_events(partnership_id, ids).await?;
        let mut projector = config.clone();
        self.replay(&mut projector, partnership_id, &events)?;
        // Each stream's version: its last event's (the events come in stream order).
        let versions: HashMap<&str, i64> = events
            .iter()
            .map(|l| (l.stream.as_str(), l.stream_version))
            .collect();
        let mut group = Group::default();
        for id in ids {
            let decided = decide(
                &mut projector,
                partnership_id,
                config_version,
                id,
                &versions,
                now,
            );
            match decided {
                Ok(commands) => {
                    for (request, deadline) in commands {
                        group.requests.push(request);
                        group.owners.push((id.clone(), deadline));
                    }
                }
                Err(e) => group.failed.push((id.clone(), e.to_string())),
            }
        }
        Ok(group)
    }

    /// Appends a group's commands in one transaction and counts what came of them. Returns
    /// the escalations another writer changed since the group was read (their commands were
    /// refused).
    async fn write_group(
        &self,
        group: Group,
        report: &mut PassReport,
    ) -> Result<Vec<String>, StoreError> {
        report.failed.extend(group.failed);
        if group.requests.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.store().append_batch(group.requests).await?;
        let mut again: Vec<String> = Vec::new();
        let mut failed_last: Option<String> = None;
        for ((id, deadline), result) in group.owners.into_iter().zip(results) {
            match result {
                Ok(_) if deadline => report.recorded += 1,
                Ok(_) => report.reminders += 1,
                // The escalation's next commands were decided on the same read: refused too.
                Err(StoreError::Conflict { .. }) => {
                    if again.last() != Some(&id) {
                        report.conflicts += 1;
                        again.push(id);
                    }
                }
                Err(e) if e.is_database_failure() => return Err(e),
                Err(e) => {
                    if failed_last.as_ref() != Some(&id) {
                        failed_last = Some(id.clone());
                        report.failed.push((id, e.to_string()));
                    }
                }
            }
        }
        Ok(again)
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

/// The commands that record what is due at `now` for one escalation of `projector` (holding
/// its events, at `versions`), each with whether it records a deadline; applied to
/// `projector` as they are decided, as `Records::act` decides one command.
fn decide(
    projector: &mut Projector,
    partnership_id: &str,
    config_version: i64,
    escalation_id: &str,
    versions: &HashMap<&str, i64>,
    now: Timestamp,
) -> Result<Vec<(AppendRequest, bool)>, StoreError> {
    let stream = stream::escalation(escalation_id);
    let not_found = || StoreError::NotFound(format!("escalation {escalation_id}"));
    let version = *versions.get(stream.as_str()).ok_or_else(not_found)?;
    let (state, procedure_version) = projector
        .escalation(escalation_id)
        .map(|(s, r)| (s.clone(), r.procedure_version))
        .ok_or_else(not_found)?;
    // As in `Records::record_due`: nothing is recorded before the escalation's last event.
    if now < state.last_event_at {
        return Ok(Vec::new());
    }
    let (procedure, calendar) = projector.rules_for(partnership_id, procedure_version)?;
    let rules = Rules {
        procedure: &procedure,
        calendar: &calendar,
    };
    let at_us = now.as_microsecond();
    let mut commands = Vec::new();
    // Each command goes on from the one before it.
    for (expected_version, event) in (version..).zip(state.due_events(rules, now)) {
        let payload = Payload::from_core(&event).ok_or_else(|| {
            StoreError::Invalid(format!(
                "the monitor decided an event it cannot record: {event:?}"
            ))
        })?;
        let (ops, notifications) = projector.apply(&Fact {
            partnership_id,
            stream: &stream,
            at_us,
            payload: &payload,
        })?;
        commands.push((
            AppendRequest {
                partnership_id: partnership_id.to_owned(),
                stream: stream.clone(),
                expected_version,
                partnership_version: Some(config_version),
                events: vec![NewEvent {
                    at_us,
                    kind: payload.kind().to_owned(),
                    actor: Actor::SYSTEM.0,
                    reason: None,
                    payload: serde_json::to_string(&payload)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                }],
                ops,
                outbox: outbox_rows(&notifications, Some(escalation_id)),
            },
            matches!(event, Event::DeadlinePassed { .. }),
        ));
    }
    Ok(commands)
}
