//! The records service: every change the product makes goes through here. Each command is
//! decided by the core (for escalations, the state machine) on the state rebuilt from its
//! events, then appended with its projection rows and notifications in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use parley_core::calendar::BankHolidays;
use parley_core::escalation::{Escalation, Event, Notification};
use parley_core::procedure;

use crate::StoreError;
use crate::backend::{AppendRequest, Appended, NewEvent, NewOutbox, Store};
use crate::chain::Link;
use crate::consistency::parse_payload;
use crate::payload::{Payload, Raised};
use crate::projector::{Fact, Projector};
use crate::report_memory::ReportMemory;
use crate::rows::EscalationRow;
use crate::stream::{self, Stream};
use crate::writer::Writer;

mod configuration;
mod escalations;
mod reports;

pub use reports::{REPORT_MEMORY_YEARS, ReportInputs, Warmed};

/// Who did something: a person, or Parley itself (demo data, sweeps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub Option<String>);

impl Actor {
    pub const SYSTEM: Actor = Actor(None);

    pub fn person(id: &str) -> Actor {
        Actor(Some(id.to_owned()))
    }
}

/// A person's details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonInput {
    pub agency_id: Option<String>,
    pub name: String,
    pub email: String,
    pub job_title: String,
    pub roles: Vec<String>,
    pub line_manager_id: Option<String>,
    pub active: bool,
}

/// What a raise needs beyond the route and subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaiseInput {
    pub route: String,
    /// `None` for a thematic escalation.
    pub child_status: Option<String>,
    pub child: Option<crate::payload::ChildDetails>,
    pub category: String,
    pub raised_by: String,
    pub raising_agency_id: String,
    pub receiving_agency_id: String,
    pub receiving_person_id: Option<String>,
    pub summary: String,
    pub decision: String,
    pub evidence: String,
    pub outcome_wanted: String,
    /// The date of the decision to raise it, where the procedure counts its timescales from
    /// it (Dorset §4); `None` otherwise.
    pub decided_on: Option<jiff::civil::Date>,
}

/// A raised escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaisedEscalation {
    pub id: String,
    pub reference: String,
    pub version: i64,
}

pub struct Records {
    store: Arc<dyn Store>,
    writer: Writer,
    holidays: Arc<BankHolidays>,
    /// Each partnership's configuration (procedures parsed, calendars built), keyed by the
    /// partnership stream's last sequence number so that a change anywhere is seen.
    partnerships: std::sync::Mutex<HashMap<String, (i64, Projector)>>,
    /// Each escalation's decided state after the last command this process appended to it:
    /// (partnership stream version, escalation stream version, projector). A stale entry is
    /// harmless: the store's version check refuses the append and the entry is dropped.
    streams: std::sync::Mutex<HashMap<(String, String), DecidedStream>>,
    /// The last reference number this process took, by prefix and year (see [`Numbering`]).
    numbering: std::sync::Mutex<Numbering>,
    /// Escalation id -> partnership id (never changes).
    owners: std::sync::Mutex<HashMap<String, String>>,
    /// What pages read of an escalation, by id: (configuration version, stream version, the
    /// read). See [`Records::escalation_read`].
    reads: std::sync::Mutex<HashMap<String, (i64, i64, EscalationRead)>>,
    /// The report facts read so far, kept up to date from the events (`report_memory.rs`);
    /// `None` where every report reads afresh (a one-off command).
    reports: Option<ReportMemory>,
}

/// An escalation as decided from its events, and the events themselves (oldest first).
#[derive(Clone, Debug)]
pub struct EscalationRead {
    pub state: Escalation,
    pub events: Arc<Vec<Link>>,
}

/// How many escalations' reads a process keeps (the escalations being looked at now).
const READ_CACHE: usize = 1024;

/// (partnership stream version, stream version, state) of a stream after its last command.
type DecidedStream = (i64, i64, Projector);

/// How many escalations' states a process keeps decided in memory (each holds a copy of its
/// partnership's configuration, so the cache is kept small).
const STREAM_CACHE: usize = 512;

/// How many times a child-details read is tried when other readers of the same escalation take
/// the access stream's next version first.
const READ_ATTEMPTS: u32 = 50;

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("backend", &self.store.backend())
            .finish()
    }
}

pub(crate) fn outbox_rows(
    notifications: &[Notification],
    escalation_id: Option<&str>,
) -> Vec<NewOutbox> {
    notifications
        .iter()
        .map(|n| NewOutbox {
            event_index: 0,
            escalation_id: escalation_id.map(str::to_owned),
            recipient: n.to.as_str().to_owned(),
            reason: n.reason.as_stored(),
            stage: i64::from(n.stage.get()),
            child_details: n.child_details,
            address: n.address.clone(),
        })
        .collect()
}

impl Records {
    /// Records over a store, with the built-in bank holidays.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_holidays(store, BankHolidays::built_in())
    }

    pub fn with_holidays(store: Arc<dyn Store>, holidays: BankHolidays) -> Self {
        let writer = Writer::start(store.clone());
        Records {
            store,
            writer,
            holidays: Arc::new(holidays),
            partnerships: std::sync::Mutex::new(HashMap::new()),
            streams: std::sync::Mutex::new(HashMap::new()),
            numbering: std::sync::Mutex::new(Numbering::default()),
            owners: std::sync::Mutex::new(HashMap::new()),
            reads: std::sync::Mutex::new(HashMap::new()),
            reports: Some(ReportMemory::default()),
        }
    }

    /// The same, every report reading its facts afresh: for a command that makes one report
    /// and ends, where memory would only widen the read.
    pub fn without_report_memory(mut self) -> Self {
        self.reports = None;
        self
    }

    /// Forgets the report facts held (`report_memory.rs`): the next report reads afresh. For
    /// the benchmark's cold reads.
    pub fn forget_reports(&self) {
        if let Some(memory) = &self.reports {
            memory.forget();
        }
    }

    /// Opens the store a URL names.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::from(crate::open(url).await?)))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A projector holding the partnership's configuration and the given stream's state, and
    /// the version of `stream`. `config_version`: the partnership stream's version if the
    /// caller has just read it.
    async fn load(
        &self,
        partnership_id: &str,
        stream: &str,
        config_version: Option<i64>,
    ) -> Result<(Projector, i64), StoreError> {
        let (mut projector, config_version) =
            self.configuration(partnership_id, config_version).await?;
        if stream == stream::PARTNERSHIP {
            return Ok((projector, config_version));
        }
        let events = self
            .store
            .stream_events(partnership_id, &[stream.to_owned()])
            .await?;
        self.replay(&mut projector, partnership_id, &events)?;
        Ok((projector, events.last().map_or(0, |l| l.stream_version)))
    }

    /// A projector holding the partnership's configuration (its stream replayed, every
    /// procedure version's calendar built), and the partnership stream's version. Kept per
    /// partnership and reused while that version stands: one single-row query when current
    /// (none when the caller has just read the version).
    pub(crate) async fn configuration(
        &self,
        partnership_id: &str,
        known_version: Option<i64>,
    ) -> Result<(Projector, i64), StoreError> {
        let version = match known_version {
            Some(v) => v,
            None => {
                self.store
                    .stream_version(partnership_id, stream::PARTNERSHIP)
                    .await?
            }
        };
        let cached = self.partnerships.lock().ok().and_then(|c| {
            c.get(partnership_id)
                .filter(|(v, _)| *v == version)
                .map(|(_, p)| p.clone())
        });
        if let Some(p) = cached {
            return Ok((p, version));
        }
        let config = self
            .store
            .stream_events(partnership_id, &[stream::PARTNERSHIP.to_owned()])
            .await?;
        let version = config.last().map_or(0, |l| l.stream_version);
        let mut p = Projector::new(self.holidays.clone());
        self.replay(&mut p, partnership_id, &config)?;
        // Build the calendars now, in the copy that is kept: built on first use in a clone,
        // each would be built again for every command and read.
        p.build_calendars(partnership_id)?;
        if let Ok(mut c) = self.partnerships.lock() {
            c.insert(partnership_id.to_owned(), (version, p.clone()));
        }
        Ok((p, version))
    }

    pub(crate) fn replay(
        &self,
        projector: &mut Projector,
        partnership_id: &str,
        events: &[Link],
    ) -> Result<(), StoreError> {
        for link in events {
            if let Some(payload) = parse_payload(link)? {
                projector.apply(&Fact {
                    partnership_id,
                    stream: &link.stream,
                    at_us: link.at_us,
                    payload: &payload,
                })?;
            }
        }
        Ok(())
    }

    /// An escalation's state as the next command on it is decided (the partnership's
    /// configuration, its events replayed), and its stream version, kept for that command: the
    /// deadline monitor reads what is due from it, then appends through [`Records::act`]
    /// without reading the events again.
    pub(crate) async fn decided_escalation(
        &self,
        partnership_id: &str,
        escalation_id: &str,
    ) -> Result<(Projector, i64), StoreError> {
        let stream = stream::escalation(escalation_id);
        let config_version = self
            .store
            .stream_version(partnership_id, stream::PARTNERSHIP)
            .await?;
        let (projector, version) = self
            .load(partnership_id, &stream, Some(config_version))
            .await?;
        self.remember_owner(escalation_id, partnership_id);
        if let Ok(mut cache) = self.streams.lock() {
            if cache.len() >= STREAM_CACHE {
                cache.clear();
            }
            cache.insert(
                (partnership_id.to_owned(), stream),
                (config_version, version, projector.clone()),
            );
        }
        Ok((projector, version))
    }

    /// Decides and appends one event on a stream, based on `expected` (or the current version
    /// when `None`).
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        partnership_id: &str,
        stream: &str,
        expected: Option<i64>,
        at: Timestamp,
        actor: &Actor,
        reason: Option<&str>,
        payload: Payload,
    ) -> Result<Appended, StoreError> {
        // Escalation commands are the hot path: reuse the state decided by the last command on
        // this stream. The write checks, in its transaction, that the partnership's
        // configuration is still the version that state was decided with; when it has moved,
        // the command is decided again on a fresh configuration (once: a second move is a
        // conflict for the caller).
        let cacheable = matches!(stream.parse::<Stream>(), Ok(Stream::Escalation(_)));
        let key = (partnership_id.to_owned(), stream.to_owned());
        let mut use_cache = cacheable;
        let mut decided_again = false;
        loop {
            let cached = if use_cache {
                self.streams.lock().ok().and_then(|c| {
                    c.get(&key)
                        .filter(|(_, v, _)| expected.is_none_or(|e| e == *v))
                        .map(|(pv, v, p)| (p.clone(), *v, *pv))
                })
            } else {
                None
            };
            let (mut projector, current, config_version) = match cached {
                Some(hit) => hit,
                None if cacheable => {
                    let config_version = self
                        .store
                        .stream_version(partnership_id, stream::PARTNERSHIP)
                        .await?;
                    let (p, v) = self
                        .load(partnership_id, stream, Some(config_version))
                        .await?;
                    (p, v, config_version)
                }
                None => {
                    let (p, v) = self.load(partnership_id, stream, None).await?;
                    (p, v, 0)
                }
            };
            if let Some(expected) = expected
                && expected != current
            {
                return Err(StoreError::Conflict {
                    stream: stream.to_owned(),
                    expected,
                    actual: current,
                });
            }
            let at_us = at.as_microsecond();
            let (ops, notifications) = projector.apply(&Fact {
                partnership_id,
                stream,
                at_us,
                payload: &payload,
            })?;
            let escalation_id = match stream.parse::<Stream>() {
                Ok(Stream::Escalation(id)) => Some(id),
                _ => None,
            };
            let request = AppendRequest {
                partnership_id: partnership_id.to_owned(),
                stream: stream.to_owned(),
                expected_version: current,
                partnership_version: cacheable.then_some(config_version),
                events: vec![NewEvent {
                    at_us,
                    kind: payload.kind().to_owned(),
                    actor: actor.0.clone(),
                    reason: reason.map(str::to_owned),
                    payload: serde_json::to_string(&payload)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                }],
                ops,
                outbox: outbox_rows(&notifications, escalation_id.as_deref()),
            };
            let result = self.writer.append(request).await;
            if cacheable && let Ok(mut cache) = self.streams.lock() {
                match &result {
                    Ok(appended) => {
                        if cache.len() >= STREAM_CACHE {
                            cache.clear();
                        }
                        cache.insert(
                            key.clone(),
                            (config_version, appended.stream_version, projector),
                        );
                    }
                    Err(_) => {
                        cache.remove(&key);
                    }
                }
            }
            match result {
                Err(StoreError::Conflict { stream: moved, .. })
                    if !decided_again && moved == stream::PARTNERSHIP =>
                {
                    decided_again = true;
                    use_cache = false;
                }
                other => return other,
            }
        }
    }
}

/// Reference numbers (`PREFIX-YEAR-NNNN`), handed out in memory once the database has been
/// counted: a raise then costs no scan of the escalations, and concurrent raises need not wait
/// for each other's commits, so they share them. A series is counted when it is new to this
/// process, and again after a raise meets a number another process took (the UNIQUE
/// constraint on `escalations.reference`), always moving past that number. A number whose
/// raise failed goes back when it is still the last one handed out, so it leaves no gap.
#[derive(Debug, Default)]
struct Numbering {
    series: HashMap<String, Series>,
}

#[derive(Debug)]
struct Series {
    /// The last number handed out, or known to be taken.
    last: i64,
    /// Whether `last` may be behind the database (another process took a number).
    stale: bool,
}

impl Numbering {
    /// The next number of `series`, unless the database must be counted first.
    fn take(&mut self, series: &str) -> Option<i64> {
        let s = self.series.get_mut(series).filter(|s| !s.stale)?;
        s.last += 1;
        Some(s.last)
    }

    /// The next number of `series`, whose references in the database number `stored`.
    fn take_after(&mut self, series: &str, stored: i64) -> i64 {
        let s = self.series.entry(series.to_owned()).or_insert(Series {
            last: stored,
            stale: false,
        });
        s.last = s.last.max(stored) + 1;
        s.stale = false;
        s.last
    }

    /// `number` was found taken: count the database again, and move past it whatever the
    /// count (references can have gaps: a raise that failed after a later one was numbered).
    fn collided(&mut self, series: &str, number: i64) {
        let s = self.series.entry(series.to_owned()).or_insert(Series {
            last: number,
            stale: true,
        });
        s.last = s.last.max(number);
        s.stale = true;
    }

    /// Returns `number`, whose raise did not commit, if nothing after it has been handed out.
    fn give_back(&mut self, series: &str, number: i64) {
        if let Some(s) = self.series.get_mut(series)
            && s.last == number
        {
            s.last -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Numbering;

    #[test]
    fn a_counted_series_numbers_on_in_memory() {
        let mut n = Numbering::default();
        assert_eq!(n.take("TSP-2026"), None, "a new series is counted first");
        assert_eq!(n.take_after("TSP-2026", 7), 8);
        assert_eq!(n.take("TSP-2026"), Some(9));
        assert_eq!(n.take("OTHER-2026"), None, "series are apart");
        // A second count that raced the first never hands a number out twice.
        assert_eq!(n.take_after("TSP-2026", 7), 10);
    }

    #[test]
    fn a_collision_counts_again_and_moves_past_the_taken_number() {
        let mut n = Numbering::default();
        n.take_after("TSP-2026", 3);
        n.collided("TSP-2026", 4);
        assert_eq!(n.take("TSP-2026"), None, "counted again after a collision");
        // The count can be behind the taken number when references have gaps.
        assert_eq!(n.take_after("TSP-2026", 2), 5);
        assert_eq!(n.take_after("TSP-2026", 9), 10, "or ahead of it");
    }

    #[test]
    fn a_failed_raise_gives_its_number_back_only_if_it_was_the_last() {
        let mut n = Numbering::default();
        assert_eq!(n.take_after("TSP-2026", 0), 1);
        n.give_back("TSP-2026", 1);
        assert_eq!(n.take("TSP-2026"), Some(1));
        assert_eq!(n.take("TSP-2026"), Some(2));
        n.give_back("TSP-2026", 1);
        assert_eq!(n.take("TSP-2026"), Some(3), "2 is out: 1 stays a gap");
    }
}
