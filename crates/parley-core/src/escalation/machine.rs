//! The machine: `decide` applies one event to an escalation, `replay` a history, each
//! checked against the procedure first.

use crate::deadline::{overall_due, stage_due};
use crate::meeting::Meeting;
use crate::names::{RedirectionKind, Resolution, RouteKind, Trigger};
use crate::partnership_form::SentForm;
use crate::procedure::{NotificationRule, StageNumber};
use jiff::Timestamp;
use jiff::civil::Date;

use super::*;

/// Applies one event to an escalation (or to nothing, for `Raised`).
pub fn decide(
    state: Option<&Escalation>,
    rules: Rules<'_>,
    at: Timestamp,
    event: Event,
) -> Result<Transition, TransitionError> {
    match (state, event) {
        (
            None,
            Event::Raised {
                route,
                subject,
                category,
                decided_on,
            },
        ) => raise(rules, at, route, subject, category, decided_on),
        (None, _) => Err(TransitionError::NotRaised),
        (Some(_), Event::Raised { .. }) => Err(TransitionError::AlreadyRaised),
        (Some(s), event) => s.apply(rules, at, event),
    }
}

/// Rebuilds an escalation from its events; on a refused event, its index and the error.
pub fn replay<I>(
    rules: Rules<'_>,
    events: I,
) -> Result<Option<Escalation>, (usize, TransitionError)>
where
    I: IntoIterator<Item = (Timestamp, Event)>,
{
    let mut state: Option<Escalation> = None;
    for (i, (at, event)) in events.into_iter().enumerate() {
        state = Some(
            decide(state.as_ref(), rules, at, event)
                .map_err(|e| (i, e))?
                .state,
        );
    }
    Ok(state)
}

fn raise(
    rules: Rules<'_>,
    at: Timestamp,
    route: RouteKind,
    subject: Subject,
    category: String,
    decided_on: Option<Date>,
) -> Result<Transition, TransitionError> {
    let p = rules.procedure;
    let entry = p
        .route(route)
        .ok_or_else(|| TransitionError::NoSuchRoute {
            route,
            known: p.routes.iter().map(|r| r.kind.as_str()).collect(),
        })?
        .entry_stage;
    let child_required = route == RouteKind::Individual;
    if matches!(subject, Subject::Child { .. }) != child_required {
        return Err(TransitionError::SubjectDoesNotFitRoute {
            route,
            child_required,
        });
    }
    if p.category(&category).is_none() {
        return Err(TransitionError::UnknownCategory {
            given: category,
            known: p.categories.iter().map(|c| c.id.clone()).collect(),
        });
    }
    let raised_on = rules.local_date(at);
    let day_one = crate::day_one::day_one(p, rules.calendar, raised_on, decided_on)?;
    // The entry stage runs from Day One: with a decision date, the matter was raised with
    // the line manager then (Dorset §5), before it was entered in Parley.
    let stage = entered_stage(rules, entry, at, day_one, day_one)?;
    let state = Escalation {
        route,
        subject,
        category,
        raised_at: at,
        raised_on,
        day_one,
        stages: vec![stage],
        overall_due: overall_due(p, rules.calendar, day_one)?,
        status: Status::Open,
        closed_at: None,
        resolved_by_events_at: None,
        deadlines_passed: Vec::new(),
        reminders_sent: Vec::new(),
        referrals: Vec::new(),
        meetings: Vec::new(),
        version: 1,
        last_event_at: at,
        appointed: Vec::new(),
        partnership_forms: Vec::new(),
        proposals: Vec::new(),
        dissent: None,
    };
    let mut notifications = state.notifications(rules, Trigger::Raised, &Reason::Raised);
    notifications.extend(state.notifications(
        rules,
        Trigger::StageEntered,
        &Reason::StageEntered(entry),
    ));
    Ok(Transition {
        state,
        notifications,
    })
}

fn entered_stage(
    rules: Rules<'_>,
    number: StageNumber,
    at: Timestamp,
    started_on: Date,
    day_one: Date,
) -> Result<StageState, TransitionError> {
    let stage = rules
        .procedure
        .stage(number)
        .ok_or(TransitionError::NoFurtherStage(number))?;
    Ok(StageState {
        number,
        started_at: at,
        started_on,
        due: stage_due(
            rules.procedure,
            rules.calendar,
            stage,
            started_on,
            day_one,
            None,
        )?,
        agreed: None,
        ended_at: None,
        record: Vec::new(),
        meetings: Vec::new(),
    })
}

impl Escalation {
    /// The stage the escalation is at (or ended at).
    pub fn current(&self) -> &StageState {
        // `stages` is never empty: `raise` enters the entry stage.
        &self.stages[self.stages.len() - 1]
    }

    pub(crate) fn current_mut(&mut self) -> &mut StageState {
        let last = self.stages.len() - 1;
        &mut self.stages[last]
    }

    pub fn current_stage(&self) -> StageNumber {
        self.current().number
    }

    /// The referral step the escalation is at, if it is open at one.
    pub fn at_referral(&self) -> Option<&ReferralStep> {
        self.referrals
            .last()
            .filter(|r| self.status.is_open() && r.ended_at.is_none())
    }

    /// The referral step's number as its deadline names it (1 for the first).
    pub fn referral_number(&self) -> u8 {
        u8::try_from(self.referrals.len()).unwrap_or(u8::MAX)
    }

    /// The deadlines that have passed at `at` while the escalation is open: the current
    /// stage's and the overall one. A deadline is the end of its day in the procedure's time
    /// zone (DESIGN.md §5), so it has passed once that date is behind us.
    pub fn overdue(&self, rules: Rules<'_>, at: Timestamp) -> Vec<(Deadline, Date)> {
        let today = rules.local_date(at);
        self.running_deadlines()
            .into_iter()
            .filter(|(_, due)| *due < today)
            .collect()
    }

    /// Applies one event; the state is unchanged when it is refused.
    pub fn apply(
        &self,
        rules: Rules<'_>,
        at: Timestamp,
        event: Event,
    ) -> Result<Transition, TransitionError> {
        if at < self.last_event_at {
            return Err(TransitionError::OutOfOrder {
                at,
                last: self.last_event_at,
            });
        }
        // Records stay open after closing: learning may be written up afterwards
        // (Solihull §6; Dorset §10). Nothing else happens to a closed escalation.
        // A meeting held before it closed may be written up afterwards too.
        if !self.status.is_open()
            && !matches!(
                event,
                Event::StageRecordUpdated { .. } | Event::MeetingRecorded { .. }
            )
        {
            return Err(TransitionError::Closed(self.status.as_str()));
        }
        let p = rules.procedure;
        let mut next = self.clone();
        next.version += 1;
        next.last_event_at = at;
        let current = self.current_stage();
        let mut notifications = Vec::new();
        if let Some(step) = self.at_referral() {
            let allowed = matches!(
                event,
                Event::StageRecordUpdated { .. }
                    | Event::MeetingRecorded { .. }
                    | Event::ReferralMade { .. }
                    | Event::ReferralOutcomeRecorded { .. }
                    | Event::Withdrawn
                    | Event::Redirected { .. }
                    | Event::DeadlinePassed { .. }
                    | Event::DeadlineApproaching { .. }
            );
            if !allowed {
                return Err(TransitionError::AtReferral(step.referral.clone()));
            }
        }
        crate::agreement::refuse_one_sided(&event)?;
        match event {
            Event::Raised { .. } => return Err(TransitionError::AlreadyRaised),
            e @ (Event::AgreementProposed { .. }
            | Event::AgreementConfirmed { .. }
            | Event::AgreementRefused { .. }
            | Event::ProposalWithdrawn { .. }
            | Event::DisagreementRecorded(_)) => {
                notifications = crate::agreement::apply(&mut next, rules, at, e)?;
            }
            Event::StageRecordUpdated { stage, fields } => {
                let Some(state) = next.stages.iter_mut().find(|s| s.number == stage) else {
                    return Err(TransitionError::StageNotReached { stage, current });
                };
                if fields.is_empty() {
                    return Err(TransitionError::EmptyRecordUpdate);
                }
                let allowed = &p
                    .stage(stage)
                    .ok_or(TransitionError::StageNotReached { stage, current })?
                    .record;
                for (field, text) in fields {
                    if !allowed.contains(&field) {
                        return Err(TransitionError::UnknownRecordField {
                            stage,
                            field,
                            allowed: allowed.clone(),
                        });
                    }
                    match state.record.iter_mut().find(|(f, _)| *f == field) {
                        Some(entry) => entry.1 = text,
                        None => state.record.push((field, text)),
                    }
                }
            }
            Event::TimescaleAgreed { working_days } => {
                crate::agreement::agree_directly(&mut next, rules, working_days)?;
            }
            Event::Escalated => {
                if current >= p.last_stage() {
                    return Err(TransitionError::NoFurtherStage(current));
                }
                let to = current.next();
                next.current_mut().ended_at = Some(at);
                let stage = entered_stage(rules, to, at, rules.local_date(at), self.day_one)?;
                next.stages.push(stage);
                notifications =
                    next.notifications(rules, Trigger::StageEntered, &Reason::StageEntered(to));
            }
            Event::MeetingArranged(plan) => {
                if !p.stage(current).is_some_and(|s| s.provides_meeting()) {
                    return Err(TransitionError::MeetingNotProvided(current));
                }
                let number = u32::try_from(next.meetings.len()).unwrap_or(u32::MAX - 1) + 1;
                next.meetings.push(Meeting {
                    number,
                    stage: current,
                    arranged_at: at,
                    plan,
                    record: None,
                });
            }
            Event::MeetingRecorded { meeting, record } => {
                let Some(m) = next.meetings.iter_mut().find(|m| m.number == meeting) else {
                    return Err(TransitionError::NoSuchMeeting(meeting));
                };
                if m.record.is_some() {
                    return Err(TransitionError::MeetingAlreadyRecorded(meeting));
                }
                if at < m.plan.held_at {
                    return Err(TransitionError::MeetingNotYetHeld {
                        meeting,
                        held_at: m.plan.held_at,
                    });
                }
                if record.outcome.trim().is_empty() {
                    return Err(TransitionError::EmptyMeetingOutcome);
                }
                m.record = Some((at, record));
            }
            Event::ProfessionalsMeetingConvened => {
                let provided = p.stage(current).is_some_and(|s| s.provides_meeting());
                if !provided {
                    return Err(TransitionError::MeetingNotProvided(current));
                }
                next.current_mut().meetings.push(at);
            }
            Event::Resolved { resolution } | Event::ResolvedUnconfirmed { resolution } => {
                if !p.outcomes.allowed.contains(&resolution) {
                    return Err(TransitionError::OutcomeNotAllowed {
                        given: resolution,
                        allowed: p.outcomes.allowed.iter().map(|r| r.as_str()).collect(),
                    });
                }
                let see_through = p.outcomes.see_through_when_resolved_by_events;
                match (resolution, see_through, self.resolved_by_events_at) {
                    (Resolution::ByEvents, _, Some(_)) => {
                        return Err(TransitionError::AlreadyResolvedByEvents);
                    }
                    // Buckinghamshire 2.4.11: "the escalation procedure is still seen through to the end".
                    (Resolution::ByEvents, true, None) => next.resolved_by_events_at = Some(at),
                    _ => {
                        notifications = next.close(rules, at, Status::Resolved(resolution));
                    }
                }
            }
            Event::ReferredOn { referral } => {
                let Some(r) = p.referral(&referral) else {
                    return Err(TransitionError::UnknownReferral {
                        given: referral,
                        known: p.referrals.iter().map(|r| r.id.clone()).collect(),
                    });
                };
                if current < r.from_stage {
                    return Err(TransitionError::ReferralTooEarly {
                        referral,
                        from: r.from_stage,
                        current,
                    });
                }
                notifications = next.close(rules, at, Status::ReferredOn(referral));
            }
            Event::ReferralMade { referral } => {
                let Some(r) = p.referral(&referral) else {
                    return Err(TransitionError::UnknownReferral {
                        given: referral,
                        known: p.referrals.iter().map(|r| r.id.clone()).collect(),
                    });
                };
                match self.at_referral() {
                    // A further referral follows only where the file says so.
                    Some(step) => {
                        let allowed = p
                            .referral(&step.referral)
                            .map(|s| s.then.clone())
                            .unwrap_or_default();
                        if !allowed.contains(&referral) {
                            return Err(TransitionError::ReferralNotAfter {
                                referral,
                                after: step.referral.clone(),
                                allowed,
                            });
                        }
                        if let Some(last) = next.referrals.last_mut() {
                            last.ended_at = Some(at);
                        }
                    }
                    None => {
                        if current < r.from_stage {
                            return Err(TransitionError::ReferralTooEarly {
                                referral,
                                from: r.from_stage,
                                current,
                            });
                        }
                        next.current_mut().ended_at = Some(at);
                    }
                }
                let started_on = rules.local_date(at);
                let due = match r.timescale {
                    Some(n) => Some(rules.calendar.due(p.counting, started_on, n)?),
                    None => None,
                };
                next.referrals.push(ReferralStep {
                    referral,
                    started_at: at,
                    started_on,
                    due,
                    ended_at: None,
                    outcome: None,
                });
            }
            Event::ReferralOutcomeRecorded { outcome } => {
                let Some(step) = self.at_referral() else {
                    return Err(TransitionError::NotAtReferral);
                };
                if outcome.trim().is_empty() {
                    return Err(TransitionError::EmptyReferralOutcome);
                }
                let referral = step.referral.clone();
                if let Some(last) = next.referrals.last_mut() {
                    last.outcome = Some(outcome);
                }
                notifications = next.close(rules, at, Status::ReferredOn(referral));
            }
            Event::Withdrawn => {
                notifications = next.close(rules, at, Status::Withdrawn);
            }
            Event::Redirected { kind } => {
                // Every procedure stops for a child at immediate risk; other redirections
                // must be the procedure's own.
                if kind != RedirectionKind::ImmediateRisk && p.redirection(kind).is_none() {
                    return Err(TransitionError::NoSuchRedirection(kind));
                }
                notifications = next.close(rules, at, Status::Redirected(kind));
            }
            Event::Appointed { role, person } => {
                crate::appointment::check(p, current, role, &person, &self.appointed)?;
                next.appointed.push((role, person));
            }
            Event::PartnershipFormSent { answers } => {
                let answers = crate::partnership_form::check(p, current, &answers)?;
                next.partnership_forms.push(SentForm {
                    sent_at: at,
                    stage: current,
                    answers,
                });
            }
            Event::DeadlineApproaching { deadline, before } => {
                notifications =
                    crate::reminder::record(self, &mut next, rules, at, deadline, before)?;
            }
            Event::DeadlinePassed { deadline } => {
                let step = self.at_referral();
                let due = match deadline {
                    Deadline::Referral(n) if n == self.referral_number() => step
                        .and_then(|s| s.due)
                        .ok_or(TransitionError::NoSuchDeadline(deadline))?,
                    Deadline::Referral(_) => return Err(TransitionError::NoSuchDeadline(deadline)),
                    // At a referral step only its own deadline runs (see `overdue`).
                    _ if step.is_some() => return Err(TransitionError::NoSuchDeadline(deadline)),
                    Deadline::Stage(n) if n == current => self.current().due,
                    Deadline::Overall => self
                        .overall_due
                        .ok_or(TransitionError::NoSuchDeadline(deadline))?,
                    Deadline::Stage(_) => return Err(TransitionError::NoSuchDeadline(deadline)),
                };
                let today = rules.local_date(at);
                if due >= today {
                    return Err(TransitionError::DeadlineNotPassed {
                        deadline,
                        due,
                        today,
                    });
                }
                if self.deadlines_passed.contains(&deadline) {
                    return Err(TransitionError::DeadlineAlreadyRecorded(deadline));
                }
                next.deadlines_passed.push(deadline);
                notifications = next.notifications(
                    rules,
                    Trigger::DeadlinePassed,
                    &Reason::DeadlinePassed(deadline),
                );
            }
        }
        crate::agreement::lapse_if_ended(self, &mut next, at);
        Ok(Transition {
            state: next,
            notifications,
        })
    }

    pub(crate) fn close(
        &mut self,
        rules: Rules<'_>,
        at: Timestamp,
        status: Status,
    ) -> Vec<Notification> {
        // A stage left for a referral step ended then; so does an open referral step now.
        self.current_mut().ended_at.get_or_insert(at);
        if let Some(step) = self.referrals.last_mut() {
            step.ended_at.get_or_insert(at);
        }
        self.closed_at = Some(at);
        let closed_as = status.closed_as();
        self.status = status;
        match closed_as {
            Some(c) => self.notifications(rules, Trigger::Closed, &Reason::Closed(c)),
            None => Vec::new(),
        }
    }

    /// The notifications the procedure's rules call for on `trigger`, given where the
    /// escalation now is.
    fn notifications(
        &self,
        rules: Rules<'_>,
        trigger: Trigger,
        reason: &Reason,
    ) -> Vec<Notification> {
        self.notifications_for(rules, |rule| rule.on == trigger, reason)
    }

    /// The notifications of the rules `fires` picks, given where the escalation now is.
    pub(crate) fn notifications_for(
        &self,
        rules: Rules<'_>,
        fires: impl Fn(&NotificationRule) -> bool,
        reason: &Reason,
    ) -> Vec<Notification> {
        let stage = self.current_stage();
        let mut out: Vec<Notification> = Vec::new();
        for rule in &rules.procedure.notifications {
            if !fires(rule) || stage < rule.from_stage {
                continue;
            }
            if !rule.child_status.is_empty() {
                let Subject::Child { status } = self.subject else {
                    continue;
                };
                if !rule.child_status.contains(&status) {
                    continue;
                }
            }
            if !rule.categories.is_empty() && !rule.categories.contains(&self.category) {
                continue;
            }
            let notification = Notification {
                to: rule.to,
                reason: reason.clone(),
                stage,
                // A thematic escalation has no child to describe.
                child_details: rule.child_details && matches!(self.subject, Subject::Child { .. }),
                address: rule.address.clone(),
            };
            if !out.contains(&notification) {
                out.push(notification);
            }
        }
        out
    }
}
