//! Seeding: every partnership set up, every escalation planned and applied through the records.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use parley_core::calendar::BankHolidays;
use parley_core::names::RouteKind;
use parley_core::procedure::{self};
use parley_core::seeds;
use parley_store::StoreError;
use parley_store::records::{Actor, Records};
use std::collections::{BTreeMap, HashSet};

use super::*;

/// Creates the demo data. `now` is the moment the data is seen from: every action is at or
/// before it. `progress` is called with (escalations done, escalations planned) as they
/// complete.
pub async fn seed(
    records: &Records,
    now: Timestamp,
    escalations: usize,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary, StoreError> {
    let store = records.store().clone();
    let names: Vec<String> = seeds::SEEDS
        .iter()
        .filter_map(|(_, source)| procedure::parse(source).ok())
        .map(|p| format!("{} (demo)", p.partnership))
        .collect();
    let existing: Vec<String> = store
        .partnerships()
        .await?
        .into_iter()
        .filter(|p| names.contains(&p.name))
        .map(|p| p.name)
        .collect();
    if !existing.is_empty() {
        // References and child markers would collide with the first run's.
        return Err(StoreError::Invalid(format!(
            "a second demo: this database already holds {}; seed a new database",
            existing.join(", ")
        )));
    }
    let holidays = BankHolidays::built_in();
    let mut rng = Rng::new(seed, 0);

    // The partnerships were set up some fifteen months before `now`, on a working morning.
    let london = seeds::get("solihull")
        .and_then(Result::ok)
        .map_or(TimeZone::UTC, |p| p.calendar.time_zone);
    let today = now.to_zoned(london.clone()).date();
    let setup_date = today
        .checked_sub(jiff::Span::new().days(460))
        .map_err(date_error)?;
    let setup_at = local(&london, setup_date, OPENS)?;
    let setups = set_up(records, &holidays, setup_at, &mut rng).await?;

    // Plans: round robin over the partnerships; each partnership's first escalations cover
    // every ending its procedure allows (rotated, so that even a small demo shows them all),
    // the rest are drawn at random.
    let mut plans = Vec::with_capacity(escalations);
    for i in 0..escalations {
        let j = i % setups.len();
        let k = i / setups.len();
        let s = &setups[j];
        let tz = s.tz();
        let (today, minute) = local_day_minute(tz, now);
        let mut latest = s
            .calendar
            .working_day_on_or_before(today)
            .map_err(calendar_error)?;
        if latest == today && minute < OPENS + 30 {
            latest = Days {
                calendar: &s.calendar,
                tz,
            }
            .before(today, 1)?;
        }
        let earliest = Days {
            calendar: &s.calendar,
            tz,
        }
        .after(setup_date, 10)?;
        let planner = Planner {
            setup: s,
            now,
            latest,
            earliest,
        };
        let mut r = Rng::new(seed, 1_000 + i as u64);
        let cover = coverage(&s.procedure);
        let (ending, back) = if k < cover.len() {
            (cover[(k + j) % cover.len()], None)
        } else {
            let back = r.range(0, planner.span()?);
            (random_ending(&s.procedure, back, &mut r), Some(back))
        };
        // A few thematic or strategic escalations where the procedure has those routes
        // (Dorset §1: thematic issues start at stage 3, strategic ones at 4).
        let other_routes: Vec<RouteKind> = s
            .procedure
            .routes
            .iter()
            .map(|r| r.kind)
            .filter(|k| *k != RouteKind::Individual)
            .collect();
        let route = if !other_routes.is_empty() && k % 8 == 3 {
            other_routes[(k / 8) % other_routes.len()]
        } else {
            RouteKind::Individual
        };
        plans.push(planner.plan(j, k + 1, ending, route, back, &mut r)?);
    }

    // Compliments (Dorset §2 invites them; Parley records them for every partnership).
    let mut compliments = 0;
    for (j, s) in setups.iter().enumerate() {
        let mut r = Rng::new(seed, 500 + j as u64);
        for c in 0..(2 + escalations / 50).min(40) {
            let from = &s.agencies[r.below(s.agencies.len())];
            let to = &s.agencies[r.below(s.agencies.len())];
            let (Some(from_p), Some(to_p)) = (
                from.staff.practitioners.first(),
                to.staff.practitioners.get(1),
            ) else {
                continue;
            };
            let day = today
                .checked_sub(jiff::Span::new().days(r.range(1, 300)))
                .map_err(date_error)?;
            let at = local(s.tz(), day, OPENS + 60 + c as i64).map(|t| t.min(now))?;
            let message = fill(
                r.pick(&[
                    "Thank you to {receiving} for a quick, thorough response to our referral: the family had support within days.",
                    "Excellent joint working with {receiving} at the strategy discussion; clear actions and everyone kept informed.",
                    "{receiving} went out of their way to share information in time for the conference.",
                ]),
                &from.name,
                &to.name,
            );
            records
                .give_compliment(at, &Actor::person(from_p), &s.id, from_p, to_p, &message)
                .await?;
            compliments += 1;
        }
    }

    let events = apply(records, &setups, &plans, &mut progress).await?
        + notices::monitor_nights(records, &london, now).await?;

    // What was made, read back from the store.
    let mut summary = DemoSummary {
        partnerships: Vec::new(),
        agencies: 0,
        people: 0,
        named_officers: 0,
        compliments,
        escalations: plans.len(),
        events,
        by_status: BTreeMap::new(),
        by_outcome: BTreeMap::new(),
        sign_ins: Vec::new(),
    };
    for s in &setups {
        let rows = store.escalations(&s.id).await?;
        let today = now.to_zoned(s.tz().clone()).date().to_string();
        for e in &rows {
            *summary.by_status.entry(e.status.clone()).or_default() += 1;
            let detail = match (e.status.as_str(), e.outcome.as_deref()) {
                ("open", _) => {
                    let overdue =
                        e.stage_due < today || e.overall_due.as_ref().is_some_and(|d| *d < today);
                    let mut key = if overdue {
                        "open, overdue"
                    } else {
                        "open, in time"
                    }
                    .to_owned();
                    if e.resolved_by_events {
                        key.push_str(", resolved by events and being seen through");
                    }
                    key
                }
                (status, Some(outcome)) => {
                    let mut key = format!("{status}, {outcome}");
                    if e.resolved_by_events && outcome != "by-events" {
                        key.push_str(", seen through after events");
                    }
                    key
                }
                (status, None) => status.to_owned(),
            };
            *summary.by_outcome.entry(detail).or_default() += 1;
        }
        summary.agencies += store.agencies(&s.id).await?.len();
        summary.people += store.people(&s.id).await?.len();
        summary.named_officers += store.named_officers(&s.id).await?.len();
        summary.partnerships.push(DemoPartnership {
            id: s.id.clone(),
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            procedure_id: s.procedure.id.to_string(),
            escalations: rows.len(),
        });
        summary.sign_ins.extend(s.sign_ins.iter().cloned());
    }
    Ok(summary)
}

/// Appends every plan's actions in time order. Actions on different escalations go in
/// together, `WINDOW` at a time, so that the writer commits many in one transaction; each
/// escalation's own actions stay in order, and a partnership raises one escalation at a time
/// (its references are numbered in order).
pub(crate) async fn apply(
    records: &Records,
    setups: &[Setup],
    plans: &[Plan],
    progress: &mut impl FnMut(usize, usize),
) -> Result<usize, StoreError> {
    let mut order: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (e, plan) in plans.iter().enumerate() {
        order.push((plan.raise_at, e, 0));
        for (s, step) in plan.steps.iter().enumerate() {
            order.push((step.at, e, s + 1));
        }
    }
    order.sort();
    let mut ids: Vec<String> = vec![String::new(); plans.len()];
    let mut versions: Vec<i64> = vec![0; plans.len()];
    let mut remaining: Vec<usize> = plans.iter().map(|p| p.steps.len() + 1).collect();
    let mut done = 0;
    let mut i = 0;
    while i < order.len() {
        let mut window: Vec<(usize, usize)> = Vec::new();
        let mut busy: HashSet<usize> = HashSet::new();
        let mut raising: HashSet<usize> = HashSet::new();
        while let Some(&(_, e, s)) = order.get(i) {
            if window.len() >= WINDOW
                || busy.contains(&e)
                || (s == 0 && raising.contains(&plans[e].partnership))
            {
                break;
            }
            busy.insert(e);
            if s == 0 {
                raising.insert(plans[e].partnership);
            }
            window.push((e, s));
            i += 1;
        }
        let futures: Vec<_> = window
            .iter()
            .map(|&(e, s)| {
                let plan = &plans[e];
                let id = ids[e].clone();
                let version = versions[e];
                async move {
                    if s == 0 {
                        let raised = records
                            .raise(
                                plan.raise_at,
                                &Actor::person(&plan.raiser),
                                &setups[plan.partnership].id,
                                plan.input.clone(),
                            )
                            .await?;
                        Ok::<_, StoreError>((e, raised.id, raised.version))
                    } else {
                        let step = &plan.steps[s - 1];
                        let v = records
                            .act(
                                step.at,
                                &step.actor,
                                &id,
                                version,
                                &step.event,
                                step.reason.as_deref(),
                            )
                            .await?;
                        Ok((e, id, v))
                    }
                }
            })
            .collect();
        for (e, id, version) in join_ok(futures).await? {
            ids[e] = id;
            versions[e] = version;
            remaining[e] -= 1;
            if remaining[e] == 0 {
                done += 1;
            }
        }
        progress(done, plans.len());
    }
    Ok(order.len())
}
