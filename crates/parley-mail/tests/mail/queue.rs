//! An in-memory mail queue with the store's leasing rules, for testing the sending loop
//! against the real SMTP sink. It stands in for the queue only; the SMTP side is always real.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use parley_core::StageNumber;
use parley_core::calendar::{BankHolidays, Calendar, Region};
use parley_core::escalation::{Deadline, Reason};
use parley_core::names::Recipient;
use parley_mail::{
    DigestDue, EscalationNotice, Happening, Needed, Notice, PartnershipCalendar, Queue, Queued,
};

pub(crate) const PARTNERSHIP: &str = "p-croydon";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    Sent,
    Failed,
    Digest,
}

#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub item: Queued,
    pub person: Option<String>,
    pub state: State,
    pub next_attempt_us: i64,
    pub lease_until_us: Option<i64>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub sent_at_us: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct MemQueue {
    pub rows: Mutex<Vec<Row>>,
    calendar: Arc<Calendar>,
}

impl MemQueue {
    pub(crate) fn new() -> Self {
        MemQueue {
            rows: Mutex::new(Vec::new()),
            calendar: Arc::new(
                Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap(),
            ),
        }
    }

    /// A pending delivery to `address`, due from `created`.
    pub(crate) fn push(&self, id: &str, address: &str, created: Timestamp) {
        self.insert(id, address, created, State::Pending, None);
    }

    /// A delivery waiting for `person`'s daily summary.
    pub(crate) fn push_digest(&self, id: &str, person: &str, address: &str, created: Timestamp) {
        self.insert(id, address, created, State::Digest, Some(person.to_owned()));
    }

    fn insert(
        &self,
        id: &str,
        address: &str,
        created: Timestamp,
        state: State,
        person: Option<String>,
    ) {
        let us = created.as_microsecond();
        self.rows.lock().unwrap().push(Row {
            item: Queued {
                id: id.to_owned(),
                partnership_id: PARTNERSHIP.to_owned(),
                escalation_id: Some(format!("esc-{id}")),
                person_id: person.clone(),
                address: Some(address.to_owned()),
                recipient: Recipient::StageLeads,
                reason: Reason::StageEntered(StageNumber::new(2).unwrap()),
                stage: StageNumber::new(2).unwrap(),
                attempts: 0,
                created_at_us: us,
            },
            person,
            state,
            next_attempt_us: us,
            lease_until_us: None,
            leased_by: None,
            last_error: None,
            sent_at_us: None,
        });
    }

    pub(crate) fn row(&self, id: &str) -> Row {
        self.rows
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.item.id == id)
            .cloned()
            .unwrap()
    }
}

/// What the escalation `esc-<id>` says: nothing about any child, by construction.
pub(crate) fn notice_for(item: &Queued) -> Notice {
    let stage = StageNumber::new(2).unwrap();
    Notice::Escalation(EscalationNotice {
        escalation_id: item.escalation_id.clone().unwrap_or_default(),
        reference: format!("CR-2026-{}", item.id),
        procedure: "Croydon escalation policy".to_owned(),
        stage,
        stage_name: "Line managers".to_owned(),
        raising_agency: "Croydon Health Services".to_owned(),
        receiving_agency: "Croydon Children's Social Care".to_owned(),
        happened: Happening::DeadlineApproaching {
            deadline: Deadline::Stage(stage),
            due: jiff::civil::date(2026, 12, 7),
        },
        rule_text: None,
        needed: Some(Needed {
            what: "Record the outcome of stage 2".to_owned(),
            by: Some(jiff::civil::date(2026, 12, 7)),
        }),
        partnership_form: vec![],
    })
}

#[async_trait::async_trait]
impl Queue for MemQueue {
    type Error = Infallible;

    async fn partnerships(&self) -> Result<Vec<PartnershipCalendar>, Infallible> {
        Ok(vec![PartnershipCalendar {
            partnership_id: PARTNERSHIP.to_owned(),
            calendar: self.calendar.clone(),
            time_zone: TimeZone::get("Europe/London").unwrap(),
        }])
    }

    async fn resolve_outbox(&self, _now: Timestamp) -> Result<usize, Infallible> {
        Ok(0)
    }

    async fn lease(
        &self,
        now: Timestamp,
        worker: &str,
        lease: Duration,
        limit: usize,
        partnerships: &[String],
    ) -> Result<Vec<Queued>, Infallible> {
        let now_us = now.as_microsecond();
        let until = now_us + i64::try_from(lease.as_micros()).unwrap();
        let mut rows = self.rows.lock().unwrap();
        let mut out = Vec::new();
        for row in rows.iter_mut() {
            if out.len() == limit {
                break;
            }
            let free = row.lease_until_us.is_none_or(|t| t <= now_us);
            if row.state == State::Pending
                && row.next_attempt_us <= now_us
                && free
                && partnerships.contains(&row.item.partnership_id)
            {
                row.lease_until_us = Some(until);
                row.leased_by = Some(worker.to_owned());
                out.push(row.item.clone());
            }
        }
        Ok(out)
    }

    async fn describe(&self, item: &Queued) -> Result<Notice, Infallible> {
        Ok(notice_for(item))
    }

    async fn sent(&self, id: &str, worker: &str, at: Timestamp) -> Result<bool, Infallible> {
        let mut rows = self.rows.lock().unwrap();
        let row = rows.iter_mut().find(|r| r.item.id == id).unwrap();
        assert_eq!(
            row.leased_by.as_deref(),
            Some(worker),
            "{id} marked by a worker without its lease"
        );
        row.state = State::Sent;
        row.item.attempts += 1;
        row.sent_at_us = Some(at.as_microsecond());
        row.lease_until_us = None;
        Ok(true)
    }

    async fn failed(
        &self,
        id: &str,
        _worker: &str,
        _at: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, Infallible> {
        let mut rows = self.rows.lock().unwrap();
        let row = rows.iter_mut().find(|r| r.item.id == id).unwrap();
        row.item.attempts += 1;
        row.last_error = Some(error.to_owned());
        row.lease_until_us = None;
        match retry_at {
            Some(t) => {
                row.state = State::Pending;
                row.next_attempt_us = t.as_microsecond();
            }
            None => row.state = State::Failed,
        }
        Ok(true)
    }

    async fn digest_due(&self, partnerships: &[String]) -> Result<Vec<DigestDue>, Infallible> {
        let rows = self.rows.lock().unwrap();
        let mut due: Vec<DigestDue> = Vec::new();
        for row in rows
            .iter()
            .filter(|r| r.state == State::Digest && partnerships.contains(&r.item.partnership_id))
        {
            let person = row.person.clone().unwrap();
            match due.iter_mut().find(|d| d.person_id == person) {
                Some(d) => d.items.push(row.item.clone()),
                None => due.push(DigestDue {
                    person_id: person,
                    address: row.item.address.clone().unwrap(),
                    items: vec![row.item.clone()],
                }),
            }
        }
        Ok(due)
    }

    async fn digest_sent(&self, ids: &[String], at: Timestamp) -> Result<(), Infallible> {
        let mut rows = self.rows.lock().unwrap();
        for row in rows.iter_mut().filter(|r| ids.contains(&r.item.id)) {
            row.state = State::Sent;
            row.sent_at_us = Some(at.as_microsecond());
        }
        Ok(())
    }
}
