//! From events to query rows. The same code projects each event as it is appended and replays
//! the whole log when the projections are rebuilt, so the two cannot disagree.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::calendar::{BankHolidays, Calendar};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{Escalation, Notification, Rules, Status, Subject, decide};
use parley_core::procedure::{self, Procedure};
use parley_report::suppress::Threshold;
use sha2::{Digest, Sha256};

use crate::facts::{self, Written};
use crate::payload::{Payload, Raised};
use crate::rows::{
    AgencyRow, ComplimentRow, EscalationAppointmentRow, EscalationRow, FactsRow, NamedOfficerRow,
    Op, PartnershipRow, PersonRow, ProcedureRow, StageRow,
};
use crate::stream::Stream;

/// An event as the projector needs it.
#[derive(Clone, Debug)]
pub struct Fact<'a> {
    pub partnership_id: &'a str,
    pub stream: &'a str,
    pub at_us: i64,
    pub payload: &'a Payload,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("event for unknown partnership {0}")]
    UnknownPartnership(String),
    #[error("partnership {partnership} has no procedure version {version}")]
    UnknownProcedure { partnership: String, version: i64 },
    #[error("stored procedure does not parse: {0}")]
    Procedure(String),
    #[error("event for unknown escalation {0}")]
    UnknownEscalation(String),
    #[error("escalation event not on an escalation stream: {0}")]
    Stream(String),
    #[error(transparent)]
    Unreadable(#[from] crate::payload::Unreadable),
    #[error(transparent)]
    Transition(#[from] parley_core::escalation::TransitionError),
    #[error(transparent)]
    Calendar(#[from] parley_core::CalendarError),
    #[error("invalid date in a stored event: {0}")]
    Date(String),
}

#[derive(Clone, Debug)]
struct PartnershipState {
    row: PartnershipRow,
    procedures: HashMap<i64, Arc<Procedure>>,
    closure_days: Vec<Date>,
    /// The threshold of published reports, where the partnership set one (the default
    /// otherwise). In no query table: read from the partnership's stream like its
    /// procedures.
    report_threshold: Option<Threshold>,
    /// Calendars by procedure version, built on first use.
    calendars: HashMap<i64, Arc<Calendar>>,
}

#[derive(Clone, Debug)]
struct EscalationState {
    core: Escalation,
    row: EscalationRow,
    /// When each stage-record field was last written, for the learning's dates.
    written: Written,
    /// Its report facts as last written (written again only when they change).
    facts: FactsRow,
}

/// Everything projected so far, enough to project the next event.
#[derive(Clone, Debug)]
pub struct Projector {
    holidays: Arc<BankHolidays>,
    partnerships: HashMap<String, PartnershipState>,
    escalations: HashMap<String, EscalationState>,
}

fn escalation_id(name: &str) -> Result<String, ProjectError> {
    match name.parse::<Stream>() {
        Ok(Stream::Escalation(id)) => Ok(id),
        _ => Err(ProjectError::Stream(name.to_owned())),
    }
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Projector {
    pub fn new(holidays: Arc<BankHolidays>) -> Self {
        Projector {
            holidays,
            partnerships: HashMap::new(),
            escalations: HashMap::new(),
        }
    }

    /// The current state of an escalation, as projected.
    pub fn escalation(&self, id: &str) -> Option<(&Escalation, &EscalationRow)> {
        self.escalations.get(id).map(|e| (&e.core, &e.row))
    }

    /// The procedure (and its calendar) an escalation runs under.
    pub fn rules_for(
        &mut self,
        partnership_id: &str,
        version: i64,
    ) -> Result<(Arc<Procedure>, Arc<Calendar>), ProjectError> {
        let holidays = self.holidays.clone();
        let p = self
            .partnerships
            .get_mut(partnership_id)
            .ok_or_else(|| ProjectError::UnknownPartnership(partnership_id.to_owned()))?;
        let procedure =
            p.procedures
                .get(&version)
                .cloned()
                .ok_or_else(|| ProjectError::UnknownProcedure {
                    partnership: partnership_id.to_owned(),
                    version,
                })?;
        let calendar = match p.calendars.get(&version) {
            Some(c) => c.clone(),
            None => {
                let mut with_closures = (*procedure).clone();
                with_closures
                    .calendar
                    .closure_days
                    .extend(p.closure_days.iter().copied());
                let c = Arc::new(calendar_for(&with_closures, &holidays)?);
                p.calendars.insert(version, c.clone());
                c
            }
        };
        Ok((procedure, calendar))
    }

    /// Builds the calendar of every procedure version the partnership has adopted.
    pub fn build_calendars(&mut self, partnership_id: &str) -> Result<(), ProjectError> {
        let versions: Vec<i64> = self
            .partnerships
            .get(partnership_id)
            .map(|p| p.procedures.keys().copied().collect())
            .unwrap_or_default();
        for version in versions {
            self.rules_for(partnership_id, version)?;
        }
        Ok(())
    }

    /// The latest local date of `at` in the time zones of the partnership's procedure
    /// versions (one zone for every built-in procedure, Europe/London): the day the deadline
    /// monitor looks from. `None` for an unknown partnership or one with no procedure yet.
    pub fn local_today(&self, partnership_id: &str, at: Timestamp) -> Option<Date> {
        self.partnerships
            .get(partnership_id)?
            .procedures
            .values()
            .map(|p| at.to_zoned(p.calendar.time_zone.clone()).date())
            .max()
    }

    /// The threshold of the partnership's published reports, if it set one.
    pub fn report_threshold(&self, partnership_id: &str) -> Option<Threshold> {
        self.partnerships.get(partnership_id)?.report_threshold
    }

    /// The partnership's current procedure, if it has adopted one.
    pub fn procedure_now(&self, partnership_id: &str) -> Option<Arc<Procedure>> {
        let p = self.partnerships.get(partnership_id)?;
        p.procedures.get(&p.row.procedure_version).cloned()
    }

    /// The partnership's current procedure version.
    pub fn current_procedure(&self, partnership_id: &str) -> Option<i64> {
        self.partnerships
            .get(partnership_id)
            .map(|p| p.row.procedure_version)
    }

    /// Projects one event: the rows it changes and, for escalation events, the notifications
    /// the procedure calls for. An event that changes the partnership's configuration (its
    /// procedure, closure days, agencies, people or named officers) also moves the
    /// partnership's configuration version, which readers key their caches by.
    pub fn apply(&mut self, fact: &Fact<'_>) -> Result<(Vec<Op>, Vec<Notification>), ProjectError> {
        let (mut ops, notifications) = self.apply_event(fact)?;
        if ops.iter().any(Op::changes_configuration) {
            ops.push(Op::ConfigurationChanged {
                partnership_id: fact.partnership_id.to_owned(),
            });
        }
        Ok((ops, notifications))
    }

    fn apply_event(
        &mut self,
        fact: &Fact<'_>,
    ) -> Result<(Vec<Op>, Vec<Notification>), ProjectError> {
        let pid = fact.partnership_id;
        let at_us = fact.at_us;
        let mut ops = Vec::new();
        let mut notifications = Vec::new();
        match fact.payload {
            Payload::PartnershipCreated { name, short_name } => {
                let row = PartnershipRow {
                    id: pid.to_owned(),
                    name: name.clone(),
                    short_name: short_name.clone(),
                    procedure_id: String::new(),
                    procedure_version: 0,
                    closure_days: Vec::new(),
                    created_at_us: at_us,
                };
                ops.push(Op::Partnership(row.clone()));
                self.partnerships.insert(
                    pid.to_owned(),
                    PartnershipState {
                        row,
                        procedures: HashMap::new(),
                        closure_days: Vec::new(),
                        report_threshold: None,
                        calendars: HashMap::new(),
                    },
                );
            }
            Payload::ProcedureAdopted {
                version,
                procedure_id,
                source,
            } => {
                let parsed =
                    procedure::parse(source).map_err(|e| ProjectError::Procedure(e.to_string()))?;
                let p = self.partnership(pid)?;
                p.procedures.insert(*version, Arc::new(parsed));
                p.row.procedure_id.clone_from(procedure_id);
                p.row.procedure_version = *version;
                ops.push(Op::Procedure(ProcedureRow {
                    partnership_id: pid.to_owned(),
                    version: *version,
                    procedure_id: procedure_id.clone(),
                    source: source.clone(),
                    sha256: hex::encode(Sha256::digest(source.as_bytes())),
                    adopted_at_us: at_us,
                }));
                ops.push(Op::Partnership(p.row.clone()));
            }
            Payload::ClosureDaysSet { days } => {
                let mut dates = Vec::new();
                for d in days {
                    dates.push(
                        d.parse::<Date>()
                            .map_err(|_| ProjectError::Date(d.clone()))?,
                    );
                }
                let p = self.partnership(pid)?;
                p.closure_days = dates;
                p.calendars.clear();
                p.row.closure_days.clone_from(days);
                ops.push(Op::Partnership(p.row.clone()));
            }
            Payload::ReportThresholdSet { threshold } => {
                // Set only through `Threshold`: a value out of its range was not written by
                // Parley, and is unreadable rather than a default.
                let t = Threshold::new(*threshold).map_err(|e| {
                    crate::payload::Unreadable(format!("report threshold {threshold}: {e}"))
                })?;
                self.partnership(pid)?.report_threshold = Some(t);
            }
            // A report the procedure calls for fell due: the business team is reminded. In no
            // query table; the stream's last event says which period was reminded of.
            Payload::ReportDue { report, from, to } => {
                let date =
                    |d: &String| d.parse::<Date>().map_err(|_| ProjectError::Date(d.clone()));
                notifications.push(Notification {
                    to: parley_core::names::Recipient::PartnershipBusinessTeam,
                    reason: parley_core::escalation::Reason::ReportDue {
                        report: report.clone(),
                        from: date(from)?,
                        to: date(to)?,
                    },
                    // About no escalation: the column wants a stage, and nothing reads it.
                    stage: parley_core::StageNumber::FIRST,
                    // Croydon Appendix A: "Do not include details of any child or family".
                    child_details: false,
                    address: None,
                });
            }
            Payload::AgencyAdded {
                agency_id,
                name,
                sector,
            } => ops.push(Op::Agency(AgencyRow {
                id: agency_id.clone(),
                partnership_id: pid.to_owned(),
                name: name.clone(),
                sector: sector.clone(),
            })),
            Payload::PersonSaved {
                person_id,
                agency_id,
                name,
                email,
                job_title,
                roles,
                line_manager_id,
                active,
            } => ops.push(Op::Person(PersonRow {
                id: person_id.clone(),
                partnership_id: pid.to_owned(),
                agency_id: agency_id.clone(),
                name: name.clone(),
                email: email.clone(),
                job_title: job_title.clone(),
                roles: roles.clone(),
                line_manager_id: line_manager_id.clone(),
                active: *active,
            })),
            Payload::NamedOfficerSet {
                agency_id,
                stage,
                person_id,
            } => match person_id {
                Some(person) => {
                    ops.push(Op::NamedOfficer(NamedOfficerRow {
                        partnership_id: pid.to_owned(),
                        agency_id: agency_id.clone(),
                        stage: *stage,
                        person_id: person.clone(),
                    }));
                    // The new officer leads what is at their stage now, and nothing that left
                    // it before they were named; whoever they replace keeps their record.
                    ops.push(Op::OfficerNamed {
                        partnership_id: pid.to_owned(),
                        agency_id: agency_id.clone(),
                        stage: *stage,
                        person_id: person.clone(),
                        at_us,
                    });
                }
                None => ops.push(Op::RemoveNamedOfficer {
                    agency_id: agency_id.clone(),
                    stage: *stage,
                }),
            },
            Payload::ComplimentGiven {
                compliment_id,
                from_person_id,
                to_person_id,
                message,
            } => {
                ops.push(Op::Compliment(ComplimentRow {
                    id: compliment_id.clone(),
                    partnership_id: pid.to_owned(),
                    from_person_id: from_person_id.clone(),
                    to_person_id: to_person_id.clone(),
                    message: message.clone(),
                    given_at_us: at_us,
                }));
            }
            Payload::EscalationRaised(raised) => {
                let (procedure, calendar) = self.rules_for(pid, raised.procedure_version)?;
                let rules = Rules {
                    procedure: &procedure,
                    calendar: &calendar,
                };
                let event = fact
                    .payload
                    .to_core()?
                    .ok_or_else(|| ProjectError::Stream(fact.stream.to_owned()))?;
                let t = decide(None, rules, timestamp(at_us), event)?;
                let row = raised_row(pid, raised, &t.state, rules, at_us);
                ops.push(Op::Escalation(Box::new(row.clone())));
                if let Some(child) = &raised.child {
                    ops.push(Op::Child {
                        escalation_id: raised.escalation_id.clone(),
                        details: serde_json::to_string(child).unwrap_or_default(),
                    });
                }
                ops.push(Op::Case {
                    escalation_id: raised.escalation_id.clone(),
                    decision: raised.decision.clone(),
                    evidence: raised.evidence.clone(),
                    outcome_wanted: raised.outcome_wanted.clone(),
                });
                ops.extend(stage_rows(&raised.escalation_id, &t.state));
                ops.extend(stages_entered(&row, &[], &t.state, at_us));
                let written = Written::new();
                let facts = facts_row(&row, &t.state, &procedure, &written);
                ops.push(Op::Facts(Box::new(facts.clone())));
                notifications = t.notifications;
                self.escalations.insert(
                    raised.escalation_id.clone(),
                    EscalationState {
                        core: t.state,
                        row,
                        written,
                        facts,
                    },
                );
            }
            // An access record: in the chain, in no query table.
            Payload::ChildDetailsRead { .. } => {}
            other => {
                let Some(event) = other.to_core()? else {
                    return Ok((ops, notifications));
                };
                let id = escalation_id(fact.stream)?;
                let version = self
                    .escalations
                    .get(&id)
                    .ok_or_else(|| ProjectError::UnknownEscalation(id.clone()))?
                    .row
                    .procedure_version;
                let (procedure, calendar) = self.rules_for(pid, version)?;
                let rules = Rules {
                    procedure: &procedure,
                    calendar: &calendar,
                };
                let state = self
                    .escalations
                    .get_mut(&id)
                    .ok_or_else(|| ProjectError::UnknownEscalation(id.clone()))?;
                let fields_written = match &event {
                    parley_core::escalation::Event::StageRecordUpdated { stage, fields } => fields
                        .iter()
                        .map(|(f, _)| (stage.get(), f.clone()))
                        .collect(),
                    _ => Vec::new(),
                };
                let t = state.core.apply(rules, timestamp(at_us), event)?;
                let on = rules.local_date(timestamp(at_us));
                for key in fields_written {
                    state.written.insert(key, on);
                }
                let before = stage_rows(&id, &state.core);
                let reached = stage_numbers(&state.core);
                state.core = t.state;
                update_row(&mut state.row, &state.core, rules, at_us);
                ops.push(Op::Escalation(Box::new(state.row.clone())));
                // Only the stage rows the event changed (each is an upsert of the whole row).
                ops.extend(
                    stage_rows(&id, &state.core)
                        .into_iter()
                        .filter(|row| !before.contains(row)),
                );
                ops.extend(stages_entered(&state.row, &reached, &state.core, at_us));
                let facts = facts_row(&state.row, &state.core, &procedure, &state.written);
                if facts != state.facts {
                    ops.push(Op::Facts(Box::new(facts.clone())));
                    state.facts = facts;
                }
                if let Payload::Appointed { role, person_id } = other {
                    ops.push(Op::Appointment(EscalationAppointmentRow {
                        escalation_id: id.clone(),
                        partnership_id: pid.to_owned(),
                        role: role.clone(),
                        person_id: person_id.clone(),
                        stage: state.row.current_stage,
                        at_us,
                    }));
                }
                notifications = t.notifications;
            }
        }
        Ok((ops, notifications))
    }

    fn partnership(&mut self, id: &str) -> Result<&mut PartnershipState, ProjectError> {
        self.partnerships
            .get_mut(id)
            .ok_or_else(|| ProjectError::UnknownPartnership(id.to_owned()))
    }
}

fn raised_row(
    pid: &str,
    r: &Raised,
    state: &Escalation,
    rules: Rules<'_>,
    at_us: i64,
) -> EscalationRow {
    let mut row = EscalationRow {
        id: r.escalation_id.clone(),
        partnership_id: pid.to_owned(),
        reference: r.reference.clone(),
        procedure_version: r.procedure_version,
        version: 0,
        route: r.route.clone(),
        subject: match state.subject {
            Subject::Child { .. } => "child".to_owned(),
            Subject::Thematic => "thematic".to_owned(),
        },
        child_status: match state.subject {
            Subject::Child { status } => Some(status.as_str().to_owned()),
            Subject::Thematic => None,
        },
        category: r.category.clone(),
        status: String::new(),
        outcome: None,
        current_stage: 0,
        stage_due: String::new(),
        overall_due: None,
        raised_at_us: at_us,
        raised_on: state.raised_on.to_string(),
        closed_at_us: None,
        resolved_by_events: false,
        raised_by: r.raised_by.clone(),
        raising_agency_id: r.raising_agency_id.clone(),
        receiving_agency_id: r.receiving_agency_id.clone(),
        receiving_person_id: r.receiving_person_id.clone(),
        summary: r.summary.clone(),
        updated_at_us: at_us,
        wake_on: None,
    };
    update_row(&mut row, state, rules, at_us);
    row
}

fn update_row(row: &mut EscalationRow, state: &Escalation, rules: Rules<'_>, at_us: i64) {
    row.version = state.version as i64;
    row.status = state.status.as_str().to_owned();
    row.outcome = match &state.status {
        Status::Open => None,
        Status::Resolved(r) => Some(r.as_str().to_owned()),
        Status::ReferredOn(id) => Some(id.clone()),
        Status::Withdrawn => None,
        Status::Redirected(k) => Some(k.as_str().to_owned()),
    };
    row.current_stage = i64::from(state.current_stage().get());
    row.stage_due = state.current().due.to_string();
    row.overall_due = state.overall_due.map(|d| d.to_string());
    // At a referral step its own deadline is the one that runs (issue 14, item 5).
    if let Some(step) = state.at_referral() {
        if let Some(due) = step.due {
            row.stage_due = due.to_string();
        }
        row.overall_due = None;
    }
    row.closed_at_us = state.closed_at.map(|t| t.as_microsecond());
    row.resolved_by_events = state.resolved_by_events_at.is_some();
    row.updated_at_us = at_us;
    // When the deadline monitor next has something to record (issue 15): the index its pass
    // reads, so that it never looks at an escalation with nothing due.
    row.wake_on = state.wake_on(rules).map(|d| d.to_string());
}

fn facts_row(
    row: &EscalationRow,
    state: &Escalation,
    procedure: &Procedure,
    written: &Written,
) -> FactsRow {
    facts::row(row, state, procedure, written)
}

fn stage_numbers(state: &Escalation) -> Vec<i64> {
    state
        .stages
        .iter()
        .map(|s| i64::from(s.number.get()))
        .collect()
}

/// The stages `state` has reached that `reached` (the stages before the event) had not: the
/// officers named for them now join the escalation's record of officers.
fn stages_entered(row: &EscalationRow, reached: &[i64], state: &Escalation, at_us: i64) -> Vec<Op> {
    stage_numbers(state)
        .into_iter()
        .filter(|n| !reached.contains(n))
        .map(|stage| Op::StageEntered {
            escalation_id: row.id.clone(),
            partnership_id: row.partnership_id.clone(),
            stage,
            raising_agency_id: row.raising_agency_id.clone(),
            receiving_agency_id: row.receiving_agency_id.clone(),
            at_us,
        })
        .collect()
}

fn stage_rows(id: &str, state: &Escalation) -> Vec<Op> {
    state
        .stages
        .iter()
        .map(|s| {
            Op::Stage(StageRow {
                escalation_id: id.to_owned(),
                stage: i64::from(s.number.get()),
                started_at_us: s.started_at.as_microsecond(),
                started_on: s.started_on.to_string(),
                due: s.due.to_string(),
                agreed_days: s.agreed.map(|w| i64::from(w.get())),
                ended_at_us: s.ended_at.map(|t| t.as_microsecond()),
                record: s.record.clone(),
                meetings: s.meetings.len() as i64,
            })
        })
        .collect()
}
