//! Every kind of write an append makes, described once: its table, its arguments (a column
//! each, with its type) and its shape. Its SQL for one row (SQLite's writer, the careful path)
//! and for many rows bound as arrays (PostgreSQL's writer, `backend/postgres/batch.rs`) are
//! made from that, so a new table or column is one entry here (and the argument it takes in
//! `statements::op`).

use super::{Arg, Statement};
use crate::rows::Op;

/// A column's type, for PostgreSQL's batch writer, which binds a column of rows as one array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Text,
    Int,
    Bool,
    Bytes,
}

impl Type {
    /// The PostgreSQL array type a column of this type is bound as.
    pub(crate) fn array(self) -> &'static str {
        match self {
            Type::Text => "text[]",
            Type::Int => "int8[]",
            Type::Bool => "bool[]",
            Type::Bytes => "bytea[]",
        }
    }
}

/// How a write's text is made.
#[derive(Debug)]
pub(crate) enum Shape {
    /// `INSERT INTO table (args..., fixed...) VALUES ($1, ..., fixed values)`, refused on a
    /// duplicate key, or with `update` the row's `set` columns replaced when `key` is taken.
    Insert {
        fixed: &'static [(&'static str, &'static str)],
        update: Option<(&'static [&'static str], &'static [&'static str])>,
    },
    /// Written out: `row` for one row (`$k` the k-th argument), `rows` for many (`ROWS` standing
    /// for the set of rows `u`, whose column `ck` holds the k-th argument); `None` when the
    /// write is never made for many rows at once.
    Given {
        row: &'static str,
        rows: Option<&'static str>,
        /// The arguments that must differ between the rows of one write over many.
        unique: &'static [usize],
    },
}

/// One kind of write: its table, its arguments (a column each, with its type) and its shape.
/// The SQL of the write, for one row and for many bound as arrays, is made from this; a new
/// table or column is one entry here and the argument it takes in [`op`].
#[derive(Debug)]
pub(crate) struct Sql {
    pub name: &'static str,
    pub table: &'static str,
    pub args: &'static [(&'static str, Type)],
    pub shape: Shape,
    /// The tables it reads besides its own: a write over many rows cannot move past one of
    /// these it followed.
    pub reads: &'static [&'static str],
    text: std::sync::OnceLock<String>,
}

/// `ROWS` in a [`Shape::Given`] text, and where a write over many rows reads them.
const ROWS: &str = "ROWS";

impl Sql {
    const fn insert(
        name: &'static str,
        table: &'static str,
        args: &'static [(&'static str, Type)],
        fixed: &'static [(&'static str, &'static str)],
        update: Option<(&'static [&'static str], &'static [&'static str])>,
    ) -> Sql {
        Sql {
            name,
            table,
            args,
            shape: Shape::Insert { fixed, update },
            reads: &[],
            text: std::sync::OnceLock::new(),
        }
    }

    const fn given(
        name: &'static str,
        table: &'static str,
        args: &'static [(&'static str, Type)],
        row: &'static str,
        rows: Option<&'static str>,
        unique: &'static [usize],
        reads: &'static [&'static str],
    ) -> Sql {
        Sql {
            name,
            table,
            args,
            shape: Shape::Given { row, rows, unique },
            reads,
            text: std::sync::OnceLock::new(),
        }
    }

    /// The write of one row, its arguments `$1`, `$2`, ... in order.
    pub(crate) fn text(&'static self) -> &'static str {
        self.text.get_or_init(|| match &self.shape {
            Shape::Insert { .. } => {
                let values: Vec<String> = (1..=self.args.len()).map(|k| format!("${k}")).collect();
                self.insert_text(&values.join(", "), None)
            }
            Shape::Given { row, .. } => (*row).to_owned(),
        })
    }

    /// The write of many rows, each argument bound as an array (`$first` onwards, in order);
    /// with `gate`, the rows are there only if the query `gate` names has a row, so that the
    /// write writes nothing otherwise. `None` for a write never made for many rows.
    pub(crate) fn rows_text(&self, first: usize, gate: Option<&str>) -> Option<String> {
        let arrays: Vec<String> = (first..)
            .zip(self.args)
            .map(|(n, (_, t))| format!("${n}::{}", t.array()))
            .collect();
        let names: Vec<String> = (1..=self.args.len()).map(|k| format!("c{k}")).collect();
        let (arrays, names) = (arrays.join(", "), names.join(", "));
        let rows = match gate {
            None => format!("unnest({arrays}) AS u({names})"),
            Some(gate) => format!(
                "(SELECT * FROM unnest({arrays}) AS v({names}) WHERE EXISTS (SELECT 1 FROM {gate})) AS u"
            ),
        };
        match &self.shape {
            Shape::Insert { .. } => {
                let columns: Vec<String> =
                    (1..=self.args.len()).map(|k| format!("u.c{k}")).collect();
                Some(self.insert_text(&columns.join(", "), Some(&format!("FROM {rows}"))))
            }
            Shape::Given { rows: text, .. } => Some(text.as_ref()?.replace(ROWS, &rows)),
        }
    }

    /// `INSERT` of `values` (a `VALUES` list, or with `from` a select list over it).
    fn insert_text(&self, values: &str, from: Option<&str>) -> String {
        let Shape::Insert { fixed, update } = &self.shape else {
            return String::new();
        };
        let columns: Vec<&str> = self
            .args
            .iter()
            .map(|(c, _)| *c)
            .chain(fixed.iter().map(|(c, _)| *c))
            .collect();
        let fixed_values: String = fixed.iter().map(|(_, v)| format!(", {v}")).collect();
        let mut sql = format!("INSERT INTO {} ({}) ", self.table, columns.join(", "));
        match from {
            None => sql.push_str(&format!("VALUES ({values}{fixed_values})")),
            Some(from) => sql.push_str(&format!("SELECT {values}{fixed_values} {from}")),
        }
        if let Some((key, set)) = update {
            let set: Vec<String> = set.iter().map(|c| format!("{c} = excluded.{c}")).collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                key.join(", "),
                set.join(", ")
            ));
        }
        sql
    }

    /// The columns an upsert replaces when its key is taken (none for a plain insert): what
    /// `consistency.rs` applies to its copy of the tables, so that it cannot disagree.
    pub(crate) fn replaced(&self) -> &'static [&'static str] {
        match &self.shape {
            Shape::Insert {
                update: Some((_, set)),
                ..
            } => set,
            _ => &[],
        }
    }

    /// The arguments that must differ between the rows of one write over many: the key an
    /// upsert replaces on (one `INSERT ... ON CONFLICT DO UPDATE` may not touch a row twice).
    pub(crate) fn unique(&self) -> Vec<usize> {
        match &self.shape {
            Shape::Insert {
                update: Some((key, _)),
                ..
            } => key
                .iter()
                .filter_map(|k| self.args.iter().position(|(c, _)| c == k))
                .collect(),
            Shape::Insert { update: None, .. } => Vec::new(),
            Shape::Given { unique, .. } => unique.to_vec(),
        }
    }
}

use Type as T;

/// A chain's new head.
pub(crate) static WRITE_HEAD: Sql = Sql::given(
    "parley_write_head",
    "chain_heads",
    &[
        ("partnership_id", T::Text),
        ("seq", T::Int),
        ("hash", T::Bytes),
    ],
    "UPDATE chain_heads SET seq = $2, hash = $3 WHERE partnership_id = $1",
    Some(
        "UPDATE chain_heads h SET seq = u.c2, hash = u.c3 FROM ROWS WHERE h.partnership_id = u.c1",
    ),
    &[0],
    &[],
);

/// A partnership's first event makes its chain's head: refused should another writer have
/// made it meanwhile.
pub(crate) static NEW_HEAD: Sql = Sql::insert(
    "parley_new_head",
    "chain_heads",
    &[
        ("partnership_id", T::Text),
        ("seq", T::Int),
        ("hash", T::Bytes),
    ],
    &[],
    None,
);

// The writes, one per kind of row.

pub(crate) static EVENT: Sql = Sql::insert(
    "parley_event",
    "events",
    &[
        ("partnership_id", T::Text),
        ("seq", T::Int),
        ("stream", T::Text),
        ("stream_version", T::Int),
        ("at_us", T::Int),
        ("kind", T::Text),
        ("actor", T::Text),
        ("reason", T::Text),
        ("payload", T::Text),
        ("salt", T::Bytes),
        ("content_hash", T::Bytes),
        ("prev_hash", T::Bytes),
        ("hash", T::Bytes),
    ],
    &[],
    None,
);

pub(crate) static OUTBOX: Sql = Sql::insert(
    "parley_outbox",
    "outbox",
    &[
        ("id", T::Text),
        ("partnership_id", T::Text),
        ("event_seq", T::Int),
        ("escalation_id", T::Text),
        ("recipient", T::Text),
        ("reason", T::Text),
        ("stage", T::Int),
        ("child_details", T::Bool),
        ("address", T::Text),
        ("created_at_us", T::Int),
    ],
    &[
        ("sent_at_us", "NULL"),
        ("attempts", "0"),
        ("last_error", "NULL"),
    ],
    None,
);

pub(crate) static PARTNERSHIP: Sql = Sql::insert(
    "parley_partnership",
    "partnerships",
    &[
        ("id", T::Text),
        ("name", T::Text),
        ("short_name", T::Text),
        ("procedure_id", T::Text),
        ("procedure_version", T::Int),
        ("closure_days", T::Text),
        ("created_at_us", T::Int),
    ],
    &[],
    Some((
        &["id"],
        &[
            "name",
            "short_name",
            "procedure_id",
            "procedure_version",
            "closure_days",
        ],
    )),
);

pub(crate) static PROCEDURE: Sql = Sql::insert(
    "parley_procedure",
    "procedures",
    &[
        ("partnership_id", T::Text),
        ("version", T::Int),
        ("procedure_id", T::Text),
        ("source", T::Text),
        ("sha256", T::Text),
        ("adopted_at_us", T::Int),
    ],
    &[],
    None,
);

pub(crate) static AGENCY: Sql = Sql::insert(
    "parley_agency",
    "agencies",
    &[
        ("id", T::Text),
        ("partnership_id", T::Text),
        ("name", T::Text),
        ("sector", T::Text),
    ],
    &[],
    Some((&["id"], &["name", "sector"])),
);

pub(crate) static PERSON: Sql = Sql::insert(
    "parley_person",
    "people",
    &[
        ("id", T::Text),
        ("partnership_id", T::Text),
        ("agency_id", T::Text),
        ("name", T::Text),
        ("email", T::Text),
        ("job_title", T::Text),
        ("roles", T::Text),
        ("line_manager_id", T::Text),
        ("active", T::Bool),
    ],
    &[],
    Some((
        &["id"],
        &[
            "agency_id",
            "name",
            "email",
            "job_title",
            "roles",
            "line_manager_id",
            "active",
        ],
    )),
);

pub(crate) static NAMED_OFFICER: Sql = Sql::insert(
    "parley_named_officer",
    "named_officers",
    &[
        ("partnership_id", T::Text),
        ("agency_id", T::Text),
        ("stage", T::Int),
        ("person_id", T::Text),
    ],
    &[],
    Some((&["agency_id", "stage"], &["person_id"])),
);

pub(crate) static CONFIGURATION_CHANGED: Sql = Sql::given(
    "parley_configuration_changed",
    "partnerships",
    &[("id", T::Text)],
    "UPDATE partnerships SET config_version = config_version + 1 WHERE id = $1",
    Some(
        "UPDATE partnerships p SET config_version = p.config_version + 1 FROM ROWS WHERE p.id = u.c1",
    ),
    // Two changes of one partnership would count once in one update.
    &[0],
    &[],
);

pub(crate) static REMOVE_NAMED_OFFICER: Sql = Sql::given(
    "parley_remove_named_officer",
    "named_officers",
    &[("agency_id", T::Text), ("stage", T::Int)],
    "DELETE FROM named_officers WHERE agency_id = $1 AND stage = $2",
    Some("DELETE FROM named_officers n USING ROWS WHERE n.agency_id = u.c1 AND n.stage = u.c2"),
    &[],
    &[],
);

pub(crate) static ESCALATION: Sql = Sql::insert(
    "parley_escalation",
    "escalations",
    &[
        ("id", T::Text),
        ("partnership_id", T::Text),
        ("reference", T::Text),
        ("procedure_version", T::Int),
        ("version", T::Int),
        ("route", T::Text),
        ("subject", T::Text),
        ("child_status", T::Text),
        ("category", T::Text),
        ("status", T::Text),
        ("outcome", T::Text),
        ("current_stage", T::Int),
        ("stage_due", T::Text),
        ("overall_due", T::Text),
        ("raised_at_us", T::Int),
        ("raised_on", T::Text),
        ("closed_at_us", T::Int),
        ("resolved_by_events", T::Bool),
        ("raised_by", T::Text),
        ("raising_agency_id", T::Text),
        ("receiving_agency_id", T::Text),
        ("receiving_person_id", T::Text),
        ("summary", T::Text),
        ("updated_at_us", T::Int),
        ("wake_on", T::Text),
    ],
    &[],
    Some((
        &["id"],
        &[
            "version",
            "status",
            "outcome",
            "current_stage",
            "stage_due",
            "overall_due",
            "closed_at_us",
            "resolved_by_events",
            "updated_at_us",
            "wake_on",
        ],
    )),
);

/// SQLite's writer tries this before [`ESCALATION`]: the same update when none of the row's
/// indexed columns (status, current stage, stage due, wake date) moved, which is most actions
/// (a record added, a meeting held). SQLite rewrites the index entries of every column an UPDATE sets,
/// changed or not, and each index page so touched is one more page in the commit's WAL
/// frames; naming only the unindexed columns spares them. It changes no row when the indexed
/// columns did move (or the row is new), and the upsert then does the whole of it.
pub(crate) static ESCALATION_IN_PLACE: Sql = Sql::given(
    "parley_escalation_in_place",
    "escalations",
    &[],
    concat!(
        "UPDATE escalations SET version = $2, outcome = $3, overall_due = $4, closed_at_us = $5, ",
        "resolved_by_events = $6, updated_at_us = $7 ",
        "WHERE id = $1 AND status = $8 AND current_stage = $9 AND stage_due = $10 AND wake_on IS $11"
    ),
    None,
    &[],
    &[],
);

/// [`ESCALATION_IN_PLACE`] for `op` when it is an escalation row.
pub(crate) fn escalation_in_place(op: &Op) -> Option<Statement<'_>> {
    use Arg::*;
    let Op::Escalation(e) = op else {
        return None;
    };
    Some(Statement {
        sql: &ESCALATION_IN_PLACE,
        args: vec![
            Text(&e.id),
            Int(e.version),
            OptText(e.outcome.as_deref()),
            OptText(e.overall_due.as_deref()),
            OptInt(e.closed_at_us),
            Bool(e.resolved_by_events),
            Int(e.updated_at_us),
            Text(&e.status),
            Int(e.current_stage),
            Text(&e.stage_due),
            OptText(e.wake_on.as_deref()),
        ],
    })
}

pub(crate) static CHILD: Sql = Sql::insert(
    "parley_child",
    "escalation_children",
    &[("escalation_id", T::Text), ("details", T::Text)],
    &[],
    Some((&["escalation_id"], &["details"])),
);

pub(crate) static CASE: Sql = Sql::insert(
    "parley_case",
    "escalation_cases",
    &[
        ("escalation_id", T::Text),
        ("decision", T::Text),
        ("evidence", T::Text),
        ("outcome_wanted", T::Text),
    ],
    &[],
    Some((
        &["escalation_id"],
        &["decision", "evidence", "outcome_wanted"],
    )),
);

pub(crate) static STAGE: Sql = Sql::insert(
    "parley_stage",
    "escalation_stages",
    &[
        ("escalation_id", T::Text),
        ("stage", T::Int),
        ("started_at_us", T::Int),
        ("started_on", T::Text),
        ("due", T::Text),
        ("agreed_days", T::Int),
        ("ended_at_us", T::Int),
        ("record", T::Text),
        ("meetings", T::Int),
    ],
    &[],
    Some((
        &["escalation_id", "stage"],
        &["due", "agreed_days", "ended_at_us", "record", "meetings"],
    )),
);

pub(crate) static COMPLIMENT: Sql = Sql::insert(
    "parley_compliment",
    "compliments",
    &[
        ("id", T::Text),
        ("partnership_id", T::Text),
        ("from_person_id", T::Text),
        ("to_person_id", T::Text),
        ("message", T::Text),
        ("given_at_us", T::Int),
    ],
    &[],
    None,
);

/// An escalation entered a stage: the officers named for it now in either agency join its
/// record ([`Op::StageEntered`]). The casts give PostgreSQL the parameters' types, which a
/// select list does not.
pub(crate) static STAGE_ENTERED: Sql = Sql::given(
    "parley_stage_entered",
    "escalation_officers",
    &[
        ("escalation_id", T::Text),
        ("since_us", T::Int),
        ("partnership_id", T::Text),
        ("stage", T::Int),
        ("raising_agency_id", T::Text),
        ("receiving_agency_id", T::Text),
    ],
    concat!(
        "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) ",
        "SELECT CAST($1 AS TEXT), n.partnership_id, n.stage, n.agency_id, n.person_id, CAST($2 AS BIGINT) ",
        "FROM named_officers n WHERE n.partnership_id = $3 AND n.stage = $4 AND n.agency_id IN ($5, $6) ",
        "ON CONFLICT DO NOTHING"
    ),
    Some(concat!(
        "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) ",
        "SELECT u.c1, n.partnership_id, n.stage, n.agency_id, n.person_id, u.c2 ",
        "FROM ROWS, named_officers n WHERE n.partnership_id = u.c3 AND n.stage = u.c4 AND n.agency_id IN (u.c5, u.c6) ",
        "ON CONFLICT DO NOTHING"
    )),
    &[],
    &["named_officers"],
);

/// An officer was named: they join the record of every open escalation now at their stage
/// that involves their agency ([`Op::OfficerNamed`]).
pub(crate) static OFFICER_NAMED: Sql = Sql::given(
    "parley_officer_named",
    "escalation_officers",
    &[
        ("agency_id", T::Text),
        ("person_id", T::Text),
        ("since_us", T::Int),
        ("partnership_id", T::Text),
        ("stage", T::Int),
    ],
    concat!(
        "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) ",
        "SELECT e.id, e.partnership_id, e.current_stage, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT) ",
        "FROM escalations e WHERE e.partnership_id = $4 AND e.status = 'open' AND e.current_stage = $5 ",
        "AND (e.raising_agency_id = $1 OR e.receiving_agency_id = $1) ",
        "ON CONFLICT DO NOTHING"
    ),
    Some(concat!(
        "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) ",
        "SELECT e.id, e.partnership_id, e.current_stage, u.c1, u.c2, u.c3 ",
        "FROM ROWS, escalations e WHERE e.partnership_id = u.c4 AND e.status = 'open' AND e.current_stage = u.c5 ",
        "AND (e.raising_agency_id = u.c1 OR e.receiving_agency_id = u.c1) ",
        "ON CONFLICT DO NOTHING"
    )),
    &[],
    &["escalations"],
);

/// A person appointed to an escalation ([`Op::Appointment`]; migration 7).
pub(crate) static APPOINTMENT: Sql = Sql::insert(
    "parley_appointment",
    "escalation_appointments",
    &[
        ("escalation_id", T::Text),
        ("partnership_id", T::Text),
        ("role", T::Text),
        ("person_id", T::Text),
        ("stage", T::Int),
        ("at_us", T::Int),
    ],
    &[],
    None,
);

/// An escalation's report facts ([`Op::Facts`]; migration 9), upserted on the escalation.
pub(crate) static FACTS: Sql = Sql::insert(
    "parley_facts",
    "escalation_facts",
    &[
        ("escalation_id", T::Text),
        ("partnership_id", T::Text),
        ("raised_on", T::Text),
        ("closed_on", T::Text),
        ("last_on", T::Text),
        ("facts", T::Text),
    ],
    &[],
    Some((
        &["escalation_id"],
        &["raised_on", "closed_on", "last_on", "facts"],
    )),
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts made from the descriptions are those the writes always had (so SQLite's
    /// writer and the careful path send what they sent).
    #[test]
    fn one_row_texts_are_unchanged() {
        let expected: &[(&'static Sql, &str)] = &[
            (
                &WRITE_HEAD,
                "UPDATE chain_heads SET seq = $2, hash = $3 WHERE partnership_id = $1",
            ),
            (
                &EVENT,
                "INSERT INTO events (partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, content_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            ),
            (
                &OUTBOX,
                "INSERT INTO outbox (id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, created_at_us, sent_at_us, attempts, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL)",
            ),
            (
                &PARTNERSHIP,
                "INSERT INTO partnerships (id, name, short_name, procedure_id, procedure_version, closure_days, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name, procedure_id = excluded.procedure_id, procedure_version = excluded.procedure_version, closure_days = excluded.closure_days",
            ),
            (
                &PROCEDURE,
                "INSERT INTO procedures (partnership_id, version, procedure_id, source, sha256, adopted_at_us) VALUES ($1, $2, $3, $4, $5, $6)",
            ),
            (
                &AGENCY,
                "INSERT INTO agencies (id, partnership_id, name, sector) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = excluded.name, sector = excluded.sector",
            ),
            (
                &PERSON,
                "INSERT INTO people (id, partnership_id, agency_id, name, email, job_title, roles, line_manager_id, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET agency_id = excluded.agency_id, name = excluded.name, email = excluded.email, job_title = excluded.job_title, roles = excluded.roles, line_manager_id = excluded.line_manager_id, active = excluded.active",
            ),
            (
                &NAMED_OFFICER,
                "INSERT INTO named_officers (partnership_id, agency_id, stage, person_id) VALUES ($1, $2, $3, $4) ON CONFLICT (agency_id, stage) DO UPDATE SET person_id = excluded.person_id",
            ),
            (
                &CONFIGURATION_CHANGED,
                "UPDATE partnerships SET config_version = config_version + 1 WHERE id = $1",
            ),
            (
                &REMOVE_NAMED_OFFICER,
                "DELETE FROM named_officers WHERE agency_id = $1 AND stage = $2",
            ),
            (
                &ESCALATION,
                "INSERT INTO escalations (id, partnership_id, reference, procedure_version, version, route, subject, child_status, category, status, outcome, current_stage, stage_due, overall_due, raised_at_us, raised_on, closed_at_us, resolved_by_events, raised_by, raising_agency_id, receiving_agency_id, receiving_person_id, summary, updated_at_us, wake_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status, outcome = excluded.outcome, current_stage = excluded.current_stage, stage_due = excluded.stage_due, overall_due = excluded.overall_due, closed_at_us = excluded.closed_at_us, resolved_by_events = excluded.resolved_by_events, updated_at_us = excluded.updated_at_us, wake_on = excluded.wake_on",
            ),
            (
                &ESCALATION_IN_PLACE,
                "UPDATE escalations SET version = $2, outcome = $3, overall_due = $4, closed_at_us = $5, resolved_by_events = $6, updated_at_us = $7 WHERE id = $1 AND status = $8 AND current_stage = $9 AND stage_due = $10 AND wake_on IS $11",
            ),
            (
                &CHILD,
                "INSERT INTO escalation_children (escalation_id, details) VALUES ($1, $2) ON CONFLICT (escalation_id) DO UPDATE SET details = excluded.details",
            ),
            (
                &CASE,
                "INSERT INTO escalation_cases (escalation_id, decision, evidence, outcome_wanted) VALUES ($1, $2, $3, $4) ON CONFLICT (escalation_id) DO UPDATE SET decision = excluded.decision, evidence = excluded.evidence, outcome_wanted = excluded.outcome_wanted",
            ),
            (
                &STAGE,
                "INSERT INTO escalation_stages (escalation_id, stage, started_at_us, started_on, due, agreed_days, ended_at_us, record, meetings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (escalation_id, stage) DO UPDATE SET due = excluded.due, agreed_days = excluded.agreed_days, ended_at_us = excluded.ended_at_us, record = excluded.record, meetings = excluded.meetings",
            ),
            (
                &COMPLIMENT,
                "INSERT INTO compliments (id, partnership_id, from_person_id, to_person_id, message, given_at_us) VALUES ($1, $2, $3, $4, $5, $6)",
            ),
            (
                &STAGE_ENTERED,
                "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) SELECT CAST($1 AS TEXT), n.partnership_id, n.stage, n.agency_id, n.person_id, CAST($2 AS BIGINT) FROM named_officers n WHERE n.partnership_id = $3 AND n.stage = $4 AND n.agency_id IN ($5, $6) ON CONFLICT DO NOTHING",
            ),
            (
                &OFFICER_NAMED,
                "INSERT INTO escalation_officers (escalation_id, partnership_id, stage, agency_id, person_id, since_us) SELECT e.id, e.partnership_id, e.current_stage, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT) FROM escalations e WHERE e.partnership_id = $4 AND e.status = 'open' AND e.current_stage = $5 AND (e.raising_agency_id = $1 OR e.receiving_agency_id = $1) ON CONFLICT DO NOTHING",
            ),
            (
                &APPOINTMENT,
                "INSERT INTO escalation_appointments (escalation_id, partnership_id, role, person_id, stage, at_us) VALUES ($1, $2, $3, $4, $5, $6)",
            ),
            (
                &FACTS,
                "INSERT INTO escalation_facts (escalation_id, partnership_id, raised_on, closed_on, last_on, facts) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (escalation_id) DO UPDATE SET raised_on = excluded.raised_on, closed_on = excluded.closed_on, last_on = excluded.last_on, facts = excluded.facts",
            ),
        ];
        for (sql, text) in expected {
            assert_eq!(sql.text(), *text, "{}", sql.name);
        }
    }
}
