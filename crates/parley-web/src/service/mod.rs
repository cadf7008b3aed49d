//! What pages and the API have in common: loading what a person may see, shaped as plain
//! serialisable views. Pages render them with templates; the API returns them as JSON.

use std::sync::Arc;

use jiff::civil::Date;
use parley_store::rows::{
    AgencyRow, EscalationAppointmentRow, EscalationOfficerRow, EscalationRow, PartnershipRow,
};
use serde::Serialize;

use crate::access::{self, Access, Directory};
use crate::app::{AppState, Rules};
use crate::auth::CurrentUser;
use crate::error::AppError;

pub mod admin;
pub mod agreement;
pub mod appointment;
pub mod cap;
pub mod compliments;
pub mod day_one;
pub mod deliveries;
pub mod escalation;
pub mod forms;
pub mod free_text;
pub mod learning;
pub mod meeting;
pub mod my_work;
pub mod not_carried;
pub mod notice;
pub mod notifications;
pub mod partnership;
pub mod partnership_form;
pub mod procedure;
pub mod prompts;
pub mod raise;
pub mod redirect;
pub mod referral;
pub mod reports;
pub mod stage_record;

/// The partnership of the signed-in person, its current rules and its directory.
#[derive(Clone, Debug)]
pub struct Context {
    pub partnership: PartnershipRow,
    /// The partnership's configuration version this context was read at.
    pub config_version: i64,
    pub rules: Rules,
    pub directory: Arc<Directory>,
    pub agencies: Arc<Vec<AgencyRow>>,
    pub business_from: Option<i64>,
    pub today: Date,
}

impl Context {
    pub async fn load(state: &AppState, user: &CurrentUser) -> Result<Context, AppError> {
        let config = match &user.config {
            Some(c) => c.clone(),
            None => state.configuration(user.partnership_id()).await?,
        };
        let partnership = config.partnership.clone();
        let rules = state.rules(&partnership, None).await?;
        let business_from = access::business_team_from(&rules.procedure);
        let today = rules.today(state.now());
        Ok(Context {
            partnership,
            config_version: config.version,
            rules,
            directory: config.directory.clone(),
            agencies: config.agencies.clone(),
            business_from,
            today,
        })
    }

    /// What `user` may do with `e`, whose record of officers is `officers` and whose
    /// appointments are `appointments` (see [`access::access`]). An appointment shows the
    /// child only where the procedure's `[[appointment]]` says so.
    pub fn access(
        &self,
        user: &CurrentUser,
        e: &EscalationRow,
        officers: &[EscalationOfficerRow],
        appointments: &[EscalationAppointmentRow],
    ) -> Option<Access> {
        let mine = appointment::appointed(&self.rules.procedure, e, user.id(), appointments);
        access::access(
            &user.person,
            e,
            officers,
            &self.directory,
            self.business_from,
            &mine,
        )
    }

    pub fn agency_name(&self, id: &str, agencies: &[parley_store::rows::AgencyRow]) -> String {
        agencies
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| "Unknown agency".to_owned(), |a| a.name.clone())
    }

    /// The deadline of a date for display: working days left and a tag.
    pub fn deadline(&self, due: Date, open: bool) -> Deadline {
        let left = self.rules.working_days_left(self.today, due);
        let state = match (open, left) {
            (false, _) => DeadlineState::Closed,
            (true, Some(l)) if l < 0 => DeadlineState::Overdue,
            (true, Some(0)) => DeadlineState::DueToday,
            (true, Some(l)) if l <= 2 => DeadlineState::DueSoon,
            (true, _) => DeadlineState::OnTrack,
        };
        let text = match (open, left) {
            (false, _) => "Closed".to_owned(),
            (true, Some(l)) if l < 0 => format!(
                "Overdue by {} working day{}",
                -l,
                if l == -1 { "" } else { "s" }
            ),
            (true, Some(0)) => "Due today".to_owned(),
            (true, Some(l)) => format!("{l} working day{} left", if l == 1 { "" } else { "s" }),
            (true, None) => "Deadline outside the calendar".to_owned(),
        };
        Deadline {
            due: due.to_string(),
            working_days_left: left,
            state,
            text,
        }
    }
}

/// A deadline as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Deadline {
    /// `YYYY-MM-DD`.
    pub due: String,
    /// Working days from today to the due date; negative once overdue.
    pub working_days_left: Option<i64>,
    pub state: DeadlineState,
    pub text: String,
}

/// Where a deadline stands today (also the tag's style on pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineState {
    OnTrack,
    /// Two working days or fewer left.
    DueSoon,
    DueToday,
    Overdue,
    /// The escalation has closed.
    Closed,
    /// At a referral step without a timescale: no deadline runs.
    None,
}

/// A date of a stored row: one that does not read is an error naming the row and column,
/// never a missing deadline.
pub fn stored_date(table: &str, id: &str, column: &str, value: &str) -> Result<Date, AppError> {
    value.parse::<Date>().map_err(|e| {
        AppError::Internal(format!(
            "{table} {id}: {column} {value:?} is not a date: {e}"
        ))
    })
}

/// One line of a list of escalations: nothing here identifies a child.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EscalationLine {
    pub id: String,
    pub reference: String,
    pub summary: String,
    pub category: String,
    pub route: String,
    pub status: String,
    pub outcome: Option<String>,
    pub stage: i64,
    pub stage_title: String,
    /// The stage as named: "Stage N: title", or the title where it already says which stage.
    pub stage_name: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub raised_on: String,
    pub stage_deadline: Deadline,
    pub overall_deadline: Option<Deadline>,
    /// The worse of the two deadlines is passed.
    pub overdue: bool,
}

impl EscalationLine {
    pub fn new(
        ctx: &Context,
        e: &EscalationRow,
        agencies: &[parley_store::rows::AgencyRow],
    ) -> Result<EscalationLine, AppError> {
        let open = e.status == "open";
        let date = |column: &str, value: &str| stored_date("escalation", &e.id, column, value);
        let stage_deadline = ctx.deadline(date("stage_due", &e.stage_due)?, open);
        let overall_deadline = match e.overall_due.as_deref() {
            Some(d) => Some(ctx.deadline(date("overall_due", d)?, open)),
            None => None,
        };
        let overdue = stage_deadline.state == DeadlineState::Overdue
            || overall_deadline
                .as_ref()
                .is_some_and(|d| d.state == DeadlineState::Overdue);
        Ok(EscalationLine {
            id: e.id.clone(),
            reference: e.reference.clone(),
            summary: e.summary.clone(),
            category: ctx
                .rules
                .procedure
                .categories
                .iter()
                .find(|c| c.id == e.category)
                .map_or_else(|| e.category.clone(), |c| c.label.clone()),
            route: e.route.clone(),
            status: e.status.clone(),
            outcome: e.outcome.clone(),
            stage: e.current_stage,
            stage_title: ctx
                .rules
                .procedure
                .stages
                .iter()
                .find(|s| i64::from(s.number.get()) == e.current_stage)
                .map_or_else(String::new, |s| s.title.clone()),
            stage_name: ctx
                .rules
                .procedure
                .stages
                .iter()
                .find(|s| i64::from(s.number.get()) == e.current_stage)
                .map_or_else(|| format!("Stage {}", e.current_stage), |s| s.name()),
            raising_agency: ctx.agency_name(&e.raising_agency_id, agencies),
            receiving_agency: ctx.agency_name(&e.receiving_agency_id, agencies),
            raised_on: e.raised_on.clone(),
            stage_deadline,
            overall_deadline,
            overdue,
        })
    }
}
