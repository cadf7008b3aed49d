//! Raising in the procedure's own terms (issue 14, item 7): where the procedure counts its
//! timescales from the date of the decision to raise a challenge (Dorset §4: "The date of
//! this decision is Day One"), raising asks for that date, no later than today and no earlier
//! than the procedure allows (`[counting] latest_entry_day`); and a challenge entered after
//! its Day One says how many working days had already gone, on the confirmation and on the
//! escalation.
//!
//! The checks here are those of the raise pages and the API alike; the core checks the date
//! again when the escalation is raised (`parley_core::day_one`).

use jiff::civil::Date;
use parley_core::Calendar;
use parley_core::procedure::{DayOne, Procedure};
use serde::Serialize;

use super::raise::{DatePart, iso_date, parts_date};
use crate::error::AppError;

/// What the raise form asks when the procedure counts from the decision date.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionDateQuestion {
    /// `YYYY-MM-DD`: the earliest decision date accepted today.
    pub earliest: String,
    /// `YYYY-MM-DD`: today, the latest.
    pub latest: String,
    /// The working day, counted from Day One as day 1, by which a challenge is entered in
    /// Parley (the procedure's `latest_entry_day`).
    pub latest_entry_day: u32,
    /// What the date is, in words, for the question's hint.
    pub hint: String,
}

/// The question for `procedure` on `today`, or `None` where it counts from the day of raising.
pub fn question(
    procedure: &Procedure,
    calendar: &Calendar,
    today: Date,
) -> Result<Option<DecisionDateQuestion>, AppError> {
    let DayOne::DecisionDate { latest_entry_day } = procedure.day_one else {
        return Ok(None);
    };
    let earliest = calendar
        .earliest_day_one(today, latest_entry_day)
        .map_err(|e| AppError::Internal(format!("the earliest decision date on {today}: {e}")))?;
    Ok(Some(DecisionDateQuestion {
        earliest: earliest.to_string(),
        latest: today.to_string(),
        latest_entry_day: latest_entry_day.get(),
        hint: format!(
            "The date you and your line manager decided to raise it. Under the {} procedure this is Day One: every timescale counts from it, in working days. It can be today, or as early as {}.",
            procedure.partnership_short(),
            long(earliest)
        ),
    }))
}

/// The message when no date is given.
pub const MISSING: &str = "Enter the date of the decision to raise the challenge";

/// What the messages call the date (the GOV.UK date-input pattern's "[whatever it is]").
const CALLED: &str = "Date of the decision";

/// The date against the question: today or before, and no earlier than it allows.
fn in_range(q: &DecisionDateQuestion, date: Date) -> Result<Date, String> {
    let parse = |s: &str| s.parse::<Date>().ok();
    if parse(&q.latest).is_some_and(|today| date > today) {
        return Err(format!("{CALLED} must be today or in the past"));
    }
    if let Some(earliest) = parse(&q.earliest).filter(|e| date < *e) {
        return Err(format!(
            "{CALLED} must be the same as or after {}: the procedure has a challenge raised by working day {} counted from it",
            earliest.strftime("%-d %B %Y"),
            q.latest_entry_day
        ));
    }
    Ok(date)
}

/// The API's `decided_on` (`YYYY-MM-DD`): required where the procedure asks for it, refused
/// where it does not.
pub fn check(
    q: Option<&DecisionDateQuestion>,
    answer: Option<&str>,
) -> Result<Option<Date>, String> {
    let given = answer.map(str::trim).filter(|s| !s.is_empty());
    match (q, given) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(
            "Leave out decided_on: this procedure counts its timescales from the day the challenge is raised"
                .to_owned(),
        ),
        (Some(_), None) => Err(MISSING.to_owned()),
        (Some(q), Some(v)) => {
            let date = iso_date(v)
                .ok_or_else(|| format!("{CALLED} must be a real date, written as YYYY-MM-DD"))?;
            in_range(q, date).map(Some)
        }
    }
}

/// The page's three inputs (day, month, year), with the message on the input at fault.
pub fn check_parts(
    q: &DecisionDateQuestion,
    day: &str,
    month: &str,
    year: &str,
) -> Result<Date, (DatePart, String)> {
    match parts_date(CALLED, day, month, year)? {
        None => Err((DatePart::Day, MISSING.to_owned())),
        Some(date) => in_range(q, date).map_err(|m| (DatePart::Day, m)),
    }
}

/// An escalation's Day One, where its procedure counts from the decision date.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DayOneView {
    /// `YYYY-MM-DD`: the date of the decision to raise it, from which every timescale counts.
    pub date: String,
    /// `YYYY-MM-DD`: the day it was raised in Parley.
    pub raised_on: String,
    /// How many working days had gone from Day One (day 1 when it is a working day) before
    /// the day it was raised: 0 when raised on Day One.
    pub working_days_gone: u32,
    /// Whether it was raised in Parley after Day One.
    pub late: bool,
    /// All of it in words.
    pub text: String,
}

/// The view for an escalation of `procedure` with Day One `day_one`, raised on `raised_on`;
/// `None` where the procedure counts from the day of raising.
pub fn view(
    procedure: &Procedure,
    calendar: &Calendar,
    day_one: Date,
    raised_on: Date,
) -> Option<DayOneView> {
    if !procedure.day_one.takes_decision_date() {
        return None;
    }
    let gone = parley_core::day_one::days_gone(calendar, day_one, raised_on).unwrap_or(0);
    let late = day_one < raised_on;
    let mut text = format!(
        "Day One is {}, the date of the decision to raise it: every timescale counts from it.",
        long(day_one)
    );
    if late {
        text.push_str(&format!(
            " It was raised in Parley on {}, when {} already gone.",
            long(raised_on),
            match gone {
                0 => "no working day had".to_owned(),
                1 => "1 working day had".to_owned(),
                n => format!("{n} working days had"),
            }
        ));
    }
    Some(DayOneView {
        date: day_one.to_string(),
        raised_on: raised_on.to_string(),
        working_days_gone: gone,
        late,
        text,
    })
}

fn long(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> DecisionDateQuestion {
        DecisionDateQuestion {
            earliest: "2026-12-22".into(),
            latest: "2026-12-24".into(),
            latest_entry_day: 3,
            hint: String::new(),
        }
    }

    #[test]
    fn the_api_date_is_checked_against_the_question() {
        assert_eq!(check(None, None), Ok(None));
        assert!(
            check(None, Some("2026-12-24"))
                .unwrap_err()
                .contains("Leave out")
        );
        assert_eq!(check(Some(&q()), Some(" ")), Err(MISSING.to_owned()));
        assert!(
            check(Some(&q()), Some("24/12/2026"))
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            check(Some(&q()), Some("2026-02-30"))
                .unwrap_err()
                .contains("real date")
        );
        assert_eq!(
            check(Some(&q()), Some("2026-12-25")).unwrap_err(),
            "Date of the decision must be today or in the past"
        );
        assert_eq!(
            check(Some(&q()), Some("2026-12-21")).unwrap_err(),
            "Date of the decision must be the same as or after 22 December 2026: the procedure has a challenge raised by working day 3 counted from it"
        );
        assert_eq!(
            check(Some(&q()), Some("2026-12-22")),
            Ok(Some(jiff::civil::date(2026, 12, 22)))
        );
    }

    #[test]
    fn the_page_names_the_input_at_fault() {
        assert_eq!(
            check_parts(&q(), "", "", ""),
            Err((DatePart::Day, MISSING.to_owned()))
        );
        assert_eq!(
            check_parts(&q(), "22", "", "2026"),
            Err((
                DatePart::Month,
                "Date of the decision must include a month".to_owned()
            ))
        );
        assert_eq!(
            check_parts(&q(), "22", "12", "26"),
            Err((DatePart::Year, "Year must include 4 numbers".to_owned()))
        );
        assert_eq!(
            check_parts(&q(), "23", "12", "2026"),
            Ok(jiff::civil::date(2026, 12, 23))
        );
    }
}
