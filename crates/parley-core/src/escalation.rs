//! The escalation state machine: events in, state out. Pure: the procedure, the calendar and
//! the time of each event are arguments. An event that the procedure does not allow in the
//! current state is a typed error and changes nothing.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::agreement::{AgreementError, Dissent, Proposal, ProposalState};
use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::deadline::{overall_due, stage_due};
use crate::meeting::{Meeting, MeetingPlan, MeetingRecord};
use crate::names::{
    Actor, ChildStatus, ClosedAs, Party, Recipient, RedirectionKind, Resolution, RouteKind, Side,
    Trigger,
};
use crate::partnership_form::SentForm;
use crate::procedure::{NotificationRule, Procedure, StageNumber};

/// What the escalation is about: a child (with minimal status only) or a thematic issue with
/// no child (DESIGN.md §6: thematic escalations have no child).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Child { status: ChildStatus },
    Thematic,
}

/// A deadline of an escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Deadline {
    Stage(StageNumber),
    Overall,
    /// The referral step with this number (1 for the escalation's first referral), where its
    /// referral has a timescale (issue 14, item 5).
    Referral(u8),
}

/// Something that happened to an escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A challenge was raised: by route (which fixes the entry stage), about a child or a theme.
    Raised {
        route: RouteKind,
        subject: Subject,
        category: String,
        /// The date of the decision to raise it, where the procedure counts from it (Dorset
        /// §4); `None` otherwise.
        decided_on: Option<Date>,
    },
    /// Fields of a stage record were written (Sunderland proforma: actions taken, outcome,
    /// learning identified). A later write of the same field supersedes the earlier one.
    StageRecordUpdated {
        stage: StageNumber,
        fields: Vec<(String, String)>,
    },
    /// The timescale for the current stage was agreed (Sunderland: at most 5 working days).
    TimescaleAgreed { working_days: WorkingDays },
    /// The escalation moved to the next stage.
    Escalated,
    /// A professionals' meeting was convened (Solihull §5: at any stage). Stored before
    /// meetings were records: a meeting with no details. New meetings are
    /// [`Event::MeetingArranged`].
    ProfessionalsMeetingConvened,
    /// A meeting was arranged at the current stage (issue 14, item 6).
    MeetingArranged(MeetingPlan),
    /// What an arranged meeting was, recorded once it has been held.
    MeetingRecorded { meeting: u32, record: MeetingRecord },
    /// The disagreement was resolved by the turn of events. Resolving by agreement and with
    /// the disagreement recorded are [`Event::AgreementConfirmed`] and
    /// [`Event::DisagreementRecorded`] (issue 14, item 2): a new `Resolved` with either is
    /// refused.
    Resolved { resolution: Resolution },
    /// A resolution recorded by one person, as stored before agreement took both sides and a
    /// recorded disagreement its dissent statement (issue 14, item 2). A stored one still
    /// replays as closed; the records write none now.
    ResolvedUnconfirmed { resolution: Resolution },
    /// One side proposes an agreement: to resolve the disagreement, or a timescale agreed with
    /// a person (`crate::agreement`).
    AgreementProposed { proposal: Proposal, by: Side },
    /// The party the proposal awaits confirms it: it takes effect.
    AgreementConfirmed { by: Party },
    /// The party the proposal awaits refuses it (the reason is the event's): nothing changes.
    AgreementRefused { by: Party },
    /// The side that proposed withdraws its proposal.
    ProposalWithdrawn { by: Side },
    /// Resolved with the disagreement recorded, with the dissent statement.
    DisagreementRecorded(Dissent),
    /// Referred on beyond the procedure, closing it: how referrals were stored before
    /// referral steps (issue 14, item 5). A stored one still replays as closed; new referrals
    /// are [`Event::ReferralMade`].
    ReferredOn { referral: String },
    /// Referred on to a referral step (Sunderland: Independent Scrutineer, then an
    /// inspectorate); the escalation stays open at the step until its outcome is recorded.
    ReferralMade { referral: String },
    /// What came of the referral step the escalation is at; closes it as referred on.
    ReferralOutcomeRecorded { outcome: String },
    /// The raiser withdrew it.
    Withdrawn,
    /// It belongs to another procedure (complaint, LADO, whistleblowing, immediate risk).
    Redirected { kind: RedirectionKind },
    /// A deadline passed without the stage or escalation closing; recorded by a sweep.
    DeadlinePassed { deadline: Deadline },
    /// A reminder of a running deadline, recorded by the deadline monitor on its reminder
    /// day, `before` working days ahead of it (issue 15; `reminder.rs`): once per deadline
    /// and `before`, and only while the deadline has not passed.
    DeadlineApproaching {
        deadline: Deadline,
        before: WorkingDays,
    },
    /// A person was appointed to it in a partnership role (issue 14, item 4; Solihull stage 4:
    /// "allocate a Chair of sufficient seniority, who is independent of the case").
    Appointed { role: Actor, person: String },
    /// The partnership form was sent, or sent again updated (`partnership_form.rs`).
    PartnershipFormSent { answers: Vec<(String, String)> },
}

impl Event {
    /// The event's name, as stored and shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Raised { .. } => "raised",
            Event::StageRecordUpdated { .. } => "stage-record-updated",
            Event::TimescaleAgreed { .. } => "timescale-agreed",
            Event::Escalated => "escalated",
            Event::ProfessionalsMeetingConvened => "professionals-meeting-convened",
            Event::MeetingArranged(_) => "meeting-arranged",
            Event::MeetingRecorded { .. } => "meeting-recorded",
            Event::Resolved { .. } | Event::ResolvedUnconfirmed { .. } => "resolved",
            Event::AgreementProposed { .. } => "agreement-proposed",
            Event::AgreementConfirmed { .. } => "agreement-confirmed",
            Event::AgreementRefused { .. } => "agreement-refused",
            Event::ProposalWithdrawn { .. } => "proposal-withdrawn",
            Event::DisagreementRecorded(_) => "disagreement-recorded",
            Event::ReferredOn { .. } => "referred-on",
            Event::ReferralMade { .. } => "referral-made",
            Event::ReferralOutcomeRecorded { .. } => "referral-outcome-recorded",
            Event::Withdrawn => "withdrawn",
            Event::Redirected { .. } => "redirected",
            Event::DeadlinePassed { .. } => "deadline-passed",
            Event::DeadlineApproaching { .. } => "deadline-approaching",
            Event::Appointed { .. } => "appointed",
            Event::PartnershipFormSent { .. } => "partnership-form-sent",
        }
    }
}

/// Where an escalation stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Resolved(Resolution),
    ReferredOn(String),
    Withdrawn,
    Redirected(RedirectionKind),
}

impl Status {
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Open)
    }

    /// A short name: `open`, `resolved`, `referred-on`, `withdrawn`, `redirected`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved(_) => "resolved",
            Status::ReferredOn(_) => "referred-on",
            Status::Withdrawn => "withdrawn",
            Status::Redirected(_) => "redirected",
        }
    }

    /// How it closed, as a notification names it; `None` while it is open.
    pub fn closed_as(&self) -> Option<ClosedAs> {
        match self {
            Status::Open => None,
            Status::Resolved(_) => Some(ClosedAs::Resolved),
            Status::ReferredOn(_) => Some(ClosedAs::ReferredOn),
            Status::Withdrawn => Some(ClosedAs::Withdrawn),
            Status::Redirected(_) => Some(ClosedAs::Redirected),
        }
    }
}

/// One stage as it ran (or is running).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageState {
    pub number: StageNumber,
    pub started_at: Timestamp,
    pub started_on: Date,
    pub due: Date,
    /// The timescale agreed at the stage, where the procedure has it agreed.
    pub agreed: Option<WorkingDays>,
    pub ended_at: Option<Timestamp>,
    /// Record fields in the order first written; the latest text of each.
    pub record: Vec<(String, String)>,
    pub meetings: Vec<Timestamp>,
}

/// A referral step as it ran (or is running).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralStep {
    /// The procedure's referral id.
    pub referral: String,
    pub started_at: Timestamp,
    pub started_on: Date,
    /// Where the referral has a timescale.
    pub due: Option<Date>,
    pub ended_at: Option<Timestamp>,
    /// What came of it, once recorded.
    pub outcome: Option<String>,
}

/// An escalation's state, built only by applying events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    pub route: RouteKind,
    pub subject: Subject,
    pub category: String,
    pub raised_at: Timestamp,
    /// The local date it was raised.
    pub raised_on: Date,
    /// The date its timescales count from: the day it was raised, or the date of the
    /// decision to raise it where the procedure says so (`day_one.rs`; Dorset §4).
    pub day_one: Date,
    /// Every stage entered, in order; the last is the current one.
    pub stages: Vec<StageState>,
    pub overall_due: Option<Date>,
    pub status: Status,
    pub closed_at: Option<Timestamp>,
    /// Buckinghamshire 2.4.11: resolved by the turn of events but still being seen through.
    pub resolved_by_events_at: Option<Timestamp>,
    /// Deadlines already recorded as passed.
    pub deadlines_passed: Vec<Deadline>,
    /// The reminders recorded (issue 15): each deadline with how many working days before it
    /// the reminder went.
    pub reminders_sent: Vec<(Deadline, WorkingDays)>,
    /// The referral steps it went to, in order (issue 14, item 5); the last one is open while
    /// the escalation is open at it.
    pub referrals: Vec<ReferralStep>,
    /// The meetings arranged, in order (issue 14, item 6).
    pub meetings: Vec<Meeting>,
    /// How many events have been applied: the version an action is based on.
    pub version: u64,
    pub last_event_at: Timestamp,
    /// Who is appointed to it, in which partnership role (`appointment.rs`).
    pub appointed: Vec<(Actor, String)>,
    /// Each sending of the partnership form, oldest first (`partnership_form.rs`).
    pub partnership_forms: Vec<SentForm>,
    /// The agreements proposed, in order; the last awaits an answer while it has none
    /// (`agreement.rs`).
    pub proposals: Vec<ProposalState>,
    /// The dissent statement it was resolved with, when the disagreement was recorded.
    pub dissent: Option<Dissent>,
}

/// Why a notification is sent. Stored as text (`reason.rs`: [`Reason::as_stored`] and
/// [`Reason::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Raised,
    StageEntered(StageNumber),
    DeadlinePassed(Deadline),
    /// A reminder that the deadline is near (issue 15).
    DeadlineApproaching(Deadline),
    Closed(ClosedAs),
}

/// A notification a transition calls for, as a value; sending it is someone else's job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub to: Recipient,
    pub reason: Reason,
    /// The stage the escalation is at.
    pub stage: StageNumber,
    /// Whether the child's details may be included.
    pub child_details: bool,
    pub address: Option<String>,
}

/// The result of an allowed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub state: Escalation,
    pub notifications: Vec<Notification>,
}

/// An event the procedure does not allow now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the escalation has not been raised yet")]
    NotRaised,
    #[error("the escalation has already been raised")]
    AlreadyRaised,
    #[error("the escalation is closed ({0}); nothing more can happen to it")]
    Closed(&'static str),
    #[error("this event at {at} is earlier than the last one ({last})")]
    OutOfOrder { at: Timestamp, last: Timestamp },
    #[error("this procedure has no {route} route; its routes: {}", .known.join(", "))]
    NoSuchRoute {
        route: RouteKind,
        known: Vec<&'static str>,
    },
    #[error("a {route} escalation must be about {}", if *.child_required { "a child" } else { "a theme, with no child" })]
    SubjectDoesNotFitRoute {
        route: RouteKind,
        child_required: bool,
    },
    #[error("unknown category \"{given}\"; categories: {}", .known.join(", "))]
    UnknownCategory { given: String, known: Vec<String> },
    #[error("stage {stage} has not been reached; the escalation is at stage {current}")]
    StageNotReached {
        stage: StageNumber,
        current: StageNumber,
    },
    #[error("stage {stage} does not keep \"{field}\"; its record fields: {}", .allowed.join(", "))]
    UnknownRecordField {
        stage: StageNumber,
        field: String,
        allowed: Vec<String>,
    },
    #[error("a stage record update must write at least one field")]
    EmptyRecordUpdate,
    #[error("stage {stage} has a fixed timescale; only an agreed timescale can be agreed")]
    TimescaleNotAgreed { stage: StageNumber },
    #[error("{given} working days is longer than the {max} this stage allows")]
    AgreedTimescaleTooLong {
        given: WorkingDays,
        max: WorkingDays,
    },
    /// Issue 14, item 1: an agreed timescale cannot run past the overall deadline.
    #[error(
        "{given} working days would run past {}, when the whole escalation is due; {}",
        .overall_due.strftime("%A %-d %B %Y"),
        crate::cap::most_sentence(*.most)
    )]
    AgreedTimescalePastOverall {
        given: WorkingDays,
        overall_due: Date,
        most: u32,
    },
    #[error("stage {0} is the last stage; there is no further stage to escalate to")]
    NoFurtherStage(StageNumber),
    #[error("the procedure does not provide a professionals' meeting at stage {0}")]
    MeetingNotProvided(StageNumber),
    #[error("the procedure does not allow the outcome \"{given}\"; allowed: {}", .allowed.join(", "))]
    OutcomeNotAllowed {
        given: Resolution,
        allowed: Vec<&'static str>,
    },
    #[error("it has already been resolved by the turn of events and is being seen through")]
    AlreadyResolvedByEvents,
    #[error("unknown referral \"{given}\"; referrals: {}", if .known.is_empty() { "none in this procedure".to_owned() } else { .known.join(", ") })]
    UnknownReferral { given: String, known: Vec<String> },
    #[error(
        "a referral to {referral} is possible from stage {from}; the escalation is at stage {current}"
    )]
    ReferralTooEarly {
        referral: String,
        from: StageNumber,
        current: StageNumber,
    },
    #[error(
        "the escalation is with the {0} referral; record what came of it, or refer it on where the procedure allows"
    )]
    AtReferral(String),
    #[error("the escalation is not at a referral step")]
    NotAtReferral,
    #[error("the procedure does not allow a referral to {referral} after {after}; after it: {}", if .allowed.is_empty() { "none".to_owned() } else { .allowed.join(", ") })]
    ReferralNotAfter {
        referral: String,
        after: String,
        allowed: Vec<String>,
    },
    #[error("there is no meeting {0}")]
    NoSuchMeeting(u32),
    #[error("meeting {0} has already been recorded")]
    MeetingAlreadyRecorded(u32),
    #[error("meeting {meeting} is on {held_at}; it can be recorded once it has been held")]
    MeetingNotYetHeld { meeting: u32, held_at: Timestamp },
    #[error("a meeting's record must give its outcome")]
    EmptyMeetingOutcome,
    #[error("the outcome of a referral must say what came of it")]
    EmptyReferralOutcome,
    #[error("this procedure has no redirection for {0}")]
    NoSuchRedirection(RedirectionKind),
    #[error("the {deadline:?} deadline ({due}) has not passed on {today}")]
    DeadlineNotPassed {
        deadline: Deadline,
        due: Date,
        today: Date,
    },
    #[error("the {0:?} deadline is not one this escalation has now")]
    NoSuchDeadline(Deadline),
    #[error("the {0:?} deadline has already been recorded as passed")]
    DeadlineAlreadyRecorded(Deadline),
    #[error("the reminder {before} working day{} before the {deadline} (due {due}) is sent from {on}, not on {today}", if .before.get() == 1 { "" } else { "s" })]
    ReminderNotYet {
        deadline: Deadline,
        before: WorkingDays,
        due: Date,
        on: Date,
        today: Date,
    },
    #[error("the {deadline} (due {due}) has passed by {today}; it is too late for a reminder")]
    ReminderTooLate {
        deadline: Deadline,
        due: Date,
        today: Date,
    },
    #[error("the reminder {before} working day{} before the {deadline} has already been recorded", if .before.get() == 1 { "" } else { "s" })]
    ReminderAlreadySent {
        deadline: Deadline,
        before: WorkingDays,
    },
    #[error("this procedure provides no appointment of {role}; its appointments: {}", if .known.is_empty() { "none".to_owned() } else { .known.join(", ") })]
    NoSuchAppointment {
        role: Actor,
        known: Vec<&'static str>,
    },
    #[error("the {role} is appointed from stage {from}; the escalation is at stage {current}")]
    AppointmentTooEarly {
        role: Actor,
        from: StageNumber,
        current: StageNumber,
    },
    #[error("an appointment names nobody")]
    NoAppointee,
    #[error("that person is already appointed as {role}")]
    AlreadyAppointed { role: Actor },
    #[error("this procedure has no form to send to the partnership")]
    NoPartnershipForm,
    #[error("the partnership form is sent from stage {from}; the escalation is at stage {current}")]
    PartnershipFormTooEarly {
        from: StageNumber,
        current: StageNumber,
    },
    #[error("the partnership form has no field \"{field}\"; its fields: {}", .allowed.join(", "))]
    UnknownFormField { field: String, allowed: Vec<String> },
    #[error("the partnership form must have at least one answer")]
    EmptyPartnershipForm,
    #[error(transparent)]
    DayOne(#[from] crate::day_one::DayOneError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// What the machine needs to know: the procedure the escalation runs under and its calendar.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    pub procedure: &'a Procedure,
    pub calendar: &'a Calendar,
}

impl Rules<'_> {
    /// The local date of an instant in the procedure's time zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.procedure.calendar.time_zone.clone())
            .date()
    }
}

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
