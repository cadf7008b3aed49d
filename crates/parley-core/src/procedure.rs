//! A partnership's procedure as data: stages, leads, timescales, notifications, records,
//! categories, outcomes, referrals and redirections, read from a TOML file
//! (`docs/procedure-format.md`) and checked before use.

mod counting;
mod forms;
mod not_carried;
mod parse;
mod prompts;
mod reports;
#[cfg(test)]
mod test_support;

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::calendar::{CountingRule, Region, WorkingDays};
pub use crate::names::{
    Actor, Anchor, ChildStatus, RaiserRole, Recipient, RedirectionKind, ReferralLead, Resolution,
    Role, RouteKind, StageAction, Trigger,
};
pub use counting::DayOne;
pub use forms::{FormLayout, FormSpec};
pub use not_carried::{NotCarried, normalise_whitespace};
pub use parse::{Diagnostic, FORMAT_VERSION, ProcedureErrors, line_col, parse};
pub use prompts::{OLDEST_AGE, Prompt, age_on};
pub use reports::{ReportContent, ReportEvery, ReportSpec};

/// A procedure id: lowercase letters, digits and hyphens, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcedureId(String);

impl ProcedureId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (2..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(ProcedureId(s.to_owned()))
        } else {
            Err(format!(
                "procedure id \"{s}\" must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcedureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stage number: 1 for the first stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageNumber(u8);

impl StageNumber {
    pub const FIRST: StageNumber = StageNumber(1);

    pub fn new(n: i64) -> Option<Self> {
        (1..=99).contains(&n).then_some(StageNumber(n as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn next(self) -> StageNumber {
        StageNumber(self.0 + 1)
    }
}

impl fmt::Display for StageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A checked procedure. Built only by [`parse`].
#[derive(Clone, Debug)]
pub struct Procedure {
    pub id: ProcedureId,
    pub name: String,
    pub partnership: String,
    pub short_name: Option<String>,
    pub version: String,
    pub date: Date,
    pub source: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub calendar: CalendarSpec,
    pub counting: CountingRule,
    /// Which date is Day One, from which the timescales count (`[counting] day_one`).
    pub day_one: DayOne,
    pub overall: Option<OverallCap>,
    pub screening: Screening,
    pub routes: Vec<Route>,
    pub stages: Vec<Stage>,
    pub record_fields: Vec<Field>,
    pub partnership_form: Option<Form>,
    /// The forms printed as documents (`[[form]]`), in the file's order.
    pub forms: Vec<FormSpec>,
    pub notifications: Vec<NotificationRule>,
    pub categories: Vec<Field>,
    pub outcomes: Outcomes,
    pub referrals: Vec<Referral>,
    pub redirections: Vec<Redirection>,
    /// Who the business team (or whoever `by` names) appoints to an escalation, and when.
    pub appointments: Vec<Appointment>,
    /// What the document asks of people that Parley does not carry, in the document's order.
    pub not_carried: Vec<NotCarried>,
    /// Where the procedure invites compliments for good multi-agency work (Dorset §2).
    pub compliments: Option<Compliments>,
    /// What the people involved are shown when a condition holds (`[[prompt]]`).
    pub prompts: Vec<Prompt>,
    /// The reports the document calls for, and how often (`[[report]]`), in the file's order.
    pub reports: Vec<ReportSpec>,
}

/// The procedure's invitation to compliment good practice (`[compliments]`).
#[derive(Clone, Debug)]
pub struct Compliments {
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct CalendarSpec {
    pub region: Region,
    pub time_zone_name: String,
    pub time_zone: TimeZone,
    pub closure_days: Vec<Date>,
}

/// The overall cap on an escalation, counted from the day it was raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverallCap {
    pub limit: CapLimit,
    pub text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapLimit {
    /// Buckinghamshire 2.4.24: "15 days maximum".
    WorkingDays(WorkingDays),
    /// Sunderland: "The process should be completed within a month".
    Months(u8),
}

impl fmt::Display for CapLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapLimit::WorkingDays(n) => write!(f, "{n} working day{}", plural(n.get())),
            CapLimit::Months(1) => f.write_str("one month"),
            CapLimit::Months(m) => write!(f, "{m} months"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Screening {
    pub immediate_risk: String,
    pub before_raising: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub kind: RouteKind,
    pub entry_stage: StageNumber,
    pub description: Option<String>,
    /// Whose role lets them raise on this route (Dorset §1: strategic concerns are "identified
    /// by senior leaders"). Parley default: every raising role.
    pub raised_by: Vec<RaiserRole>,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub number: StageNumber,
    pub title: String,
    pub leads: Vec<Role>,
    pub lead_title: Option<String>,
    pub guidance: String,
    pub timescale: Timescale,
    pub timescale_text: Option<String>,
    /// Whom an agreed timescale is agreed with (`agreed_with`, issue 14, item 2): the raiser
    /// or the receiver. Such a timescale is proposed, and takes effect only once that person
    /// confirms it (Sunderland step 2: "within an agreed timescale with the practitioner
    /// raising the concern"). Only with [`Timescale::Agreed`].
    pub agreed_with: Option<Actor>,
    /// Ids of the record fields kept at this stage.
    pub record: Vec<String>,
    pub professionals_meeting: bool,
    /// A meeting the stage is built around, with the time within which it must be held
    /// (Solihull stage 4: "a meeting of senior managers ... within a maximum of 3 working days
    /// of Stage 3"; issue 14, item 6). A stage with one also provides meetings.
    pub meeting: Option<MeetingSpec>,
    /// Who may take each action at this stage (`[stage.may]`), every action filled in.
    pub may: May,
}

/// The meeting a stage is built around.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingSpec {
    pub title: String,
    /// Held within this many working days of the stage's start, counted like a stage timescale.
    pub within: Option<WorkingDays>,
}

impl Stage {
    /// Whether meetings can be arranged at this stage.
    pub fn provides_meeting(&self) -> bool {
        self.professionals_meeting || self.meeting.is_some()
    }
}

/// Who may take each action at a stage. Actions a file leaves out take [`May::default_for`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct May(pub std::collections::BTreeMap<StageAction, Vec<Actor>>);

impl May {
    /// Parley default, today's rule when a procedure does not say: the raiser, the receiver,
    /// the stage's named officers and their line managers act; withdrawing and redirecting are
    /// the raising side's (the raiser, its officer, their managers).
    pub fn default_for(action: StageAction) -> Vec<Actor> {
        if action.raising_side_only() {
            vec![Actor::Raiser, Actor::StageLeads, Actor::Managers]
        } else {
            vec![
                Actor::Raiser,
                Actor::Receiver,
                Actor::StageLeads,
                Actor::Managers,
            ]
        }
    }

    /// Every action at its default.
    pub fn defaults() -> May {
        May(StageAction::ALL
            .iter()
            .map(|a| (*a, May::default_for(*a)))
            .collect())
    }

    /// Who may take `action`.
    pub fn who(&self, action: StageAction) -> &[Actor] {
        self.0.get(&action).map_or(&[], Vec::as_slice)
    }

    /// Whether someone acting as any of `actors` may take `action`.
    pub fn allows(&self, action: StageAction, actors: &[Actor]) -> bool {
        self.who(action).iter().any(|a| actors.contains(a))
    }
}

/// A person the procedure has appointed to an escalation in a partnership role (Solihull
/// stage 4: "allocate a Chair of sufficient seniority, who is independent of the case").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    /// One of the appointed actors ([`Actor::is_appointed`]).
    pub role: Actor,
    /// The stage from which the appointment is made.
    pub stage: StageNumber,
    /// Who appoints.
    pub by: Vec<Actor>,
    /// Whether the appointee sees the child's details and the case as put.
    pub child_details: bool,
    pub text: Option<String>,
}

impl Stage {
    /// The stage as named in a sentence or a list (issue 14, item 9: never "Stage 1: Stage 1").
    pub fn name(&self) -> String {
        stage_name(self.number, &self.title)
    }
}

/// A stage as named: its title where the title already says which stage it is (Sunderland's
/// "Step 1: ...", Dorset's "Stage One ...", Buckinghamshire's "Stage 1: ..."), else
/// "Stage N: title".
pub fn stage_name(n: StageNumber, title: &str) -> String {
    let lower = title.trim_start().to_lowercase();
    if lower.starts_with("stage") || lower.starts_with("step") {
        title.to_owned()
    } else {
        format!("Stage {n}: {title}")
    }
}

/// How long a stage may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timescale {
    /// N working days, counted from the anchor.
    Fixed {
        working_days: WorkingDays,
        from: Anchor,
    },
    /// A timescale agreed at the stage, at most `max` working days from its start
    /// (Sunderland: "Timescales, not exceeding 5 working days, should be agreed for each stage").
    Agreed { max: WorkingDays },
}

impl fmt::Display for Timescale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timescale::Fixed {
                working_days,
                from: Anchor::StageStart,
            } => {
                write!(
                    f,
                    "{working_days} working day{} from the start of the stage",
                    plural(working_days.get())
                )
            }
            Timescale::Fixed {
                working_days,
                from: Anchor::DayOne,
            } => {
                write!(f, "by working day {working_days} counted from Day One")
            }
            Timescale::Agreed { max } => {
                write!(
                    f,
                    "agreed at the stage, at most {max} working day{}",
                    plural(max.get())
                )
            }
        }
    }
}

/// A labelled field: a stage-record field, a partnership-form field or a category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
    /// A stage-record field that holds the learning identified (`learning = true`; issue 14,
    /// item 8; Solihull §6: "details should be forwarded to the Solihull SSCP Business Manager").
    pub learning: bool,
}

#[derive(Clone, Debug)]
pub struct Form {
    pub title: String,
    pub guidance: Option<String>,
    pub fields: Vec<Field>,
    /// For the partnership form: sent from this stage on (Croydon Appendix A: "submitted at
    /// Stage 3 and subsequently updated if Stage 4 and 5 are used").
    pub from_stage: StageNumber,
    /// For the partnership form: the field which, filled in, asks the partnership for a
    /// meeting it leads (Croydon Appendix A: "this section must be completed to request a
    /// CSCB led Dispute Resolution Meeting").
    pub meeting_request: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NotificationRule {
    pub to: Recipient,
    pub on: Trigger,
    /// For a reminder (`on = "deadline-approaching"`, and only then): how many working days
    /// before each running deadline it is sent (issue 15).
    pub before: Option<WorkingDays>,
    /// Only at this stage or later.
    pub from_stage: StageNumber,
    /// Only for a child with one of these statuses (empty: any escalation).
    pub child_status: Vec<ChildStatus>,
    /// Only for these categories (empty: any).
    pub categories: Vec<String>,
    /// Whether the notification may carry the child's details. Never for the partnership
    /// (Croydon Appendix A: "Do not include details of any child or family").
    pub child_details: bool,
    pub address: Option<String>,
    pub text: Option<String>,
}

impl NotificationRule {
    /// When it is sent, in words: `when a stage begins`, `1 working day before each deadline`.
    pub fn when(&self) -> String {
        match self.before {
            Some(n) => format!(
                "{n} working day{} before each deadline",
                if n.get() == 1 { "" } else { "s" }
            ),
            None => self.on.label().to_owned(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Outcomes {
    pub allowed: Vec<Resolution>,
    /// Buckinghamshire 2.4.11: when events resolve the dispute, the procedure is still
    /// seen through to the end.
    pub see_through_when_resolved_by_events: bool,
}

#[derive(Clone, Debug)]
pub struct Referral {
    pub id: String,
    pub label: String,
    /// The first stage from which the escalation may be referred here directly.
    pub from_stage: StageNumber,
    pub text: String,
    /// Who leads the referral step in Parley (the people of the partnership holding this
    /// role); `None` when it is led outside Parley (an inspectorate): then the parties record
    /// what came of it.
    pub lead: Option<ReferralLead>,
    /// How long the step may take, where the document gives a timescale.
    pub timescale: Option<WorkingDays>,
    /// The referrals that may follow this one while it is open (Sunderland: "If still
    /// unresolved and appropriate, the matter can then be referred to the relevant
    /// inspectorate").
    pub then: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Redirection {
    pub kind: RedirectionKind,
    pub text: String,
}

impl Procedure {
    pub fn stage(&self, number: StageNumber) -> Option<&Stage> {
        self.stages.get(usize::from(number.get()).checked_sub(1)?)
    }

    pub fn last_stage(&self) -> StageNumber {
        self.stages.last().map_or(StageNumber::FIRST, |s| s.number)
    }

    pub fn route(&self, kind: RouteKind) -> Option<&Route> {
        self.routes.iter().find(|r| r.kind == kind)
    }

    pub fn category(&self, id: &str) -> Option<&Field> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn record_field(&self, id: &str) -> Option<&Field> {
        self.record_fields.iter().find(|c| c.id == id)
    }

    pub fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.iter().find(|f| f.id == id)
    }

    pub fn report(&self, id: &str) -> Option<&ReportSpec> {
        self.reports.iter().find(|r| r.id == id)
    }

    pub fn referral(&self, id: &str) -> Option<&Referral> {
        self.referrals.iter().find(|r| r.id == id)
    }

    pub fn redirection(&self, kind: RedirectionKind) -> Option<&Redirection> {
        self.redirections.iter().find(|r| r.kind == kind)
    }

    /// The appointment of `role` the procedure provides for, if any.
    pub fn appointment(&self, role: Actor) -> Option<&Appointment> {
        self.appointments.iter().find(|a| a.role == role)
    }

    /// Who may take `action` at stage `n` (nobody at a stage that does not exist).
    pub fn may(&self, n: StageNumber, action: StageAction) -> &[Actor] {
        self.stage(n).map_or(&[], |s| s.may.who(action))
    }

    /// The partnership's display name: its short name if it has one.
    pub fn partnership_short(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.partnership)
    }
}

pub(crate) fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
