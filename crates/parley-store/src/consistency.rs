//! Do the query tables say what the events say? The projections are derived (ARCHITECTURE:
//! "Projections are derived"), so every row of every query table must be the row that replaying
//! the events gives. An edit made behind Parley's back to `escalations` (a status, a stage,
//! a summary) or to `escalation_children` leaves the hash chain intact; this finds it.
//!
//! The events are replayed through the same [`Projector`] that writes the rows when they are
//! appended, into an in-memory copy of the tables ([`Tables`]) that applies each [`Op`] as the
//! SQL of `backend/statements.rs` does (an upsert changes only the columns its `ON CONFLICT`
//! names). The stored tables are read column by column and compared, row by row.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use parley_core::calendar::BankHolidays;

use crate::StoreError;
use crate::backend::Store;
use crate::backend::statements;
use crate::chain::Link;
use crate::payload::Payload;
use crate::projector::{Fact, Projector};
use crate::rows::Op;
pub use crate::tables::*;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

fn opt_int(n: Option<i64>) -> Value {
    n.map_or(Value::Null, Value::Int)
}

type Rows = BTreeMap<Vec<Value>, Vec<Value>>;

/// The query tables in memory: per table, rows by primary key (the key's values, then the
/// row's other values).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    tables: BTreeMap<&'static str, Rows>,
}

impl Tables {
    /// Inserts `row` or, when its key is there, changes only the `update` columns (the SQL's
    /// `ON CONFLICT (...) DO UPDATE SET`).
    fn upsert(&mut self, table: &'static ProjectionTable, mut row: Vec<Value>, update: &[&str]) {
        let rest = row.split_off(table.key);
        let key = row;
        let rows = self.tables.entry(table.name).or_default();
        match rows.get_mut(&key) {
            Some(existing) => {
                for column in update {
                    let i = table.index(column) - table.key;
                    existing[i] = rest[i].clone();
                }
            }
            None => {
                rows.insert(key, rest);
            }
        }
    }

    /// Inserts `row` unless its key is there (`ON CONFLICT DO NOTHING`).
    fn insert_new(&mut self, table: &'static ProjectionTable, mut row: Vec<Value>) {
        let rest = row.split_off(table.key);
        self.tables
            .entry(table.name)
            .or_default()
            .entry(row)
            .or_insert(rest);
    }

    /// Applies one change exactly as `backend/statements.rs` writes it.
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::Partnership(p) => self.upsert(
                &PARTNERSHIPS,
                vec![
                    text(&p.id),
                    text(&p.name),
                    opt_text(p.short_name.as_deref()),
                    text(&p.procedure_id),
                    Value::Int(p.procedure_version),
                    Value::Text(json_list(&p.closure_days)),
                    Value::Int(p.created_at_us),
                    Value::Int(0),
                ],
                statements::PARTNERSHIP.replaced(),
            ),
            Op::ConfigurationChanged { partnership_id } => {
                let i = PARTNERSHIPS.index("config_version") - PARTNERSHIPS.key;
                if let Some(row) = self
                    .tables
                    .get_mut(PARTNERSHIPS.name)
                    .and_then(|rows| rows.get_mut(&vec![text(partnership_id)]))
                    && let Value::Int(n) = &mut row[i]
                {
                    *n += 1;
                }
            }
            Op::Procedure(p) => self.upsert(
                &PROCEDURES,
                vec![
                    text(&p.partnership_id),
                    Value::Int(p.version),
                    text(&p.procedure_id),
                    text(&p.source),
                    text(&p.sha256),
                    Value::Int(p.adopted_at_us),
                ],
                statements::PROCEDURE.replaced(),
            ),
            Op::Agency(a) => self.upsert(
                &AGENCIES,
                vec![
                    text(&a.id),
                    text(&a.partnership_id),
                    text(&a.name),
                    text(&a.sector),
                ],
                statements::AGENCY.replaced(),
            ),
            Op::Person(p) => self.upsert(
                &PEOPLE,
                vec![
                    text(&p.id),
                    text(&p.partnership_id),
                    opt_text(p.agency_id.as_deref()),
                    text(&p.name),
                    text(&p.email),
                    text(&p.job_title),
                    Value::Text(json_list(&p.roles)),
                    opt_text(p.line_manager_id.as_deref()),
                    Value::Bool(p.active),
                ],
                statements::PERSON.replaced(),
            ),
            Op::NamedOfficer(n) => self.upsert(
                &NAMED_OFFICERS,
                vec![
                    text(&n.agency_id),
                    Value::Int(n.stage),
                    text(&n.partnership_id),
                    text(&n.person_id),
                ],
                statements::NAMED_OFFICER.replaced(),
            ),
            Op::RemoveNamedOfficer { agency_id, stage } => {
                if let Some(rows) = self.tables.get_mut(NAMED_OFFICERS.name) {
                    rows.remove(&vec![text(agency_id), Value::Int(*stage)]);
                }
            }
            Op::StageEntered {
                escalation_id,
                partnership_id,
                stage,
                raising_agency_id,
                receiving_agency_id,
                at_us,
            } => {
                // `INSERT ... SELECT FROM named_officers ... ON CONFLICT DO NOTHING`.
                let officers: Vec<(Value, Value)> = self
                    .tables
                    .get(NAMED_OFFICERS.name)
                    .into_iter()
                    .flatten()
                    .filter(|(key, rest)| {
                        key.get(1) == Some(&Value::Int(*stage))
                            && (key.first() == Some(&text(raising_agency_id))
                                || key.first() == Some(&text(receiving_agency_id)))
                            && rest.first() == Some(&text(partnership_id))
                    })
                    .filter_map(|(key, rest)| Some((key.first()?.clone(), rest.get(1)?.clone())))
                    .collect();
                for (agency, person) in officers {
                    self.insert_new(
                        &ESCALATION_OFFICERS,
                        vec![
                            text(escalation_id),
                            Value::Int(*stage),
                            agency,
                            person,
                            text(partnership_id),
                            Value::Int(*at_us),
                        ],
                    );
                }
            }
            Op::OfficerNamed {
                partnership_id,
                agency_id,
                stage,
                person_id,
                at_us,
            } => {
                // `INSERT ... SELECT FROM escalations e WHERE open, at the stage, involving
                // the agency ... ON CONFLICT DO NOTHING`.
                let column = |name: &str| ESCALATIONS.index(name) - ESCALATIONS.key;
                let agency = text(agency_id);
                let open: Vec<Value> = self
                    .tables
                    .get(ESCALATIONS.name)
                    .into_iter()
                    .flatten()
                    .filter(|(_, rest)| {
                        rest.get(column("partnership_id")) == Some(&text(partnership_id))
                            && rest.get(column("status")) == Some(&text("open"))
                            && rest.get(column("current_stage")) == Some(&Value::Int(*stage))
                            && (rest.get(column("raising_agency_id")) == Some(&agency)
                                || rest.get(column("receiving_agency_id")) == Some(&agency))
                    })
                    .filter_map(|(key, _)| key.first().cloned())
                    .collect();
                for id in open {
                    self.insert_new(
                        &ESCALATION_OFFICERS,
                        vec![
                            id,
                            Value::Int(*stage),
                            agency.clone(),
                            text(person_id),
                            text(partnership_id),
                            Value::Int(*at_us),
                        ],
                    );
                }
            }
            Op::Appointment(a) => self.upsert(
                &ESCALATION_APPOINTMENTS,
                vec![
                    text(&a.escalation_id),
                    text(&a.role),
                    text(&a.person_id),
                    text(&a.partnership_id),
                    Value::Int(a.stage),
                    Value::Int(a.at_us),
                ],
                statements::APPOINTMENT.replaced(),
            ),
            Op::Escalation(e) => self.upsert(
                &ESCALATIONS,
                vec![
                    text(&e.id),
                    text(&e.partnership_id),
                    text(&e.reference),
                    Value::Int(e.procedure_version),
                    Value::Int(e.version),
                    text(&e.route),
                    text(&e.subject),
                    opt_text(e.child_status.as_deref()),
                    text(&e.category),
                    text(&e.status),
                    opt_text(e.outcome.as_deref()),
                    Value::Int(e.current_stage),
                    text(&e.stage_due),
                    opt_text(e.overall_due.as_deref()),
                    Value::Int(e.raised_at_us),
                    text(&e.raised_on),
                    opt_int(e.closed_at_us),
                    Value::Bool(e.resolved_by_events),
                    text(&e.raised_by),
                    text(&e.raising_agency_id),
                    text(&e.receiving_agency_id),
                    opt_text(e.receiving_person_id.as_deref()),
                    text(&e.summary),
                    Value::Int(e.updated_at_us),
                    opt_text(e.wake_on.as_deref()),
                ],
                statements::ESCALATION.replaced(),
            ),
            Op::Child {
                escalation_id,
                details,
            } => self.upsert(
                &ESCALATION_CHILDREN,
                vec![text(escalation_id), text(details)],
                statements::CHILD.replaced(),
            ),
            Op::Case {
                escalation_id,
                decision,
                evidence,
                outcome_wanted,
            } => self.upsert(
                &ESCALATION_CASES,
                vec![
                    text(escalation_id),
                    text(decision),
                    text(evidence),
                    text(outcome_wanted),
                ],
                statements::CASE.replaced(),
            ),
            Op::Stage(s) => self.upsert(
                &ESCALATION_STAGES,
                vec![
                    text(&s.escalation_id),
                    Value::Int(s.stage),
                    Value::Int(s.started_at_us),
                    text(&s.started_on),
                    text(&s.due),
                    opt_int(s.agreed_days),
                    opt_int(s.ended_at_us),
                    Value::Text(serde_json::to_string(&s.record).unwrap_or_default()),
                    Value::Int(s.meetings),
                ],
                statements::STAGE.replaced(),
            ),
            Op::Facts(f) => self.upsert(
                &ESCALATION_FACTS,
                vec![
                    text(&f.escalation_id),
                    text(&f.partnership_id),
                    text(&f.raised_on),
                    opt_text(f.closed_on.as_deref()),
                    opt_text(f.last_on.as_deref()),
                    text(&f.facts),
                ],
                statements::FACTS.replaced(),
            ),
            Op::Compliment(c) => self.upsert(
                &COMPLIMENTS,
                vec![
                    text(&c.id),
                    text(&c.partnership_id),
                    text(&c.from_person_id),
                    text(&c.to_person_id),
                    text(&c.message),
                    Value::Int(c.given_at_us),
                ],
                statements::COMPLIMENT.replaced(),
            ),
        }
    }

    /// The tables as stored.
    pub async fn read(store: &dyn Store) -> Result<Tables, StoreError> {
        let mut tables = Tables::default();
        for table in TABLES {
            let rows = tables.tables.entry(table.name).or_default();
            for mut row in store.projection_rows(table).await? {
                let rest = row.split_off(table.key.min(row.len()));
                rows.insert(row, rest);
            }
        }
        Ok(tables)
    }

    /// Where `stored` differs from `self` (what the events say), table by table, row by row.
    pub fn differences(&self, stored: &Tables) -> Vec<Difference> {
        let empty = Rows::new();
        let mut out = Vec::new();
        for table in TABLES {
            let expected = self.tables.get(table.name).unwrap_or(&empty);
            let found = stored.tables.get(table.name).unwrap_or(&empty);
            let key_text = |key: &[Value]| {
                table
                    .columns
                    .iter()
                    .zip(key)
                    .map(|((c, _), v)| format!("{c}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for (key, want) in expected {
                match found.get(key) {
                    None => out.push(Difference {
                        table: table.name,
                        key: key_text(key),
                        what: Mismatch::Missing,
                    }),
                    Some(have) => {
                        let columns: Vec<&'static str> = table.columns[table.key..]
                            .iter()
                            .zip(want.iter().zip(have))
                            .filter(|(_, (w, h))| w != h)
                            .map(|((c, _), _)| *c)
                            .collect();
                        if !columns.is_empty() {
                            out.push(Difference {
                                table: table.name,
                                key: key_text(key),
                                what: Mismatch::Columns(columns),
                            });
                        }
                    }
                }
            }
            for key in found.keys().filter(|k| !expected.contains_key(*k)) {
                out.push(Difference {
                    table: table.name,
                    key: key_text(key),
                    what: Mismatch::Extra,
                });
            }
        }
        out
    }
}

/// How a stored row differs from the events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The events have the row; the table does not (it was deleted).
    Missing,
    /// The table has a row no event made (it was inserted, or its key was changed).
    Extra,
    /// These columns hold other values than the events give. The values are not shown: they
    /// may be a child's details.
    Columns(Vec<&'static str>),
}

/// One row of a query table that disagrees with the events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    /// The primary key, as `column=value, ...`.
    pub key: String,
    pub what: Mismatch,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (table, key) = (self.table, &self.key);
        match &self.what {
            Mismatch::Missing => write!(
                f,
                "{table} ({key}): missing; the events have this row (it was deleted)"
            ),
            Mismatch::Extra => write!(
                f,
                "{table} ({key}): no event made this row (it was inserted, or its key changed)"
            ),
            Mismatch::Columns(columns) => write!(
                f,
                "{table} ({key}): {} not what the events say (the row was edited)",
                columns
                    .iter()
                    .map(|c| format!("{table}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What comparing the query tables with the events found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectionReport {
    /// Every row is what the events give.
    Consistent,
    /// These rows are not.
    Differ(Vec<Difference>),
    /// The events cannot be replayed (an event's content is missing or unreadable), so the
    /// tables cannot be checked.
    Unreplayable(String),
}

/// Replays every event of `partnership_ids` (every chain when `None`), in chain order, through
/// a fresh projector: the changes to the query tables the events make. `skip`: events
/// replayed as if their content were purged, as (partnership, seq).
pub async fn replay(
    store: &dyn Store,
    holidays: Arc<BankHolidays>,
    partnership_ids: Option<Vec<String>>,
    skip: Option<(&str, i64)>,
) -> Result<(Vec<Op>, u64), StoreError> {
    let mut projector = Projector::new(holidays);
    let mut ops = Vec::new();
    let mut replayed = 0;
    let ids = match partnership_ids {
        Some(ids) => ids,
        None => store.chain_ids().await?,
    };
    for partnership_id in ids {
        let mut after = i64::MIN;
        loop {
            let links = store.chain(&partnership_id, after, 1000).await?;
            let Some(last) = links.last() else { break };
            after = last.seq;
            for link in &links {
                replayed += 1;
                if skip == Some((partnership_id.as_str(), link.seq)) {
                    continue;
                }
                if let Some(payload) = parse_payload(link)? {
                    let (more, _) = projector.apply(&Fact {
                        partnership_id: &partnership_id,
                        stream: &link.stream,
                        at_us: link.at_us,
                        payload: &payload,
                    })?;
                    ops.extend(more);
                }
            }
        }
    }
    Ok((ops, replayed))
}

/// An event's payload; `None` once purged.
pub(crate) fn parse_payload(link: &Link) -> Result<Option<Payload>, StoreError> {
    match &link.payload {
        None => Ok(None),
        Some(json) => serde_json::from_str(json)
            .map(Some)
            .map_err(|e| StoreError::Unreadable {
                partnership: link.partnership_id.clone(),
                seq: link.seq,
                message: e.to_string(),
            }),
    }
}

/// The query tables the events of `partnership_ids` (every chain when `None`) give.
pub async fn expected(
    store: &dyn Store,
    holidays: Arc<BankHolidays>,
    partnership_ids: Option<Vec<String>>,
    skip: Option<(&str, i64)>,
) -> Result<Tables, StoreError> {
    let (ops, _) = replay(store, holidays, partnership_ids, skip).await?;
    let mut tables = Tables::default();
    for op in &ops {
        tables.apply(op);
    }
    Ok(tables)
}

/// Replays every event and compares the result with every stored query table. A database
/// that cannot be read is an `Err`; what the comparison finds is in the report.
pub async fn check(
    store: &dyn Store,
    holidays: Arc<BankHolidays>,
) -> Result<ProjectionReport, StoreError> {
    let expected = match expected(store, holidays, None, None).await {
        Ok(tables) => tables,
        Err(e @ (StoreError::Project(_) | StoreError::Unreadable { .. })) => {
            return Ok(ProjectionReport::Unreplayable(e.to_string()));
        }
        Err(e) => return Err(e),
    };
    let stored = Tables::read(store).await?;
    let differences = expected.differences(&stored);
    Ok(if differences.is_empty() {
        ProjectionReport::Consistent
    } else {
        ProjectionReport::Differ(differences)
    })
}
