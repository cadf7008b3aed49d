//! The escalation state machine: events in, state out. Pure: the procedure, the calendar and
//! the time of each event are arguments. An event that the procedure does not allow in the
//! current state is a typed error and changes nothing.
//!
//! This file holds the state and the events; `machine` decides; the parts that extend the
//! machine have a file each: `agreement` (both sides agree), `appointment` (the final
//! stages' people), `cap` (the overall limit), `partnership_form` and `reminder`.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::agreement::{AgreementError, Dissent, Proposal, ProposalState};
use crate::calendar::{Calendar, CalendarError, WorkingDays};
use crate::meeting::{Meeting, MeetingPlan, MeetingRecord};
use crate::names::{
    Actor, ChildStatus, ClosedAs, Party, Recipient, RedirectionKind, Resolution, RouteKind, Side,
};
use crate::partnership_form::SentForm;
use crate::procedure::{Procedure, StageNumber};

mod machine;
pub use machine::*;

pub mod agreement;
pub mod appointment;
pub mod cap;
pub mod partnership_form;
pub mod reminder;

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

    /// Whether the deadline monitor records it on its own: a reminder, or a deadline recorded
    /// as passed. Neither changes a stage, the status or any record a person acts on (they
    /// only mark what the monitor has done, and what it sends), so a person's action based
    /// on the version before one still means what they meant: it is no conflict.
    pub fn is_monitor_record(&self) -> bool {
        matches!(
            self,
            Event::DeadlinePassed { .. } | Event::DeadlineApproaching { .. }
        )
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
    /// A report the procedure calls for (`[[report]]`, by its id) has fallen due for the
    /// period from `from` to `to` (issue 17: "the deadline monitor reminds the business team
    /// when one falls due"). About no escalation.
    ReportDue {
        report: String,
        from: Date,
        to: Date,
    },
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
