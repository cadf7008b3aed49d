//! What a period report of a partnership should say, worked out independently of the report
//! path (issue 17: "Report figures are compared with an independent calculation over the
//! events"): the partnership's whole chain is read, every escalation's events replayed with the
//! core's `replay` on the procedure version it was raised under, and the figures counted here
//! from the states, without the projector, the `escalation_facts` table or `parley-report`.
//! For the tests of the store, the CLI and the web.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::calendar::BankHolidays;
use parley_core::deadline::calendar_for;
use parley_core::escalation::{Escalation, Event, Rules, Status, replay};
use parley_core::procedure::{self, Procedure};
use parley_store::payload::Payload;
use parley_store::{Store, StoreError};

/// The figures of one period, by stable names (outcomes as the API names them: `agreed`,
/// `disagreement-recorded`, `by-events`, `referred-on`, `withdrawn`, `redirected`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// Raised from the first day to the end.
    pub raised: u64,
    /// Of those, by category id.
    pub by_category: BTreeMap<String, u64>,
    /// Of those, by the highest stage begun by the end.
    pub highest_stage: BTreeMap<u8, u64>,
    /// Closed in the period, by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// The references raised by the end and not closed by then.
    pub open_at_end: BTreeSet<String>,
    pub meetings: u64,
    pub referrals: u64,
    /// Learning texts (a stage's learning field, not empty) last written in the period.
    pub learning: u64,
    pub compliments: u64,
}

fn unreadable(message: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("expected figures: {message}"))
}

/// An escalation stream as read: its procedure version, reference and events.
struct Stream {
    version: i64,
    reference: String,
    events: Vec<(Timestamp, Event)>,
}

/// One escalation replayed: its stream, reference, procedure (closure days included) and
/// state.
struct Replayed {
    stream: String,
    reference: String,
    procedure: Procedure,
    state: Escalation,
}

/// The partnership's whole chain read and every escalation replayed with the core.
struct History {
    escalations: Vec<Replayed>,
    /// (stream, stage, field) -> the day it was last written.
    written: BTreeMap<(String, i64, String), Date>,
    compliments: Vec<Timestamp>,
    zone: Option<jiff::tz::TimeZone>,
}

async fn history(store: &dyn Store, partnership_id: &str) -> Result<History, StoreError> {
    let links = store.chain(partnership_id, 0, i64::MAX).await?;
    let holidays = BankHolidays::built_in();
    let mut procedures: HashMap<i64, Procedure> = HashMap::new();
    let mut closure_days: Vec<Date> = Vec::new();
    // Per escalation stream: its procedure version, reference and events.
    let mut streams: BTreeMap<String, Stream> = BTreeMap::new();
    let mut written: BTreeMap<(String, i64, String), Date> = BTreeMap::new();
    let mut compliments: Vec<Timestamp> = Vec::new();
    for link in &links {
        let Some(json) = &link.payload else { continue };
        let payload: Payload = serde_json::from_str(json).map_err(|e| unreadable(e.to_string()))?;
        let at = Timestamp::from_microsecond(link.at_us).map_err(|e| unreadable(e.to_string()))?;
        match &payload {
            Payload::ProcedureAdopted {
                version, source, ..
            } => {
                let p = procedure::parse(source).map_err(|e| unreadable(e.to_string()))?;
                procedures.insert(*version, p);
            }
            Payload::ClosureDaysSet { days } => {
                closure_days = days
                    .iter()
                    .map(|d| d.parse().map_err(|_| unreadable(d.clone())))
                    .collect::<Result<_, _>>()?;
            }
            Payload::ComplimentGiven { .. } => compliments.push(at),
            Payload::EscalationRaised(r) => {
                streams.insert(
                    link.stream.clone(),
                    Stream {
                        version: r.procedure_version,
                        reference: r.reference.clone(),
                        events: Vec::new(),
                    },
                );
            }
            _ => {}
        }
        if let Payload::StageRecordUpdated { stage, fields } = &payload {
            for (field, _) in fields {
                let zone = procedures
                    .values()
                    .next()
                    .map(|p| p.calendar.time_zone.clone())
                    .ok_or_else(|| unreadable("no procedure".to_owned()))?;
                written.insert(
                    (link.stream.clone(), *stage, field.clone()),
                    at.to_zoned(zone).date(),
                );
            }
        }
        if let Some(event) = payload.to_core().map_err(|e| unreadable(e.to_string()))?
            && let Some(stream) = streams.get_mut(&link.stream)
        {
            stream.events.push((at, event));
        }
    }
    let mut escalations = Vec::new();
    for (stream, s) in streams {
        let Stream {
            version,
            reference,
            events,
        } = s;
        let mut procedure = procedures
            .get(&version)
            .cloned()
            .ok_or_else(|| unreadable(format!("no procedure version {version}")))?;
        procedure
            .calendar
            .closure_days
            .extend(closure_days.iter().copied());
        let calendar =
            calendar_for(&procedure, &holidays).map_err(|e| unreadable(e.to_string()))?;
        let rules = Rules {
            procedure: &procedure,
            calendar: &calendar,
        };
        let state: Escalation = replay(rules, events)
            .map_err(|(i, e)| unreadable(format!("{reference} event {i}: {e}")))?
            .ok_or_else(|| unreadable(format!("{reference}: nothing to replay")))?;
        escalations.push(Replayed {
            stream,
            reference,
            procedure,
            state,
        });
    }
    let zone = procedures
        .values()
        .next()
        .map(|p| p.calendar.time_zone.clone());
    Ok(History {
        escalations,
        written,
        compliments,
        zone,
    })
}

/// The figures of the period from `from` to `end` (both included) for the partnership.
pub async fn expected(
    store: &dyn Store,
    partnership_id: &str,
    from: Date,
    end: Date,
) -> Result<Expected, StoreError> {
    let History {
        escalations,
        written,
        compliments,
        zone,
    } = history(store, partnership_id).await?;
    let mut out = Expected::default();
    let within = |d: Date| from <= d && d <= end;
    for Replayed {
        stream,
        reference,
        procedure,
        state,
    } in escalations
    {
        let day = |t: Timestamp| t.to_zoned(procedure.calendar.time_zone.clone()).date();
        let closed_on = state.closed_at.map(day);
        if within(state.raised_on) {
            out.raised += 1;
            *out.by_category.entry(state.category.clone()).or_default() += 1;
            let top = state
                .stages
                .iter()
                .filter(|s| s.started_on <= end)
                .map(|s| s.number.get())
                .max()
                .unwrap_or(0);
            *out.highest_stage.entry(top).or_default() += 1;
        }
        if let Some(on) = closed_on.filter(|&d| within(d)) {
            let _ = on;
            let name = match &state.status {
                Status::Resolved(r) => r.as_str(),
                other => other.as_str(),
            };
            *out.outcomes.entry(name.to_owned()).or_default() += 1;
        }
        if state.raised_on <= end && closed_on.is_none_or(|c| c > end) {
            out.open_at_end.insert(reference.clone());
        }
        out.meetings += state
            .meetings
            .iter()
            .map(|m| day(m.plan.held_at))
            .chain(
                state
                    .stages
                    .iter()
                    .flat_map(|s| s.meetings.iter().map(|&t| day(t))),
            )
            .filter(|&d| within(d))
            .count() as u64;
        let referral_days: Vec<Date> = if state.referrals.is_empty() {
            match (&state.status, closed_on) {
                (Status::ReferredOn(_), Some(c)) => vec![c],
                _ => Vec::new(),
            }
        } else {
            state.referrals.iter().map(|r| r.started_on).collect()
        };
        out.referrals += referral_days.into_iter().filter(|&d| within(d)).count() as u64;
        for s in &state.stages {
            for field in procedure.record_fields.iter().filter(|f| f.learning) {
                let text = s.record.iter().find(|(f, _)| *f == field.id);
                if text.is_none_or(|(_, t)| t.trim().is_empty()) {
                    continue;
                }
                let key = (stream.clone(), i64::from(s.number.get()), field.id.clone());
                if written.get(&key).is_some_and(|&d| within(d)) {
                    out.learning += 1;
                }
            }
        }
    }
    if let Some(zone) = zone {
        out.compliments = compliments
            .iter()
            .filter(|t| within(t.to_zoned(zone.clone()).date()))
            .count() as u64;
    }
    Ok(out)
}

/// The references of the escalations that began a stage from `from_stage` on between `from`
/// and `end` (a procedure's list report, Dorset §10: "details of all escalations to Stage
/// Three and above occurring in the previous month"), from the replayed states.
pub async fn reached(
    store: &dyn Store,
    partnership_id: &str,
    from_stage: u8,
    from: Date,
    end: Date,
) -> Result<BTreeSet<String>, StoreError> {
    let history = history(store, partnership_id).await?;
    Ok(history
        .escalations
        .into_iter()
        .filter(|e| {
            e.state.stages.iter().any(|s| {
                s.number.get() >= from_stage && from <= s.started_on && s.started_on <= end
            })
        })
        .map(|e| e.reference)
        .collect())
}
