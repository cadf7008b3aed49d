//! Mail hours: e-mail goes out in working hours on the partnership's working days, in the
//! procedure's time zone (`--mail-hours 08:00-18:00` by default, `always` for no wait). The
//! inbox never waits; only e-mail does.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use parley_core::calendar::{Calendar, CalendarError, WorkingDays};

/// When e-mail may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailHours {
    /// Any time of any day.
    Always,
    /// From `open` (inclusive) to `close` (exclusive), local time, on working days only.
    Window { open: Time, close: Time },
}

impl Default for MailHours {
    fn default() -> Self {
        MailHours::Window {
            open: Time::constant(8, 0, 0, 0),
            close: Time::constant(18, 0, 0, 0),
        }
    }
}

/// A `--mail-hours` value that is not `HH:MM-HH:MM` or `always`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "mail hours {given:?}: {problem}; write them as HH:MM-HH:MM (such as 08:00-18:00) or `always`"
)]
pub struct MailHoursError {
    given: String,
    problem: &'static str,
}

impl FromStr for MailHours {
    type Err = MailHoursError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |problem| MailHoursError {
            given: s.to_owned(),
            problem,
        };
        let text = s.trim();
        if text.eq_ignore_ascii_case("always") {
            return Ok(MailHours::Always);
        }
        let (open, close) = text
            .split_once('-')
            .ok_or_else(|| err("there is no `-` between the opening and closing times"))?;
        let open = clock(open.trim()).ok_or_else(|| err("the opening time is not HH:MM"))?;
        let close = clock(close.trim()).ok_or_else(|| err("the closing time is not HH:MM"))?;
        if close <= open {
            return Err(err("the closing time is not after the opening time"));
        }
        Ok(MailHours::Window { open, close })
    }
}

/// `HH:MM`, 00:00 to 23:59.
fn clock(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    Time::new(h, m, 0, 0).ok()
}

impl fmt::Display for MailHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailHours::Always => f.write_str("always"),
            MailHours::Window { open, close } => write!(
                f,
                "{:02}:{:02}-{:02}:{:02}",
                open.hour(),
                open.minute(),
                close.hour(),
                close.minute()
            ),
        }
    }
}

impl MailHours {
    /// Whether e-mail may go out at `now`.
    pub fn is_open(
        &self,
        now: Timestamp,
        calendar: &Calendar,
        tz: &TimeZone,
    ) -> Result<bool, CalendarError> {
        Ok(self.opened_at(now, calendar, tz)?.is_some())
    }

    /// When the mail window `now` falls in opened (`None` when it is closed). With `always`,
    /// the start of the local day. The daily summaries go out once per window, with what
    /// came before its opening.
    pub fn opened_at(
        &self,
        now: Timestamp,
        calendar: &Calendar,
        tz: &TimeZone,
    ) -> Result<Option<Timestamp>, CalendarError> {
        let local = now.to_zoned(tz.clone());
        let date = local.date();
        match *self {
            MailHours::Always => Ok(Some(local_instant(date, Time::midnight(), tz))),
            MailHours::Window { open, close } => {
                let time = local.time();
                if time < open || time >= close || !calendar.is_working_day(date)? {
                    return Ok(None);
                }
                Ok(Some(local_instant(date, open, tz)))
            }
        }
    }

    /// The first instant at or after `now` at which e-mail may go out: `now` itself when the
    /// window is open, else the next opening on a working day.
    pub fn next_open(
        &self,
        now: Timestamp,
        calendar: &Calendar,
        tz: &TimeZone,
    ) -> Result<Timestamp, CalendarError> {
        let MailHours::Window { open, .. } = *self else {
            return Ok(now);
        };
        if self.is_open(now, calendar, tz)? {
            return Ok(now);
        }
        let local = now.to_zoned(tz.clone());
        let date = local.date();
        let day = if local.time() < open && calendar.is_working_day(date)? {
            date
        } else {
            // The first working day after today: constant time, no loop over days.
            calendar.add_working_days(date, one_day())?
        };
        Ok(local_instant(day, open, tz))
    }
}

#[allow(clippy::expect_used)]
fn one_day() -> WorkingDays {
    WorkingDays::new(1).expect("1 is a number of working days")
}

/// `date` at `time` in `tz`; a time the clock skips (a spring-forward gap) is taken as the
/// instant after the gap, a repeated one as the first.
fn local_instant(date: Date, time: Time, tz: &TimeZone) -> Timestamp {
    let civil = date.to_datetime(time);
    match tz.to_ambiguous_zoned(civil).compatible() {
        Ok(zoned) => zoned.timestamp(),
        // Out of jiff's range only for years far beyond any calendar Parley holds.
        Err(_) => Timestamp::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::calendar::{BankHolidays, Region};

    fn calendar(closures: &[Date]) -> Calendar {
        Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), closures)
            .expect("the built-in calendar")
    }

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").expect("the bundled tz data")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn hours(s: &str) -> MailHours {
        s.parse().expect("mail hours")
    }

    #[test]
    fn parses_windows_and_always() {
        assert_eq!(hours("08:00-18:00"), MailHours::default());
        assert_eq!(hours(" always "), MailHours::Always);
        assert_eq!(hours("7:30 - 19:15").to_string(), "07:30-19:15");
        for (bad, problem) in [
            ("08:00", "no `-`"),
            ("8-18", "opening time is not HH:MM"),
            ("08:00-25:00", "closing time is not HH:MM"),
            ("18:00-08:00", "not after the opening"),
            ("", "no `-`"),
        ] {
            let e = bad.parse::<MailHours>().expect_err(bad).to_string();
            assert!(e.contains(problem), "{bad}: {e}");
        }
    }

    #[test]
    fn a_bank_holiday_weekend_waits_for_the_tuesday() {
        // Easter 2026: Good Friday 3 April and Easter Monday 6 April are bank holidays in
        // England and Wales; the clocks went forward on 29 March, so 08:00 is 07:00 UTC.
        let (cal, tz, h) = (calendar(&[]), london(), MailHours::default());
        assert!(h.is_open(at("2026-04-02T16:59:00Z"), &cal, &tz).unwrap());
        assert!(!h.is_open(at("2026-04-02T17:00:00Z"), &cal, &tz).unwrap());
        for closed in [
            "2026-04-03T10:00:00Z",
            "2026-04-04T10:00:00Z",
            "2026-04-06T10:00:00Z",
        ] {
            assert!(!h.is_open(at(closed), &cal, &tz).unwrap(), "{closed}");
            assert_eq!(
                h.next_open(at(closed), &cal, &tz).unwrap(),
                at("2026-04-07T07:00:00Z")
            );
        }
        assert_eq!(
            h.next_open(at("2026-04-02T17:00:00Z"), &cal, &tz).unwrap(),
            at("2026-04-07T07:00:00Z")
        );
        // Open now: now.
        let now = at("2026-04-07T07:00:00Z");
        assert_eq!(h.next_open(now, &cal, &tz).unwrap(), now);
        assert_eq!(
            h.opened_at(at("2026-04-07T12:34:00Z"), &cal, &tz).unwrap(),
            Some(now)
        );
    }

    #[test]
    fn the_window_follows_the_clock_change() {
        // The clocks went forward at 01:00 UTC on Sunday 29 March 2026: Friday's 08:00 is
        // 08:00 UTC, Monday's is 07:00 UTC.
        let (cal, tz, h) = (calendar(&[]), london(), MailHours::default());
        assert!(!h.is_open(at("2026-03-27T07:30:00Z"), &cal, &tz).unwrap());
        assert!(h.is_open(at("2026-03-30T07:30:00Z"), &cal, &tz).unwrap());
        assert!(h.is_open(at("2026-03-27T17:30:00Z"), &cal, &tz).unwrap());
        assert!(!h.is_open(at("2026-03-30T17:30:00Z"), &cal, &tz).unwrap());
        assert_eq!(
            h.next_open(at("2026-03-27T18:00:00Z"), &cal, &tz).unwrap(),
            at("2026-03-30T07:00:00Z")
        );
        // Back on Sunday 25 October 2026: Monday's 08:00 is 08:00 UTC again.
        assert_eq!(
            h.next_open(at("2026-10-23T17:00:00Z"), &cal, &tz).unwrap(),
            at("2026-10-26T08:00:00Z")
        );
        // Before opening on a working day: that morning.
        assert_eq!(
            h.next_open(at("2026-10-26T03:00:00Z"), &cal, &tz).unwrap(),
            at("2026-10-26T08:00:00Z")
        );
    }

    #[test]
    fn closure_days_are_not_mail_days() {
        // A partnership that closes between Christmas and New Year: after the bank holidays
        // of 25 and 28 December 2026, its own closures on 29-31 December.
        let closures: Vec<Date> = (29..=31).map(|d| Date::new(2026, 12, d).unwrap()).collect();
        let (cal, tz, h) = (calendar(&closures), london(), MailHours::default());
        assert_eq!(
            h.next_open(at("2026-12-24T18:00:00Z"), &cal, &tz).unwrap(),
            at("2027-01-04T08:00:00Z")
        );
        assert!(!h.is_open(at("2026-12-30T10:00:00Z"), &cal, &tz).unwrap());
        let open = calendar(&[]);
        assert!(h.is_open(at("2026-12-30T10:00:00Z"), &open, &tz).unwrap());
    }

    #[test]
    fn always_is_always_open() {
        let (cal, tz, h) = (calendar(&[]), london(), MailHours::Always);
        let sunday_night = at("2026-04-05T23:30:00Z"); // 00:30 BST on Easter Monday
        assert!(h.is_open(sunday_night, &cal, &tz).unwrap());
        assert_eq!(h.next_open(sunday_night, &cal, &tz).unwrap(), sunday_night);
        assert_eq!(
            h.opened_at(sunday_night, &cal, &tz).unwrap(),
            Some(at("2026-04-05T23:00:00Z"))
        );
    }

    #[test]
    fn a_date_outside_the_calendar_is_an_error_not_a_guess() {
        let (cal, tz, h) = (calendar(&[]), london(), MailHours::default());
        let far = at("2099-06-01T10:00:00Z");
        assert!(matches!(
            h.is_open(far, &cal, &tz),
            Err(CalendarError::OutOfRange { .. })
        ));
    }
}
