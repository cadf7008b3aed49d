//! The query tables as `audit verify` reads and compares them: each table's columns with how
//! each is read, and one stored value. A leaf: the backends read the tables by these
//! descriptions and `consistency` compares what they read, without importing each other.

use std::fmt;

/// How a column's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Bool,
}

/// A query table: its name and its columns, the primary key's first.
#[derive(Debug)]
pub struct ProjectionTable {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// How many of the first columns make the primary key.
    pub key: usize,
}

impl ProjectionTable {
    /// `SELECT <columns> FROM <table>`: names from this file's constants, never from input.
    pub fn select_sql(&self) -> String {
        let columns: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        format!("SELECT {} FROM {}", columns.join(", "), self.name)
    }

    pub(crate) fn index(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|(c, _)| *c == column)
            .unwrap_or(usize::MAX)
    }
}

use Kind::{Bool, Int, Text};

pub const PARTNERSHIPS: ProjectionTable = ProjectionTable {
    name: "partnerships",
    columns: &[
        ("id", Text),
        ("name", Text),
        ("short_name", Text),
        ("procedure_id", Text),
        ("procedure_version", Int),
        ("closure_days", Text),
        ("created_at_us", Int),
        ("config_version", Int),
    ],
    key: 1,
};

pub const PROCEDURES: ProjectionTable = ProjectionTable {
    name: "procedures",
    columns: &[
        ("partnership_id", Text),
        ("version", Int),
        ("procedure_id", Text),
        ("source", Text),
        ("sha256", Text),
        ("adopted_at_us", Int),
    ],
    key: 2,
};

pub const AGENCIES: ProjectionTable = ProjectionTable {
    name: "agencies",
    columns: &[
        ("id", Text),
        ("partnership_id", Text),
        ("name", Text),
        ("sector", Text),
    ],
    key: 1,
};

pub const PEOPLE: ProjectionTable = ProjectionTable {
    name: "people",
    columns: &[
        ("id", Text),
        ("partnership_id", Text),
        ("agency_id", Text),
        ("name", Text),
        ("email", Text),
        ("job_title", Text),
        ("roles", Text),
        ("line_manager_id", Text),
        ("active", Bool),
    ],
    key: 1,
};

pub const NAMED_OFFICERS: ProjectionTable = ProjectionTable {
    name: "named_officers",
    columns: &[
        ("agency_id", Text),
        ("stage", Int),
        ("partnership_id", Text),
        ("person_id", Text),
    ],
    key: 2,
};

pub const ESCALATIONS: ProjectionTable = ProjectionTable {
    name: "escalations",
    columns: &[
        ("id", Text),
        ("partnership_id", Text),
        ("reference", Text),
        ("procedure_version", Int),
        ("version", Int),
        ("route", Text),
        ("subject", Text),
        ("child_status", Text),
        ("category", Text),
        ("status", Text),
        ("outcome", Text),
        ("current_stage", Int),
        ("stage_due", Text),
        ("overall_due", Text),
        ("raised_at_us", Int),
        ("raised_on", Text),
        ("closed_at_us", Int),
        ("resolved_by_events", Bool),
        ("raised_by", Text),
        ("raising_agency_id", Text),
        ("receiving_agency_id", Text),
        ("receiving_person_id", Text),
        ("summary", Text),
        ("updated_at_us", Int),
        ("wake_on", Text),
    ],
    key: 1,
};

pub const ESCALATION_CHILDREN: ProjectionTable = ProjectionTable {
    name: "escalation_children",
    columns: &[("escalation_id", Text), ("details", Text)],
    key: 1,
};

pub const ESCALATION_CASES: ProjectionTable = ProjectionTable {
    name: "escalation_cases",
    columns: &[
        ("escalation_id", Text),
        ("decision", Text),
        ("evidence", Text),
        ("outcome_wanted", Text),
    ],
    key: 1,
};

pub const ESCALATION_STAGES: ProjectionTable = ProjectionTable {
    name: "escalation_stages",
    columns: &[
        ("escalation_id", Text),
        ("stage", Int),
        ("started_at_us", Int),
        ("started_on", Text),
        ("due", Text),
        ("agreed_days", Int),
        ("ended_at_us", Int),
        ("record", Text),
        ("meetings", Int),
    ],
    key: 2,
};

pub const COMPLIMENTS: ProjectionTable = ProjectionTable {
    name: "compliments",
    columns: &[
        ("id", Text),
        ("partnership_id", Text),
        ("from_person_id", Text),
        ("to_person_id", Text),
        ("message", Text),
        ("given_at_us", Int),
    ],
    key: 1,
};

/// Who led each stage an escalation went through (migration 4). The key comes first here, in
/// the order of the table's primary key.
pub const ESCALATION_OFFICERS: ProjectionTable = ProjectionTable {
    name: "escalation_officers",
    columns: &[
        ("escalation_id", Text),
        ("stage", Int),
        ("agency_id", Text),
        ("person_id", Text),
        ("partnership_id", Text),
        ("since_us", Int),
    ],
    key: 4,
};

/// Who is appointed to each escalation in a partnership role (migration 7). The key first.
pub const ESCALATION_APPOINTMENTS: ProjectionTable = ProjectionTable {
    name: "escalation_appointments",
    columns: &[
        ("escalation_id", Text),
        ("role", Text),
        ("person_id", Text),
        ("partnership_id", Text),
        ("stage", Int),
        ("at_us", Int),
    ],
    key: 3,
};

/// What the period reports read of each escalation (migration 9; `facts.rs`).
pub const ESCALATION_FACTS: ProjectionTable = ProjectionTable {
    name: "escalation_facts",
    columns: &[
        ("escalation_id", Text),
        ("partnership_id", Text),
        ("raised_on", Text),
        ("closed_on", Text),
        ("last_on", Text),
        ("facts", Text),
    ],
    key: 1,
};

/// Every query table. A new projection table goes here too, or `audit verify` cannot see it
/// (`tests/store/schema.rs` checks the list against the migrations).
pub const TABLES: [&ProjectionTable; 13] = [
    &PARTNERSHIPS,
    &PROCEDURES,
    &AGENCIES,
    &PEOPLE,
    &NAMED_OFFICERS,
    &ESCALATIONS,
    &ESCALATION_CHILDREN,
    &ESCALATION_CASES,
    &ESCALATION_STAGES,
    &COMPLIMENTS,
    &ESCALATION_OFFICERS,
    &ESCALATION_APPOINTMENTS,
    &ESCALATION_FACTS,
];

/// One stored value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    /// A value of the wrong type for its column (only SQLite lets one in).
    Unreadable,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(t) => write!(f, "{t:?}"),
            Value::Unreadable => f.write_str("(unreadable)"),
        }
    }
}

/// A list of text as stored in a column (JSON).
pub(crate) fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}
