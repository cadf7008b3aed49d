//! The storage trait and its two implementations, SQLite and PostgreSQL.
//!
//! The SQL is written once, with `$N` placeholders that both drivers accept, and stamped out
//! for each backend by `impl_store!`. What genuinely differs (opening, durability checks,
//! locking the chain head) is written per backend beside it.
//!
//! Longer than 800 lines: the `impl_store!` macro is one item that cannot be divided between
//! files; issue 16 replaces it with one trait per concern, implemented per backend in files of
//! their own.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Acquire, Row};

use crate::StoreError;
use crate::chain::{self, Link};
use crate::rows::{
    AccountRow, AgencyRow, ApiTokenRow, ComplimentRow, DeliveryRow, EscalationAppointmentRow,
    EscalationOfficerRow, EscalationRow, FactsRow, NamedOfficerRow, Op, OutboxRow, PartnershipRow,
    PersonRow, ProcedureRow, SessionLookup, SessionRow, StageRow,
};
use crate::tables::{Kind, ProjectionTable, Value, json_list};

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub at_us: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub reason: Option<String>,
    /// JSON.
    pub payload: String,
}

/// A notification to put in the outbox with the event at `event_index` of its request.
#[derive(Clone, Debug)]
pub struct NewOutbox {
    pub event_index: usize,
    pub escalation_id: Option<String>,
    pub recipient: String,
    pub reason: String,
    pub stage: i64,
    pub child_details: bool,
    pub address: Option<String>,
}

/// One command's changes: its events on one stream, the projection rows they change, and the
/// notifications they call for. All or nothing.
#[derive(Clone, Debug)]
pub struct AppendRequest {
    pub partnership_id: String,
    pub stream: String,
    /// The stream's version the command was decided on; anything else is a conflict.
    pub expected_version: i64,
    /// The partnership stream's version (its configuration) the command was decided with, when
    /// that matters; anything else is a conflict on the partnership stream.
    pub partnership_version: Option<i64>,
    pub events: Vec<NewEvent>,
    pub ops: Vec<Op>,
    pub outbox: Vec<NewOutbox>,
}

/// Where a request's events landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The chain position of the last event.
    pub seq: i64,
    /// The stream's new version.
    pub stream_version: i64,
}

/// Which of a partnership's escalations a page lists ([`Store::escalation_page`]). Every field
/// left `None` lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EscalationFilter {
    /// At this stage or a later one.
    pub min_stage: Option<i64>,
    /// At exactly this stage.
    pub stage: Option<i64>,
    /// Raised by or against this agency.
    pub agency_id: Option<String>,
    pub category: Option<String>,
    /// `open`, `resolved`, `referred-on`, `withdrawn` or `redirected`.
    pub status: Option<String>,
    /// `YYYY-MM-DD`: open, and the stage or the whole escalation was due before this day.
    pub overdue_on: Option<String>,
}

/// A blocking `append_batch` (see [`Store::blocking_appender`]).
pub type BlockingAppender = Arc<
    dyn Fn(&[AppendRequest]) -> Result<Vec<Result<Appended, StoreError>>, StoreError> + Send + Sync,
>;

/// Storage. Both implementations pass the same story tests (`tests/store/`).
#[async_trait]
pub trait Store: notices::Notices + Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// The highest migration applied.
    async fn schema_version(&self) -> Result<i64, StoreError>;

    /// Appends several commands in one durable transaction (group commit). Each command
    /// succeeds or fails on its own; nothing is acknowledged before the commit.
    async fn append_batch(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError>;

    /// The same as `append_batch`, as a blocking call, when the backend writes on a connection
    /// of its own rather than on the async runtime (SQLite): the group-commit writer then runs
    /// on a thread of its own and calls it directly, saving a hand-off per batch.
    fn blocking_appender(&self) -> Option<BlockingAppender> {
        None
    }

    /// The events of some streams of a partnership, in chain order.
    async fn stream_events(
        &self,
        partnership_id: &str,
        streams: &[String],
    ) -> Result<Vec<Link>, StoreError>;

    /// Up to `limit` events of a chain after `after_seq`, in order.
    async fn chain(
        &self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError>;

    /// Every chain: (partnership id, head seq, head hash), as recorded in `chain_heads`.
    async fn chain_heads(&self) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError>;

    /// Every partnership that has events, from the events themselves.
    async fn chain_ids(&self) -> Result<Vec<String>, StoreError>;

    /// Empties every projection and fills them from `ops`, in one transaction.
    async fn replace_projections(&self, ops: Vec<Op>) -> Result<(), StoreError>;

    /// Every row of a query table, its columns as `table` lists them (for `audit verify`'s
    /// comparison with the events; see `consistency.rs`). A value of the wrong type for its
    /// column reads as `Value::Unreadable`.
    async fn projection_rows(
        &self,
        table: &'static ProjectionTable,
    ) -> Result<Vec<Vec<Value>>, StoreError>;

    /// Appends a purge record (`request`: one `event-purged` event on the stream
    /// `purge:<purged_seq>`) and, in the same transaction, empties the content of event
    /// `purged_seq` of the chain through the one change the database's guard allows (SQLite's
    /// trigger; on PostgreSQL the owner's `parley_purge_event_content`, the application's role
    /// having no UPDATE on events). All or nothing. See `purge.rs`.
    async fn append_purge(
        &self,
        request: AppendRequest,
        purged_seq: i64,
    ) -> Result<Appended, StoreError>;

    async fn partnerships(&self) -> Result<Vec<PartnershipRow>, StoreError>;
    async fn procedures(&self, partnership_id: &str) -> Result<Vec<ProcedureRow>, StoreError>;
    async fn agencies(&self, partnership_id: &str) -> Result<Vec<AgencyRow>, StoreError>;
    async fn people(&self, partnership_id: &str) -> Result<Vec<PersonRow>, StoreError>;
    async fn named_officers(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<NamedOfficerRow>, StoreError>;
    async fn escalation(&self, id: &str) -> Result<Option<EscalationRow>, StoreError>;
    async fn escalations(&self, partnership_id: &str) -> Result<Vec<EscalationRow>, StoreError>;
    async fn stages(&self, escalation_id: &str) -> Result<Vec<StageRow>, StoreError>;
    /// The child's details (JSON), for those allowed to see them.
    async fn child_details(&self, escalation_id: &str) -> Result<Option<String>, StoreError>;
    /// (decision, evidence, outcome wanted).
    async fn case(
        &self,
        escalation_id: &str,
    ) -> Result<Option<(String, String, String)>, StoreError>;
    async fn compliments(&self, partnership_id: &str) -> Result<Vec<ComplimentRow>, StoreError>;
    /// The report facts rows (migration 9) of the partnership's escalations raised on or
    /// before `to` that are open, or whose last fact is on or after `from` (`YYYY-MM-DD`):
    /// those a report of the period from `from` to `to` counts, in no order.
    async fn escalation_facts(
        &self,
        partnership_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<FactsRow>, StoreError>;
    async fn outbox(&self, partnership_id: &str) -> Result<Vec<OutboxRow>, StoreError>;

    /// A stream's current version (0 when it has no events). One index look-up.
    async fn stream_version(&self, partnership_id: &str, stream: &str) -> Result<i64, StoreError>;
    /// The partnership's configuration version: it moves on with every change to the
    /// partnership, its procedures, closure days, agencies, people or named officers (never
    /// with an escalation's), so a cache of those keyed by it is never stale. `None` for an
    /// unknown partnership.
    async fn config_version(&self, partnership_id: &str) -> Result<Option<i64>, StoreError>;

    /// How many escalation references match a `LIKE` pattern (to number new ones).
    async fn count_references(&self, pattern: &str) -> Result<i64, StoreError>;

    /// Whether the database holds nothing: no event, chain head, outbox row or query row.
    /// Accounts, sessions and API tokens are not counted.
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// A consistent read-only view of the whole database, for exports and backups.
    async fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError>;

    // -----------------------------------------------------------------------------------------
    // The web's queries.

    /// One person, by id.
    async fn person(&self, id: &str) -> Result<Option<PersonRow>, StoreError>;

    /// Every escalation of the partnership that involves a person: raised by or received by
    /// one of `people`, or led by one of them as a named officer at a stage it went through
    /// (its `escalation_officers` rows; never worked out from stage numbers). By stage due
    /// date, then reference.
    async fn escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError>;

    /// The named officers who held a stage of the escalation while it was at that stage, by
    /// stage, agency and person.
    async fn escalation_officers(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationOfficerRow>, StoreError>;
    /// [`Store::escalation_officers`] of several of the partnership's escalations at once
    /// (those of a list), by escalation, stage, agency and person.
    async fn officers_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationOfficerRow>, StoreError>;

    /// Who is appointed to the escalation in a partnership role (migration 7), by role and
    /// person.
    async fn escalation_appointments(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError>;
    /// [`Store::escalation_appointments`] of several of the partnership's escalations at
    /// once, by escalation, role and person.
    async fn appointments_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError>;

    /// One page of the partnership's escalations that pass `filter`, newest first (then by
    /// reference), and how many pass it in all. A negative `limit` or `offset` counts as 0.
    /// The open escalations of [`Store::escalations_involving`], by stage deadline.
    async fn open_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError>;
    /// One page of the closed escalations of [`Store::escalations_involving`], newest first,
    /// and how many there are in all.
    async fn closed_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError>;
    async fn escalation_page(
        &self,
        partnership_id: &str,
        filter: &EscalationFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError>;

    // -----------------------------------------------------------------------------------------
    // Security state: accounts, sessions and API tokens. Mutable rows, not events and not
    // projections; `replace_projections` leaves them alone. A change to a row that is not
    // there does nothing, unless the method says otherwise.

    /// Saves an account: inserts it, or replaces everything but `created_at_us`. The e-mail
    /// address is stored lower-case; one that another account has is `StoreError::Invalid`.
    async fn upsert_account(&self, account: &AccountRow) -> Result<(), StoreError>;
    async fn account(&self, person_id: &str) -> Result<Option<AccountRow>, StoreError>;
    /// The account with this e-mail address, in any case.
    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>, StoreError>;
    /// Counts a failed sign-in (atomically) and, when `locked_until_us` is given, locks the
    /// account until then. Returns the new count; `StoreError::NotFound` without an account.
    async fn note_sign_in_failure(
        &self,
        person_id: &str,
        locked_until_us: Option<i64>,
        now_us: i64,
    ) -> Result<i64, StoreError>;
    /// After a successful sign-in: no failures, no lock.
    async fn clear_sign_in_failures(&self, person_id: &str, now_us: i64) -> Result<(), StoreError>;

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError>;
    /// The session with this token hash, expired or not (the caller compares the times).
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError>;
    /// A session, its person's partnership, that partnership's configuration version
    /// ([`Store::config_version`]) and chain head, in one query: what every signed-in request
    /// starts with.
    async fn session_with_partnership(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionLookup>, StoreError>;
    async fn touch_session(
        &self,
        token_hash: &str,
        last_seen_us: i64,
        expires_at_us: i64,
    ) -> Result<(), StoreError>;
    /// Keeps (or, with `None`, drops) the JSON of a form in progress.
    async fn set_session_draft(
        &self,
        token_hash: &str,
        draft: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Signs a person out everywhere.
    async fn delete_person_sessions(&self, person_id: &str) -> Result<(), StoreError>;
    /// Deletes every session with `expires_at_us <= now_us`; returns how many.
    async fn delete_expired_sessions(&self, now_us: i64) -> Result<u64, StoreError>;

    async fn create_api_token(&self, token: &ApiTokenRow) -> Result<(), StoreError>;
    /// The token with this hash, revoked or expired or not (the caller checks).
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRow>, StoreError>;
    /// Revokes a token; a token already revoked keeps its first revocation time.
    async fn revoke_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError>;
    /// Revokes every token of a person (for good: nothing un-revokes a token); returns how
    /// many were revoked now.
    async fn revoke_person_api_tokens(
        &self,
        person_id: &str,
        now_us: i64,
    ) -> Result<u64, StoreError>;
    /// A person's tokens, revoked and expired ones too, newest first.
    async fn person_api_tokens(&self, person_id: &str) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// The tokens of a partnership's people, revoked and expired ones too, newest first.
    async fn partnership_api_tokens(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// Notes that a token was used at `now_us` (the caller writes at most once a minute).
    async fn touch_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError>;

    /// Starts loading an export: one write transaction, all or nothing.
    async fn loader(&self) -> Result<Box<dyn Loader>, StoreError>;
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://...`.
pub async fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Box::new(SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PgStore::open(url).await?))
    } else {
        let scheme = url.split(':').next().unwrap_or(url);
        Err(StoreError::UnsupportedUrl(scheme.to_owned()))
    }
}

fn salt() -> Result<[u8; 16], StoreError> {
    let mut s = [0u8; 16];
    getrandom::fill(&mut s).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(s)
}

fn from_json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Is this database error a uniqueness violation (a lost race for a stream version)?
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const PROJECTION_TABLES: [&str; 14] = [
    "partnerships",
    "procedures",
    "agencies",
    "people",
    "named_officers",
    "escalations",
    "escalation_children",
    "escalation_cases",
    "escalation_stages",
    "escalation_officers",
    "escalation_appointments",
    "escalation_facts",
    "compliments",
    "chain_heads_unused",
];

/// The `Store` implementation, the same SQL on both drivers. Where the dialects must differ the
/// backend passes a fragment: `$lock_head` locks the chain head row; `$people_in` reads the
/// JSON list `$2` (the people of `escalations_involving`, see `involving_sql!`, or the ids of
/// `officers_of_escalations`); `$binary` sorts text by its bytes.
macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:expr, $lock_head:literal, $m:ident,
     people_in: $people_in:literal, binary: $binary:literal, purge: $purge:literal) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn schema_version(&self) -> Result<i64, StoreError> {
                let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(v.unwrap_or(0))
            }

            async fn append_batch(
                &self,
                batch: Vec<AppendRequest>,
            ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
                let batch = match self.write_fast(batch).await {
                    Ok(written) => return written,
                    Err(batch) => batch,
                };
                // The careful path (the backends' own fast paths gave the batch back): a
                // savepoint per command, so that one bad command only takes itself out.
                let mut tx = self.begin_write().await?;
                let mut results = Vec::with_capacity(batch.len());
                for request in batch {
                    let mut sp = (&mut tx).begin().await?;
                    match $m::append_one(&mut sp, &request, $lock_head).await {
                        Ok(appended) => {
                            sp.commit().await?;
                            results.push(Ok(appended));
                        }
                        Err(e) => {
                            sp.rollback().await?;
                            results.push(Err(e));
                        }
                    }
                }
                tx.commit().await?;
                Ok(results)
            }

            fn blocking_appender(&self) -> Option<BlockingAppender> {
                self.appender()
            }

            async fn stream_events(&self, partnership_id: &str, streams: &[String]) -> Result<Vec<Link>, StoreError> {
                let mut out = Vec::new();
                for stream in streams {
                    // By stream_version (the chain order within one stream): SQLite then reads
                    // the (partnership_id, stream, stream_version) index instead of walking the
                    // partnership's whole chain by seq to filter on the stream.
                    let rows = sqlx::query(concat!(
                        "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
                        "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 AND stream = $2 ORDER BY stream_version"
                    ))
                    .bind(partnership_id)
                    .bind(stream)
                    .fetch_all(&self.pool)
                    .await?;
                    for r in rows {
                        out.push($m::link(&r)?);
                    }
                }
                out.sort_by_key(|l| l.seq);
                Ok(out)
            }

            async fn chain(&self, partnership_id: &str, after_seq: i64, limit: i64) -> Result<Vec<Link>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, ",
                    "content_hash, prev_hash, hash FROM events WHERE partnership_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(partnership_id)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::link).collect()
            }

            async fn chain_heads(&self) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError> {
                let rows = sqlx::query("SELECT partnership_id, seq, hash FROM chain_heads ORDER BY partnership_id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }

            async fn chain_ids(&self) -> Result<Vec<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT DISTINCT partnership_id FROM events ORDER BY partnership_id")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn replace_projections(&self, ops: Vec<Op>) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                for table in PROJECTION_TABLES.iter().filter(|t| !t.ends_with("_unused")) {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                        .execute(&mut *tx)
                        .await?;
                }
                for op in &ops {
                    $m::apply_op(&mut tx, op).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn projection_rows(&self, table: &'static ProjectionTable) -> Result<Vec<Vec<Value>>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(table.select_sql()))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        table
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(i, (_, kind))| {
                                let read = match kind {
                                    Kind::Text => r.try_get::<Option<String>, _>(i).map(|v| v.map(Value::Text)),
                                    Kind::Int => r.try_get::<Option<i64>, _>(i).map(|v| v.map(Value::Int)),
                                    Kind::Bool => r.try_get::<Option<bool>, _>(i).map(|v| v.map(Value::Bool)),
                                };
                                match read {
                                    Ok(v) => v.unwrap_or(Value::Null),
                                    Err(_) => Value::Unreadable,
                                }
                            })
                            .collect()
                    })
                    .collect())
            }

            async fn append_purge(&self, request: AppendRequest, purged_seq: i64) -> Result<Appended, StoreError> {
                // The careful path's own append, then the sanctioned emptying, in one
                // transaction: dropping `tx` on any error rolls both back.
                let mut tx = self.begin_write().await?;
                let appended = $m::append_one(&mut tx, &request, $lock_head).await?;
                let emptied: Vec<i64> = sqlx::query_scalar($purge)
                    .bind(&request.partnership_id)
                    .bind(purged_seq)
                    .fetch_all(&mut *tx)
                    .await?;
                if emptied != [purged_seq] {
                    return Err(StoreError::NotFound(format!(
                        "event {purged_seq} of partnership {}",
                        request.partnership_id
                    )));
                }
                tx.commit().await?;
                Ok(appended)
            }

            async fn partnerships(&self) -> Result<Vec<PartnershipRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, name, short_name, procedure_id, procedure_version, closure_days, created_at_us FROM partnerships ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PartnershipRow {
                            id: r.try_get(0)?,
                            name: r.try_get(1)?,
                            short_name: r.try_get(2)?,
                            procedure_id: r.try_get(3)?,
                            procedure_version: r.try_get(4)?,
                            closure_days: from_json_list(&r.try_get::<String, _>(5)?),
                            created_at_us: r.try_get(6)?,
                        })
                    })
                    .collect()
            }

            async fn procedures(&self, partnership_id: &str) -> Result<Vec<ProcedureRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT partnership_id, version, procedure_id, source, sha256, adopted_at_us FROM procedures WHERE partnership_id = $1 ORDER BY version",
                )
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(ProcedureRow {
                            partnership_id: r.try_get(0)?,
                            version: r.try_get(1)?,
                            procedure_id: r.try_get(2)?,
                            source: r.try_get(3)?,
                            sha256: r.try_get(4)?,
                            adopted_at_us: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn agencies(&self, partnership_id: &str) -> Result<Vec<AgencyRow>, StoreError> {
                let rows = sqlx::query("SELECT id, partnership_id, name, sector FROM agencies WHERE partnership_id = $1 ORDER BY name, id")
                    .bind(partnership_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AgencyRow {
                            id: r.try_get(0)?,
                            partnership_id: r.try_get(1)?,
                            name: r.try_get(2)?,
                            sector: r.try_get(3)?,
                        })
                    })
                    .collect()
            }

            async fn people(&self, partnership_id: &str) -> Result<Vec<PersonRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", person_columns!(), " FROM people WHERE partnership_id = $1 ORDER BY name, id"
                ))
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::person_row).collect()
            }

            async fn named_officers(&self, partnership_id: &str) -> Result<Vec<NamedOfficerRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT partnership_id, agency_id, stage, person_id FROM named_officers WHERE partnership_id = $1 ORDER BY agency_id, stage",
                )
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(NamedOfficerRow {
                            partnership_id: r.try_get(0)?,
                            agency_id: r.try_get(1)?,
                            stage: r.try_get(2)?,
                            person_id: r.try_get(3)?,
                        })
                    })
                    .collect()
            }

            async fn escalation(&self, id: &str) -> Result<Option<EscalationRow>, StoreError> {
                if let Some(found) = self.inline_escalation(id) {
                    return Ok(found);
                }
                let row = sqlx::query(concat!("SELECT ", escalation_columns!(), " FROM escalations WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::escalation_row).transpose()
            }

            async fn escalations(&self, partnership_id: &str) -> Result<Vec<EscalationRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    escalation_columns!(),
                    " FROM escalations WHERE partnership_id = $1 ORDER BY raised_at_us, id"
                ))
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::escalation_row).collect()
            }

            async fn stages(&self, escalation_id: &str) -> Result<Vec<StageRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT escalation_id, stage, started_at_us, started_on, due, agreed_days, ended_at_us, record, meetings FROM escalation_stages WHERE escalation_id = $1 ORDER BY stage",
                )
                .bind(escalation_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StageRow {
                            escalation_id: r.try_get(0)?,
                            stage: r.try_get(1)?,
                            started_at_us: r.try_get(2)?,
                            started_on: r.try_get(3)?,
                            due: r.try_get(4)?,
                            agreed_days: r.try_get(5)?,
                            ended_at_us: r.try_get(6)?,
                            record: serde_json::from_str(&r.try_get::<String, _>(7)?).unwrap_or_default(),
                            meetings: r.try_get(8)?,
                        })
                    })
                    .collect()
            }

            async fn child_details(&self, escalation_id: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT details FROM escalation_children WHERE escalation_id = $1")
                    .bind(escalation_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn case(&self, escalation_id: &str) -> Result<Option<(String, String, String)>, StoreError> {
                let row = sqlx::query("SELECT decision, evidence, outcome_wanted FROM escalation_cases WHERE escalation_id = $1")
                    .bind(escalation_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
            }

            async fn escalation_facts(
                &self,
                partnership_id: &str,
                from: &str,
                to: &str,
            ) -> Result<Vec<FactsRow>, StoreError> {
                // Two index ranges of (partnership, last_on): the open ones, and those active
                // on or after `from`; each then checked for being raised by `to`.
                let rows = sqlx::query(concat!(
                    "SELECT escalation_id, partnership_id, raised_on, closed_on, last_on, facts FROM escalation_facts ",
                    "WHERE partnership_id = $1 AND raised_on <= $3 AND last_on IS NULL ",
                    "UNION ALL ",
                    "SELECT escalation_id, partnership_id, raised_on, closed_on, last_on, facts FROM escalation_facts ",
                    "WHERE partnership_id = $1 AND raised_on <= $3 AND last_on >= $2"
                ))
                .bind(partnership_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(FactsRow {
                            escalation_id: r.try_get(0)?,
                            partnership_id: r.try_get(1)?,
                            raised_on: r.try_get(2)?,
                            closed_on: r.try_get(3)?,
                            last_on: r.try_get(4)?,
                            facts: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn compliments(&self, partnership_id: &str) -> Result<Vec<ComplimentRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, partnership_id, from_person_id, to_person_id, message, given_at_us FROM compliments WHERE partnership_id = $1 ORDER BY given_at_us, id",
                )
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(ComplimentRow {
                            id: r.try_get(0)?,
                            partnership_id: r.try_get(1)?,
                            from_person_id: r.try_get(2)?,
                            to_person_id: r.try_get(3)?,
                            message: r.try_get(4)?,
                            given_at_us: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn is_empty(&self) -> Result<bool, StoreError> {
                self.transfer_is_empty().await
            }

            async fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError> {
                self.transfer_snapshot().await
            }

            async fn loader(&self) -> Result<Box<dyn Loader>, StoreError> {
                self.transfer_loader().await
            }

            async fn stream_version(&self, partnership_id: &str, stream: &str) -> Result<i64, StoreError> {
                if let Some(found) = self.inline_stream_version(partnership_id, stream) {
                    return Ok(found);
                }
                let v: Option<i64> = sqlx::query_scalar(statements::STREAM_VERSION)
                .bind(partnership_id)
                .bind(stream)
                .fetch_one(&self.pool)
                .await?;
                Ok(v.unwrap_or(0))
            }

            async fn config_version(&self, partnership_id: &str) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::query_scalar("SELECT config_version FROM partnerships WHERE id = $1")
                    .bind(partnership_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn count_references(&self, pattern: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM escalations WHERE reference LIKE $1")
                    .bind(pattern)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn outbox(&self, partnership_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, created_at_us, sent_at_us, attempts, last_error FROM outbox WHERE partnership_id = $1 ORDER BY event_seq, id",
                )
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::outbox_row).collect()
            }

            async fn person(&self, id: &str) -> Result<Option<PersonRow>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", person_columns!(), " FROM people WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::person_row).transpose()
            }

            async fn escalations_involving(
                &self,
                partnership_id: &str,
                people: &[String],
            ) -> Result<Vec<EscalationRow>, StoreError> {
                let sql = involving_sql!($people_in, "",
                    concat!("ORDER BY stage_due", $binary, ", reference", $binary));
                $m::involving_rows(&self.pool, sql, partnership_id, people).await
            }

            async fn escalation_officers(
                &self,
                escalation_id: &str,
            ) -> Result<Vec<EscalationOfficerRow>, StoreError> {
                if let Some(found) = self.inline_escalation_officers(escalation_id) {
                    return Ok(found);
                }
                let rows = sqlx::query(concat!(
                    "SELECT ", escalation_officer_columns!(), " FROM escalation_officers ",
                    "WHERE escalation_id = $1 ORDER BY stage, agency_id", $binary, ", person_id", $binary
                ))
                .bind(escalation_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::escalation_officer_row).collect()
            }

            async fn officers_of_escalations(
                &self,
                partnership_id: &str,
                escalation_ids: &[String],
            ) -> Result<Vec<EscalationOfficerRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", escalation_officer_columns!(), " FROM escalation_officers ",
                    "WHERE partnership_id = $1 AND escalation_id ", $people_in,
                    " ORDER BY escalation_id", $binary, ", stage, agency_id", $binary, ", person_id", $binary
                ))
                .bind(partnership_id)
                .bind(json_list(escalation_ids))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::escalation_officer_row).collect()
            }

            async fn escalation_appointments(
                &self,
                escalation_id: &str,
            ) -> Result<Vec<EscalationAppointmentRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", escalation_appointment_columns!(), " FROM escalation_appointments ",
                    "WHERE escalation_id = $1 ORDER BY role", $binary, ", person_id", $binary
                ))
                .bind(escalation_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::escalation_appointment_row).collect()
            }

            async fn appointments_of_escalations(
                &self,
                partnership_id: &str,
                escalation_ids: &[String],
            ) -> Result<Vec<EscalationAppointmentRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", escalation_appointment_columns!(), " FROM escalation_appointments ",
                    "WHERE partnership_id = $1 AND escalation_id ", $people_in,
                    " ORDER BY escalation_id", $binary, ", role", $binary, ", person_id", $binary
                ))
                .bind(partnership_id)
                .bind(json_list(escalation_ids))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::escalation_appointment_row).collect()
            }

            async fn open_escalations_involving(
                &self,
                partnership_id: &str,
                people: &[String],
            ) -> Result<Vec<EscalationRow>, StoreError> {
                let sql = involving_sql!($people_in, " AND status = 'open'",
                    concat!("ORDER BY stage_due", $binary, ", reference", $binary));
                $m::involving_rows(&self.pool, sql, partnership_id, people).await
            }

            async fn closed_escalations_involving(
                &self,
                partnership_id: &str,
                people: &[String],
                limit: i64,
                offset: i64,
            ) -> Result<(Vec<EscalationRow>, i64), StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT found.*, COUNT(*) OVER () FROM (",
                    involving_sql!($people_in, " AND status <> 'open'", ""),
                    ") AS found ORDER BY raised_at_us DESC, reference", $binary, " LIMIT $3 OFFSET $4"
                ))
                .bind(partnership_id)
                .bind(json_list(people))
                .bind(limit.max(0))
                .bind(offset.max(0))
                .fetch_all(&self.pool)
                .await?;
                let total = match rows.first() {
                    Some(r) => r.try_get(25)?,
                    None => sqlx::query_scalar(concat!(
                        "SELECT COUNT(*) FROM (",
                        involving_sql!($people_in, " AND status <> 'open'", ""),
                        ") AS found"
                    ))
                    .bind(partnership_id)
                    .bind(json_list(people))
                    .fetch_one(&self.pool)
                    .await?,
                };
                let page = rows.iter().map($m::escalation_row).collect::<Result<_, _>>()?;
                Ok((page, total))
            }

            async fn escalation_page(
                &self,
                partnership_id: &str,
                filter: &EscalationFilter,
                limit: i64,
                offset: i64,
            ) -> Result<(Vec<EscalationRow>, i64), StoreError> {
                // The page and the total in one statement (so they agree); a page past the end
                // has no row to carry the total, and counts again.
                let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ", escalation_columns!(), ", COUNT(*) OVER () FROM escalations"
                ));
                $m::push_escalation_filter(&mut q, partnership_id, filter);
                q.push(concat!(" ORDER BY raised_at_us DESC, reference", $binary, " LIMIT "))
                    .push_bind(limit.max(0))
                    .push(" OFFSET ")
                    .push_bind(offset.max(0));
                let rows = q.build().fetch_all(&self.pool).await?;
                let total = match rows.first() {
                    Some(r) => r.try_get(25)?,
                    None => {
                        let mut q = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM escalations");
                        $m::push_escalation_filter(&mut q, partnership_id, filter);
                        q.build_query_scalar().fetch_one(&self.pool).await?
                    }
                };
                let page = rows.iter().map($m::escalation_row).collect::<Result<_, _>>()?;
                Ok((page, total))
            }

            async fn upsert_account(&self, account: &AccountRow) -> Result<(), StoreError> {
                let email = account.email.to_lowercase();
                let saved = sqlx::query(concat!(
                    "INSERT INTO accounts (", account_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ",
                    "ON CONFLICT (person_id) DO UPDATE SET partnership_id = excluded.partnership_id, ",
                    "email = excluded.email, password_hash = excluded.password_hash, ",
                    "failed_attempts = excluded.failed_attempts, locked_until_us = excluded.locked_until_us, ",
                    "updated_at_us = excluded.updated_at_us"
                ))
                .bind(&account.person_id)
                .bind(&account.partnership_id)
                .bind(&email)
                .bind(&account.password_hash)
                .bind(account.failed_attempts)
                .bind(account.locked_until_us)
                .bind(account.created_at_us)
                .bind(account.updated_at_us)
                .execute(&self.pool)
                .await;
                match saved {
                    Ok(_) => Ok(()),
                    // Only the e-mail address can clash: the person's own row is updated.
                    Err(e) if is_unique_violation(&e) => Err(StoreError::Invalid(format!(
                        "another account already uses the e-mail address {email}"
                    ))),
                    Err(e) => Err(e.into()),
                }
            }

            async fn account(&self, person_id: &str) -> Result<Option<AccountRow>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts WHERE person_id = $1"))
                    .bind(person_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::account_row).transpose()
            }

            async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts WHERE email = $1"))
                    .bind(email.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::account_row).transpose()
            }

            async fn note_sign_in_failure(
                &self,
                person_id: &str,
                locked_until_us: Option<i64>,
                now_us: i64,
            ) -> Result<i64, StoreError> {
                // One statement: concurrent failures each count.
                let count: Option<i64> = sqlx::query_scalar(concat!(
                    "UPDATE accounts SET failed_attempts = failed_attempts + 1, ",
                    "locked_until_us = COALESCE($2, locked_until_us), updated_at_us = $3 ",
                    "WHERE person_id = $1 RETURNING failed_attempts"
                ))
                .bind(person_id)
                .bind(locked_until_us)
                .bind(now_us)
                .fetch_optional(&self.pool)
                .await?;
                count.ok_or_else(|| StoreError::NotFound(format!("account {person_id}")))
            }

            async fn clear_sign_in_failures(&self, person_id: &str, now_us: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE accounts SET failed_attempts = 0, locked_until_us = NULL, updated_at_us = $2 WHERE person_id = $1",
                )
                .bind(person_id)
                .bind(now_us)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError> {
                sqlx::query(concat!(
                    "INSERT INTO sessions (", session_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(&session.token_hash)
                .bind(&session.person_id)
                .bind(&session.csrf_token)
                .bind(session.created_at_us)
                .bind(session.last_seen_us)
                .bind(session.expires_at_us)
                .bind(&session.draft)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", session_columns!(), " FROM sessions WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::session_row).transpose()
            }

            async fn session_with_partnership(&self, token_hash: &str) -> Result<Option<SessionLookup>, StoreError> {
                if let Some(found) = self.inline_session(token_hash) {
                    return Ok(found);
                }
                let row = sqlx::query(session_with_partnership_sql!("$1"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref()
                    .map(|r| {
                        Ok::<_, StoreError>(SessionLookup {
                            session: $m::session_row(r)?,
                            partnership_id: r.try_get(7)?,
                            config_version: r.try_get(8)?,
                            chain_seq: r.try_get::<Option<i64>, _>(9)?.unwrap_or(0),
                        })
                    })
                    .transpose()
            }

            async fn touch_session(&self, token_hash: &str, last_seen_us: i64, expires_at_us: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE sessions SET last_seen_us = $2, expires_at_us = $3 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(last_seen_us)
                    .bind(expires_at_us)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_session_draft(&self, token_hash: &str, draft: Option<&str>) -> Result<(), StoreError> {
                sqlx::query("UPDATE sessions SET draft = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(draft)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_person_sessions(&self, person_id: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now_us: i64) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at_us <= $1")
                    .bind(now_us)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn create_api_token(&self, token: &ApiTokenRow) -> Result<(), StoreError> {
                sqlx::query(concat!(
                    "INSERT INTO api_tokens (", api_token_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(&token.token_hash)
                .bind(&token.person_id)
                .bind(&token.label)
                .bind(token.created_at_us)
                .bind(token.expires_at_us)
                .bind(token.revoked_at_us)
                .bind(token.last_used_at_us)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRow>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", api_token_columns!(), " FROM api_tokens WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($m::api_token_row).transpose()
            }

            async fn revoke_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE api_tokens SET revoked_at_us = COALESCE(revoked_at_us, $2) WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(now_us)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_person_api_tokens(&self, person_id: &str, now_us: i64) -> Result<u64, StoreError> {
                let done = sqlx::query("UPDATE api_tokens SET revoked_at_us = $2 WHERE person_id = $1 AND revoked_at_us IS NULL")
                    .bind(person_id)
                    .bind(now_us)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn person_api_tokens(&self, person_id: &str) -> Result<Vec<ApiTokenRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", api_token_columns!(), " FROM api_tokens WHERE person_id = $1 ",
                    "ORDER BY created_at_us DESC, token_hash"
                ))
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::api_token_row).collect()
            }

            async fn partnership_api_tokens(&self, partnership_id: &str) -> Result<Vec<ApiTokenRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT t.token_hash, t.person_id, t.label, t.created_at_us, t.expires_at_us, t.revoked_at_us, t.last_used_at_us ",
                    "FROM api_tokens t JOIN people p ON p.id = t.person_id WHERE p.partnership_id = $1 ",
                    "ORDER BY t.created_at_us DESC, t.token_hash"
                ))
                .bind(partnership_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($m::api_token_row).collect()
            }

            async fn touch_api_token(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE api_tokens SET last_used_at_us = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(now_us)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

/// `escalations_involving`: three index look-ups (raised_by, receiving_person_id, and the
/// people's rows in `escalation_officers`), each driven by the small list of people, never a
/// scan of the partnership's escalations. The list is a JSON array bound once (`$2`), so the
/// statement is the same whatever its length and an empty list simply finds nothing.
///
/// `$people_in` tests a column against the list (SQLite `IN (... json_each)`, PostgreSQL
/// `= ANY (ARRAY(...))`, which its planner makes an index condition). The partnership is
/// compared as `partnership_id || ''` so that SQLite (which has no statistics) never walks the
/// partnership's index instead. A named officer finds only the escalations whose stage they
/// held while the escalation was at it: a row of `escalation_officers`, not a stage number.
macro_rules! involving_ids {
    ($people_in:literal) => {
        concat!(
            "SELECT e.id FROM escalations e ",
            "WHERE e.raised_by ",
            $people_in,
            " AND e.partnership_id || '' = $1 ",
            "UNION SELECT e.id FROM escalations e ",
            "WHERE e.receiving_person_id ",
            $people_in,
            " AND e.partnership_id || '' = $1 ",
            "UNION SELECT o.escalation_id FROM escalation_officers o ",
            "WHERE o.person_id ",
            $people_in,
            " AND o.partnership_id || '' = $1 ",
            "UNION SELECT a.escalation_id FROM escalation_appointments a ",
            "WHERE a.person_id ",
            $people_in,
            " AND a.partnership_id || '' = $1"
        )
    };
}

/// Every escalation involving the people: the union is of ids only (a small temporary
/// b-tree), then the rows are read by primary key. `$where` narrows them (e.g. to the open
/// ones) and `$tail` orders and limits.
macro_rules! involving_sql {
    ($people_in:literal, $where:expr, $tail:expr) => {
        concat!(
            "SELECT ",
            escalation_columns!(),
            " FROM escalations WHERE id IN (",
            involving_ids!($people_in),
            ")",
            $where,
            " ",
            $tail
        )
    };
}

macro_rules! escalation_appointment_columns {
    () => {
        "escalation_id, partnership_id, role, person_id, stage, at_us"
    };
}

macro_rules! escalation_officer_columns {
    () => {
        "escalation_id, partnership_id, stage, agency_id, person_id, since_us"
    };
}

macro_rules! person_columns {
    () => {
        "id, partnership_id, agency_id, name, email, job_title, roles, line_manager_id, active"
    };
}

macro_rules! account_columns {
    () => {
        "person_id, partnership_id, email, password_hash, failed_attempts, locked_until_us, created_at_us, updated_at_us"
    };
}

macro_rules! session_columns {
    () => {
        "token_hash, person_id, csrf_token, created_at_us, last_seen_us, expires_at_us, draft"
    };
}

/// A session, its person's partnership and the partnership's configuration version; the
/// parameter marker differs between the drivers.
macro_rules! session_with_partnership_sql {
    ($param:literal) => {
        concat!(
            "SELECT ", session_columns!(), ", people.partnership_id, ",
            "(SELECT config_version FROM partnerships WHERE partnerships.id = people.partnership_id), ",
            "(SELECT seq FROM chain_heads WHERE chain_heads.partnership_id = people.partnership_id) ",
            "FROM sessions JOIN people ON people.id = sessions.person_id WHERE token_hash = ", $param
        )
    };
}

macro_rules! api_token_columns {
    () => {
        "token_hash, person_id, label, created_at_us, expires_at_us, revoked_at_us, last_used_at_us"
    };
}

macro_rules! escalation_columns {
    () => {
        "id, partnership_id, reference, procedure_version, version, route, subject, child_status, category, status, \
         outcome, current_stage, stage_due, overall_due, raised_at_us, raised_on, closed_at_us, resolved_by_events, \
         raised_by, raising_agency_id, receiving_agency_id, receiving_person_id, summary, updated_at_us, wake_on"
    };
}

mod inline;
pub mod notices;
mod postgres;
pub mod probe;
mod sqlite_writer;
mod statements;

/// Generic write helpers: the same SQL on both drivers.
macro_rules! generic_writes {
    ($($db:ty => $mod:ident),*) => {$(
        mod $mod {
            use super::*;
            pub(super) type Tx<'c> = sqlx::Transaction<'c, $db>;

            pub(super) fn link(r: &<$db as sqlx::Database>::Row) -> Result<Link, StoreError> {
                Ok(Link {
                    partnership_id: r.try_get(0)?,
                    seq: r.try_get(1)?,
                    stream: r.try_get(2)?,
                    stream_version: r.try_get(3)?,
                    at_us: r.try_get(4)?,
                    kind: r.try_get(5)?,
                    actor: r.try_get(6)?,
                    reason: r.try_get(7)?,
                    payload: r.try_get(8)?,
                    salt: r.try_get(9)?,
                    content_hash: r.try_get(10)?,
                    prev_hash: r.try_get(11)?,
                    hash: r.try_get(12)?,
                })
            }

            pub(super) fn outbox_row(r: &<$db as sqlx::Database>::Row) -> Result<OutboxRow, StoreError> {
                Ok(OutboxRow {
                    id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    event_seq: r.try_get(2)?,
                    escalation_id: r.try_get(3)?,
                    recipient: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    stage: r.try_get(6)?,
                    child_details: r.try_get(7)?,
                    address: r.try_get(8)?,
                    created_at_us: r.try_get(9)?,
                    sent_at_us: r.try_get(10)?,
                    attempts: r.try_get(11)?,
                    last_error: r.try_get(12)?,
                })
            }

            pub(super) fn person_row(r: &<$db as sqlx::Database>::Row) -> Result<PersonRow, StoreError> {
                Ok(PersonRow {
                    id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    agency_id: r.try_get(2)?,
                    name: r.try_get(3)?,
                    email: r.try_get(4)?,
                    job_title: r.try_get(5)?,
                    roles: from_json_list(&r.try_get::<String, _>(6)?),
                    line_manager_id: r.try_get(7)?,
                    active: r.try_get(8)?,
                })
            }

            pub(super) fn account_row(r: &<$db as sqlx::Database>::Row) -> Result<AccountRow, StoreError> {
                Ok(AccountRow {
                    person_id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    email: r.try_get(2)?,
                    password_hash: r.try_get(3)?,
                    failed_attempts: r.try_get(4)?,
                    locked_until_us: r.try_get(5)?,
                    created_at_us: r.try_get(6)?,
                    updated_at_us: r.try_get(7)?,
                })
            }

            pub(super) fn session_row(r: &<$db as sqlx::Database>::Row) -> Result<SessionRow, StoreError> {
                Ok(SessionRow {
                    token_hash: r.try_get(0)?,
                    person_id: r.try_get(1)?,
                    csrf_token: r.try_get(2)?,
                    created_at_us: r.try_get(3)?,
                    last_seen_us: r.try_get(4)?,
                    expires_at_us: r.try_get(5)?,
                    draft: r.try_get(6)?,
                })
            }

            pub(super) fn api_token_row(r: &<$db as sqlx::Database>::Row) -> Result<ApiTokenRow, StoreError> {
                Ok(ApiTokenRow {
                    token_hash: r.try_get(0)?,
                    person_id: r.try_get(1)?,
                    label: r.try_get(2)?,
                    created_at_us: r.try_get(3)?,
                    expires_at_us: r.try_get(4)?,
                    revoked_at_us: r.try_get(5)?,
                    last_used_at_us: r.try_get(6)?,
                })
            }

            /// ` WHERE ...` for [`EscalationFilter`]: only the conditions the filter sets, so
            /// each query gets the plan its conditions allow.
            pub(super) fn push_escalation_filter(
                q: &mut sqlx::QueryBuilder<$db>,
                partnership_id: &str,
                f: &EscalationFilter,
            ) {
                q.push(" WHERE partnership_id = ").push_bind(partnership_id.to_owned());
                if let Some(stage) = f.min_stage {
                    q.push(" AND current_stage >= ").push_bind(stage);
                }
                if let Some(stage) = f.stage {
                    q.push(" AND current_stage = ").push_bind(stage);
                }
                if let Some(agency) = &f.agency_id {
                    q.push(" AND (raising_agency_id = ")
                        .push_bind(agency.clone())
                        .push(" OR receiving_agency_id = ")
                        .push_bind(agency.clone())
                        .push(")");
                }
                if let Some(category) = &f.category {
                    q.push(" AND category = ").push_bind(category.clone());
                }
                if let Some(status) = &f.status {
                    q.push(" AND status = ").push_bind(status.clone());
                }
                if let Some(day) = &f.overdue_on {
                    // Dates are 'YYYY-MM-DD' text, which sorts as the days do.
                    q.push(" AND status = 'open' AND (stage_due < ")
                        .push_bind(day.clone())
                        .push(" OR overall_due < ")
                        .push_bind(day.clone())
                        .push(")");
                }
            }

            /// Runs one of the `involving_sql!` statements: `$1` the partnership, `$2` the
            /// people.
            pub(super) async fn involving_rows(
                pool: &sqlx::Pool<$db>,
                sql: &'static str,
                partnership_id: &str,
                people: &[String],
            ) -> Result<Vec<EscalationRow>, StoreError> {
                let rows = sqlx::query(sql)
                    .bind(partnership_id)
                    .bind(json_list(people))
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(escalation_row).collect()
            }

            pub(super) fn escalation_officer_row(
                r: &<$db as sqlx::Database>::Row,
            ) -> Result<EscalationOfficerRow, StoreError> {
                Ok(EscalationOfficerRow {
                    escalation_id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    stage: r.try_get(2)?,
                    agency_id: r.try_get(3)?,
                    person_id: r.try_get(4)?,
                    since_us: r.try_get(5)?,
                })
            }

            pub(super) fn escalation_appointment_row(
                r: &<$db as sqlx::Database>::Row,
            ) -> Result<EscalationAppointmentRow, StoreError> {
                Ok(EscalationAppointmentRow {
                    escalation_id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    role: r.try_get(2)?,
                    person_id: r.try_get(3)?,
                    stage: r.try_get(4)?,
                    at_us: r.try_get(5)?,
                })
            }

            pub(super) fn escalation_row(r: &<$db as sqlx::Database>::Row) -> Result<EscalationRow, StoreError> {
                Ok(EscalationRow {
                    id: r.try_get(0)?,
                    partnership_id: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    procedure_version: r.try_get(3)?,
                    version: r.try_get(4)?,
                    route: r.try_get(5)?,
                    subject: r.try_get(6)?,
                    child_status: r.try_get(7)?,
                    category: r.try_get(8)?,
                    status: r.try_get(9)?,
                    outcome: r.try_get(10)?,
                    current_stage: r.try_get(11)?,
                    stage_due: r.try_get(12)?,
                    overall_due: r.try_get(13)?,
                    raised_at_us: r.try_get(14)?,
                    raised_on: r.try_get(15)?,
                    closed_at_us: r.try_get(16)?,
                    resolved_by_events: r.try_get(17)?,
                    raised_by: r.try_get(18)?,
                    raising_agency_id: r.try_get(19)?,
                    receiving_agency_id: r.try_get(20)?,
                    receiving_person_id: r.try_get(21)?,
                    summary: r.try_get(22)?,
                    updated_at_us: r.try_get(23)?,
                    wake_on: r.try_get(24)?,
                })
            }

            /// Appends one request inside a savepoint of its own: the head read and written
            /// around it. The careful path, used when a batch's fast path meets an error.
            pub(super) async fn append_one(tx: &mut Tx<'_>, req: &AppendRequest, lock_head: &'static str) -> Result<Appended, StoreError> {
                let current = stream_version_for(tx, req).await?;
                let mut head = read_head(tx, &req.partnership_id, lock_head).await?;
                let appended = write_request(tx, req, current, &mut head).await?;
                write_head(tx, &req.partnership_id, &head).await?;
                Ok(appended)
            }

            /// The stream's version, or `Conflict` when it is not the one the request was
            /// decided on. Writes nothing.
            pub(super) async fn stream_version_for(tx: &mut Tx<'_>, req: &AppendRequest) -> Result<i64, StoreError> {
                let read = async |tx: &mut Tx<'_>, stream: &str| -> Result<i64, StoreError> {
                    let v: Option<i64> = sqlx::query_scalar(statements::STREAM_VERSION)
                        .bind(&req.partnership_id)
                        .bind(stream)
                        .fetch_one(&mut **tx)
                        .await?;
                    Ok(v.unwrap_or(0))
                };
                let current = read(tx, &req.stream).await?;
                let partnership = match req.partnership_version {
                    Some(_) => Some(read(tx, crate::stream::PARTNERSHIP).await?),
                    None => None,
                };
                statements::check_versions(req, current, partnership)
            }

            /// The partnership chain's head (sequence, hash), made at genesis if it has none,
            /// and locked for the transaction where the backend locks rows.
            pub(super) async fn read_head(tx: &mut Tx<'_>, partnership_id: &str, lock_head: &'static str) -> Result<(i64, Vec<u8>), StoreError> {
                sqlx::query(statements::ENSURE_HEAD)
                    .bind(partnership_id)
                    .bind(chain::GENESIS.to_vec())
                    .execute(&mut **tx)
                    .await?;
                let head = sqlx::query(sqlx::AssertSqlSafe(format!("{}{lock_head}", statements::READ_HEAD)))
                .bind(partnership_id)
                .fetch_one(&mut **tx)
                .await?;
                Ok((head.try_get(0)?, head.try_get(1)?))
            }

            pub(super) async fn write_head(tx: &mut Tx<'_>, partnership_id: &str, head: &(i64, Vec<u8>)) -> Result<(), StoreError> {
                sqlx::query(statements::WRITE_HEAD.text())
                    .bind(partnership_id)
                    .bind(head.0)
                    .bind(&head.1)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Writes a request's events (chained on `head`, which moves on), projection rows
            /// and outbox rows, its stream being at `current`.
            pub(super) async fn write_request(
                tx: &mut Tx<'_>,
                req: &AppendRequest,
                current: i64,
                head: &mut (i64, Vec<u8>),
            ) -> Result<Appended, StoreError> {
                let chained = statements::chain_events(req, current, head)?;
                for (i, row) in statements::request_rows(req, &chained).iter().enumerate() {
                    if let Err(e) = bound(row).execute(&mut **tx).await {
                        return Err(match statements::lost_race(req, &chained, i) {
                            Some(conflict) if is_unique_violation(&e) => conflict,
                            _ => e.into(),
                        });
                    }
                }
                Ok(statements::appended(&chained, current, head))
            }

            pub(super) async fn apply_op(tx: &mut Tx<'_>, op: &Op) -> Result<(), StoreError> {
                bound(&statements::op(op)).execute(&mut **tx).await?;
                Ok(())
            }

            /// A statement with its arguments bound.
            pub(super) fn bound<'q>(
                s: &'q statements::Statement<'q>,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
                use statements::Arg;
                let mut q = sqlx::query(s.sql.text());
                for a in &s.args {
                    q = match a {
                        Arg::Text(v) => q.bind(*v),
                        Arg::OptText(v) => q.bind(*v),
                        Arg::Int(v) => q.bind(*v),
                        Arg::OptInt(v) => q.bind(*v),
                        Arg::Bool(v) => q.bind(*v),
                        Arg::Blob(v) => q.bind(*v),
                        Arg::Owned(v) => q.bind(v.as_str()),
                    };
                }
                q
            }
        }
    )*};
}

generic_writes!(sqlx::Sqlite => sqlite_writes, sqlx::Postgres => pg_writes);

// ---------------------------------------------------------------------------------------------
// SQLite

/// The embedded default: one file, WAL, `synchronous=FULL`.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The hottest single-row reads, on the calling thread (see `backend/inline.rs`).
    inline: Option<Arc<inline::InlineReader>>,
    /// Writes the append batches (see `backend/sqlite_writer.rs`); `None` for an in-memory
    /// database, which only the pool can see.
    writer: Option<Arc<sqlite_writer::SqliteWriter>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`. A `?synchronous=` setting below
    /// FULL in the URL is refused, not quietly overridden.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            if key.eq_ignore_ascii_case("synchronous")
                && !matches!(
                    value.to_ascii_lowercase().as_str(),
                    "full" | "extra" | "2" | "3"
                )
            {
                return Err(StoreError::Durability(format!(
                    "SQLite synchronous={value} could lose an acknowledged write after a power cut; Parley needs FULL or EXTRA"
                )));
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        // Refuse settings that could lose an acknowledged write (2 = FULL, 3 = EXTRA).
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&pool)
            .await?;
        if synchronous < 2 {
            return Err(StoreError::Durability(format!(
                "SQLite synchronous is {synchronous}; Parley needs FULL (2) or EXTRA (3) so that no acknowledged write can be lost"
            )));
        }
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Durability(format!(
                "SQLite journal_mode is {journal}; Parley needs WAL"
            )));
        }
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let in_memory = inline::is_in_memory(path);
        Ok(SqliteStore {
            pool,
            inline: (!in_memory).then(|| Arc::new(inline::InlineReader::new(path))),
            writer: (!in_memory).then(|| Arc::new(sqlite_writer::SqliteWriter::new(path))),
        })
    }

    /// Closes every connection, the pool's, the writer's and the inline reader's.
    pub async fn close(&self) {
        if let Some(inline) = &self.inline {
            inline.close();
        }
        if let Some(writer) = &self.writer {
            writer.close();
        }
        self.pool.close().await;
    }

    /// `backend::probe::raw_ceiling` on SQLite: the loop on the writer's driver and settings.
    pub(crate) async fn raw_insert_loop(
        &self,
        shape: crate::backend::probe::RawShape,
        run_for: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let writer = self.writer.clone().ok_or_else(|| {
            StoreError::Invalid("the raw ceiling needs a database file".to_owned())
        })?;
        tokio::task::spawn_blocking(move || writer.raw_insert_loop(&shape, run_for))
            .await
            .map_err(|e| {
                StoreError::Database(sqlx::Error::Io(std::io::Error::other(e.to_string())))
            })?
    }

    fn inline_session(&self, token_hash: &str) -> Option<Option<SessionLookup>> {
        self.inline.as_ref()?.session_with_partnership(token_hash)
    }

    fn inline_escalation(&self, id: &str) -> Option<Option<EscalationRow>> {
        self.inline.as_ref()?.escalation(id)
    }

    fn inline_escalation_officers(&self, id: &str) -> Option<Vec<EscalationOfficerRow>> {
        self.inline.as_ref()?.escalation_officers(id)
    }

    fn inline_stream_version(&self, partnership_id: &str, stream: &str) -> Option<i64> {
        self.inline.as_ref()?.stream_version(partnership_id, stream)
    }

    /// The pool, for tests and maintenance commands that need raw SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn appender(&self) -> Option<BlockingAppender> {
        let writer = self.writer.clone()?;
        Some(Arc::new(move |batch: &[AppendRequest]| {
            writer.append_batch(batch)
        }))
    }

    /// Writes an append batch on the writer connection, from a blocking thread; gives the batch
    /// back when there is no writer (an in-memory database).
    async fn write_fast(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Result<Vec<Result<Appended, StoreError>>, StoreError>, Vec<AppendRequest>> {
        let Some(writer) = self.writer.clone() else {
            return Err(batch);
        };
        Ok(
            match tokio::task::spawn_blocking(move || writer.append_batch(&batch)).await {
                Ok(written) => written,
                Err(e) => Err(StoreError::Database(sqlx::Error::Io(
                    std::io::Error::other(format!("the SQLite writer thread failed: {e}")),
                ))),
            },
        )
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        // Take the write lock at once, so a transaction never fails half-way to upgrade it.
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    Backend::Sqlite,
    "",
    sqlite_writes,
    people_in: "IN (SELECT value FROM json_each($2))",
    // SQLite compares text as bytes unless told otherwise.
    binary: "",
    // The trigger of migration 6 lets this through only under a recorded purge.
    purge: "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL WHERE partnership_id = $1 AND seq = $2 RETURNING seq"
);

// ---------------------------------------------------------------------------------------------
// PostgreSQL

static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// For deployments that outgrow one machine: several `parley serve` instances, one database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Writes the append batches (see `backend/postgres/mod.rs`).
    writer: Arc<postgres::PgWriter>,
}

impl PgStore {
    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    fn appender(&self) -> Option<BlockingAppender> {
        None
    }

    /// Writes an append batch in two round trips (`backend/postgres/mod.rs`); gives the batch back
    /// when the server refused one of its statements, to be written a command at a time.
    async fn write_fast(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Result<Vec<Result<Appended, StoreError>>, StoreError>, Vec<AppendRequest>> {
        match self.writer.append_batch(&batch).await {
            Ok(Some(written)) => Ok(Ok(written)),
            Ok(None) => Err(batch),
            Err(e) => Ok(Err(e)),
        }
    }

    // PostgreSQL's driver runs on the runtime itself: nothing to read inline.
    fn inline_session(&self, _: &str) -> Option<Option<SessionLookup>> {
        None
    }

    fn inline_escalation(&self, _: &str) -> Option<Option<EscalationRow>> {
        None
    }

    fn inline_escalation_officers(&self, _: &str) -> Option<Vec<EscalationOfficerRow>> {
        None
    }

    fn inline_stream_version(&self, _: &str, _: &str) -> Option<i64> {
        None
    }

    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        // Refuse settings that could lose an acknowledged write.
        let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&pool).await?;
        if fsync != "on" {
            return Err(StoreError::Durability(format!(
                "PostgreSQL fsync is {fsync}; Parley needs fsync = on so that no acknowledged write can be lost"
            )));
        }
        let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&pool)
            .await?;
        if commit == "off" {
            return Err(StoreError::Durability(
                "PostgreSQL synchronous_commit is off; Parley needs it on so that no acknowledged write can be lost".to_owned(),
            ));
        }
        // The application's role may not create tables: migrate only when a migration is
        // missing (run `parley migrate` as the owner role in deployments that separate the two).
        // Every version is looked for, not only the newest: a database can hold a later
        // migration without an earlier one.
        let applied: Vec<i64> = match sqlx::query_scalar::<_, Option<String>>(
            "SELECT to_regclass('_sqlx_migrations')::text",
        )
        .fetch_one(&pool)
        .await?
        {
            Some(_) => {
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(&pool)
                    .await?
            }
            None => Vec::new(),
        };
        if PG_MIGRATOR.iter().any(|m| !applied.contains(&m.version)) {
            PG_MIGRATOR.run(&pool).await?;
        }
        Ok(PgStore {
            writer: Arc::new(postgres::PgWriter::new(pool.clone())),
            pool,
        })
    }

    /// Gives an application role what it needs and no more: SELECT and INSERT on the event
    /// log, full use of the query tables, the web's security state (accounts, sessions, API
    /// tokens) and the delivery state (deliveries, mail preferences). Run as the owner of the
    /// schema.
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StoreError> {
        let valid = !role.is_empty()
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!(
                "role name \"{role}\" (use lowercase letters, digits and _)"
            )));
        }
        let statements = [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!("REVOKE ALL ON events FROM {role}"),
            format!("GRANT SELECT, INSERT ON events TO {role}"),
            format!("GRANT SELECT ON _sqlx_migrations TO {role}"),
            // The one change to events it may make: emptying content under a recorded purge.
            format!("GRANT EXECUTE ON FUNCTION parley_purge_event_content(TEXT, BIGINT) TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON chain_heads, partnerships, procedures, agencies, people, \
                 named_officers, escalations, escalation_children, escalation_cases, escalation_stages, escalation_officers, \
                 escalation_appointments, escalation_facts, compliments, \
                 outbox, accounts, sessions, api_tokens, deliveries, mail_preferences TO {role}"
            ),
        ];
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

impl_store!(
    PgStore,
    sqlx::Postgres,
    Backend::Postgres,
    " FOR UPDATE",
    pg_writes,
    people_in: "= ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))",
    // The database's collation may order punctuation differently from SQLite.
    binary: " COLLATE \"C\"",
    // The owner's function of migration 6 (the application's role has no UPDATE on events),
    // which meets the same trigger.
    purge: "SELECT parley_purge_event_content($1, $2)"
);

// ---------------------------------------------------------------------------------------------
// Export, import and backup (`transfer.rs` drives these).

/// A consistent, read-only view of the whole database: every read sees the database as it was
/// at the first one (SQLite: one read transaction, which WAL keeps stable while writers carry
/// on; PostgreSQL: REPEATABLE READ, READ ONLY). An export read through it is a consistent
/// backup, taken online.
#[async_trait]
pub trait Snapshot: Send {
    /// The highest migration applied.
    async fn schema_version(&mut self) -> Result<i64, StoreError>;
    /// Every partnership that has events.
    async fn chain_ids(&mut self) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` events of a chain after `after_seq`, in order.
    async fn chain(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Link>, StoreError>;
    /// The outbox rows written with the chain's events `after_seq < seq <= upto_seq`.
    async fn outbox_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<OutboxRow>, StoreError>;
    /// How many outbox rows there are in all.
    async fn outbox_count(&mut self) -> Result<i64, StoreError>;
    /// The deliveries of the outbox rows written with the chain's events `after_seq < seq <=
    /// upto_seq`, by outbox row, then id.
    async fn deliveries_for_events(
        &mut self,
        partnership_id: &str,
        after_seq: i64,
        upto_seq: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError>;
    /// How many deliveries there are in all.
    async fn deliveries_count(&mut self) -> Result<i64, StoreError>;
    /// Ends the read transaction.
    async fn finish(self: Box<Self>) -> Result<(), StoreError>;
}

/// Loads an export into a database in one write transaction. Nothing is written unless
/// `commit` is called: dropping the loader rolls everything back.
#[async_trait]
pub trait Loader: Send {
    /// Whether the database is empty, seen from inside the transaction.
    async fn is_empty(&mut self) -> Result<bool, StoreError>;
    /// Inserts events exactly as given (every column, salt and hash), in chain order, and
    /// moves each chain's head to its last event. On SQLite the append-only trigger accepts
    /// only the next sequence number of a chain, so the order matters.
    async fn insert_links(&mut self, links: &[Link]) -> Result<(), StoreError>;
    /// Inserts outbox rows exactly as given, delivery state included.
    async fn insert_outbox(&mut self, rows: &[OutboxRow]) -> Result<(), StoreError>;
    /// Inserts deliveries exactly as given, their state included.
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Rows a loading statement inserts at once (13 parameters each: well under both drivers'
/// limits on parameters per statement).
const LOAD_CHUNK: usize = 200;

/// Every table a database holds data in: the event log, chain heads, the outbox, the
/// deliveries it was resolved to (which an export carries) and the projections. A database is
/// empty when all of them are.
const DATA_TABLES: [&str; 17] = [
    "events",
    "chain_heads",
    "outbox",
    "deliveries",
    "partnerships",
    "procedures",
    "agencies",
    "people",
    "named_officers",
    "escalations",
    "escalation_children",
    "escalation_cases",
    "escalation_stages",
    "escalation_officers",
    "escalation_appointments",
    "escalation_facts",
    "compliments",
];

macro_rules! event_columns {
    () => {
        "partnership_id, seq, stream, stream_version, at_us, kind, actor, reason, payload, salt, content_hash, prev_hash, hash"
    };
}

macro_rules! outbox_columns {
    () => {
        "id, partnership_id, event_seq, escalation_id, recipient, reason, stage, child_details, address, created_at_us, sent_at_us, attempts, last_error"
    };
}

/// The transfer SQL, the same on both drivers, with each backend's way of opening a consistent
/// read and a load transaction.
macro_rules! impl_transfer {
    ($store:ident, $db:ty, $snapshot:ident, $loader:ident, $m:ident, $n:ident, $read_begin:literal, $write_begin:literal) => {
        impl $store {
            async fn transfer_is_empty(&self) -> Result<bool, StoreError> {
                let mut conn = self.pool.acquire().await?;
                tables_empty!(&mut *conn)
            }

            async fn transfer_snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError> {
                let tx = self.pool.begin_with($read_begin).await?;
                Ok(Box::new($snapshot { tx }))
            }

            async fn transfer_loader(&self) -> Result<Box<dyn Loader>, StoreError> {
                let tx = self.pool.begin_with($write_begin).await?;
                Ok(Box::new($loader {
                    tx,
                    heads: std::collections::BTreeMap::new(),
                }))
            }
        }

        /// A consistent read of the whole database (see [`Snapshot`]).
        #[derive(Debug)]
        pub struct $snapshot {
            tx: sqlx::Transaction<'static, $db>,
        }

        #[async_trait]
        impl Snapshot for $snapshot {
            async fn schema_version(&mut self) -> Result<i64, StoreError> {
                let v: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE",
                )
                .fetch_one(&mut *self.tx)
                .await?;
                Ok(v.unwrap_or(0))
            }

            async fn chain_ids(&mut self) -> Result<Vec<String>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT DISTINCT partnership_id FROM events ORDER BY partnership_id",
                )
                .fetch_all(&mut *self.tx)
                .await?)
            }

            async fn chain(
                &mut self,
                partnership_id: &str,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<Link>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    event_columns!(),
                    " FROM events WHERE partnership_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(partnership_id)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&mut *self.tx)
                .await?;
                rows.iter().map($m::link).collect()
            }

            async fn outbox_for_events(
                &mut self,
                partnership_id: &str,
                after_seq: i64,
                upto_seq: i64,
            ) -> Result<Vec<OutboxRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    outbox_columns!(),
                    " FROM outbox WHERE partnership_id = $1 AND event_seq > $2 AND event_seq <= $3 ",
                    "ORDER BY event_seq, id"
                ))
                .bind(partnership_id)
                .bind(after_seq)
                .bind(upto_seq)
                .fetch_all(&mut *self.tx)
                .await?;
                rows.iter().map($m::outbox_row).collect()
            }

            async fn outbox_count(&mut self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                    .fetch_one(&mut *self.tx)
                    .await?)
            }

            async fn deliveries_for_events(
                &mut self,
                partnership_id: &str,
                after_seq: i64,
                upto_seq: i64,
            ) -> Result<Vec<DeliveryRow>, StoreError> {
                notices::$n::deliveries_for_events(&mut self.tx, partnership_id, after_seq, upto_seq).await
            }

            async fn deliveries_count(&mut self) -> Result<i64, StoreError> {
                notices::$n::deliveries_count(&mut self.tx).await
            }

            async fn finish(self: Box<Self>) -> Result<(), StoreError> {
                // Read only: ending it is all that is left to do.
                self.tx.rollback().await?;
                Ok(())
            }
        }

        /// One load transaction (see [`Loader`]).
        #[derive(Debug)]
        pub struct $loader {
            tx: sqlx::Transaction<'static, $db>,
            /// The last event loaded of each chain: (seq, hash).
            heads: std::collections::BTreeMap<String, (i64, Vec<u8>)>,
        }

        #[async_trait]
        impl Loader for $loader {
            async fn is_empty(&mut self) -> Result<bool, StoreError> {
                tables_empty!(&mut *self.tx)
            }

            async fn insert_links(&mut self, links: &[Link]) -> Result<(), StoreError> {
                // Many rows a statement: one round trip per chunk instead of per event. The
                // rows of a chunk are inserted in order, so each is its chain's next.
                for chunk in links.chunks(LOAD_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO events (",
                        event_columns!(),
                        ") "
                    ));
                    q.push_values(chunk, |mut b, l| {
                        b.push_bind(&l.partnership_id)
                            .push_bind(l.seq)
                            .push_bind(&l.stream)
                            .push_bind(l.stream_version)
                            .push_bind(l.at_us)
                            .push_bind(&l.kind)
                            .push_bind(&l.actor)
                            .push_bind(&l.reason)
                            .push_bind(&l.payload)
                            .push_bind(&l.salt)
                            .push_bind(&l.content_hash)
                            .push_bind(&l.prev_hash)
                            .push_bind(&l.hash);
                    });
                    q.build().execute(&mut *self.tx).await?;
                }
                for l in links {
                    self.heads
                        .insert(l.partnership_id.clone(), (l.seq, l.hash.clone()));
                }
                Ok(())
            }

            async fn insert_outbox(&mut self, rows: &[OutboxRow]) -> Result<(), StoreError> {
                for chunk in rows.chunks(LOAD_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO outbox (",
                        outbox_columns!(),
                        ") "
                    ));
                    q.push_values(chunk, |mut b, o| {
                        b.push_bind(&o.id)
                            .push_bind(&o.partnership_id)
                            .push_bind(o.event_seq)
                            .push_bind(&o.escalation_id)
                            .push_bind(&o.recipient)
                            .push_bind(&o.reason)
                            .push_bind(o.stage)
                            .push_bind(o.child_details)
                            .push_bind(&o.address)
                            .push_bind(o.created_at_us)
                            .push_bind(o.sent_at_us)
                            .push_bind(o.attempts)
                            .push_bind(&o.last_error);
                    });
                    q.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }

            async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), StoreError> {
                notices::$n::insert_deliveries(&mut self.tx, rows).await
            }

            async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
                // The chain heads are where the next append links: the last event of each chain.
                for (partnership_id, (seq, hash)) in &self.heads {
                    sqlx::query(concat!(
                        "INSERT INTO chain_heads (partnership_id, seq, hash) VALUES ($1, $2, $3) ",
                        "ON CONFLICT (partnership_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
                    ))
                    .bind(partnership_id)
                    .bind(*seq)
                    .bind(hash)
                    .execute(&mut *self.tx)
                    .await?;
                }
                self.tx.commit().await?;
                Ok(())
            }
        }
    };
}

/// Whether every data table is empty, on a connection or in a transaction.
macro_rules! tables_empty {
    ($conn:expr) => {{
        let conn = $conn;
        let mut empty = true;
        for table in DATA_TABLES {
            // COUNT over at most one row: an integer on both drivers, and no full scan.
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 1) AS t"
            )))
            .fetch_one(&mut *conn)
            .await?;
            if n > 0 {
                empty = false;
                break;
            }
        }
        Ok(empty)
    }};
}

impl_transfer!(
    SqliteStore,
    sqlx::Sqlite,
    SqliteSnapshot,
    SqliteLoader,
    sqlite_writes,
    sqlite,
    // Deferred: the snapshot is taken at the first read and WAL keeps it while writers go on.
    "BEGIN",
    // Take the write lock at once, as every write does.
    "BEGIN IMMEDIATE"
);

impl_transfer!(
    PgStore,
    sqlx::Postgres,
    PgSnapshot,
    PgLoader,
    pg_writes,
    pg,
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "BEGIN"
);

impl SqliteStore {
    /// Writes a consistent copy of the whole database to a new file at `path` while Parley
    /// keeps reading and writing (`VACUUM INTO` reads one snapshot). SQLite refuses a `path`
    /// that already holds data.
    pub async fn backup_to(&self, path: &str) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// SQLite's plan for `escalations_involving`, with the fragments `impl_store!` gives it:
    /// each list drives an index, and the partnership's escalations are never scanned.
    #[tokio::test]
    async fn sqlite_finds_the_escalations_a_person_is_involved_in_through_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let sql = involving_sql!("IN (SELECT value FROM json_each($2))", "", "");
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind("p")
                .bind(r#"["a","b"]"#)
                .fetch_all(store.pool())
                .await
                .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|r| r.3).collect();
        for index in [
            "escalations_raised_by",
            "escalations_receiving_person",
            "escalation_officers_person",
        ] {
            assert!(
                plan.iter().any(|l| (l.starts_with("SEARCH e USING")
                    || l.starts_with("SEARCH o USING"))
                    && l.contains(index)),
                "{index} not used: {plan:#?}"
            );
        }
        assert!(
            !plan.iter().any(|l| l.starts_with("SCAN e")
                || l.starts_with("SCAN o")
                || l.starts_with("SCAN escalation")),
            "a scan of the escalations: {plan:#?}"
        );
    }
}
