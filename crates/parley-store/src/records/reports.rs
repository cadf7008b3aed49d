//! What a period report is made from (issue 17, item 1): the facts of the partnership's
//! escalations (`facts.rs`), the compliments' days, the procedure and working-day calendar
//! the figures count on, and the threshold of the published form, from the partnership's
//! current configuration. And the reports the procedure calls for (`[[report]]`) as they
//! fall due: the deadline monitor records each once a period, which reminds the business
//! team.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::Calendar;
use parley_core::procedure::Procedure;
use parley_report::Period;
use parley_report::period::due_period;
use parley_report::suppress::Threshold;

use super::{Actor, Records};
use crate::StoreError;
use crate::consistency::parse_payload;
use crate::facts::{self, ReportFacts};
use crate::payload::Payload;
use crate::projector::Projector;
use crate::stream::Stream;

/// A report's inputs for one period of one partnership.
#[derive(Clone, Debug)]
pub struct ReportInputs {
    pub facts: ReportFacts,
    /// The partnership's current procedure (its time zone, stage names).
    pub procedure: Arc<Procedure>,
    /// Its calendar, closure days included: working days are counted on it.
    pub calendar: Arc<Calendar>,
    /// The threshold of its published reports (the default unless it set one).
    pub threshold: Threshold,
}

impl Records {
    /// The partnership's date at `at`, in its procedure's time zone.
    pub async fn local_today(
        &self,
        partnership_id: &str,
        at: jiff::Timestamp,
    ) -> Result<jiff::civil::Date, StoreError> {
        let (projector, _) = self.configuration(partnership_id, None).await?;
        projector.local_today(partnership_id, at).ok_or_else(|| {
            StoreError::NotFound(format!("a procedure for partnership {partnership_id}"))
        })
    }

    /// The inputs of a report of `period` for the partnership.
    pub async fn report_inputs(
        &self,
        partnership_id: &str,
        period: Period,
    ) -> Result<ReportInputs, StoreError> {
        let (mut projector, _) = self.configuration(partnership_id, None).await?;
        let version = projector
            .current_procedure(partnership_id)
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                StoreError::NotFound(format!("a procedure for partnership {partnership_id}"))
            })?;
        let (procedure, calendar) = projector.rules_for(partnership_id, version)?;
        let facts = facts::report_facts(
            self.store.as_ref(),
            self.reports.as_ref(),
            partnership_id,
            period,
            &procedure.calendar.time_zone,
        )
        .await?;
        Ok(ReportInputs {
            facts,
            procedure,
            calendar,
            threshold: projector
                .report_threshold(partnership_id)
                .unwrap_or_default(),
        })
    }
}

/// The calendar years a server reads into its report memory as it starts, unless told
/// otherwise: this year, last year (its annual report) and the year before (what that is
/// compared with).
pub const REPORT_MEMORY_YEARS: u16 = 3;

/// What a server read into its report memory for one partnership as it started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warmed {
    /// The first day held: 1 January of the earliest calendar year held.
    pub from: Date,
    /// The escalations held.
    pub escalations: usize,
}

impl Records {
    /// Reads into the report memory (`report_memory.rs`) what the reports of the partnership's
    /// last `years` calendar years read, the current one included, as it stands at `at`: the
    /// first report of such a period, or of a month, quarter or financial year within them
    /// (each compared with the period before it, so the earliest year is the one compared
    /// with), is then read from memory. For a server as it starts, in the background: a
    /// report asked for meanwhile waits for the read and shares it. `None` where there is no
    /// memory (a one-off command), `years` is 0, or the partnership has no procedure yet.
    pub async fn warm_report_memory(
        &self,
        partnership_id: &str,
        at: Timestamp,
        years: u16,
    ) -> Result<Option<Warmed>, StoreError> {
        let Some(memory) = &self.reports else {
            return Ok(None);
        };
        if years == 0 {
            return Ok(None);
        }
        let (projector, _) = self.configuration(partnership_id, None).await?;
        let Some(today) = projector.local_today(partnership_id, at) else {
            return Ok(None);
        };
        let out_of_range = || StoreError::Invalid(format!("{years} years before {today}"));
        let first = today
            .year()
            .checked_sub(i16::try_from(years - 1).map_err(|_| out_of_range())?)
            .ok_or_else(out_of_range)?;
        let from = Date::new(first, 1, 1).map_err(|_| out_of_range())?;
        // To the end of next year: a financial year runs to March of the next, and nothing
        // is raised after today, so the later bound costs nothing.
        let to = Date::new(today.year().saturating_add(1), 12, 31).map_err(|_| out_of_range())?;
        let agencies = facts::agency_names(self.store.as_ref(), partnership_id).await?;
        let escalations = memory
            .warm(self.store.as_ref(), partnership_id, from, to, agencies)
            .await?;
        Ok(Some(Warmed { from, escalations }))
    }

    /// Records, as Parley itself, each report of the partnership's current procedure whose
    /// period has ended by `today` (the last whole month, quarter or year: Dorset §10, "the
    /// previous month") and was not recorded for that period yet: one `report-due` event on
    /// `report:<id>`, whose notification reaches the business team's inboxes and e-mail.
    /// Once a period: the stream's last event names the period it was recorded for, and the
    /// append expects the version read, so a second pass or a second server records nothing
    /// (the one that loses meets a conflict and leaves it). Only the latest period is ever
    /// recorded: a monitor that was down for months reminds once. Returns how many it
    /// recorded.
    pub(crate) async fn record_reports_due(
        &self,
        partnership_id: &str,
        config: &Projector,
        today: Date,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let Some(procedure) = config.procedure_now(partnership_id) else {
            return Ok(0);
        };
        let mut recorded = 0;
        for spec in &procedure.reports {
            let Ok(due) = due_period(spec.every, today) else {
                continue;
            };
            let stream = Stream::Report(spec.id.clone()).to_string();
            let links = self
                .store
                .stream_events(partnership_id, std::slice::from_ref(&stream))
                .await?;
            let version = links.last().map_or(0, |l| l.stream_version);
            let (from, to) = (due.from().to_string(), due.to().to_string());
            if let Some(last) = links.last()
                && let Some(Payload::ReportDue { from: f, to: t, .. }) = parse_payload(last)?
                && (f.as_str(), t.as_str()) == (from.as_str(), to.as_str())
            {
                continue;
            }
            let payload = Payload::ReportDue {
                report: spec.id.clone(),
                from,
                to,
            };
            match self
                .commit(
                    partnership_id,
                    &stream,
                    Some(version),
                    now,
                    &Actor::SYSTEM,
                    None,
                    payload,
                )
                .await
            {
                Ok(_) => recorded += 1,
                // Another pass recorded it first.
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(recorded)
    }
}
