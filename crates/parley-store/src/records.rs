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
use crate::projector::{Fact, Projector, access_stream, escalation_stream};
use crate::rows::EscalationRow;
use crate::writer::Writer;

/// The partnership-wide stream: creation, procedures, closure days.
pub const PARTNERSHIP_STREAM: &str = "partnership";

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
        if stream == PARTNERSHIP_STREAM {
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
                    .stream_version(partnership_id, PARTNERSHIP_STREAM)
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
            .stream_events(partnership_id, &[PARTNERSHIP_STREAM.to_owned()])
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
        let stream = escalation_stream(escalation_id);
        let config_version = self
            .store
            .stream_version(partnership_id, PARTNERSHIP_STREAM)
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
        let cacheable = stream.starts_with("escalation:");
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
                        .stream_version(partnership_id, PARTNERSHIP_STREAM)
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
            let escalation_id = stream.strip_prefix("escalation:");
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
                outbox: outbox_rows(&notifications, escalation_id),
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
                    if !decided_again && moved == PARTNERSHIP_STREAM =>
                {
                    decided_again = true;
                    use_cache = false;
                }
                other => return other,
            }
        }
    }

    /// Creates a partnership running a procedure (the file's text). Returns its id.
    pub async fn create_partnership(
        &self,
        at: Timestamp,
        actor: &Actor,
        name: &str,
        short_name: Option<&str>,
        procedure_source: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let created = Payload::PartnershipCreated {
            name: name.to_owned(),
            short_name: short_name.map(str::to_owned),
        };
        self.commit(&id, PARTNERSHIP_STREAM, Some(0), at, actor, None, created)
            .await?;
        self.adopt_procedure(at, actor, &id, procedure_source)
            .await?;
        Ok(id)
    }

    /// The partnership adopts a (new version of its) procedure. Escalations already raised
    /// keep the version they were raised under.
    pub async fn adopt_procedure(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        source: &str,
    ) -> Result<i64, StoreError> {
        let parsed =
            procedure::parse(source).map_err(|e| StoreError::Invalid(format!("procedure: {e}")))?;
        let (projector, _) = self.load(partnership_id, PARTNERSHIP_STREAM, None).await?;
        let version = projector.current_procedure(partnership_id).unwrap_or(0) + 1;
        let payload = Payload::ProcedureAdopted {
            version,
            procedure_id: parsed.id.to_string(),
            source: source.to_owned(),
        };
        self.commit(
            partnership_id,
            PARTNERSHIP_STREAM,
            None,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(version)
    }

    pub async fn set_closure_days(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        days: Vec<String>,
    ) -> Result<(), StoreError> {
        let payload = Payload::ClosureDaysSet { days };
        self.commit(
            partnership_id,
            PARTNERSHIP_STREAM,
            None,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(())
    }

    pub async fn add_agency(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        name: &str,
        sector: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let payload = Payload::AgencyAdded {
            agency_id: id.clone(),
            name: name.to_owned(),
            sector: sector.to_owned(),
        };
        self.commit(
            partnership_id,
            &format!("agency:{id}"),
            Some(0),
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }

    /// Adds a person (`person_id` `None`) or replaces their details.
    pub async fn save_person(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        person_id: Option<&str>,
        p: PersonInput,
    ) -> Result<String, StoreError> {
        let (id, expected) = match person_id {
            Some(id) => (id.to_owned(), None),
            None => (uuid::Uuid::new_v4().to_string(), Some(0)),
        };
        let payload = Payload::PersonSaved {
            person_id: id.clone(),
            agency_id: p.agency_id,
            name: p.name,
            email: p.email,
            job_title: p.job_title,
            roles: p.roles,
            line_manager_id: p.line_manager_id,
            active: p.active,
        };
        self.commit(
            partnership_id,
            &format!("person:{id}"),
            expected,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }

    pub async fn set_named_officer(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        agency_id: &str,
        stage: i64,
        person_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let payload = Payload::NamedOfficerSet {
            agency_id: agency_id.to_owned(),
            stage,
            person_id: person_id.map(str::to_owned),
        };
        let stream = format!("named-officer:{agency_id}:{stage}");
        self.commit(partnership_id, &stream, None, at, actor, None, payload)
            .await?;
        Ok(())
    }

    pub async fn give_compliment(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        from_person_id: &str,
        to_person_id: &str,
        message: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let payload = Payload::ComplimentGiven {
            compliment_id: id.clone(),
            from_person_id: from_person_id.to_owned(),
            to_person_id: to_person_id.to_owned(),
            message: message.to_owned(),
        };
        self.commit(
            partnership_id,
            &format!("compliment:{id}"),
            Some(0),
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }

    /// Raises an escalation under the partnership's current procedure.
    pub async fn raise(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        input: RaiseInput,
    ) -> Result<RaisedEscalation, StoreError> {
        // Time-ordered, so a new escalation's rows (and its stream's events) go at the end of
        // every index keyed by it, not at random places: fewer pages written per raise.
        let id = uuid::Uuid::now_v7().to_string();
        let stream = escalation_stream(&id);
        let partnership = self
            .store
            .partnerships()
            .await?
            .into_iter()
            .find(|p| p.id == partnership_id)
            .ok_or_else(|| StoreError::NotFound(format!("partnership {partnership_id}")))?;
        let prefix: String = partnership
            .short_name
            .as_deref()
            .unwrap_or(&partnership.name)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(5)
            .collect::<String>()
            .to_ascii_uppercase();
        let year = at.to_zoned(jiff::tz::TimeZone::UTC).year();
        let series = format!("{prefix}-{year}");
        let mut attempt = 0;
        loop {
            let taken = self.numbering().take(&series);
            let number = match taken {
                Some(number) => number,
                None => {
                    // Numbered by prefix and year across the whole database, so that two
                    // partnerships with the same initials never take the same reference.
                    let stored = self.store.count_references(&format!("{series}-%")).await?;
                    self.numbering().take_after(&series, stored)
                }
            };
            let reference = format!("{series}-{number:04}");
            let payload = Payload::EscalationRaised(Box::new(Raised {
                escalation_id: id.clone(),
                reference: reference.clone(),
                procedure_version: partnership.procedure_version,
                route: input.route.clone(),
                subject: if input.child_status.is_some() {
                    "child"
                } else {
                    "thematic"
                }
                .to_owned(),
                child_status: input.child_status.clone(),
                child: input.child.clone(),
                category: input.category.clone(),
                raised_by: input.raised_by.clone(),
                raising_agency_id: input.raising_agency_id.clone(),
                receiving_agency_id: input.receiving_agency_id.clone(),
                receiving_person_id: input.receiving_person_id.clone(),
                summary: input.summary.clone(),
                decision: input.decision.clone(),
                evidence: input.evidence.clone(),
                outcome_wanted: input.outcome_wanted.clone(),
                decided_on: input.decided_on.map(|d| d.to_string()),
            }));
            match self
                .commit(partnership_id, &stream, Some(0), at, actor, None, payload)
                .await
            {
                Ok(appended) => {
                    // Its first action then reads nothing: the decided state is cached too.
                    self.remember_owner(&id, partnership_id);
                    return Ok(RaisedEscalation {
                        id,
                        reference,
                        version: appended.stream_version,
                    });
                }
                // Another process sharing the database took this number: count again.
                Err(e) if attempt < 20 && e.is_unique_violation() => {
                    self.numbering().collided(&series, number);
                    attempt += 1;
                }
                Err(e) => {
                    self.numbering().give_back(&series, number);
                    return Err(e);
                }
            }
        }
    }

    fn numbering(&self) -> std::sync::MutexGuard<'_, Numbering> {
        // The map holds plain numbers: a panic elsewhere cannot leave it half-changed.
        self.numbering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies a state-machine event to an escalation, based on the version the actor saw.
    pub async fn act(
        &self,
        at: Timestamp,
        actor: &Actor,
        escalation_id: &str,
        expected_version: i64,
        event: &Event,
        reason: Option<&str>,
    ) -> Result<i64, StoreError> {
        let partnership_id = self.partnership_of(escalation_id).await?;
        let payload = Payload::from_core(event).ok_or_else(|| {
            StoreError::Invalid(
                match event {
                    Event::Raised { .. } => "an escalation is raised with `raise`, not `act`",
                    // Issue 14, item 2: one side's word alone is only ever replayed.
                    _ => "a resolution by one side alone is no longer recorded",
                }
                .to_owned(),
            )
        })?;
        let stream = escalation_stream(escalation_id);
        let appended = self
            .commit(
                &partnership_id,
                &stream,
                Some(expected_version),
                at,
                actor,
                reason,
                payload,
            )
            .await?;
        Ok(appended.stream_version)
    }

    /// The partnership an escalation belongs to (cached: it never changes).
    async fn partnership_of(&self, escalation_id: &str) -> Result<String, StoreError> {
        let owner = self
            .owners
            .lock()
            .ok()
            .and_then(|o| o.get(escalation_id).cloned());
        if let Some(p) = owner {
            return Ok(p);
        }
        let row = self
            .store
            .escalation(escalation_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("escalation {escalation_id}")))?;
        self.remember_owner(escalation_id, &row.partnership_id);
        Ok(row.partnership_id)
    }

    /// Notes which partnership an escalation belongs to (it never changes).
    fn remember_owner(&self, escalation_id: &str, partnership_id: &str) {
        if let Ok(mut o) = self.owners.lock() {
            if o.len() >= STREAM_CACHE {
                o.clear();
            }
            o.insert(escalation_id.to_owned(), partnership_id.to_owned());
        }
    }

    /// Records that a person was shown an escalation's child details: an event on the
    /// escalation's access stream (`access:<id>`), in the partnership's hash chain like every
    /// other, which changes no query table and not the escalation's version. Readers of the
    /// same escalation at the same moment each get their own event (a reader that loses the
    /// race for the stream's next version tries again on the new one).
    pub async fn record_child_details_read(
        &self,
        escalation_id: &str,
        reader_person_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let partnership_id = self.partnership_of(escalation_id).await?;
        let stream = access_stream(escalation_id);
        let payload = Payload::ChildDetailsRead {
            reader: reader_person_id.to_owned(),
        };
        let json =
            serde_json::to_string(&payload).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Nothing to decide: the stream's current version is all the append needs.
            let version = self.store.stream_version(&partnership_id, &stream).await?;
            let request = AppendRequest {
                partnership_id: partnership_id.clone(),
                stream: stream.clone(),
                expected_version: version,
                partnership_version: None,
                events: vec![NewEvent {
                    at_us: at.as_microsecond(),
                    kind: payload.kind().to_owned(),
                    actor: Some(reader_person_id.to_owned()),
                    reason: None,
                    payload: json.clone(),
                }],
                ops: Vec::new(),
                outbox: Vec::new(),
            };
            match self.writer.append(request).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict { .. }) if attempt < READ_ATTEMPTS => {
                    // Spread the retries of readers that collided again.
                    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 8);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Who was shown an escalation's child details, and when: (at, reader's person id), in the
    /// order they were recorded. A record whose content has been purged shows an empty reader.
    pub async fn access_log(&self, escalation_id: &str) -> Result<Vec<(i64, String)>, StoreError> {
        let partnership_id = self.partnership_of(escalation_id).await?;
        let links = self
            .store
            .stream_events(&partnership_id, &[access_stream(escalation_id)])
            .await?;
        let mut log = Vec::with_capacity(links.len());
        for link in &links {
            let reader = match parse_payload(link)? {
                Some(Payload::ChildDetailsRead { reader }) => reader,
                Some(other) => {
                    return Err(StoreError::Unreadable {
                        partnership: link.partnership_id.clone(),
                        seq: link.seq,
                        message: format!("a {} event on an access stream", other.kind()),
                    });
                }
                None => String::new(),
            };
            log.push((link.at_us, reader));
        }
        Ok(log)
    }

    /// An escalation's state, rebuilt from its events.
    pub async fn escalation_state(&self, escalation_id: &str) -> Result<Escalation, StoreError> {
        let row = self
            .store
            .escalation(escalation_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("escalation {escalation_id}")))?;
        let config_version = self
            .store
            .config_version(&row.partnership_id)
            .await?
            .unwrap_or(0);
        Ok(self.escalation_read(&row, config_version).await?.state)
    }

    /// An escalation's state and events as of `row`, its projection row just read, with
    /// `config_version` its partnership's ([`Store::config_version`]). The projection row is
    /// written in the same transaction as the events, so while its version and the
    /// configuration version stand, the read kept from last time is current: no query at all.
    pub async fn escalation_read(
        &self,
        row: &EscalationRow,
        config_version: i64,
    ) -> Result<EscalationRead, StoreError> {
        let kept = self.reads.lock().ok().and_then(|c| {
            c.get(&row.id)
                .filter(|(cv, v, _)| *cv == config_version && *v == row.version)
                .map(|(_, _, r)| r.clone())
        });
        if let Some(read) = kept {
            return Ok(read);
        }
        let stream = escalation_stream(&row.id);
        let (mut projector, _) = self.configuration(&row.partnership_id, None).await?;
        let events = self
            .store
            .stream_events(&row.partnership_id, std::slice::from_ref(&stream))
            .await?;
        self.replay(&mut projector, &row.partnership_id, &events)?;
        let version = events.last().map_or(0, |l| l.stream_version);
        let state = projector
            .escalation(&row.id)
            .map(|(e, _)| e.clone())
            .ok_or_else(|| StoreError::NotFound(format!("escalation {}", row.id)))?;
        let read = EscalationRead {
            state,
            events: Arc::new(events),
        };
        if let Ok(mut c) = self.reads.lock() {
            if c.len() >= READ_CACHE {
                c.clear();
            }
            c.insert(row.id.clone(), (config_version, version, read.clone()));
        }
        Ok(read)
    }

    /// Drops every projection and replays all events into them. Returns how many events were
    /// replayed.
    pub async fn rebuild_projections(&self) -> Result<u64, StoreError> {
        let (ops, replayed) =
            crate::consistency::replay(self.store.as_ref(), self.holidays.clone(), None, None)
                .await?;
        self.store.replace_projections(ops).await?;
        Ok(replayed)
    }

    /// The bank holidays the projector's calendars are built from.
    pub fn holidays(&self) -> &Arc<BankHolidays> {
        &self.holidays
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
