//! Volume data for the reports benchmark (issue 17, "Performance": "Seeding 1,000,000
//! escalations for the benchmark needs a fast path (batched, through the same events and
//! projections)"). One partnership, running one built-in procedure, with escalations raised
//! evenly over the years before `now`, each planned by the demo's planner (every step checked
//! against the core's state machine) and written through [`Records`]: the same events, hash
//! chain and projection rows as a person's actions.
//!
//! What makes it fast is the order of writing, not a different path. The demo's [`seed`]
//! writes every action of every partnership in time order, a window at a time; here each
//! escalation's actions run as one task, in its own order, and `in_flight` escalations run at
//! once, so the group-commit writer always has full batches. Escalations are therefore
//! numbered in the order their raises reach the writer, not by date; nothing a report counts
//! depends on the reference's number.
//!
//! [`seed`]: crate::seed

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use parley_core::calendar::BankHolidays;
use parley_core::names::RouteKind;
use parley_store::StoreError;
use parley_store::records::{Actor, Records};
use tokio::task::JoinSet;

use super::*;

/// What to seed.
#[derive(Clone, Debug)]
pub struct BulkOptions {
    /// The built-in procedure the partnership runs (`dorset`, `croydon`, ...).
    pub procedure: String,
    pub escalations: usize,
    /// Escalations are raised evenly over this many years before `now`.
    pub years: u32,
    pub seed: u64,
    /// Escalations being written at once.
    pub in_flight: usize,
}

/// What was seeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkSummary {
    pub partnership_id: String,
    pub short_name: String,
    pub escalations: usize,
    /// Escalation events written: raises and actions (deadlines recorded on the way included).
    pub events: usize,
}

/// Progress: escalations written, escalations planned, seconds since the start.
pub type BulkProgress<'a> = &'a mut dyn FnMut(usize, usize, f64);

/// Seeds a fresh database (see the module's text). The demo's other partnerships are set up
/// too (with no escalations), as the demo's set-up makes them together.
pub async fn seed_bulk(
    records: Arc<Records>,
    now: Timestamp,
    options: &BulkOptions,
    progress: BulkProgress<'_>,
) -> Result<BulkSummary, StoreError> {
    let started = Instant::now();
    let holidays = BankHolidays::built_in();
    let mut rng = Rng::new(options.seed, 0);
    let london = parley_core::seeds::get("solihull")
        .and_then(Result::ok)
        .map_or(jiff::tz::TimeZone::UTC, |p| p.calendar.time_zone);
    let today = now.to_zoned(london.clone()).date();
    let days_back = i64::from(options.years.max(1)) * 365 + 30;
    let setup_date = today
        .checked_sub(jiff::Span::new().days(days_back))
        .map_err(date_error)?;
    let setup_at = local(&london, setup_date, OPENS)?;
    let setups = set_up(&records, &holidays, setup_at, &mut rng).await?;
    let s = setups
        .iter()
        .find(|s| s.procedure.id.as_str() == options.procedure)
        .ok_or_else(|| {
            StoreError::Invalid(format!("no built-in procedure {:?}", options.procedure))
        })?;
    let j = setups
        .iter()
        .position(|x| std::ptr::eq(x, s))
        .unwrap_or_default();

    let tz = s.tz();
    let (today, minute) = local_day_minute(tz, now);
    let days = Days {
        calendar: &s.calendar,
        tz,
    };
    let mut latest = s
        .calendar
        .working_day_on_or_before(today)
        .map_err(calendar_error)?;
    if latest == today && minute < OPENS + 30 {
        latest = days.before(today, 1)?;
    }
    let planner = Planner {
        setup: s,
        now,
        latest,
        earliest: days.after(setup_date, 10)?,
    };
    let span = planner.span()?;
    let other_routes: Vec<RouteKind> = s
        .procedure
        .routes
        .iter()
        .map(|r| r.kind)
        .filter(|k| *k != RouteKind::Individual)
        .collect();

    let partnership = Arc::new(s.id.clone());
    let mut set: JoinSet<Result<usize, StoreError>> = JoinSet::new();
    let (mut done, mut events) = (0usize, 0usize);
    let mut reported = Instant::now();
    for i in 0..options.escalations {
        let mut r = Rng::new(options.seed, 1_000 + i as u64);
        // Evenly over the span: escalation i is raised i/n of the way back.
        let back = (span - 1) * i as i64 / options.escalations.max(1) as i64;
        let ending = random_ending(&s.procedure, back, &mut r);
        let route = if !other_routes.is_empty() && i % 8 == 3 {
            other_routes[(i / 8) % other_routes.len()]
        } else {
            RouteKind::Individual
        };
        let plan = planner.plan(j, i + 1, ending, route, Some(back), &mut r)?;
        while set.len() >= options.in_flight.max(1) {
            counted(set.join_next().await, &mut done, &mut events)?;
        }
        let records = records.clone();
        let partnership = partnership.clone();
        set.spawn(async move { write_plan(&records, &partnership, plan).await });
        if reported.elapsed().as_secs() >= 5 {
            progress(done, options.escalations, started.elapsed().as_secs_f64());
            reported = Instant::now();
        }
    }
    while !set.is_empty() {
        counted(set.join_next().await, &mut done, &mut events)?;
    }
    progress(done, options.escalations, started.elapsed().as_secs_f64());
    Ok(BulkSummary {
        partnership_id: s.id.clone(),
        short_name: s.short_name.clone(),
        escalations: done,
        events,
    })
}

/// One escalation: raised, then each step on the version the last one left. Returns the
/// events written.
async fn write_plan(records: &Records, partnership: &str, plan: Plan) -> Result<usize, StoreError> {
    let raised = records
        .raise(
            plan.raise_at,
            &Actor::person(&plan.raiser),
            partnership,
            plan.input,
        )
        .await?;
    let mut version = raised.version;
    for step in &plan.steps {
        version = records
            .act(
                step.at,
                &step.actor,
                &raised.id,
                version,
                &step.event,
                step.reason.as_deref(),
            )
            .await?;
    }
    Ok(1 + plan.steps.len())
}

type Joined = Option<Result<Result<usize, StoreError>, tokio::task::JoinError>>;

/// Counts one finished escalation and its events.
fn counted(outcome: Joined, done: &mut usize, events: &mut usize) -> Result<(), StoreError> {
    match outcome {
        None => Ok(()),
        Some(Ok(Ok(n))) => {
            *done += 1;
            *events += n;
            Ok(())
        }
        Some(Ok(Err(e))) => Err(e),
        Some(Err(e)) => Err(StoreError::Invalid(format!("an escalation's task: {e}"))),
    }
}
