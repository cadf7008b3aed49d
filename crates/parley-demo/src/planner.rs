//! The planner: each escalation's steps, from raising to its ending, checked against the
//! core's state machine before anything is written.

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::agreement::{Dissent, Proposal};
use parley_core::calendar::WorkingDays;
use parley_core::escalation::{Event, Subject, decide};
use parley_core::names::{ChildStatus, Party, Resolution, Role, RouteKind, Side};
use parley_core::procedure::{StageNumber, Timescale};
use parley_store::StoreError;
use parley_store::payload::ChildDetails;
use parley_store::projector::ProjectError;
use parley_store::records::RaiseInput;

use super::*;

/// Plans one escalation.
pub(crate) struct Planner<'a> {
    pub(crate) setup: &'a Setup,
    pub(crate) now: Timestamp,
    /// The most recent working day whose office hours began before `now`.
    pub(crate) latest: Date,
    /// The first working day escalations may be raised on.
    pub(crate) earliest: Date,
}

impl Planner<'_> {
    pub(crate) fn days(&self) -> Days<'_> {
        Days {
            calendar: &self.setup.calendar,
            tz: self.setup.tz(),
        }
    }

    pub(crate) fn plan(
        &self,
        partnership: usize,
        number: usize,
        ending: Ending,
        route: RouteKind,
        back: Option<i64>,
        rng: &mut Rng,
    ) -> Result<Plan, StoreError> {
        let s = self.setup;
        let p = &s.procedure;
        let days = self.days();
        let thematic_route = route != RouteKind::Individual;

        // The category: thematic routes take the procedure's thematic categories where it has
        // them; individual escalations rarely "other".
        let categories: Vec<&str> = p.categories.iter().map(|c| c.id.as_str()).collect();
        let thematic: Vec<&str> = categories
            .iter()
            .copied()
            .filter(|c| topic(c) == Topic::Strategic)
            .collect();
        let category = if thematic_route && !thematic.is_empty() {
            rng.pick(&thematic)
        } else {
            let individual: Vec<&str> = categories
                .iter()
                .copied()
                .filter(|c| topic(c) != Topic::Strategic)
                .collect();
            let pool = if individual.is_empty() {
                &categories
            } else {
                &individual
            };
            let mut c = rng.pick(pool);
            if c == "other" && pool.len() > 1 && !rng.chance(30) {
                c = rng.pick(pool);
            }
            c
        };
        let topic = topic(category);

        // Agencies: thresholds and conferences are mostly about children's social care.
        let csc = s
            .agencies
            .iter()
            .position(|a| a.kind == AgencyKind::ChildrensSocialCare)
            .unwrap_or(0);
        let n = s.agencies.len();
        let (mut raising, mut receiving) = (rng.below(n), rng.below(n));
        if matches!(topic, Topic::Threshold | Topic::Meeting | Topic::Plan) && rng.chance(75) {
            receiving = csc;
        }
        let sign_in = rng.chance(15);
        if sign_in {
            raising = s.sign_in_practitioner.0;
        }
        while raising == receiving {
            receiving = (receiving + 1 + rng.below(n - 1)) % n;
        }
        let ra = &s.agencies[raising];
        let rc = &s.agencies[receiving];
        let raiser = if sign_in {
            s.sign_in_practitioner.1.clone()
        } else {
            ra.staff.practitioners[rng.below(ra.staff.practitioners.len())].clone()
        };
        let receiver = rc.staff.practitioners[rng.below(rc.staff.practitioners.len())].clone();

        let case = case_texts(topic);
        let text = |t: &str| fill(t, &ra.name, &rc.name);
        let summary = text(rng.pick(case.summary));
        let decision = text(rng.pick(case.decision));
        let evidence = text(rng.pick(case.evidence));
        let wanted = text(rng.pick(case.wanted));

        let (child_status, child) = if thematic_route {
            (None, None)
        } else {
            let statuses = [
                ChildStatus::None,
                ChildStatus::EarlyHelp,
                ChildStatus::ChildInNeed,
                ChildStatus::ChildProtectionPlan,
                ChildStatus::LookedAfter,
            ];
            let status = statuses[rng.weighted(&[10, 20, 30, 25, 15])];
            (Some(status), Some(number))
        };

        // When: open escalations are recent, the rest spread over the months before.
        let span = self.span()?;
        let mut back = match (back, ending) {
            (Some(back), _) => back,
            (None, Ending::Open { overdue: false } | Ending::SeenThrough { closed: false }) => {
                rng.range(0, 12)
            }
            (None, Ending::Open { overdue: true }) => rng.range(8, 45),
            (None, _) => rng.range(10, span),
        }
        .min(span);
        let entry = p.route(route).map_or(StageNumber::FIRST, |r| r.entry_stage);
        let mut target = self.target_stage(entry, ending, rng);
        const ATTEMPTS: usize = 16;
        for attempt in 0..ATTEMPTS {
            let last_try = attempt + 1 == ATTEMPTS;
            if last_try {
                // Certain to fit: raised on the latest working day, nothing more done yet, or
                // (for a closed ending) as early as the demo allows.
                match ending {
                    Ending::Open { overdue: false } | Ending::SeenThrough { closed: false } => {
                        back = 0;
                        target = entry;
                    }
                    Ending::Open { overdue: true } => back = span,
                    _ => {
                        back = span;
                        target = match ending {
                            Ending::ReferredOn(i) => p
                                .referrals
                                .get(i)
                                .map_or(entry, |r| r.from_stage.max(entry)),
                            _ => entry,
                        };
                    }
                }
            }
            let raise_day = days.before(self.latest, back)?;
            let raise_at = if raise_day == self.latest {
                // Before `now`, in office hours.
                let (today, minute) = local_day_minute(s.tz(), self.now);
                let until = if today == raise_day {
                    (minute - 1).min(16 * 60 + 30)
                } else {
                    16 * 60 + 30
                };
                local(s.tz(), raise_day, rng.range(OPENS, until.max(OPENS)))?
            } else {
                local(s.tz(), raise_day, rng.range(OPENS, 16 * 60 + 30))?
            };
            let subject = match child_status {
                Some(status) => Subject::Child { status },
                None => Subject::Thematic,
            };
            let raised = decide(
                None,
                s.rules(),
                raise_at,
                Event::Raised {
                    route,
                    subject,
                    category: category.to_owned(),
                    // Dorset §4: decided the day it is entered.
                    decided_on: p.day_one.takes_decision_date().then_some(raise_day),
                },
            )
            .map_err(|e| StoreError::Project(ProjectError::Transition(e)))?;
            let mut tl = Timeline {
                setup: s,
                state: raised.state,
                steps: Vec::new(),
                now: self.now,
                cut: false,
            };
            let parties = Parties {
                raising,
                receiving,
                raiser: &raiser,
                receiver: &receiver,
                raising_name: &ra.name,
                receiving_name: &rc.name,
            };
            self.drive(&mut tl, &parties, entry, target, ending, rng)?;
            // An open escalation may stop short of its planned stage (the next action would
            // be after `now`); a closed one must have closed.
            let fits = match ending {
                Ending::Open { overdue } => {
                    tl.state.status.is_open()
                        && tl.state.overdue(s.rules(), self.now).is_empty() != overdue
                }
                Ending::SeenThrough { closed: false } => {
                    tl.state.resolved_by_events_at.is_some() && tl.state.status.is_open()
                }
                _ => !tl.cut,
            };
            if fits || last_try {
                if !fits {
                    // Nothing fitted (a calendar too short for the demo): keep the raise.
                    tl.steps.clear();
                }
                let child = child.map(|n| {
                    let code = marker(&s.code, n);
                    let age_days = rng.range(200, 17 * 365);
                    let born = raise_day
                        .checked_sub(jiff::Span::new().days(age_days))
                        .unwrap_or(raise_day);
                    ChildDetails {
                        name: format!(
                            "{} {}. {code}",
                            rng.pick(&CHILD_NAMES),
                            rng.pick(&SURNAMES).chars().next().unwrap_or('A')
                        ),
                        date_of_birth: Some(born.to_string()),
                        identifier: Some(format!("{code} (LCS {:07})", rng.range(1, 9_999_999))),
                    }
                });
                return Ok(Plan {
                    partnership,
                    raise_at,
                    raiser: raiser.clone(),
                    input: RaiseInput {
                        route: route.as_str().to_owned(),
                        child_status: child_status.map(|c| c.as_str().to_owned()),
                        child,
                        category: category.to_owned(),
                        raised_by: raiser.clone(),
                        raising_agency_id: ra.id.clone(),
                        receiving_agency_id: rc.id.clone(),
                        receiving_person_id: Some(receiver.clone()),
                        summary,
                        decision,
                        evidence,
                        outcome_wanted: wanted,
                        decided_on: p.day_one.takes_decision_date().then_some(raise_day),
                    },
                    steps: tl.steps,
                });
            }
            // Adjust and try again.
            match ending {
                Ending::Open { overdue: false } | Ending::SeenThrough { closed: false } => {
                    back /= 2;
                    if attempt > 4 {
                        target = entry;
                    }
                }
                Ending::Open { overdue: true } => back = (back + 10).min(span),
                _ => back = (back + 15).min(span),
            }
        }
        Err(date_error("no plan fitted"))
    }

    /// How many working days back escalations may be raised.
    pub(crate) fn span(&self) -> Result<i64, StoreError> {
        Ok(self
            .setup
            .calendar
            .working_days_between(self.earliest, self.latest)
            .map_err(calendar_error)?
            .max(1))
    }

    /// The stage an escalation ends at (or is at, when open).
    pub(crate) fn target_stage(
        &self,
        entry: StageNumber,
        ending: Ending,
        rng: &mut Rng,
    ) -> StageNumber {
        let p = &self.setup.procedure;
        let last = p.last_stage();
        let mut stage = match ending {
            Ending::ReferredOn(i) => p
                .referrals
                .get(i)
                .map_or(entry, |r| r.from_stage.max(entry)),
            _ => entry,
        };
        let go_on = match ending {
            Ending::Withdrawn | Ending::Redirected(_) => 20,
            _ => 45,
        };
        while stage < last && rng.chance(go_on) {
            stage = stage.next();
        }
        stage
    }

    /// Runs the escalation from its entry stage to `target` and ends it.
    pub(crate) fn drive(
        &self,
        tl: &mut Timeline<'_>,
        who: &Parties<'_>,
        entry: StageNumber,
        target: StageNumber,
        ending: Ending,
        rng: &mut Rng,
    ) -> Result<(), StoreError> {
        let s = self.setup;
        let p = &s.procedure;
        let days = self.days();
        let mut stage = entry;
        while let Some(spec) = p.stage(stage) {
            let leads_include_practitioners = s.stage_leads(stage).contains(&Role::Practitioner);
            let raising_lead = if leads_include_practitioners {
                who.raiser.to_owned()
            } else {
                s.officer(who.raising, stage).to_owned()
            };
            let receiving_lead = if leads_include_practitioners {
                who.receiver.to_owned()
            } else {
                s.officer(who.receiving, stage).to_owned()
            };
            let entered = tl.state.last_event_at;

            // Sunderland: "Timescales, not exceeding 5 working days, should be agreed for each
            // stage" - agreed soon after the stage starts.
            // No more than still fits before the overall deadline (issue 14).
            let most = tl
                .state
                .agreeable(s.rules())
                .map_err(calendar_error)?
                .map_or(0, |a| i64::from(a.most));
            if let Timescale::Agreed { max } = spec.timescale
                && most >= 1
            {
                let at = days.office_time(local_day_minute(s.tz(), entered).0, entered, rng)?;
                let n = rng.range(2, i64::from(max.get())).min(most);
                let n = WorkingDays::new(n).map_err(date_error)?;
                if spec.agreed_with.is_some() {
                    // Issue 14, item 2 (Sunderland step 2): the line manager proposes it and
                    // the practitioner raising the concern confirms it within the hour.
                    tl.act(
                        at,
                        &raising_lead,
                        Event::AgreementProposed {
                            proposal: Proposal::Timescale(n),
                            by: Side::Raising,
                        },
                        None,
                    )?;
                    tl.act(
                        at + jiff::SignedDuration::from_mins(40),
                        who.raiser,
                        Event::AgreementConfirmed { by: Party::Raiser },
                        None,
                    )?;
                } else {
                    tl.act(
                        at,
                        &raising_lead,
                        Event::TimescaleAgreed { working_days: n },
                        None,
                    )?;
                }
            }
            // The appointments the procedure makes at this stage (Solihull stage 4: the
            // independent chair), made by whoever its `by` names, a minute after the stage
            // starts (no draw from the generator).
            for a in p.appointments.iter().filter(|a| a.stage == stage) {
                let Some((_, person)) = s.appointees.iter().find(|(r, _)| *r == a.role) else {
                    continue;
                };
                // Solihull §7: the IRO of a child on a child protection plan or looked after;
                // Buckinghamshire 2.4.16: the CP Reviewing Service Manager for a conference
                // decision.
                let status = match tl.state.subject {
                    parley_core::escalation::Subject::Child { status } => Some(status),
                    _ => None,
                };
                let fits = match a.role {
                    parley_core::names::Actor::IndependentReviewingOfficer => matches!(
                        status,
                        Some(ChildStatus::ChildProtectionPlan | ChildStatus::LookedAfter)
                    ),
                    parley_core::names::Actor::CpReviewingServiceManager => {
                        tl.state.category == "cp-conference"
                    }
                    _ => true,
                };
                if !fits {
                    continue;
                }
                let by = if a
                    .by
                    .contains(&parley_core::names::Actor::PartnershipBusinessTeam)
                {
                    s.business_manager.clone()
                } else {
                    raising_lead.clone()
                };
                let at = tl.state.last_event_at + jiff::SignedDuration::from_mins(1);
                tl.act(
                    at,
                    &by,
                    Event::Appointed {
                        role: a.role,
                        person: person.clone(),
                    },
                    None,
                )?;
            }
            // Issue 14, item 2: in an escalation that is to stay open, the receiving side
            // proposes to resolve it by agreement as each stage past the first begins (and
            // now and then as the first does); the proposal awaits the raising side's answer,
            // and lapses if the escalation moves on. Chosen without the generator, so that
            // its draws stay as they were.
            if matches!(ending, Ending::Open { .. })
                && p.outcomes.allowed.contains(&Resolution::Agreed)
                && (stage.get() >= 2 || entered.as_second().div_euclid(60) % 2 == 0)
            {
                let at = tl.state.last_event_at + jiff::SignedDuration::from_mins(50);
                tl.act(
                    at,
                    &receiving_lead,
                    Event::AgreementProposed {
                        proposal: Proposal::Resolution,
                        by: Side::Receiving,
                    },
                    None,
                )?;
            }
            let due = tl.state.current().due;
            let start_day = local_day_minute(s.tz(), tl.state.last_event_at).0;
            // Mostly within the timescale; sometimes late.
            let end_day = if rng.chance(12) {
                days.after(due, rng.range(1, 3))?
            } else if due <= start_day {
                start_day
            } else {
                days.between(start_day, due, rng)?
            };
            let mid_day = days.between(start_day, end_day.max(start_day), rng)?;

            // Solihull §5: a professionals' meeting may be called where the stage provides one
            // (issue 14, item 6: arranged with its details, recorded once held).
            if spec.provides_meeting() && rng.chance(if stage.get() >= 3 { 35 } else { 15 }) {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                arrange_meeting(tl, who, stage, at)?;
            }
            // The stage record, in two writes: who and what was discussed, then the outcome.
            let first: Vec<(String, String)> = ["involved", "issues", "discussion"]
                .iter()
                .filter(|f| spec.record.iter().any(|r| r == *f))
                .map(|f| (f.to_string(), self.field(f, who, stage, None, rng)))
                .collect();
            if !first.is_empty() {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                tl.act(
                    at,
                    &raising_lead,
                    Event::StageRecordUpdated {
                        stage,
                        fields: first,
                    },
                    None,
                )?;
            }
            let last_stage = stage >= target;
            let closing = if last_stage { Some(ending) } else { None };
            // Buckinghamshire 2.4.11: events resolve it during the last stage; seen through.
            if last_stage && matches!(ending, Ending::SeenThrough { .. }) {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                tl.act(
                    at,
                    &raising_lead,
                    Event::Resolved {
                        resolution: Resolution::ByEvents,
                    },
                    Some(fill(
                        rng.pick(&BY_EVENTS),
                        who.raising_name,
                        who.receiving_name,
                    )),
                )?;
            }
            let open_here = matches!(
                closing,
                Some(Ending::Open { .. } | Ending::SeenThrough { closed: false })
            );
            if !open_here {
                let mut second: Vec<(String, String)> = ["actions", "outcome"]
                    .iter()
                    .filter(|f| spec.record.iter().any(|r| r == *f))
                    .map(|f| (f.to_string(), self.field(f, who, stage, closing, rng)))
                    .collect();
                if spec.record.iter().any(|r| r == "learning") && rng.chance(35) {
                    second.push((
                        "learning".to_owned(),
                        self.field("learning", who, stage, closing, rng),
                    ));
                }
                let end_at = days.office_time(end_day, tl.state.last_event_at, rng)?;
                if !second.is_empty() {
                    let actor = if rng.chance(40) {
                        &receiving_lead
                    } else {
                        &raising_lead
                    };
                    tl.act(
                        end_at,
                        actor,
                        Event::StageRecordUpdated {
                            stage,
                            fields: second,
                        },
                        None,
                    )?;
                }
                let at = days.office_time(end_day, tl.state.last_event_at, rng)?;
                // Seen through to the end: mostly agreed, else with the disagreement recorded
                // where the procedure allows it (the generator drawn as before).
                let seen_through_agreed = matches!(closing, Some(Ending::SeenThrough { .. }))
                    && (rng.chance(70)
                        || !p
                            .outcomes
                            .allowed
                            .contains(&Resolution::DisagreementRecorded));
                let fill_in = |t: &str| fill(t, who.raising_name, who.receiving_name);
                // Issue 14, item 2: the receiving side proposes an agreed resolution first;
                // the raising side's confirmation is the closing step below.
                let agreed = match closing {
                    Some(Ending::Resolved(r)) => r == Resolution::Agreed,
                    Some(Ending::SeenThrough { .. }) => seen_through_agreed,
                    _ => false,
                };
                if agreed {
                    tl.act(
                        at,
                        &receiving_lead,
                        Event::AgreementProposed {
                            proposal: Proposal::Resolution,
                            by: Side::Receiving,
                        },
                        None,
                    )?;
                }
                let at = if agreed {
                    at + jiff::SignedDuration::from_mins(45)
                } else {
                    at
                };
                let closed_by = |r: Resolution| match r {
                    Resolution::Agreed => Event::AgreementConfirmed {
                        by: Party::RaisingSide,
                    },
                    Resolution::DisagreementRecorded => {
                        Event::DisagreementRecorded(dissent(who, &fill_in))
                    }
                    Resolution::ByEvents => Event::Resolved { resolution: r },
                };
                let (event, actor, reason) = match closing {
                    None => (
                        Event::Escalated,
                        raising_lead.clone(),
                        Some(fill_in(rng.pick(&ESCALATE))),
                    ),
                    Some(Ending::Resolved(resolution)) => {
                        (closed_by(resolution), raising_lead.clone(), None)
                    }
                    Some(Ending::SeenThrough { .. }) => (
                        closed_by(if seen_through_agreed {
                            Resolution::Agreed
                        } else {
                            Resolution::DisagreementRecorded
                        }),
                        raising_lead.clone(),
                        Some("Seen through to the end after events resolved it.".to_owned()),
                    ),
                    Some(Ending::ReferredOn(i)) => {
                        let referral = p.referrals.get(i).map(|r| r.id.clone()).unwrap_or_default();
                        (
                            Event::ReferralMade { referral },
                            s.officer(who.raising, stage).to_owned(),
                            Some("The procedure's last stage did not resolve it.".to_owned()),
                        )
                    }
                    Some(Ending::Withdrawn) => (
                        Event::Withdrawn,
                        who.raiser.to_owned(),
                        Some(fill_in(rng.pick(&WITHDRAWN))),
                    ),
                    Some(Ending::Redirected(kind)) => (
                        Event::Redirected { kind },
                        s.officer(who.raising, stage).to_owned(),
                        Some(format!("This is {}.", kind.label().to_lowercase())),
                    ),
                    Some(Ending::Open { .. }) => break,
                };
                let referred = matches!(event, Event::ReferralMade { .. });
                tl.act(at, &actor, event, reason)?;
                if referred {
                    refer_on(tl, &days, end_day, &actor, rng)?;
                }
                // Solihull §6: learning may be written up after the escalation closes.
                if closing.is_some()
                    && spec.record.iter().any(|r| r == "learning")
                    && rng.chance(20)
                {
                    let day = days.after(end_day, rng.range(1, 10))?;
                    let at = days.office_time(day, tl.state.last_event_at, rng)?;
                    let fields = vec![("learning".to_owned(), fill_in(rng.pick(&LEARNING)))];
                    tl.act(
                        at,
                        &raising_lead,
                        Event::StageRecordUpdated { stage, fields },
                        None,
                    )?;
                }
            }
            if last_stage || tl.cut {
                break;
            }
            stage = stage.next();
        }
        // The deadlines that pass after the last action are the deadline monitor's to record,
        // once everything is applied (`notices::monitor_nights`).
        Ok(())
    }

    pub(crate) fn field(
        &self,
        field: &str,
        who: &Parties<'_>,
        stage: StageNumber,
        closing: Option<Ending>,
        rng: &mut Rng,
    ) -> String {
        let f = |t: &str| fill(t, who.raising_name, who.receiving_name);
        match field {
            "involved" => format!(
                "Stage {stage}: {} and {}, with the named officers for the stage.",
                who.raising_name, who.receiving_name
            ),
            "issues" => f(rng.pick(&[
                "Whether {receiving}'s decision took account of all the information {raising} holds.",
                "How the level of need was judged, and what each agency expects of the other.",
                "Delay: actions agreed with {receiving} have not happened.",
            ])),
            "discussion" => f(rng.pick(&DISCUSSION)),
            "actions" => f(rng.pick(&ACTIONS)),
            "learning" => f(rng.pick(&LEARNING)),
            "outcome" => match closing {
                None => f(rng.pick(&ESCALATE)),
                Some(Ending::Resolved(Resolution::Agreed)) | Some(Ending::SeenThrough { .. }) => {
                    f(rng.pick(&AGREED))
                }
                Some(Ending::Resolved(Resolution::DisagreementRecorded)) => {
                    f(rng.pick(&DISAGREED))
                }
                Some(Ending::Resolved(Resolution::ByEvents)) => f(rng.pick(&BY_EVENTS)),
                Some(Ending::ReferredOn(_)) => {
                    "Not resolved by the procedure; referred on for independent oversight."
                        .to_owned()
                }
                Some(Ending::Withdrawn) => f(rng.pick(&WITHDRAWN)),
                Some(Ending::Redirected(kind)) => format!(
                    "Not a professional disagreement: this is {}, and follows that procedure instead.",
                    kind.label().to_lowercase()
                ),
                Some(Ending::Open { .. }) => String::new(),
            },
            other => format!("Recorded at stage {stage} ({other})."),
        }
    }
}

/// A dissent statement (issue 14, item 2; Dorset §7, Buckinghamshire 2.4.13): the raising
/// agency still disagrees with the receiving agency's decision, which stands.
pub(crate) fn dissent(who: &Parties<'_>, fill_in: &dyn Fn(&str) -> String) -> Dissent {
    Dissent {
        who: fill_in("{raising}, through its officer for the stage"),
        why: fill_in(
            "{raising} still thinks the decision leaves the child's needs unmet; {receiving}'s decision stands.",
        ),
        raising_side_will: fill_in(
            "{raising} stays involved in the child's plan and will raise any new concern at once.",
        ),
        receiving_side_will: format!(
            "{} will review its decision at the next core group, with {} present.",
            who.receiving_name, who.raising_name
        ),
    }
}

/// The two sides of an escalation.
pub(crate) struct Parties<'a> {
    pub(crate) raising: usize,
    pub(crate) receiving: usize,
    pub(crate) raiser: &'a str,
    pub(crate) receiver: &'a str,
    pub(crate) raising_name: &'a str,
    pub(crate) receiving_name: &'a str,
}
