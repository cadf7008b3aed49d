//! The UK working-day calendar: bank holidays per division, the partnership's own closure days,
//! and constant-time working-day arithmetic over precomputed tables.
//!
//! The rules are those of DESIGN.md §5: a working day is a Monday to Friday that is neither a
//! bank holiday of the partnership's division nor one of its closure days.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

/// The bank-holiday data shipped with Parley (GOV.UK `bank-holidays.json` format).
pub const BUILT_IN_BANK_HOLIDAYS: &str = include_str!("../data/bank-holidays.json");

/// One of the three GOV.UK bank-holiday divisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Region {
    pub const ALL: [Region; 3] = [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ];

    /// The GOV.UK division key, e.g. `england-and-wales`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "England and Wales",
            Region::Scotland => "Scotland",
            Region::NorthernIreland => "Northern Ireland",
        }
    }

    fn index(self) -> usize {
        match self {
            Region::EnglandAndWales => 0,
            Region::Scotland => 1,
            Region::NorthernIreland => 2,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName::new("calendar", s, Region::ALL.map(Region::as_str)))
    }
}

/// A name that is not one of a closed list; the message lists the allowed names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{given}\"; known: {}", .known.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub known: Vec<&'static str>,
}

impl UnknownName {
    pub fn new<I: IntoIterator<Item = &'static str>>(
        what: &'static str,
        given: &str,
        known: I,
    ) -> Self {
        UnknownName {
            what,
            given: given.to_owned(),
            known: known.into_iter().collect(),
        }
    }
}

/// A positive count of working days (at least 1, at most [`WorkingDays::MAX`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingDays(u16);

impl WorkingDays {
    /// About ten years of working days: far beyond any procedure, small enough to stay exact.
    pub const MAX: u32 = 2_600;

    pub fn new(n: i64) -> Result<Self, WorkingDaysError> {
        if n < 1 {
            return Err(WorkingDaysError::TooSmall(n));
        }
        if n > i64::from(Self::MAX) {
            return Err(WorkingDaysError::TooLarge(n));
        }
        Ok(WorkingDays(n as u16))
    }

    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for WorkingDays {
    type Err = WorkingDaysError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| WorkingDaysError::NotANumber(s.to_owned()))?;
        WorkingDays::new(n)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkingDaysError {
    #[error("a number of working days must be at least 1, not {0}")]
    TooSmall(i64),
    #[error("{0} working days is more than the {max} allowed", max = WorkingDays::MAX)]
    TooLarge(i64),
    #[error("\"{0}\" is not a whole number of working days")]
    NotANumber(String),
}

/// How "within N working days" is counted (DESIGN.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountingRule {
    /// By the end of the N-th working day after the date; the date itself never counts
    /// (Solihull, Croydon, Sunderland, Buckinghamshire).
    After,
    /// The date is day 1 if it is a working day (otherwise the next working day is), and the
    /// deadline is the end of day N (Dorset §4: "The date of this decision is Day One").
    DayOne,
}

impl CountingRule {
    pub const ALL: [CountingRule; 2] = [CountingRule::After, CountingRule::DayOne];

    pub fn as_str(self) -> &'static str {
        match self {
            CountingRule::After => "after",
            CountingRule::DayOne => "day-one",
        }
    }
}

impl FromStr for CountingRule {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CountingRule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                UnknownName::new(
                    "counting rule",
                    s,
                    CountingRule::ALL.map(CountingRule::as_str),
                )
            })
    }
}

/// One non-working day with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub title: String,
    pub notes: String,
    /// Computed by the usual rules rather than published by GOV.UK.
    pub predicted: bool,
}

/// Bank holidays for the three divisions, as read from GOV.UK `bank-holidays.json` files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankHolidays {
    divisions: [BTreeMap<Date, Holiday>; 3],
}

#[derive(Debug, thiserror::Error)]
pub enum BankHolidaysError {
    #[error("not a GOV.UK bank-holidays file: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "the file has no \"{0}\" division; a GOV.UK file has england-and-wales, scotland and northern-ireland"
    )]
    MissingDivision(&'static str),
    #[error("division \"{key}\" says it is \"{inner}\"")]
    DivisionMismatch { key: &'static str, inner: String },
    #[error("{division}: \"{date}\" is not a date (YYYY-MM-DD)")]
    BadDate {
        division: &'static str,
        date: String,
    },
    #[error("{division}: {date} is listed twice")]
    Duplicate { division: &'static str, date: Date },
    #[error("{division}: the file lists no events")]
    Empty { division: &'static str },
}

#[derive(Deserialize)]
struct RawDivision {
    division: String,
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    title: String,
    date: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    predicted: bool,
}

impl BankHolidays {
    /// The data built into Parley.
    pub fn built_in() -> Self {
        #[allow(clippy::expect_used)] // The shipped file is checked by a unit test.
        Self::from_json(BUILT_IN_BANK_HOLIDAYS).expect("the built-in bank holidays parse")
    }

    /// Reads a file in the GOV.UK `bank-holidays.json` format. Unknown fields are ignored.
    pub fn from_json(text: &str) -> Result<Self, BankHolidaysError> {
        let mut raw: BTreeMap<String, RawDivision> = serde_json::from_str(text)?;
        let mut divisions: [BTreeMap<Date, Holiday>; 3] = Default::default();
        for region in Region::ALL {
            let key = region.as_str();
            let division = raw
                .remove(key)
                .ok_or(BankHolidaysError::MissingDivision(key))?;
            if division.division != key {
                return Err(BankHolidaysError::DivisionMismatch {
                    key,
                    inner: division.division,
                });
            }
            if division.events.is_empty() {
                return Err(BankHolidaysError::Empty { division: key });
            }
            let map = &mut divisions[region.index()];
            for event in division.events {
                let date: Date = event.date.parse().map_err(|_| BankHolidaysError::BadDate {
                    division: key,
                    date: event.date.clone(),
                })?;
                let holiday = Holiday {
                    date,
                    title: event.title,
                    notes: event.notes,
                    predicted: event.predicted,
                };
                if map.insert(date, holiday).is_some() {
                    return Err(BankHolidaysError::Duplicate {
                        division: key,
                        date,
                    });
                }
            }
        }
        Ok(BankHolidays { divisions })
    }

    /// Every holiday of a division, in date order.
    pub fn holidays(&self, region: Region) -> impl Iterator<Item = &Holiday> {
        self.divisions[region.index()].values()
    }

    /// The years this division covers: from the first to the last year it lists.
    pub fn years(&self, region: Region) -> Option<(i16, i16)> {
        let map = &self.divisions[region.index()];
        Some((
            map.first_key_value()?.0.year(),
            map.last_key_value()?.0.year(),
        ))
    }

    /// Merges a newer file into this one. For each division, every year the newer file lists
    /// replaces that year here (published data wins over predicted); other years are kept.
    /// Returns what changed, per division and year.
    pub fn merge(&mut self, newer: &BankHolidays) -> Vec<MergeChange> {
        let mut changes = Vec::new();
        for region in Region::ALL {
            let ours = &mut self.divisions[region.index()];
            let theirs = &newer.divisions[region.index()];
            let years: BTreeSet<i16> = theirs.keys().map(|d| d.year()).collect();
            for year in years {
                let old: BTreeMap<Date, Holiday> = ours
                    .iter()
                    .filter(|(d, _)| d.year() == year)
                    .map(|(d, h)| (*d, h.clone()))
                    .collect();
                let new: BTreeMap<Date, Holiday> = theirs
                    .iter()
                    .filter(|(d, _)| d.year() == year)
                    .map(|(d, h)| (*d, h.clone()))
                    .collect();
                let added: Vec<Date> = new
                    .keys()
                    .filter(|d| !old.contains_key(d))
                    .copied()
                    .collect();
                let removed: Vec<Date> = old
                    .keys()
                    .filter(|d| !new.contains_key(d))
                    .copied()
                    .collect();
                let was_predicted = old.values().any(|h| h.predicted);
                if old.is_empty() || !added.is_empty() || !removed.is_empty() || was_predicted {
                    changes.push(MergeChange {
                        region,
                        year,
                        added,
                        removed,
                        was_new: old.is_empty(),
                        was_predicted,
                    });
                }
                ours.retain(|d, _| d.year() != year);
                ours.extend(new);
            }
        }
        changes
    }

    /// Writes the data back in the GOV.UK format (predicted events carry `"predicted": true`).
    pub fn to_json(&self) -> String {
        let mut root = serde_json::Map::new();
        for region in Region::ALL {
            let events: Vec<serde_json::Value> = self
                .holidays(region)
                .map(|h| {
                    let mut e = serde_json::json!({
                        "title": h.title,
                        "date": h.date.to_string(),
                        "notes": h.notes,
                        "bunting": false,
                    });
                    if h.predicted {
                        e["predicted"] = serde_json::Value::Bool(true);
                    }
                    e
                })
                .collect();
            root.insert(
                region.as_str().to_owned(),
                serde_json::json!({ "division": region.as_str(), "events": events }),
            );
        }
        let mut text =
            serde_json::to_string_pretty(&serde_json::Value::Object(root)).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// What a merge changed in one division and year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeChange {
    pub region: Region,
    pub year: i16,
    pub added: Vec<Date>,
    pub removed: Vec<Date>,
    /// The year was not covered before.
    pub was_new: bool,
    /// The year held predicted days before; it now holds the newer file's days.
    pub was_predicted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "{date} is outside the {region} calendar, which covers {first} to {last}; \
         import a newer GOV.UK bank-holidays file with `parley calendar import FILE`"
    )]
    OutOfRange {
        date: Date,
        region: Region,
        first: Date,
        last: Date,
    },
    #[error(
        "the deadline falls after {last}, the end of the {region} calendar; \
         import a newer GOV.UK bank-holidays file with `parley calendar import FILE`"
    )]
    DeadlineBeyondRange { region: Region, last: Date },
    #[error("the {0} bank-holiday data is empty")]
    NoData(Region),
}

/// A working-day calendar for one division plus closure days, over the years its data covers.
///
/// Built once; every query afterwards is a few array look-ups (no loop over days).
#[derive(Clone)]
pub struct Calendar {
    region: Region,
    first: Date,
    last: Date,
    /// Day number (days since 1970-01-01) of `first`.
    base: i32,
    /// `before[i]`: how many working days fall strictly before day `first + i`.
    /// One extra entry at the end holds the total.
    before: Vec<u32>,
    /// Every working day in the range, in order.
    working: Vec<Date>,
    /// Every non-working weekday in the range (bank holidays and closure days), with its name.
    closed: BTreeMap<Date, Holiday>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("region", &self.region)
            .field("first", &self.first)
            .field("last", &self.last)
            .field("working_days", &self.working.len())
            .finish()
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
#[inline]
fn day_number(date: Date) -> i32 {
    let (y, m, d) = (
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Calendar {
    /// A calendar for `region` from `data`, with the partnership's own `closure_days`.
    /// It covers 1 January of the first year the data lists to 31 December of the last.
    pub fn new(
        region: Region,
        data: &BankHolidays,
        closure_days: &[Date],
    ) -> Result<Self, CalendarError> {
        let (first_year, last_year) = data.years(region).ok_or(CalendarError::NoData(region))?;
        let first = Date::new(first_year, 1, 1).map_err(|_| CalendarError::NoData(region))?;
        let last = Date::new(last_year, 12, 31).map_err(|_| CalendarError::NoData(region))?;
        let mut closed: BTreeMap<Date, Holiday> = data
            .holidays(region)
            .filter(|h| is_weekday(h.date))
            .map(|h| (h.date, h.clone()))
            .collect();
        for &date in closure_days {
            if date >= first && date <= last && is_weekday(date) {
                closed.entry(date).or_insert_with(|| Holiday {
                    date,
                    title: "Partnership closure day".to_owned(),
                    notes: String::new(),
                    predicted: false,
                });
            }
        }
        let base = day_number(first);
        let len = (day_number(last) - base + 1) as usize;
        let mut before = Vec::with_capacity(len + 1);
        let mut working = Vec::new();
        let mut date = first;
        for _ in 0..len {
            before.push(working.len() as u32);
            if is_weekday(date) && !closed.contains_key(&date) {
                working.push(date);
            }
            date = date.tomorrow().map_err(|_| CalendarError::NoData(region))?;
        }
        before.push(working.len() as u32);
        Ok(Calendar {
            region,
            first,
            last,
            base,
            before,
            working,
            closed,
        })
    }

    pub fn region(&self) -> Region {
        self.region
    }

    /// The first and last dates the calendar covers.
    pub fn covers(&self) -> (Date, Date) {
        (self.first, self.last)
    }

    #[inline]
    fn index(&self, date: Date) -> Result<usize, CalendarError> {
        let i = day_number(date) - self.base;
        if i < 0 || i as usize >= self.before.len() - 1 {
            return Err(self.out_of_range(date));
        }
        Ok(i as usize)
    }

    #[cold]
    fn out_of_range(&self, date: Date) -> CalendarError {
        CalendarError::OutOfRange {
            date,
            region: self.region,
            first: self.first,
            last: self.last,
        }
    }

    #[inline]
    fn nth_working(&self, k: usize) -> Result<Date, CalendarError> {
        self.working
            .get(k)
            .copied()
            .ok_or(CalendarError::DeadlineBeyondRange {
                region: self.region,
                last: self.last,
            })
    }

    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let i = self.index(date)?;
        Ok(self.before[i + 1] > self.before[i])
    }

    /// The N-th working day after `from`; `from` itself never counts (DESIGN.md §5, "after").
    #[inline]
    pub fn add_working_days(&self, from: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let i = self.index(from)?;
        self.nth_working(self.before[i + 1] as usize + n.get() as usize - 1)
    }

    /// The N-th working day before `date`; `date` itself never counts. The reverse of
    /// [`Calendar::add_working_days`] on a working day: a reminder `n` working days before a
    /// deadline due on `date` (issue 15).
    pub fn working_days_before(&self, date: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let i = self.index(date)?;
        // `before[i]` working days lie strictly before `date`; the last of them is the first
        // before it.
        let k = (self.before[i] as usize)
            .checked_sub(n.get() as usize)
            .ok_or_else(|| self.out_of_range(date))?;
        self.nth_working(k)
    }

    /// Day N counting `day_one` as day 1 if it is a working day, otherwise the next working
    /// day as day 1 (Dorset §4; DESIGN.md §5, "Day One").
    #[inline]
    pub fn day_n(&self, day_one: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let i = self.index(day_one)?;
        self.nth_working(self.before[i] as usize + n.get() as usize - 1)
    }

    /// The earliest Day One whose day `n` ([`Calendar::day_n`]) is not before `date`: how far
    /// back a decision may lie for its day `n` not to have passed by `date`.
    pub fn earliest_day_one(&self, date: Date, n: WorkingDays) -> Result<Date, CalendarError> {
        let i = self.index(date)?;
        // Day n of D is working[before[idx D] + n - 1]; the working day on or after `date` is
        // working[before[i]]. So before[idx D] >= before[i] - (n - 1) = m: D is after the
        // m-th working day.
        let m = (self.before[i] as usize).checked_sub(n.get() as usize - 1);
        match m {
            Some(m) if m >= 1 => self
                .nth_working(m - 1)?
                .tomorrow()
                .map_err(|_| self.out_of_range(date)),
            _ => Ok(self.first),
        }
    }

    /// The deadline for "within N working days of `from`" under a counting rule.
    #[inline]
    pub fn due(
        &self,
        rule: CountingRule,
        from: Date,
        n: WorkingDays,
    ) -> Result<Date, CalendarError> {
        match rule {
            CountingRule::After => self.add_working_days(from, n),
            CountingRule::DayOne => self.day_n(from, n),
        }
    }

    /// How many working days fall after `a` up to and including `b` (negative if `b` < `a`).
    pub fn working_days_between(&self, a: Date, b: Date) -> Result<i64, CalendarError> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        Ok(i64::from(self.before[j + 1]) - i64::from(self.before[i + 1]))
    }

    /// The last working day on or before `date`.
    pub fn working_day_on_or_before(&self, date: Date) -> Result<Date, CalendarError> {
        let i = self.index(date)?;
        let count = self.before[i + 1] as usize;
        if count == 0 {
            return Err(self.out_of_range(date));
        }
        self.nth_working(count - 1)
    }

    /// "Within N months" (Sunderland: "The process should be completed within a month"):
    /// the same day N months later (the last day of that month where it has no such day);
    /// if that is not a working day, the last working day before it (DESIGN.md §5).
    pub fn within_months(&self, from: Date, months: u8) -> Result<Date, CalendarError> {
        self.index(from)?;
        let target = from.checked_add(i32::from(months).months()).map_err(|_| {
            CalendarError::DeadlineBeyondRange {
                region: self.region,
                last: self.last,
            }
        })?;
        if target > self.last {
            return Err(CalendarError::DeadlineBeyondRange {
                region: self.region,
                last: self.last,
            });
        }
        self.working_day_on_or_before(target)
    }

    /// The non-working weekdays (bank holidays and closure days) in a year, in order.
    pub fn closed_days_in_year(&self, year: i16) -> Result<Vec<&Holiday>, CalendarError> {
        let (first, last) = (self.first.year(), self.last.year());
        if year < first || year > last {
            let date = Date::new(year, 1, 1).unwrap_or(self.first);
            return Err(self.out_of_range(date));
        }
        Ok(self
            .closed
            .values()
            .filter(|h| h.date.year() == year)
            .collect())
    }
}

fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The months' names in English, January first: for dates written in words ("Monday
/// 7 December", "April 2026") by the e-mails and the reports.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ew() -> Calendar {
        Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap()
    }

    #[test]
    fn day_number_matches_jiff() {
        let epoch = date(1970, 1, 1);
        let mut d = date(2014, 1, 1);
        while d < date(2037, 1, 1) {
            let expected = (d - epoch).get_days();
            assert_eq!(day_number(d), expected, "{d}");
            d = d.tomorrow().unwrap();
        }
    }

    #[test]
    fn built_in_data_parses_and_covers_2015_to_2030() {
        let data = BankHolidays::built_in();
        for region in Region::ALL {
            let (first, last) = data.years(region).unwrap();
            assert!(first <= 2015 && last >= 2030, "{region}: {first}..{last}");
        }
    }

    #[test]
    fn design_examples() {
        let cal = ew();
        let one = WorkingDays::new(1).unwrap();
        let three = WorkingDays::new(3).unwrap();
        assert_eq!(
            cal.add_working_days(date(2026, 12, 23), one).unwrap(),
            date(2026, 12, 24)
        );
        assert_eq!(
            cal.day_n(date(2026, 12, 22), three).unwrap(),
            date(2026, 12, 24)
        );
    }

    #[test]
    fn out_of_range_is_an_error() {
        let cal = ew();
        let one = WorkingDays::new(1).unwrap();
        assert!(matches!(
            cal.add_working_days(date(2014, 12, 31), one),
            Err(CalendarError::OutOfRange { .. })
        ));
        let (_, last) = cal.covers();
        assert!(matches!(
            cal.add_working_days(last, one),
            Err(CalendarError::DeadlineBeyondRange { .. })
        ));
    }

    #[test]
    fn working_days_error_messages() {
        assert_eq!(
            WorkingDays::new(0).unwrap_err().to_string(),
            "a number of working days must be at least 1, not 0"
        );
    }
}
