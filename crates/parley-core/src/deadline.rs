//! Deadlines: when each stage and the whole escalation are due, from a procedure's timescales
//! and a working-day calendar (DESIGN.md §5).

use jiff::civil::Date;

use crate::calendar::{BankHolidays, Calendar, CalendarError, WorkingDays};
use crate::names::{Anchor, RouteKind};
use crate::procedure::{CapLimit, Procedure, Stage, StageNumber, Timescale};

/// The working-day calendar a procedure runs on: its division's bank holidays plus its own
/// closure days.
pub fn calendar_for(
    procedure: &Procedure,
    holidays: &BankHolidays,
) -> Result<Calendar, CalendarError> {
    Calendar::new(
        procedure.calendar.region,
        holidays,
        &procedure.calendar.closure_days,
    )
}

/// When a stage is due: the earlier of its own timescale and the overall deadline, where the
/// procedure has one (issue 14: no stage runs past the overall limit; see `cap.rs`).
///
/// - a per-stage timescale counts from the day the stage started;
/// - a cumulative one (Dorset) counts from the escalation's Day One (`day_one.rs`: the day it
///   was raised, or the date of the decision to raise it), also when the escalation entered
///   at a later stage (DESIGN.md §5);
/// - an agreed one counts the agreed number of working days (or, until one is agreed, the
///   maximum) from the day the stage started.
pub fn stage_due(
    procedure: &Procedure,
    calendar: &Calendar,
    stage: &Stage,
    started_on: Date,
    day_one: Date,
    agreed: Option<WorkingDays>,
) -> Result<Date, CalendarError> {
    let rule = procedure.counting;
    let own = match stage.timescale {
        Timescale::Fixed {
            working_days,
            from: Anchor::StageStart,
        } => calendar.due(rule, started_on, working_days),
        Timescale::Fixed {
            working_days,
            from: Anchor::DayOne,
        } => calendar.due(rule, day_one, working_days),
        Timescale::Agreed { max } => calendar.due(rule, started_on, agreed.unwrap_or(max)),
    }?;
    Ok(governing(own, overall_due(procedure, calendar, day_one)?))
}

/// The date that governs a stage: its own due date, or the overall one when that is earlier
/// (issue 14, item 1: no stage runs past the overall limit).
pub fn governing(own: Date, overall: Option<Date>) -> Date {
    overall.map_or(own, |o| own.min(o))
}

/// When the whole escalation is due, if the procedure caps it (Buckinghamshire 2.4.24:
/// "15 days maximum"; Sunderland: "within a month"), counted from its Day One (the day it was
/// raised, where the procedure takes no decision date).
pub fn overall_due(
    procedure: &Procedure,
    calendar: &Calendar,
    day_one: Date,
) -> Result<Option<Date>, CalendarError> {
    match procedure.overall.as_ref().map(|o| o.limit) {
        None => Ok(None),
        Some(CapLimit::WorkingDays(n)) => calendar.due(procedure.counting, day_one, n).map(Some),
        Some(CapLimit::Months(m)) => calendar.within_months(day_one, m).map(Some),
    }
}

/// The deadlines of an escalation if every stage runs to its deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub raised: Date,
    pub route: RouteKind,
    pub stages: Vec<TimelineStage>,
    pub overall_due: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineStage {
    pub number: StageNumber,
    pub title: String,
    pub starts: Date,
    pub due: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    #[error("procedure \"{procedure}\" has no {route} route; its routes: {}", .known.join(", "))]
    NoSuchRoute {
        procedure: String,
        route: RouteKind,
        known: Vec<&'static str>,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// The timeline from the route's entry stage to the last stage, each stage starting on the
/// previous stage's due date (which is never after the overall deadline). `raised` is the
/// escalation's Day One: the first stage starts on it and every timescale counts from it.
pub fn timeline(
    procedure: &Procedure,
    calendar: &Calendar,
    raised: Date,
    route: RouteKind,
) -> Result<Timeline, TimelineError> {
    let entry = procedure
        .route(route)
        .ok_or_else(|| TimelineError::NoSuchRoute {
            procedure: procedure.id.to_string(),
            route,
            known: procedure.routes.iter().map(|r| r.kind.as_str()).collect(),
        })?
        .entry_stage;
    let mut stages = Vec::new();
    let mut starts = raised;
    for stage in procedure.stages.iter().filter(|s| s.number >= entry) {
        let due = stage_due(procedure, calendar, stage, starts, raised, None)?;
        stages.push(TimelineStage {
            number: stage.number,
            title: stage.title.clone(),
            starts,
            due,
        });
        starts = due;
    }
    Ok(Timeline {
        raised,
        route,
        stages,
        overall_due: overall_due(procedure, calendar, raised)?,
    })
}
