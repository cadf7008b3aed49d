//! Escalations: raising, acting, the readings of a child's details, the state as decided,
//! and rebuilding the query tables.

use super::*;

impl Records {
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
        let stream = stream::escalation(&id);
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
        let stream = stream::escalation(escalation_id);
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
    pub(super) fn remember_owner(&self, escalation_id: &str, partnership_id: &str) {
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
        let stream = stream::access(escalation_id);
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
            .stream_events(&partnership_id, &[stream::access(escalation_id)])
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
    /// `config_version` its partnership's ([`Directory::config_version`](crate::Directory::config_version)). The projection row is
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
        let stream = stream::escalation(&row.id);
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
