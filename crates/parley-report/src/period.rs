//! Report periods: any inclusive range of dates, and the presets a partnership reports by (issue
//! 17: "a month, a quarter, a calendar year and a financial year (April to March)"). Solihull §9
//! reviews quarterly, Dorset §10 monthly, Croydon in its annual report.
//!
//! Labels follow the GOV.UK style: dates as "1 April 2026" (no leading zero, month in full),
//! ranges joined with "to", never a hyphen, and a financial year named "2026 to 2027".

use std::fmt;
use std::str::FromStr;

use jiff::ToSpan;
use jiff::civil::Date;

use crate::ReportError;

use parley_core::calendar::MONTH_NAMES as MONTHS;

/// The name of a month, 1 for January.
pub fn month_name(month: i8) -> &'static str {
    MONTHS[usize::try_from(month - 1).unwrap_or(0).min(11)]
}

/// A date as GOV.UK writes it: "1 April 2026".
pub fn long_date(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// The kinds of period with a one-click choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preset {
    /// A calendar month.
    Month,
    /// January to March, April to June, July to September, October to December.
    Quarter,
    /// 1 January to 31 December.
    CalendarYear,
    /// 1 April to 31 March, as the UK public sector's accounts run.
    FinancialYear,
}

impl Preset {
    pub const ALL: &'static [Preset] = &[
        Preset::Month,
        Preset::Quarter,
        Preset::CalendarYear,
        Preset::FinancialYear,
    ];

    /// The name used in addresses, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Month => "month",
            Preset::Quarter => "quarter",
            Preset::CalendarYear => "calendar-year",
            Preset::FinancialYear => "financial-year",
        }
    }

    /// The name shown on the choice.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Month => "Month",
            Preset::Quarter => "Quarter",
            Preset::CalendarYear => "Calendar year",
            Preset::FinancialYear => "Financial year (April to March)",
        }
    }

    /// The period of this kind that contains `date`.
    pub fn containing(self, date: Date) -> Result<Period, ReportError> {
        let (y, m) = (date.year(), date.month());
        let (from, to) = match self {
            Preset::Month => (date.first_of_month(), date.last_of_month()),
            Preset::Quarter => {
                let first = (m - 1) / 3 * 3 + 1;
                let from = ymd(y, first, 1)?;
                (from, ymd(y, first + 2, 1)?.last_of_month())
            }
            Preset::CalendarYear => (ymd(y, 1, 1)?, ymd(y, 12, 31)?),
            Preset::FinancialYear => {
                let start = if m >= 4 { y } else { y - 1 };
                (ymd(start, 4, 1)?, ymd(start + 1, 3, 31)?)
            }
        };
        Ok(Period {
            from,
            to,
            preset: Some(self),
        })
    }
}

/// A procedure's report (`[[report]]`) covers one whole period of its kind.
impl From<parley_core::procedure::ReportEvery> for Preset {
    fn from(every: parley_core::procedure::ReportEvery) -> Preset {
        use parley_core::procedure::ReportEvery;
        match every {
            ReportEvery::Month => Preset::Month,
            ReportEvery::Quarter => Preset::Quarter,
            ReportEvery::CalendarYear => Preset::CalendarYear,
            ReportEvery::FinancialYear => Preset::FinancialYear,
        }
    }
}

/// The period a report made `every` so often is due for on `today`: the last whole one
/// before the period containing `today` (Dorset §10: "the previous month"). It falls due the
/// day after it ends.
pub fn due_period(
    every: parley_core::procedure::ReportEvery,
    today: Date,
) -> Result<Period, ReportError> {
    Preset::from(every).containing(today)?.previous()
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = parley_core::calendar::UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                parley_core::calendar::UnknownName::new(
                    "period",
                    s,
                    Preset::ALL.iter().map(|p| p.as_str()),
                )
            })
    }
}

fn ymd(year: i16, month: i8, day: i8) -> Result<Date, ReportError> {
    Date::new(year, month, day).map_err(|_| ReportError::PeriodOutOfRange {
        what: format!("in the year {year}"),
    })
}

/// An inclusive range of dates, from its first day to its last. Built only by
/// [`Period::range`] (which checks the order) or a [`Preset`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    from: Date,
    to: Date,
    preset: Option<Preset>,
}

impl Period {
    /// Any range, `from` and `to` both included. A range that happens to be a whole month,
    /// quarter or year is still a plain range: its previous period is the same number of days
    /// just before it.
    pub fn range(from: Date, to: Date) -> Result<Period, ReportError> {
        if from > to {
            return Err(ReportError::PeriodBackwards { from, to });
        }
        Ok(Period {
            from,
            to,
            preset: None,
        })
    }

    pub fn from(&self) -> Date {
        self.from
    }

    pub fn to(&self) -> Date {
        self.to
    }

    /// The preset it was made from, if any.
    pub fn preset(&self) -> Option<Preset> {
        self.preset
    }

    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }

    /// How many calendar days it has, both ends included.
    pub fn days(&self) -> i64 {
        days_between(self.from, self.to) + 1
    }

    /// The period before it, for comparison: the preset's previous month, quarter or year;
    /// for a plain range, the range of the same number of days ending the day before it starts.
    pub fn previous(&self) -> Result<Period, ReportError> {
        let out = || ReportError::PeriodOutOfRange {
            what: format!("before {}", long_date(self.from)),
        };
        let day_before = self.from.yesterday().map_err(|_| out())?;
        match self.preset {
            Some(preset) => preset.containing(day_before),
            None => {
                let from = day_before
                    .checked_sub((self.days() - 1).days())
                    .map_err(|_| out())?;
                Period::range(from, day_before)
            }
        }
    }

    /// The `n` periods before it, the nearest first.
    pub fn preceding(&self, n: usize) -> Result<Vec<Period>, ReportError> {
        let mut out = Vec::with_capacity(n);
        let mut p = *self;
        for _ in 0..n {
            p = p.previous()?;
            out.push(p);
        }
        Ok(out)
    }

    /// The calendar months it touches, in order, each cut to the period: for the figures by
    /// month. A whole month is a [`Preset::Month`]; a part of one is a plain range.
    pub fn months(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let mut first = self.from.first_of_month();
        loop {
            let last = first.last_of_month();
            let (from, to) = (first.max(self.from), last.min(self.to));
            let whole = from == first && to == last;
            out.push(Period {
                from,
                to,
                preset: whole.then_some(Preset::Month),
            });
            match last.tomorrow() {
                Ok(next) if next <= self.to => first = next,
                _ => break,
            }
        }
        out
    }

    /// Its short name: "April 2026", "January to March 2026", "2026", "2026 to 2027" (a
    /// financial year), or the dates of a plain range.
    pub fn name(&self) -> String {
        let (y, m) = (self.from.year(), self.from.month());
        match self.preset {
            Some(Preset::Month) => format!("{} {y}", month_name(m)),
            Some(Preset::Quarter) => format!("{} to {} {y}", month_name(m), month_name(m + 2)),
            Some(Preset::CalendarYear) => y.to_string(),
            Some(Preset::FinancialYear) => format!("{y} to {}", y + 1),
            None => self.dates(),
        }
    }

    /// What a heading says: the name, with "Financial year" or "Calendar year" before a year.
    pub fn label(&self) -> String {
        match self.preset {
            Some(Preset::CalendarYear) => format!("Calendar year {}", self.name()),
            Some(Preset::FinancialYear) => format!("Financial year {}", self.name()),
            _ => self.name(),
        }
    }

    /// Its first and last days: "1 April 2026 to 31 March 2027", or one date for one day.
    pub fn dates(&self) -> String {
        if self.from == self.to {
            long_date(self.from)
        } else {
            format!("{} to {}", long_date(self.from), long_date(self.to))
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Calendar days from `a` to `b` (negative if `b` is before `a`).
pub fn days_between(a: Date, b: Date) -> i64 {
    day_number(b) - day_number(a)
}

/// Days since 1 March of year 0 in the proleptic Gregorian calendar: counting from a March
/// puts the leap day last in the year, so each year's days follow from its month by a fixed
/// formula (153 days in every five months from March).
fn day_number(date: Date) -> i64 {
    let (mut y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    if m < 3 {
        y -= 1;
    }
    let m_from_march = (m + 9) % 12;
    let day_of_year = (153 * m_from_march + 2) / 5 + d - 1;
    y * 365 + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + day_of_year
}

#[cfg(test)]
#[path = "period_tests.rs"]
mod tests;
