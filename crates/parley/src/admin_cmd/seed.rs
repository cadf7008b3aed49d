//! `parley admin seed-deadlines`: a database for `scripts/bench-deadlines` (issue 15,
//! "Performance"). One partnership running Croydon's procedure, with open escalations of which
//! a chosen number have a deadline that has passed at `--now` and the rest have nothing due
//! until days later.
//!
//! Every escalation is raised through `Records::raise`, as a person raising one would be: the
//! raise is decided by the core, appended to the hash-chained log with its projection rows and
//! its notifications, so the deadline pass that follows reads what a real database holds.
//! Raises go in many at a time, so that the group-commit writer fills its batches.

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use jiff::{SignedDuration, Timestamp};
use parley_store::StoreError;
use parley_store::records::{Actor, PersonInput, RaiseInput, RaisedEscalation, Records};
use tokio::task::{JoinError, JoinSet};

use crate::command::{Failure, Outcome};

/// Croydon: each stage "no longer than 7 working days", the stage leads reminded one working
/// day before (Parley's default), no overall limit. An escalation raised today has nothing due
/// for five working days or more; one raised 30 days ago has had its stage 1 deadline pass
/// (its reminder's day missed, so the pass records exactly one event for it).
const PROCEDURE: &str = "croydon";
/// How long before `--now` the escalations that are due were raised.
const DUE_AGE: SignedDuration = SignedDuration::from_hours(30 * 24);
/// How long before `--now` the others were raised (the same working day, or the one before).
const OPEN_AGE: SignedDuration = SignedDuration::from_hours(2);
/// Agencies in the partnership; escalation `i` goes from agency `i` to agency `i + 1`.
const AGENCIES: usize = 6;
/// Raises in flight at once: several of the writer's batches (64 commands each).
const IN_FLIGHT: usize = 512;

#[derive(Debug, Args)]
pub(crate) struct SeedDeadlinesArgs {
    /// Open escalations to raise in all.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    escalations: usize,
    /// How many of them have a deadline that has passed at `--now`.
    #[arg(long, default_value_t = 10_000, value_name = "M")]
    due: usize,
    /// The instant the deadline pass will run at (RFC 3339); the raises are dated before it.
    #[arg(long, value_name = "RFC3339")]
    now: Timestamp,
}

/// Who takes part: each agency's practitioner (raiser and receiver), and its named officer for
/// stage 1, who is told of the stage and of its deadline.
struct Parties {
    partnership: String,
    agencies: Vec<String>,
    practitioners: Vec<String>,
}

pub(super) async fn seed_deadlines(args: SeedDeadlinesArgs, url: &str) -> Outcome {
    if args.due > args.escalations {
        return Err(Failure(format!(
            "--due {} is more than --escalations {}",
            args.due, args.escalations
        )));
    }
    let started = Instant::now();
    let records = Arc::new(Records::open(url).await?);
    let setup_at = args.now - DUE_AGE - SignedDuration::from_hours(24);
    let parties = Arc::new(set_up(&records, setup_at).await?);
    let set_up_s = started.elapsed().as_secs_f64();

    let raising = Instant::now();
    let mut set = JoinSet::new();
    let mut raised = 0usize;
    for i in 0..args.escalations {
        // The due ones first: each escalation's own events are in time order anyway, and the
        // log then reads as it would have been written.
        let at = if i < args.due {
            args.now - DUE_AGE + SignedDuration::from_millis(i as i64)
        } else {
            args.now - OPEN_AGE + SignedDuration::from_micros(i as i64)
        };
        if set.len() >= IN_FLIGHT {
            raised += joined(set.join_next().await)?;
        }
        let records = records.clone();
        let parties = parties.clone();
        set.spawn(async move {
            let raiser = &parties.practitioners[i % AGENCIES];
            records
                .raise(
                    at,
                    &Actor::person(raiser),
                    &parties.partnership,
                    raise_input(&parties, i),
                )
                .await
        });
    }
    while let Some(outcome) = set.join_next().await {
        raised += joined(Some(outcome))?;
    }
    let raise_s = raising.elapsed().as_secs_f64();
    Ok(format!(
        "seeded partnership={} escalations={raised} due={} now={} set_up_s={set_up_s:.2} raise_s={raise_s:.2} raises_per_s={:.0} total_s={:.2}\n",
        parties.partnership,
        args.due,
        args.now,
        raised as f64 / raise_s.max(1e-9),
        started.elapsed().as_secs_f64(),
    ))
}

/// One raise's outcome, counted.
fn joined(
    outcome: Option<Result<Result<RaisedEscalation, StoreError>, JoinError>>,
) -> Result<usize, Failure> {
    match outcome {
        None => Ok(0),
        Some(Ok(Ok(_))) => Ok(1),
        Some(Ok(Err(e))) => Err(e.into()),
        Some(Err(e)) => Err(Failure(format!("a raise stopped: {e}"))),
    }
}

async fn set_up(records: &Records, at: Timestamp) -> Result<Parties, Failure> {
    let source = parley_core::seeds::source(PROCEDURE)
        .ok_or_else(|| Failure(format!("no built-in procedure {PROCEDURE}")))?;
    let admin = Actor::SYSTEM;
    let partnership = records
        .create_partnership(at, &admin, "Deadline Bench", Some("DLB"), source)
        .await?;
    let mut agencies = Vec::with_capacity(AGENCIES);
    let mut practitioners = Vec::with_capacity(AGENCIES);
    for a in 0..AGENCIES {
        let (name, sector) = match a % 3 {
            0 => (format!("Bench School {a}"), "education"),
            1 => (format!("Bench Social Care {a}"), "local-authority"),
            _ => (format!("Bench Health {a}"), "health"),
        };
        let agency = records
            .add_agency(at, &admin, &partnership, &name, sector)
            .await?;
        let person = |name: String, email: String| PersonInput {
            agency_id: Some(agency.clone()),
            name,
            email,
            job_title: "Practitioner".to_owned(),
            // Croydon stage 1: "contact the professional who made the decision": the
            // practitioners lead it.
            roles: vec!["practitioner".to_owned()],
            line_manager_id: None,
            active: true,
        };
        let practitioner = records
            .save_person(
                at,
                &admin,
                &partnership,
                None,
                person(
                    format!("Bench Practitioner {a}"),
                    format!("practitioner.{a}@bench.example.org"),
                ),
            )
            .await?;
        let officer = records
            .save_person(
                at,
                &admin,
                &partnership,
                None,
                person(
                    format!("Bench Officer {a}"),
                    format!("officer.{a}@bench.example.org"),
                ),
            )
            .await?;
        records
            .set_named_officer(at, &admin, &partnership, &agency, 1, Some(&officer))
            .await?;
        agencies.push(agency);
        practitioners.push(practitioner);
    }
    Ok(Parties {
        partnership,
        agencies,
        practitioners,
    })
}

fn raise_input(parties: &Parties, i: usize) -> RaiseInput {
    let raising = i % AGENCIES;
    let receiving = (i + 1) % AGENCIES;
    RaiseInput {
        route: "individual".to_owned(),
        child_status: Some("child-in-need".to_owned()),
        child: None,
        category: "levels-of-need".to_owned(),
        raised_by: parties.practitioners[raising].clone(),
        raising_agency_id: parties.agencies[raising].clone(),
        receiving_agency_id: parties.agencies[receiving].clone(),
        receiving_person_id: Some(parties.practitioners[receiving].clone()),
        summary: format!("Benchmark escalation {i}"),
        decision: "The referral was closed with no further action.".to_owned(),
        evidence: "Benchmark data.".to_owned(),
        outcome_wanted: "A child and family assessment.".to_owned(),
        decided_on: None,
    }
}
