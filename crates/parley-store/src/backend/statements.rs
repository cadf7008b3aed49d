//! What an append writes, as SQL with its arguments (each kind of write described in
//! `statements/writes.rs`), built once for every driver: sqlx binds them one row at a time on
//! the careful path and in rebuilds (`backend/careful.rs`, both backends) and many rows at a
//! time as arrays on PostgreSQL's writer (`backend/postgres/batch.rs`), rusqlite on SQLite's
//! writer connection (`backend/sqlite/writer.rs`). The chaining of a request's events lives
//! here too, so every writer computes exactly the same hashes.
//!
//! Placeholders are `$N`, numbered in the order they first appear, which sqlx accepts on both
//! databases; the SQLite writer turns them into `?N`.

use super::request::{AppendRequest, Appended, NewEvent, NewOutbox};
use crate::StoreError;
use crate::chain::{self, Content, Fixed};
use crate::rows::Op;
use crate::stream;
use crate::tables::json_list;

/// `sql` with its `$N` placeholders as SQLite's `?N`, for rusqlite, which binds by position
/// (SQLite numbers a `$N` by where it first appears, not by N).
pub(crate) fn sqlite_text(sql: &str) -> String {
    sql.replace('$', "?")
}

/// One argument of a statement.
#[derive(Debug)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Blob(&'a [u8]),
    OptBlob(Option<&'a [u8]>),
    /// Text made for this statement (a JSON list).
    Owned(String),
}

mod writes;
pub(crate) use writes::*;

/// SQL and the arguments for its placeholders, in order.
#[derive(Debug)]
pub(crate) struct Statement<'a> {
    pub sql: &'static Sql,
    pub args: Vec<Arg<'a>>,
}

/// The highest version of one stream (NULL when it has no events). Written as the newest row
/// of the stream's index rather than `MAX(...)`: PostgreSQL, its statistics stale, otherwise
/// sometimes reads every version of a long stream.
pub(crate) const STREAM_VERSION: &str = "SELECT (SELECT stream_version FROM events WHERE partnership_id = $1 AND stream = $2 ORDER BY stream_version DESC LIMIT 1) AS version";

/// Checks the versions a request was decided on against those just read: its stream's, and
/// (when it names one) the partnership stream's, that is the configuration it was decided
/// with. Returns the stream's version, or the `Conflict` naming the stream that moved.
pub(crate) fn check_versions(
    req: &AppendRequest,
    current: i64,
    partnership_current: Option<i64>,
) -> Result<i64, StoreError> {
    if current != req.expected_version {
        return Err(StoreError::Conflict {
            stream: req.stream.clone(),
            expected: req.expected_version,
            actual: current,
        });
    }
    if let (Some(expected), Some(actual)) = (req.partnership_version, partnership_current)
        && expected != actual
    {
        return Err(StoreError::Conflict {
            stream: stream::PARTNERSHIP.to_owned(),
            expected,
            actual,
        });
    }
    Ok(current)
}

/// What refused the `i`-th row of a request: a unique key taken by an event of its stream is
/// another writer's event at that version (a lost race, so a `Conflict`); anything else is
/// the error itself.
pub(crate) fn refusal(
    req: &AppendRequest,
    chained: &[Chained],
    i: usize,
    e: StoreError,
) -> StoreError {
    match lost_race(req, chained, i) {
        Some(conflict) if e.is_unique_violation() => conflict,
        _ => e,
    }
}

/// A fresh salt for an event's content digest.
fn salt() -> Result<[u8; 16], StoreError> {
    let mut s = [0u8; 16];
    getrandom::fill(&mut s).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(s)
}

/// An event chained onto the head before it: its place and its hashes.
#[derive(Debug)]
pub(crate) struct Chained {
    pub seq: i64,
    pub stream_version: i64,
    pub salt: [u8; 16],
    pub content_hash: [u8; 32],
    pub prev: Vec<u8>,
    pub hash: [u8; 32],
}

/// Chains a request's events onto `head` (which moves on to the last of them), the request's
/// stream being at `current`. Each event gets a fresh salt.
pub(crate) fn chain_events(
    req: &AppendRequest,
    current: i64,
    head: &mut (i64, Vec<u8>),
) -> Result<Vec<Chained>, StoreError> {
    let (last, mut prev) = head.clone();
    let mut out = Vec::with_capacity(req.events.len());
    for (n, e) in (1..).zip(&req.events) {
        let (seq, version) = (last + n, current + n);
        let salt = salt()?;
        let content = Content {
            actor: e.actor.as_deref(),
            reason: e.reason.as_deref(),
            payload: &e.payload,
        };
        let content_hash = chain::content_hash(&salt, content);
        let fixed = Fixed {
            partnership_id: &req.partnership_id,
            seq,
            stream: &req.stream,
            stream_version: version,
            at_us: e.at_us,
            kind: &e.kind,
        };
        let hash = chain::event_hash(&prev, fixed, &content_hash);
        out.push(Chained {
            seq,
            stream_version: version,
            salt,
            content_hash,
            prev: std::mem::replace(&mut prev, hash.to_vec()),
            hash,
        });
    }
    *head = (out.last().map_or(last, |c: &Chained| c.seq), prev);
    Ok(out)
}

/// A request's rows in the order they are written: its events (chained as `chained`, so the
/// first `chained.len()` rows), its projection rows, its outbox rows.
pub(crate) fn request_rows<'a>(
    req: &'a AppendRequest,
    chained: &'a [Chained],
) -> Vec<Statement<'a>> {
    let mut rows = Vec::with_capacity(chained.len() + req.ops.len() + req.outbox.len());
    rows.extend(
        req.events
            .iter()
            .zip(chained)
            .map(|(e, c)| insert_event(req, e, c)),
    );
    rows.extend(req.ops.iter().map(op));
    rows.extend(
        req.outbox
            .iter()
            // Time-ordered ids: new notifications go at the end of the outbox's key.
            .map(|n| insert_outbox(req, n, chained, uuid::Uuid::now_v7().to_string())),
    );
    rows
}

/// Row `index` of [`request_rows`] was refused as a duplicate: when it is an event, another
/// writer took that stream version first.
fn lost_race(req: &AppendRequest, chained: &[Chained], index: usize) -> Option<StoreError> {
    chained.get(index).map(|c| StoreError::Conflict {
        stream: req.stream.clone(),
        expected: req.expected_version,
        actual: c.stream_version,
    })
}

/// Where a request's events landed, the head having moved on past them.
pub(crate) fn appended(chained: &[Chained], current: i64, head: &(i64, Vec<u8>)) -> Appended {
    Appended {
        seq: head.0,
        stream_version: chained.last().map_or(current, |c| c.stream_version),
    }
}

fn insert_event<'a>(req: &'a AppendRequest, e: &'a NewEvent, c: &'a Chained) -> Statement<'a> {
    use Arg::*;
    Statement {
        sql: &EVENT,
        args: vec![
            Text(&req.partnership_id),
            Int(c.seq),
            Text(&req.stream),
            Int(c.stream_version),
            Int(e.at_us),
            Text(&e.kind),
            OptText(e.actor.as_deref()),
            OptText(e.reason.as_deref()),
            Text(&e.payload),
            Blob(&c.salt),
            Blob(&c.content_hash),
            Blob(&c.prev),
            Blob(&c.hash),
        ],
    }
}

/// The outbox rows of a request whose events were chained as `chained`; `id` names each row.
fn insert_outbox<'a>(
    req: &'a AppendRequest,
    n: &'a NewOutbox,
    chained: &[Chained],
    id: String,
) -> Statement<'a> {
    use Arg::*;
    let event_seq = chained
        .get(n.event_index)
        .or(chained.last())
        .map_or(0, |c| c.seq);
    let at_us = req.events.get(n.event_index).map_or(0, |e| e.at_us);
    Statement {
        sql: &OUTBOX,
        args: vec![
            Owned(id),
            Text(&req.partnership_id),
            Int(event_seq),
            OptText(n.escalation_id.as_deref()),
            Text(&n.recipient),
            Text(&n.reason),
            Int(n.stage),
            Bool(n.child_details),
            OptText(n.address.as_deref()),
            Int(at_us),
        ],
    }
}

/// The projection write of one op.
pub(crate) fn op(op: &Op) -> Statement<'_> {
    use Arg::*;
    let (sql, args): (&'static Sql, Vec<Arg<'_>>) = match op {
        Op::Partnership(p) => (
            &PARTNERSHIP,
            vec![
                Text(&p.id),
                Text(&p.name),
                OptText(p.short_name.as_deref()),
                Text(&p.procedure_id),
                Int(p.procedure_version),
                Owned(json_list(&p.closure_days)),
                Int(p.created_at_us),
            ],
        ),
        Op::Procedure(p) => (
            &PROCEDURE,
            vec![
                Text(&p.partnership_id),
                Int(p.version),
                Text(&p.procedure_id),
                Text(&p.source),
                Text(&p.sha256),
                Int(p.adopted_at_us),
            ],
        ),
        Op::Agency(a) => (
            &AGENCY,
            vec![
                Text(&a.id),
                Text(&a.partnership_id),
                Text(&a.name),
                Text(&a.sector),
            ],
        ),
        Op::Person(p) => (
            &PERSON,
            vec![
                Text(&p.id),
                Text(&p.partnership_id),
                OptText(p.agency_id.as_deref()),
                Text(&p.name),
                Text(&p.email),
                Text(&p.job_title),
                Owned(json_list(&p.roles)),
                OptText(p.line_manager_id.as_deref()),
                Bool(p.active),
            ],
        ),
        Op::NamedOfficer(n) => (
            &NAMED_OFFICER,
            vec![
                Text(&n.partnership_id),
                Text(&n.agency_id),
                Int(n.stage),
                Text(&n.person_id),
            ],
        ),
        Op::ConfigurationChanged { partnership_id } => {
            (&CONFIGURATION_CHANGED, vec![Text(partnership_id)])
        }
        Op::RemoveNamedOfficer { agency_id, stage } => {
            (&REMOVE_NAMED_OFFICER, vec![Text(agency_id), Int(*stage)])
        }
        Op::Escalation(e) => (
            &ESCALATION,
            vec![
                Text(&e.id),
                Text(&e.partnership_id),
                Text(&e.reference),
                Int(e.procedure_version),
                Int(e.version),
                Text(&e.route),
                Text(&e.subject),
                OptText(e.child_status.as_deref()),
                Text(&e.category),
                Text(&e.status),
                OptText(e.outcome.as_deref()),
                Int(e.current_stage),
                Text(&e.stage_due),
                OptText(e.overall_due.as_deref()),
                Int(e.raised_at_us),
                Text(&e.raised_on),
                OptInt(e.closed_at_us),
                Bool(e.resolved_by_events),
                Text(&e.raised_by),
                Text(&e.raising_agency_id),
                Text(&e.receiving_agency_id),
                OptText(e.receiving_person_id.as_deref()),
                Text(&e.summary),
                Int(e.updated_at_us),
                OptText(e.wake_on.as_deref()),
            ],
        ),
        Op::Child {
            escalation_id,
            details,
        } => (&CHILD, vec![Text(escalation_id), Text(details)]),
        Op::Case {
            escalation_id,
            decision,
            evidence,
            outcome_wanted,
        } => (
            &CASE,
            vec![
                Text(escalation_id),
                Text(decision),
                Text(evidence),
                Text(outcome_wanted),
            ],
        ),
        Op::Stage(s) => (
            &STAGE,
            vec![
                Text(&s.escalation_id),
                Int(s.stage),
                Int(s.started_at_us),
                Text(&s.started_on),
                Text(&s.due),
                OptInt(s.agreed_days),
                OptInt(s.ended_at_us),
                Owned(record_json(&s.record)),
                Int(s.meetings),
            ],
        ),
        Op::Appointment(a) => (
            &APPOINTMENT,
            vec![
                Text(&a.escalation_id),
                Text(&a.partnership_id),
                Text(&a.role),
                Text(&a.person_id),
                Int(a.stage),
                Int(a.at_us),
            ],
        ),
        Op::StageEntered {
            escalation_id,
            partnership_id,
            stage,
            raising_agency_id,
            receiving_agency_id,
            at_us,
        } => (
            &STAGE_ENTERED,
            vec![
                Text(escalation_id),
                Int(*at_us),
                Text(partnership_id),
                Int(*stage),
                Text(raising_agency_id),
                Text(receiving_agency_id),
            ],
        ),
        Op::OfficerNamed {
            partnership_id,
            agency_id,
            stage,
            person_id,
            at_us,
        } => (
            &OFFICER_NAMED,
            vec![
                Text(agency_id),
                Text(person_id),
                Int(*at_us),
                Text(partnership_id),
                Int(*stage),
            ],
        ),
        Op::Facts(f) => (
            &FACTS,
            vec![
                Text(&f.escalation_id),
                Text(&f.partnership_id),
                Text(&f.raised_on),
                OptText(f.closed_on.as_deref()),
                OptText(f.last_on.as_deref()),
                Text(&f.facts),
            ],
        ),
        Op::Compliment(c) => (
            &COMPLIMENT,
            vec![
                Text(&c.id),
                Text(&c.partnership_id),
                Text(&c.from_person_id),
                Text(&c.to_person_id),
                Text(&c.message),
                Int(c.given_at_us),
            ],
        ),
    };
    Statement { sql, args }
}

fn record_json(v: &[(String, String)]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}
