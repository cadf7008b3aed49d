//! Rows of the query tables (projections), and the changes the projector makes to them; and
//! the rows of the web's security state (accounts, sessions, API tokens), which are neither
//! events nor projections.

/// A change to the projections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Partnership(PartnershipRow),
    Procedure(ProcedureRow),
    Agency(AgencyRow),
    Person(PersonRow),
    NamedOfficer(NamedOfficerRow),
    RemoveNamedOfficer {
        agency_id: String,
        stage: i64,
    },
    Escalation(Box<EscalationRow>),
    Child {
        escalation_id: String,
        details: String,
    },
    Case {
        escalation_id: String,
        decision: String,
        evidence: String,
        outcome_wanted: String,
    },
    Stage(StageRow),
    /// An escalation entered `stage`: the officers named now for that stage in either of its
    /// agencies join its record of officers ([`EscalationOfficerRow`]), read from the
    /// `named_officers` rows in the same transaction.
    StageEntered {
        escalation_id: String,
        partnership_id: String,
        stage: i64,
        raising_agency_id: String,
        receiving_agency_id: String,
        at_us: i64,
    },
    /// `person_id` was named officer of `agency_id` for `stage`: they join the record of
    /// officers of every open escalation now at that stage that involves the agency (read from
    /// the `escalations` rows in the same transaction). Nobody leaves it.
    OfficerNamed {
        partnership_id: String,
        agency_id: String,
        stage: i64,
        person_id: String,
        at_us: i64,
    },
    /// A person appointed to an escalation in a partnership role (issue 14, item 4).
    Appointment(EscalationAppointmentRow),
    Compliment(ComplimentRow),
    /// An escalation's report facts (migration 9; `facts.rs`), written whenever they change.
    Facts(Box<FactsRow>),
    /// Moves the partnership's configuration version on by one (see
    /// [`Op::changes_configuration`]).
    ConfigurationChanged {
        partnership_id: String,
    },
}

impl Op {
    /// Whether the op changes what every page of the partnership reads: the partnership
    /// itself (procedure version, closure days), its agencies, people or named officers.
    pub fn changes_configuration(&self) -> bool {
        matches!(
            self,
            Op::Partnership(_)
                | Op::Procedure(_)
                | Op::Agency(_)
                | Op::Person(_)
                | Op::NamedOfficer(_)
                | Op::RemoveNamedOfficer { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnershipRow {
    pub id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub procedure_id: String,
    pub procedure_version: i64,
    pub closure_days: Vec<String>,
    pub created_at_us: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcedureRow {
    pub partnership_id: String,
    pub version: i64,
    pub procedure_id: String,
    pub source: String,
    pub sha256: String,
    pub adopted_at_us: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyRow {
    pub id: String,
    pub partnership_id: String,
    pub name: String,
    pub sector: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow {
    pub id: String,
    pub partnership_id: String,
    pub agency_id: Option<String>,
    pub name: String,
    pub email: String,
    pub job_title: String,
    pub roles: Vec<String>,
    pub line_manager_id: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedOfficerRow {
    pub partnership_id: String,
    pub agency_id: String,
    pub stage: i64,
    pub person_id: String,
}

/// A named officer who held the post for `stage` of the escalation while it was at that stage
/// (see [`Op::StageEntered`] and [`Op::OfficerNamed`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EscalationOfficerRow {
    pub escalation_id: String,
    pub partnership_id: String,
    pub stage: i64,
    pub agency_id: String,
    pub person_id: String,
    pub since_us: i64,
}

/// A person appointed to an escalation in a partnership role (`escalation_appointments`,
/// migration 7): an independent chair, the Safeguarding Partners Executive ...
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EscalationAppointmentRow {
    pub escalation_id: String,
    pub partnership_id: String,
    /// The procedure's appointed role (`names::Actor`), e.g. `independent-chair`.
    pub role: String,
    pub person_id: String,
    /// The stage the escalation was at.
    pub stage: i64,
    pub at_us: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationRow {
    pub id: String,
    pub partnership_id: String,
    pub reference: String,
    pub procedure_version: i64,
    pub version: i64,
    pub route: String,
    pub subject: String,
    pub child_status: Option<String>,
    pub category: String,
    pub status: String,
    pub outcome: Option<String>,
    pub current_stage: i64,
    pub stage_due: String,
    pub overall_due: Option<String>,
    pub raised_at_us: i64,
    pub raised_on: String,
    pub closed_at_us: Option<i64>,
    pub resolved_by_events: bool,
    pub raised_by: String,
    pub raising_agency_id: String,
    pub receiving_agency_id: String,
    pub receiving_person_id: Option<String>,
    pub summary: String,
    pub updated_at_us: i64,
    /// `YYYY-MM-DD`: the first date on which the deadline monitor has something to record
    /// (`Escalation::wake_on`); `None` when it has nothing left (migration 8).
    pub wake_on: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRow {
    pub escalation_id: String,
    pub stage: i64,
    pub started_at_us: i64,
    pub started_on: String,
    pub due: String,
    pub agreed_days: Option<i64>,
    pub ended_at_us: Option<i64>,
    pub record: Vec<(String, String)>,
    pub meetings: i64,
}

/// What the period reports read of one escalation (`escalation_facts`, migration 9; see
/// `facts.rs`). Dates are `YYYY-MM-DD` in the procedure's time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactsRow {
    pub escalation_id: String,
    pub partnership_id: String,
    pub raised_on: String,
    /// The day it closed; `None` while open.
    pub closed_on: Option<String>,
    /// Once closed, the last day any of its facts falls on (closing, learning written
    /// later, meetings, referrals); `None` while open.
    pub last_on: Option<String>,
    /// The JSON of its facts (`facts::Stored`).
    pub facts: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplimentRow {
    pub id: String,
    pub partnership_id: String,
    pub from_person_id: String,
    pub to_person_id: String,
    pub message: String,
    pub given_at_us: i64,
}

/// A notification waiting in (or sent from) the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    pub partnership_id: String,
    pub event_seq: i64,
    pub escalation_id: Option<String>,
    pub recipient: String,
    pub reason: String,
    pub stage: i64,
    pub child_details: bool,
    pub address: Option<String>,
    pub created_at_us: i64,
    pub sent_at_us: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// One person or address a notification (an outbox row) was resolved to (`deliveries`,
/// migration 8): the record of who was told, a person's inbox entry, and the mail queue's row.
/// Not a projection: its delivery columns change as mail is sent and notifications are read.
/// `mail` is one of `notify::MailState`'s names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: String,
    pub outbox_id: String,
    pub partnership_id: String,
    pub escalation_id: Option<String>,
    pub person_id: Option<String>,
    pub address: Option<String>,
    /// When the notification was made (its outbox row's time).
    pub created_at_us: i64,
    pub read_at_us: Option<i64>,
    pub mail: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_us: i64,
    pub lease_until_us: Option<i64>,
    pub leased_by: Option<String>,
    pub sent_at_us: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Security state: mutable, not derived from events, left alone by a rebuild.

/// A person's sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub person_id: String,
    pub partnership_id: String,
    /// Lower-case (the store lower-cases it when saving).
    pub email: String,
    /// A PHC string; never the password.
    pub password_hash: String,
    /// Failed sign-ins since the last successful one.
    pub failed_attempts: i64,
    pub locked_until_us: Option<i64>,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// A signed-in browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie's value; the token itself is never stored.
    pub token_hash: String,
    pub person_id: String,
    pub csrf_token: String,
    pub created_at_us: i64,
    pub last_seen_us: i64,
    pub expires_at_us: i64,
    /// JSON of a form in progress.
    pub draft: Option<String>,
}

/// A bearer token for the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// Hex SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    pub person_id: String,
    pub label: String,
    pub created_at_us: i64,
    pub expires_at_us: Option<i64>,
    pub revoked_at_us: Option<i64>,
    /// When it was last used (to the minute: written at most once a minute).
    pub last_used_at_us: Option<i64>,
}

/// What a signed-in request starts from: its session, the person's partnership, and the two
/// versions that say whether what a process keeps of that partnership is current.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionLookup {
    pub session: SessionRow,
    pub partnership_id: String,
    /// `Directory::config_version`.
    pub config_version: i64,
    /// The partnership chain's newest sequence number: it moves with every event.
    pub chain_seq: i64,
}
