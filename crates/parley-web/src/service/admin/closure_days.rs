//! Closure days (DESIGN.md §5: a working day is not one of the partnership's own closure days)

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use jiff::civil::{Date, Weekday};
use parley_core::calendar::Calendar;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::*;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClosureDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// e.g. `Friday 24 December 2027`.
    pub text: String,
}

/// The partnership's own closure days, in date order, and the dates the calendar covers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClosureDays {
    pub days: Vec<ClosureDay>,
    /// The first and last dates a closure day can be on (the bank-holiday data's years).
    pub first: String,
    pub last: String,
}

/// The whole list of closure days (it replaces the current one). `days` is required, so
/// that `{}` or a misspelt `dayz` is refused rather than taken for an empty list (issue 13
/// item 9: it cleared every closure day and moved every deadline).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureDaysFields {
    /// `YYYY-MM-DD` each.
    pub days: Vec<String>,
}

fn long(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

fn closure_view(days: &[Date], calendar: &Calendar) -> ClosureDays {
    let (first, last) = calendar.covers();
    ClosureDays {
        days: days
            .iter()
            .map(|d| ClosureDay {
                date: d.to_string(),
                text: long(*d),
            })
            .collect(),
        first: first.to_string(),
        last: last.to_string(),
    }
}

/// The partnership's closure days as dates (unreadable ones, which the records never hold,
/// are left out), sorted.
fn stored_days(days: &[String]) -> Vec<Date> {
    let set: BTreeSet<Date> = days.iter().filter_map(|d| d.parse().ok()).collect();
    set.into_iter().collect()
}

pub async fn closure_days(state: &AppState, user: &CurrentUser) -> Result<ClosureDays, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    Ok(closure_view(
        &stored_days(&partnership.closure_days),
        &rules.calendar,
    ))
}

/// Reads a date from the three boxes of a GOV.UK date input (the message says what is wrong).
pub fn date_from_parts(day: &str, month: &str, year: &str) -> Result<Date, String> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    let e = |m: &str| Err(m.to_owned());
    match (day.is_empty(), month.is_empty(), year.is_empty()) {
        (true, true, true) => return e("Enter the date of the closure day"),
        (true, _, _) => return e("The date must include a day"),
        (_, true, _) => return e("The date must include a month"),
        (_, _, true) => return e("The date must include a year"),
        _ => {}
    }
    let number = |s: &str| s.parse::<i16>().ok().filter(|_| s.len() <= 4);
    let (Some(d), Some(m), Some(y)) = (number(day), number(month), number(year)) else {
        return e("The date must be a real date, with the day, month and year as numbers");
    };
    if year.len() != 4 {
        return e("The year must include 4 numbers");
    }
    let (Ok(d), Ok(m)) = (i8::try_from(d), i8::try_from(m)) else {
        return e("The date must be a real date");
    };
    Date::new(y, m, d).or_else(|_| e("The date must be a real date"))
}

/// Checks a closure day against the calendar: within its years, a weekday, and not already
/// closed (a bank holiday, or already in `existing`). The message says what is wrong.
pub fn check_closure_day(date: Date, existing: &[Date], calendar: &Calendar) -> Result<(), String> {
    let (first, last) = calendar.covers();
    if date < first || date > last {
        return Err(format!(
            "Enter a date between {} and {}: Parley’s calendar covers those years",
            long(first),
            long(last)
        ));
    }
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err(format!(
            "Enter a weekday: {} is not a working day anyway",
            long(date)
        ));
    }
    if existing.contains(&date) {
        return Err(format!("{} is already a closure day", long(date)));
    }
    if let Ok(closed) = calendar.closed_days_in_year(date.year())
        && let Some(h) = closed
            .iter()
            .find(|h| h.date == date && h.title != CLOSURE_TITLE)
    {
        return Err(format!(
            "{} is already a bank holiday ({})",
            long(date),
            h.title
        ));
    }
    Ok(())
}

/// Checks a whole list of closure days (the API replaces the list): each a `YYYY-MM-DD` date
/// the calendar covers, on a weekday, not a bank holiday. Repeated dates count once.
pub fn check_closure_days(
    days: &[String],
    calendar: &Calendar,
) -> Result<Vec<Date>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut dates = BTreeSet::new();
    for (i, d) in days.iter().enumerate() {
        let field = format!("days[{i}]");
        match d.trim().parse::<Date>() {
            Ok(date) if d.trim().len() == 10 => {
                if dates.contains(&date) {
                    continue;
                }
                match check_closure_day(date, &[], calendar) {
                    Ok(()) => {
                        dates.insert(date);
                    }
                    Err(m) => errors.push(FieldError::new(&field, m)),
                }
            }
            _ => errors.push(FieldError::new(
                &field,
                format!(
                    "Enter the date as YYYY-MM-DD, like 2027-12-24 (not “{}”)",
                    d.trim()
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(dates.into_iter().collect())
    } else {
        Err(errors)
    }
}

async fn record_closure_days(
    state: &AppState,
    user: &CurrentUser,
    partnership: &str,
    days: &[Date],
) -> Result<(), AppError> {
    state
        .records
        .set_closure_days(
            state.now(),
            &actor(user),
            partnership,
            days.iter().map(ToString::to_string).collect(),
        )
        .await?;
    tracing::info!(%partnership, days = days.len(), by = %user.id(), "closure days set");
    Ok(())
}

/// Replaces the partnership's closure days.
pub async fn set_closure_days(
    state: &AppState,
    user: &CurrentUser,
    f: &ClosureDaysFields,
) -> Result<ClosureDays, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let days = check_closure_days(&f.days, &rules.calendar).map_err(AppError::Invalid)?;
    if days != stored_days(&partnership.closure_days) {
        record_closure_days(state, user, &partnership.id, &days).await?;
    }
    Ok(closure_view(&days, &rules.calendar))
}

/// Adds one closure day.
pub async fn add_closure_day(
    state: &AppState,
    user: &CurrentUser,
    date: Date,
) -> Result<(), AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let mut days = stored_days(&partnership.closure_days);
    check_closure_day(date, &days, &rules.calendar)
        .map_err(|m| AppError::Invalid(vec![FieldError::new("date", m)]))?;
    days.push(date);
    days.sort_unstable();
    record_closure_days(state, user, &partnership.id, &days).await
}

/// Removes one closure day (404 if it is not one).
pub async fn remove_closure_day(
    state: &AppState,
    user: &CurrentUser,
    date: &str,
) -> Result<Date, AppError> {
    admin(user)?;
    let partnership = state.partnership(user.partnership_id()).await?;
    let mut days = stored_days(&partnership.closure_days);
    let date: Date = date.trim().parse().map_err(|_| AppError::NotFound)?;
    let before = days.len();
    days.retain(|d| *d != date);
    if days.len() == before {
        return Err(AppError::NotFound);
    }
    record_closure_days(state, user, &partnership.id, &days).await?;
    Ok(date)
}
