//! Meetings as records (issue 14, item 6), for pages and the API alike: arranging one (date
//! and time in the procedure's time zone, a chair, the people and agencies invited) and
//! recording it once held (who attended, its outcome and actions).
//!
//! Who sees a meeting: whoever sees the escalation (`access`); its outcome and actions are read
//! by the business team, so they are checked like every such text (`free_text`). People
//! invited who are not otherwise involved are not given the escalation: the access rules give
//! it to those who took part in a stage, and an invitation alone is not that (Parley default).

use jiff::Timestamp;
use jiff::civil::DateTime;
use parley_core::escalation::Escalation;
use parley_core::meeting::{Meeting, meeting_due};
use parley_core::procedure::Procedure;
use serde::Serialize;

use super::escalation::{Choice, Loaded, sentence};
use super::{Context, Deadline};

/// A meeting as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    /// 1 for the escalation's first arranged meeting: send it back to record it.
    pub number: u32,
    pub stage: i64,
    /// When it is (to be) held, microseconds since the epoch, and in words.
    pub held_at_us: i64,
    pub held_at_text: String,
    pub chair: Option<String>,
    pub invited_people: Vec<String>,
    pub invited_agencies: Vec<String>,
    /// Whether it has been recorded; the rest is `None`/empty until then.
    pub recorded: bool,
    pub attended_people: Vec<String>,
    pub attended_agencies: Vec<String>,
    pub outcome: Option<String>,
    pub actions: Option<String>,
}

/// The meeting the current stage is built around, and the date by which it must be held
/// (Solihull stage 4: "within a maximum of 3 working days of Stage 3").
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageMeetingView {
    pub title: String,
    pub held_by: Option<Deadline>,
}

pub fn views(ctx: &Context, loaded: &Loaded) -> Vec<MeetingView> {
    let name = |id: &String| ctx.directory.name(id);
    let agency = |id: &String| ctx.agency_name(id, &loaded.agencies);
    loaded
        .state
        .meetings
        .iter()
        .map(|m: &Meeting| {
            let record = m.record.as_ref().map(|(_, r)| r);
            MeetingView {
                number: m.number,
                stage: i64::from(m.stage.get()),
                held_at_us: m.plan.held_at.as_microsecond(),
                held_at_text: when(
                    &loaded.ctx.rules.procedure.calendar.time_zone,
                    m.plan.held_at,
                ),
                chair: m.plan.chair.as_ref().map(name),
                invited_people: m.plan.invited_people.iter().map(name).collect(),
                invited_agencies: m.plan.invited_agencies.iter().map(agency).collect(),
                recorded: record.is_some(),
                attended_people: record
                    .map(|r| r.attended_people.iter().map(name).collect())
                    .unwrap_or_default(),
                attended_agencies: record
                    .map(|r| r.attended_agencies.iter().map(agency).collect())
                    .unwrap_or_default(),
                outcome: record.map(|r| r.outcome.clone()),
                actions: record.map(|r| r.actions.clone()).filter(|a| !a.is_empty()),
            }
        })
        .collect()
}

/// The current stage's own meeting, if the procedure gives it one.
pub fn stage_meeting(ctx: &Context, p: &Procedure, state: &Escalation) -> Option<StageMeetingView> {
    let current = state.current();
    let stage = p.stage(current.number)?;
    let spec = stage.meeting.as_ref()?;
    let open = state.status.is_open() && state.at_referral().is_none();
    let due = meeting_due(p, &ctx.rules.calendar, stage, current.started_on)
        .ok()
        .flatten();
    Some(StageMeetingView {
        title: spec.title.clone(),
        held_by: due.map(|d| ctx.deadline(d, open)),
    })
}

/// "Tuesday 1 December 2026 at 9:30am" in the procedure's time zone.
pub fn when(tz: &jiff::tz::TimeZone, at: Timestamp) -> String {
    let z = at.to_zoned(tz.clone());
    let hour = z.hour();
    let (h12, ampm) = match hour {
        0 => (12, "am"),
        1..=11 => (hour, "am"),
        12 => (12, "pm"),
        _ => (hour - 12, "pm"),
    };
    format!(
        "{} at {}:{:02}{}",
        z.strftime("%A %-d %B %Y"),
        h12,
        z.minute(),
        ampm
    )
}

/// Reads `YYYY-MM-DDTHH:MM` as a local time in the procedure's time zone.
pub fn parse_local(tz: &jiff::tz::TimeZone, text: &str) -> Option<Timestamp> {
    let dt: DateTime = text.trim().parse().ok()?;
    dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

/// The people a meeting may name: the partnership's active people, with their agency.
pub fn people_choices(loaded: &Loaded) -> Vec<Choice> {
    let ctx = &loaded.ctx;
    let mut people: Vec<Choice> = ctx
        .directory
        .people
        .values()
        .filter(|p| p.active)
        .map(|p| Choice {
            value: p.id.clone(),
            label: p.name.clone(),
            hint: Some(match p.agency_id.as_deref() {
                Some(a) => format!("{}, {}", p.job_title, ctx.agency_name(a, &loaded.agencies)),
                None => sentence(&p.job_title),
            }),
        })
        .collect();
    people.sort_by(|a, b| a.label.cmp(&b.label).then(a.value.cmp(&b.value)));
    people
}

pub fn agency_choices(loaded: &Loaded) -> Vec<Choice> {
    loaded
        .agencies
        .iter()
        .map(|a| Choice {
            value: a.id.clone(),
            label: a.name.clone(),
            hint: None,
        })
        .collect()
}

/// The meetings not yet recorded, to choose from when recording one.
pub fn unrecorded(loaded: &Loaded) -> Vec<Choice> {
    let tz = &loaded.ctx.rules.procedure.calendar.time_zone;
    loaded
        .state
        .meetings
        .iter()
        .filter(|m| m.record.is_none())
        .map(|m| Choice {
            value: m.number.to_string(),
            label: format!("Meeting on {}", when(tz, m.plan.held_at)),
            hint: Some(format!("Arranged at stage {}", m.stage)),
        })
        .collect()
}

/// Whether every person and agency named is the partnership's: the first that is not, as a
/// message.
pub fn check_names(
    loaded: &Loaded,
    people: &[&String],
    agencies: &[&String],
) -> Result<(), String> {
    for p in people {
        if !loaded
            .ctx
            .directory
            .people
            .get(p.as_str())
            .is_some_and(|p| p.active)
        {
            return Err("Select people of the partnership from the list".to_owned());
        }
    }
    for a in agencies {
        if !loaded.agencies.iter().any(|x| &x.id == *a) {
            return Err("Select agencies of the partnership from the list".to_owned());
        }
    }
    Ok(())
}

/// The meetings of open escalation `row` not yet recorded that `person` is invited to or
/// chairs, in words (for My work).
pub async fn invited_to(
    state: &crate::app::AppState,
    ctx: &Context,
    person: &str,
    row: &parley_store::rows::EscalationRow,
) -> Result<Vec<String>, crate::error::AppError> {
    let read = state
        .records
        .escalation_read(row, ctx.config_version)
        .await?;
    let tz = &ctx.rules.procedure.calendar.time_zone;
    Ok(read
        .state
        .meetings
        .iter()
        .filter(|m| m.record.is_none())
        .filter(|m| {
            m.plan.chair.as_deref() == Some(person)
                || m.plan.invited_people.iter().any(|p| p == person)
        })
        .map(|m| format!("Meeting {}: {}", m.number, when(tz, m.plan.held_at)))
        .collect())
}
