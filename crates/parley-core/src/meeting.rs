//! Meetings as records (issue 14, item 6): a professionals' meeting (Solihull §5), resolution
//! meeting (Sunderland step 3) or dispute resolution meeting (Croydon) is arranged with its
//! date and time, chair and invited people and agencies, and recorded afterwards with who
//! attended, its outcome and its actions. A `professionals-meeting-convened` event stored
//! before this replays as before: a meeting with no details (`StageState::meetings`).

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::{Calendar, CalendarError};
use crate::procedure::{Procedure, Stage, StageNumber};

/// A meeting as arranged. People are person ids, agencies agency ids: who they are is the
/// records' business, not the core's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingPlan {
    /// When it is (to be) held.
    pub held_at: Timestamp,
    pub chair: Option<String>,
    pub invited_people: Vec<String>,
    pub invited_agencies: Vec<String>,
}

/// What a meeting was, recorded after it was held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRecord {
    pub attended_people: Vec<String>,
    pub attended_agencies: Vec<String>,
    pub outcome: String,
    pub actions: String,
}

/// One meeting of an escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    /// 1 for the escalation's first arranged meeting.
    pub number: u32,
    /// The stage it was arranged at.
    pub stage: StageNumber,
    pub arranged_at: Timestamp,
    pub plan: MeetingPlan,
    /// When it was recorded, and what.
    pub record: Option<(Timestamp, MeetingRecord)>,
}

/// The date by which a stage's meeting must be held, where the procedure gives one (Solihull
/// stage 4: within 3 working days), counted from the stage's start like its timescale.
pub fn meeting_due(
    procedure: &Procedure,
    calendar: &Calendar,
    stage: &Stage,
    started_on: Date,
) -> Result<Option<Date>, CalendarError> {
    match stage.meeting.as_ref().and_then(|m| m.within) {
        Some(n) => calendar.due(procedure.counting, started_on, n).map(Some),
        None => Ok(None),
    }
}
