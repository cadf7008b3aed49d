//! What a period report is made from (issue 17, item 1): the facts of the partnership's
//! escalations (`facts.rs`), the compliments' days, and the procedure and working-day
//! calendar the figures count on, from the partnership's current configuration.

use std::sync::Arc;

use parley_core::Calendar;
use parley_core::procedure::Procedure;
use parley_report::Period;

use super::Records;
use crate::StoreError;
use crate::facts::{self, ReportFacts};

/// A report's inputs for one period of one partnership.
#[derive(Clone, Debug)]
pub struct ReportInputs {
    pub facts: ReportFacts,
    /// The partnership's current procedure (its time zone, stage names).
    pub procedure: Arc<Procedure>,
    /// Its calendar, closure days included: working days are counted on it.
    pub calendar: Arc<Calendar>,
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
            partnership_id,
            period,
            &procedure.calendar.time_zone,
        )
        .await?;
        Ok(ReportInputs {
            facts,
            procedure,
            calendar,
        })
    }
}
