//! The mail queue over Parley's records: the partnerships' calendars and what each notice
//! says, read from the store. [`StoreQueue`] implements [`crate::Queue`] over `Records`' mail
//! queue (`resolve_outbox`, `lease_mail`, `mail_sent`, `mail_failed`, `digest_due`,
//! `digest_sent`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;

use jiff::civil::Date;
use parley_core::escalation::Reason;
use parley_core::names::Recipient;
use parley_core::{Calendar, Procedure, StageNumber};
use parley_store::StoreError;
use parley_store::notify::Delivery;
use parley_store::records::Records;
use parley_store::rows::PartnershipRow;

use crate::compose::{EscalationNotice, Notice, ReportNotice};
use crate::describe::{self, About, DescribeError};
use crate::queue::{DigestDue, PartnershipCalendar, Queue, Queued};

/// What the queue over the records can fail with.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Describe(#[from] DescribeError),
    #[error("partnership {partnership}: {problem}")]
    Partnership {
        partnership: String,
        problem: String,
    },
}

/// A partnership's procedure version with its calendar (closure days included).
type Rules = Arc<(Procedure, Arc<Calendar>)>;

/// (partnership, procedure version, closure days).
type RulesKey = (String, i64, Vec<String>);

/// The mail queue over `Records`.
pub struct StoreQueue {
    records: Arc<Records>,
    /// Parsed procedures and calendars by (partnership, version, closure days).
    rules: Mutex<HashMap<RulesKey, Rules>>,
}

impl std::fmt::Debug for StoreQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreQueue").finish_non_exhaustive()
    }
}

impl StoreQueue {
    pub fn new(records: Arc<Records>) -> Self {
        StoreQueue {
            records,
            rules: Mutex::new(HashMap::new()),
        }
    }

    pub fn records(&self) -> &Arc<Records> {
        &self.records
    }

    /// A procedure version of `partnership`, parsed, and its calendar.
    async fn rules(&self, partnership: &PartnershipRow, version: i64) -> Result<Rules, QueueError> {
        let key = (
            partnership.id.clone(),
            version,
            partnership.closure_days.clone(),
        );
        if let Some(r) = self.rules.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(r);
        }
        let fail = |problem: String| QueueError::Partnership {
            partnership: partnership.id.clone(),
            problem,
        };
        let row = self
            .records
            .store()
            .procedures(&partnership.id)
            .await?
            .into_iter()
            .find(|p| p.version == version)
            .ok_or_else(|| fail(format!("procedure version {version} is missing")))?;
        let mut procedure = parley_core::procedure::parse(&row.source).map_err(|d| {
            fail(format!(
                "stored procedure version {version} does not parse: {d}"
            ))
        })?;
        for day in &partnership.closure_days {
            let date = day
                .parse::<Date>()
                .map_err(|e| fail(format!("the closure day {day:?} is not a date: {e}")))?;
            procedure.calendar.closure_days.push(date);
        }
        let calendar = parley_core::deadline::calendar_for(&procedure, self.records.holidays())
            .map_err(|e| fail(format!("its calendar: {e}")))?;
        let rules: Rules = Arc::new((procedure, Arc::new(calendar)));
        if let Ok(mut c) = self.rules.lock() {
            c.insert(key, rules.clone());
        }
        Ok(rules)
    }

    async fn partnership(&self, id: &str) -> Result<PartnershipRow, QueueError> {
        self.records
            .store()
            .partnerships()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("partnership {id}")).into())
    }

    /// Every partnership's calendar and time zone (its current procedure's).
    pub async fn calendars(&self) -> Result<Vec<PartnershipCalendar>, QueueError> {
        let mut out = Vec::new();
        for p in self.records.store().partnerships().await? {
            let rules = self.rules(&p, p.procedure_version).await?;
            out.push(PartnershipCalendar {
                partnership_id: p.id.clone(),
                calendar: rules.1.clone(),
                time_zone: rules.0.calendar.time_zone.clone(),
            });
        }
        Ok(out)
    }

    /// What the e-mail reminding the business team of a report the partnership's procedure
    /// calls for says: the report as the current procedure names it (by its id where the
    /// procedure no longer has it), the period, and the link to the report for that period.
    pub async fn report_notice(
        &self,
        partnership_id: &str,
        report: &str,
        from: Date,
        to: Date,
    ) -> Result<ReportNotice, QueueError> {
        let partnership = self.partnership(partnership_id).await?;
        let rules = self
            .rules(&partnership, partnership.procedure_version)
            .await?;
        let procedure = &rules.0;
        let spec = procedure.report(report);
        let period =
            parley_report::Period::named(from, to).map_err(|e| QueueError::Partnership {
                partnership: partnership_id.to_owned(),
                problem: format!("report {report}: {e}"),
            })?;
        Ok(ReportNotice {
            report_id: report.to_owned(),
            title: spec.map_or_else(|| report.to_owned(), |s| s.title.clone()),
            procedure: procedure.name.clone(),
            period: period.label(),
            from,
            to,
            every: spec.map_or_else(String::new, |s| s.every.label().to_owned()),
            audience: spec.map_or_else(String::new, |s| s.audience.clone()),
            reference: spec.and_then(|s| s.reference.clone()),
            // The web's page of a procedure's report (`parley_web::service::reports::own`).
            path: format!("/reports/procedure/{report}?from={from}&to={to}"),
        })
    }

    /// What the e-mail about `escalation_id` says to `recipient`, for `reason` at `stage`.
    pub async fn notice(
        &self,
        escalation_id: &str,
        recipient: Recipient,
        reason: &Reason,
        stage: StageNumber,
    ) -> Result<EscalationNotice, QueueError> {
        let store = self.records.store();
        let row = store
            .escalation(escalation_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("escalation {escalation_id}")))?;
        let partnership = self.partnership(&row.partnership_id).await?;
        let rules = self.rules(&partnership, row.procedure_version).await?;
        let agencies = store.agencies(&row.partnership_id).await?;
        let agency = |id: &str| {
            agencies
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.name.clone())
                .ok_or_else(|| QueueError::Partnership {
                    partnership: row.partnership_id.clone(),
                    problem: format!(
                        "escalation {} names agency {id}, which is missing",
                        row.reference
                    ),
                })
        };
        let raising = agency(&row.raising_agency_id)?;
        let receiving = agency(&row.receiving_agency_id)?;
        let state = self.records.escalation_state(escalation_id).await?;
        Ok(describe::notice(&About {
            escalation_id,
            reference: &row.reference,
            procedure: &rules.0,
            state: &state,
            raising_agency: &raising,
            receiving_agency: &receiving,
            recipient,
            reason,
            stage,
        })?)
    }
}

fn queued(d: Delivery) -> Queued {
    Queued {
        id: d.id,
        partnership_id: d.partnership_id,
        escalation_id: d.escalation_id,
        person_id: d.person_id,
        address: d.address,
        recipient: d.recipient,
        reason: d.reason,
        stage: d.stage,
        attempts: d.attempts,
        created_at_us: d.created_at_us,
    }
}

#[async_trait::async_trait]
impl Queue for StoreQueue {
    type Error = QueueError;

    async fn partnerships(&self) -> Result<Vec<PartnershipCalendar>, QueueError> {
        self.calendars().await
    }

    async fn resolve_outbox(&self, now: Timestamp) -> Result<usize, QueueError> {
        Ok(self.records.resolve_outbox(now).await?)
    }

    async fn lease(
        &self,
        now: Timestamp,
        worker: &str,
        lease: Duration,
        limit: usize,
        partnerships: &[String],
    ) -> Result<Vec<Queued>, QueueError> {
        let leased = self
            .records
            .lease_mail(now, worker, lease, limit, partnerships)
            .await?;
        Ok(leased.into_iter().map(queued).collect())
    }

    async fn describe(&self, item: &Queued) -> Result<Notice, QueueError> {
        if let Reason::ReportDue { report, from, to } = &item.reason {
            return Ok(self
                .report_notice(&item.partnership_id, report, *from, *to)
                .await?
                .into());
        }
        let escalation_id = item.escalation_id.as_deref().ok_or_else(|| {
            StoreError::NotFound(format!("the escalation of delivery {}", item.id))
        })?;
        Ok(self
            .notice(escalation_id, item.recipient, &item.reason, item.stage)
            .await?
            .into())
    }

    async fn sent(&self, id: &str, worker: &str, at: Timestamp) -> Result<bool, QueueError> {
        Ok(self.records.mail_sent(id, worker, at).await?)
    }

    async fn failed(
        &self,
        id: &str,
        worker: &str,
        at: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, QueueError> {
        Ok(self
            .records
            .mail_failed(id, worker, at, error, retry_at)
            .await?)
    }

    async fn digest_due(&self, partnerships: &[String]) -> Result<Vec<DigestDue>, QueueError> {
        let due = self.records.digest_due(partnerships).await?;
        Ok(due
            .into_iter()
            .map(|(person_id, address, items)| DigestDue {
                person_id,
                address,
                items: items.into_iter().map(queued).collect(),
            })
            .collect())
    }

    async fn digest_sent(&self, ids: &[String], at: Timestamp) -> Result<(), QueueError> {
        Ok(self.records.digest_sent(ids, at).await?)
    }
}
