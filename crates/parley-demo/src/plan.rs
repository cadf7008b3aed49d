//! How an escalation is to end, and the timeline of working days its steps are placed on.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::calendar::{Calendar, WorkingDays};
use parley_core::escalation::{Deadline, Escalation, Event};
use parley_core::meeting::{MeetingPlan, MeetingRecord};
use parley_core::names::{RedirectionKind, Resolution};
use parley_core::procedure::{Procedure, StageNumber};
use parley_store::StoreError;
use parley_store::projector::ProjectError;
use parley_store::records::{Actor, RaiseInput};

use super::*;

/// How an escalation is to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    Open {
        overdue: bool,
    },
    Resolved(Resolution),
    /// Buckinghamshire 2.4.11: resolved by events and still seen through; closed or not yet.
    SeenThrough {
        closed: bool,
    },
    /// The procedure's referral at this index.
    ReferredOn(usize),
    Withdrawn,
    Redirected(RedirectionKind),
}

/// After a referral (issue 14, item 5): now and then a further referral where the procedure
/// allows one (Sunderland: the Independent Scrutineer, then an inspectorate), then mostly the
/// step's outcome; some stay open at the step.
pub(crate) fn refer_on(
    tl: &mut Timeline<'_>,
    days: &Days<'_>,
    from: Date,
    actor: &str,
    rng: &mut Rng,
) -> Result<(), StoreError> {
    let p = tl.setup.procedure.clone();
    let mut day = from;
    let then = tl
        .state
        .at_referral()
        .and_then(|s| p.referral(&s.referral))
        .map(|r| r.then.clone())
        .unwrap_or_default();
    if !then.is_empty() && rng.chance(50) {
        day = days.after(day, rng.range(2, 8))?;
        let at = days.office_time(day, tl.state.last_event_at, rng)?;
        let referral = then[rng.below(then.len())].clone();
        tl.act(
            at,
            actor,
            Event::ReferralMade { referral },
            Some("Still unresolved after the Independent Scrutineer.".to_owned()),
        )?;
    }
    // Most get their outcome some days later; some stay open at the step.
    if tl.cut || !rng.chance(70) {
        return Ok(());
    }
    day = days.after(day, rng.range(3, 15))?;
    let at = days.office_time(day, tl.state.last_event_at, rng)?;
    tl.act(
        at,
        actor,
        Event::ReferralOutcomeRecorded {
            outcome: rng.pick(&REFERRAL_OUTCOMES).to_string(),
        },
        None,
    )?;
    Ok(())
}

/// A meeting arranged at `at` for two hours later, chaired by the raising agency's officer,
/// with both agencies' officers invited; recorded an hour after it ends where that is not
/// after the demo's `now` (otherwise it stays arranged ahead).
pub(crate) fn arrange_meeting(
    tl: &mut Timeline<'_>,
    who: &Parties<'_>,
    stage: StageNumber,
    at: Timestamp,
) -> Result<(), StoreError> {
    let s = tl.setup;
    let raising = s.officer(who.raising, stage).to_owned();
    let receiving = s.officer(who.receiving, stage).to_owned();
    let held_at = at + jiff::SignedDuration::from_hours(2);
    let plan = MeetingPlan {
        held_at,
        chair: Some(raising.clone()),
        invited_people: vec![raising.clone(), receiving.clone()],
        invited_agencies: vec![
            s.agencies[who.raising].id.clone(),
            s.agencies[who.receiving].id.clone(),
        ],
    };
    if !tl.act(at, &raising, Event::MeetingArranged(plan), None)? {
        return Ok(());
    }
    let recorded_at = held_at + jiff::SignedDuration::from_hours(3);
    if recorded_at > tl.now {
        return Ok(());
    }
    // No draws from `rng` here: the demo's other choices stay as they were before meetings
    // had details (the web tests rely on the escalations it makes).
    let meeting = u32::try_from(tl.state.meetings.len()).unwrap_or(1);
    let pick = meeting as usize + who.raising;
    let mut attended_people = vec![raising.clone()];
    if !pick.is_multiple_of(5) {
        attended_people.push(receiving);
    }
    tl.act(
        recorded_at,
        &raising,
        Event::MeetingRecorded {
            meeting,
            record: MeetingRecord {
                attended_people,
                attended_agencies: vec![
                    s.agencies[who.raising].id.clone(),
                    s.agencies[who.receiving].id.clone(),
                ],
                outcome: MEETING_OUTCOMES[pick % MEETING_OUTCOMES.len()].to_owned(),
                actions: MEETING_ACTIONS[pick % MEETING_ACTIONS.len()].to_owned(),
            },
        },
        None,
    )?;
    Ok(())
}

pub(crate) const MEETING_OUTCOMES: [&str; 3] = [
    "Each agency set out its view; the threshold decision is to be reviewed by a team manager.",
    "The agencies agreed a joint visit and a shared plan.",
    "No agreement was reached; the matter moves on to the next stage.",
];

pub(crate) const MEETING_ACTIONS: [&str; 3] = [
    "Both agencies to share their chronologies within two working days.",
    "The receiving agency to confirm its decision in writing.",
    "Team managers to meet again after the joint visit.",
];

pub(crate) const REFERRAL_OUTCOMES: [&str; 3] = [
    "The partners met and agreed a joint plan; both agencies accepted it.",
    "The referral found each agency's decision reasonable; no further action.",
    "Practice guidance is to be revised; the agencies agreed interim arrangements.",
];

/// The endings a procedure allows, most telling first: a small demo still shows every one.
pub(crate) fn coverage(p: &Procedure) -> Vec<Ending> {
    let allowed = |r: Resolution| p.outcomes.allowed.contains(&r);
    let mut v = vec![
        Ending::Open { overdue: false },
        Ending::Resolved(Resolution::Agreed),
        Ending::Open { overdue: true },
    ];
    if !p.referrals.is_empty() {
        v.push(Ending::ReferredOn(0));
    }
    // Every procedure stops for a child at immediate risk; other redirections are its own.
    v.push(Ending::Redirected(
        p.redirections
            .first()
            .map_or(RedirectionKind::ImmediateRisk, |r| r.kind),
    ));
    v.push(Ending::Withdrawn);
    if allowed(Resolution::DisagreementRecorded) {
        v.push(Ending::Resolved(Resolution::DisagreementRecorded));
    }
    if allowed(Resolution::ByEvents) {
        if p.outcomes.see_through_when_resolved_by_events {
            v.push(Ending::SeenThrough { closed: true });
            v.push(Ending::SeenThrough { closed: false });
        } else {
            v.push(Ending::Resolved(Resolution::ByEvents));
        }
    }
    v
}

/// An ending drawn at random for an escalation raised `back` working days ago: recent ones are
/// mostly still open, older ones mostly closed (a few long-running ones stay open, overdue), so
/// that escalations are raised at an even rate over the months.
pub(crate) fn random_ending(p: &Procedure, back: i64, rng: &mut Rng) -> Ending {
    let allowed = |r: Resolution| p.outcomes.allowed.contains(&r);
    let open = match back {
        0..=10 => 75,
        11..=25 => 35,
        _ => 3,
    };
    if rng.chance(open) {
        return Ending::Open {
            overdue: back > 25 || rng.chance(if back <= 10 { 25 } else { 60 }),
        };
    }
    let ending = match rng.weighted(&[50, 13, 8, 7, 15, 7]) {
        0 => Ending::Resolved(Resolution::Agreed),
        1 => Ending::Resolved(Resolution::DisagreementRecorded),
        2 if p.outcomes.see_through_when_resolved_by_events => Ending::SeenThrough { closed: true },
        2 => Ending::Resolved(Resolution::ByEvents),
        3 if !p.referrals.is_empty() => Ending::ReferredOn(rng.below(p.referrals.len())),
        4 => Ending::Withdrawn,
        // Mostly the procedure's own redirections; now and then a child found to be at
        // immediate risk, which every procedure hands over at once.
        5 if !p.redirections.is_empty() && rng.chance(85) => {
            Ending::Redirected(p.redirections[rng.below(p.redirections.len())].kind)
        }
        5 => Ending::Redirected(RedirectionKind::ImmediateRisk),
        _ => Ending::Resolved(Resolution::Agreed),
    };
    match ending {
        Ending::Resolved(r) if !allowed(r) => Ending::Resolved(Resolution::Agreed),
        other => other,
    }
}

/// One action on an escalation.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) at: Timestamp,
    pub(crate) actor: Actor,
    pub(crate) event: Event,
    pub(crate) reason: Option<String>,
}

/// One escalation, raised and then driven through its steps.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) partnership: usize,
    pub(crate) raise_at: Timestamp,
    pub(crate) raiser: String,
    pub(crate) input: RaiseInput,
    pub(crate) steps: Vec<Step>,
}

/// Builds one escalation's steps, checking each against the state machine, and recording the
/// deadlines that pass on the way as the nightly sweep would.
pub(crate) struct Timeline<'a> {
    pub(crate) setup: &'a Setup,
    pub(crate) state: Escalation,
    pub(crate) steps: Vec<Step>,
    pub(crate) now: Timestamp,
    /// An action fell after `now`: nothing later happens.
    pub(crate) cut: bool,
}

impl Timeline<'_> {
    /// Applies an action at `at` unless it would be after `now`. Returns whether it happened.
    pub(crate) fn act(
        &mut self,
        at: Timestamp,
        actor: &str,
        event: Event,
        reason: Option<String>,
    ) -> Result<bool, StoreError> {
        if self.cut || at > self.now {
            self.cut = true;
            return Ok(false);
        }
        self.sweep(at)?;
        // Never earlier than what the sweep just recorded.
        let at = at.max(self.state.last_event_at);
        self.apply(at, Actor::person(actor), event, reason)?;
        Ok(true)
    }

    pub(crate) fn apply(
        &mut self,
        at: Timestamp,
        actor: Actor,
        event: Event,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        let t = self
            .state
            .apply(self.setup.rules(), at, event.clone())
            .map_err(|e| StoreError::Project(ProjectError::Transition(e)))?;
        self.state = t.state;
        self.steps.push(Step {
            at,
            actor,
            event,
            reason,
        });
        Ok(())
    }

    /// Records each deadline that passes before `until` while the escalation is open. The
    /// sweep runs at a quarter past midnight: a deadline is the end of its day (DESIGN.md §5).
    pub(crate) fn sweep(&mut self, until: Timestamp) -> Result<(), StoreError> {
        loop {
            if !self.state.status.is_open() {
                return Ok(());
            }
            let current = self.state.current();
            // At a referral step only its own deadline runs (issue 14, item 5).
            let candidates = match self.state.at_referral() {
                Some(step) => [
                    (Deadline::Referral(self.state.referral_number()), step.due),
                    (Deadline::Overall, None),
                ],
                None => [
                    (Deadline::Stage(current.number), Some(current.due)),
                    (Deadline::Overall, self.state.overall_due),
                ],
            };
            let mut next: Option<(Timestamp, Deadline)> = None;
            for (deadline, due) in candidates {
                let Some(due) = due else { continue };
                if self.state.deadlines_passed.contains(&deadline) {
                    continue;
                }
                let mut at = local(self.setup.tz(), due.tomorrow().map_err(date_error)?, 15)?;
                let last = self.state.last_event_at;
                if at <= last {
                    // Passed before the stage began (a cumulative timescale): the next night.
                    let day = last.to_zoned(self.setup.tz().clone()).date();
                    at = local(self.setup.tz(), day.tomorrow().map_err(date_error)?, 15)?;
                }
                if at < until && next.is_none_or(|(t, _)| at < t) {
                    next = Some((at, deadline));
                }
            }
            let Some((at, deadline)) = next else {
                return Ok(());
            };
            self.apply(at, Actor::SYSTEM, Event::DeadlinePassed { deadline }, None)?;
        }
    }
}

/// An instant on a local date, `minute` minutes after midnight.
pub(crate) fn local(tz: &TimeZone, day: Date, minute: i64) -> Result<Timestamp, StoreError> {
    let dt = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    Ok(dt.to_zoned(tz.clone()).map_err(date_error)?.timestamp())
}

pub(crate) fn local_day_minute(tz: &TimeZone, t: Timestamp) -> (Date, i64) {
    let z = t.to_zoned(tz.clone());
    (z.date(), i64::from(z.hour()) * 60 + i64::from(z.minute()))
}

pub(crate) const OPENS: i64 = 9 * 60;
pub(crate) const CLOSES: i64 = 17 * 60 + 30;

/// The working calendar, as the planner needs it.
pub(crate) struct Days<'a> {
    pub(crate) calendar: &'a Calendar,
    pub(crate) tz: &'a TimeZone,
}

impl Days<'_> {
    pub(crate) fn after(&self, day: Date, n: i64) -> Result<Date, StoreError> {
        if n <= 0 {
            return Ok(day);
        }
        let n = WorkingDays::new(n).map_err(date_error)?;
        self.calendar
            .add_working_days(day, n)
            .map_err(calendar_error)
    }

    pub(crate) fn before(&self, day: Date, n: i64) -> Result<Date, StoreError> {
        let mut day = day;
        let mut k = 0;
        while k < n {
            day = day.yesterday().map_err(date_error)?;
            if self.calendar.is_working_day(day).map_err(calendar_error)? {
                k += 1;
            }
        }
        Ok(day)
    }

    /// A working day from `from` to `to` (both included), chosen at random.
    pub(crate) fn between(&self, from: Date, to: Date, rng: &mut Rng) -> Result<Date, StoreError> {
        let n = self
            .calendar
            .working_days_between(from, to)
            .map_err(calendar_error)?;
        self.after(from, rng.range(0, n.max(0)))
    }

    /// A time in office hours on `day`, after `after` (moving to the next working day when
    /// the day is over).
    pub(crate) fn office_time(
        &self,
        day: Date,
        after: Timestamp,
        rng: &mut Rng,
    ) -> Result<Timestamp, StoreError> {
        let (after_day, after_minute) = local_day_minute(self.tz, after);
        let mut day = day.max(after_day);
        let mut earliest = if day == after_day {
            (after_minute + 10).max(OPENS)
        } else {
            OPENS
        };
        if earliest > CLOSES - 10 {
            day = self.after(day, 1)?;
            earliest = OPENS;
        }
        // Mostly soon after the earliest moment, sometimes later in the day.
        let latest = (earliest + rng.range(20, 240)).min(CLOSES);
        local(self.tz, day, rng.range(earliest, latest))
    }
}
