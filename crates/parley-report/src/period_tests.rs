#![allow(clippy::unwrap_used)]

use jiff::civil::date;
use proptest::prelude::*;

use super::*;

#[test]
fn a_range_must_not_run_backwards() {
    let e = Period::range(date(2026, 4, 2), date(2026, 4, 1)).unwrap_err();
    assert_eq!(
        e,
        ReportError::PeriodBackwards {
            from: date(2026, 4, 2),
            to: date(2026, 4, 1)
        }
    );
    assert_eq!(
        e.to_string(),
        "the period starts on 2026-04-02, after it ends on 2026-04-01: the start must be on or before the end"
    );
    let one_day = Period::range(date(2026, 4, 1), date(2026, 4, 1)).unwrap();
    assert_eq!(one_day.days(), 1);
    assert_eq!(one_day.dates(), "1 April 2026");
}

type Ymd = (i16, i8, i8);

/// (preset, a date in it, first day, last day, name, label)
const PRESETS: &[(Preset, Ymd, Ymd, Ymd, &str, &str)] = &[
    (
        Preset::Month,
        (2026, 4, 15),
        (2026, 4, 1),
        (2026, 4, 30),
        "April 2026",
        "April 2026",
    ),
    (
        Preset::Month,
        (2028, 2, 29),
        (2028, 2, 1),
        (2028, 2, 29),
        "February 2028",
        "February 2028",
    ),
    (
        Preset::Quarter,
        (2026, 1, 1),
        (2026, 1, 1),
        (2026, 3, 31),
        "January to March 2026",
        "January to March 2026",
    ),
    (
        Preset::Quarter,
        (2026, 5, 31),
        (2026, 4, 1),
        (2026, 6, 30),
        "April to June 2026",
        "April to June 2026",
    ),
    (
        Preset::Quarter,
        (2026, 9, 30),
        (2026, 7, 1),
        (2026, 9, 30),
        "July to September 2026",
        "July to September 2026",
    ),
    (
        Preset::Quarter,
        (2026, 12, 31),
        (2026, 10, 1),
        (2026, 12, 31),
        "October to December 2026",
        "October to December 2026",
    ),
    (
        Preset::CalendarYear,
        (2026, 7, 4),
        (2026, 1, 1),
        (2026, 12, 31),
        "2026",
        "Calendar year 2026",
    ),
    (
        Preset::FinancialYear,
        (2026, 4, 1),
        (2026, 4, 1),
        (2027, 3, 31),
        "2026 to 2027",
        "Financial year 2026 to 2027",
    ),
    (
        Preset::FinancialYear,
        (2027, 3, 31),
        (2026, 4, 1),
        (2027, 3, 31),
        "2026 to 2027",
        "Financial year 2026 to 2027",
    ),
    (
        Preset::FinancialYear,
        (2026, 3, 31),
        (2025, 4, 1),
        (2026, 3, 31),
        "2025 to 2026",
        "Financial year 2025 to 2026",
    ),
];

#[test]
fn presets_contain_the_date_and_are_named_as_gov_uk_writes() {
    for &(preset, on, from, to, name, label) in PRESETS {
        let p = preset.containing(date(on.0, on.1, on.2)).unwrap();
        let why = format!("{preset} containing {on:?}");
        assert_eq!(p.from(), date(from.0, from.1, from.2), "{why}");
        assert_eq!(p.to(), date(to.0, to.1, to.2), "{why}");
        assert_eq!(p.name(), name, "{why}");
        assert_eq!(p.label(), label, "{why}");
        assert_eq!(p.preset(), Some(preset));
    }
    let fy = Preset::FinancialYear.containing(date(2026, 6, 1)).unwrap();
    assert_eq!(fy.dates(), "1 April 2026 to 31 March 2027");
}

#[test]
fn previous_periods_step_back_by_the_preset_or_by_the_length() {
    let check = |p: Period, from: Date, to: Date| {
        let prev = p.previous().unwrap();
        assert_eq!((prev.from(), prev.to()), (from, to), "before {p}");
        assert_eq!(prev.preset(), p.preset());
    };
    let on = |preset: Preset, d| preset.containing(d).unwrap();
    check(
        on(Preset::Month, date(2026, 3, 10)),
        date(2026, 2, 1),
        date(2026, 2, 28),
    );
    check(
        on(Preset::Month, date(2026, 1, 10)),
        date(2025, 12, 1),
        date(2025, 12, 31),
    );
    check(
        on(Preset::Quarter, date(2026, 2, 10)),
        date(2025, 10, 1),
        date(2025, 12, 31),
    );
    check(
        on(Preset::CalendarYear, date(2026, 2, 10)),
        date(2025, 1, 1),
        date(2025, 12, 31),
    );
    check(
        on(Preset::FinancialYear, date(2026, 2, 10)),
        date(2024, 4, 1),
        date(2025, 3, 31),
    );
    // A plain range: the same number of days, ending the day before.
    check(
        Period::range(date(2026, 3, 1), date(2026, 3, 10)).unwrap(),
        date(2026, 2, 19),
        date(2026, 2, 28),
    );
    let three = on(Preset::Quarter, date(2026, 5, 1)).preceding(3).unwrap();
    let names: Vec<_> = three.iter().map(Period::name).collect();
    assert_eq!(
        names,
        [
            "January to March 2026",
            "October to December 2025",
            "July to September 2025"
        ]
    );
}

#[test]
fn there_is_no_period_before_the_first_date() {
    let first = Period::range(Date::MIN, Date::MIN).unwrap();
    assert!(matches!(
        first.previous(),
        Err(ReportError::PeriodOutOfRange { .. })
    ));
}

#[test]
fn months_cut_the_period_at_month_ends() {
    let p = Period::range(date(2026, 1, 20), date(2026, 3, 5)).unwrap();
    let months: Vec<_> = p.months().iter().map(|m| (m.name(), m.preset())).collect();
    assert_eq!(
        months,
        [
            ("20 January 2026 to 31 January 2026".to_owned(), None),
            ("February 2026".to_owned(), Some(Preset::Month)),
            ("1 March 2026 to 5 March 2026".to_owned(), None),
        ]
    );
    let fy = Preset::FinancialYear.containing(date(2026, 6, 1)).unwrap();
    assert_eq!(fy.months().len(), 12);
}

#[test]
fn preset_names_round_trip() {
    for &p in Preset::ALL {
        assert_eq!(p.as_str().parse::<Preset>().unwrap(), p);
    }
    assert!("fortnight".parse::<Preset>().is_err());
}

/// Any date from 1990 to about 2100.
fn any_date() -> impl Strategy<Value = Date> {
    (0i64..40_000).prop_map(|n| date(1990, 1, 1).checked_add(n.days()).unwrap())
}

proptest! {
    /// Every preset period contains its date; the previous one ends the day before it starts;
    /// and the months of a period cover it exactly, day for day.
    #[test]
    fn presets_tile_the_calendar(d in any_date(), which in 0usize..4) {
        let preset = Preset::ALL[which];
        let p = preset.containing(d).unwrap();
        prop_assert!(p.contains(d));
        let prev = p.previous().unwrap();
        prop_assert_eq!(prev.to().tomorrow().unwrap(), p.from());
        prop_assert_eq!(preset.containing(prev.to()).unwrap(), prev);
        let months = p.months();
        prop_assert_eq!(months.iter().map(Period::days).sum::<i64>(), p.days());
        prop_assert_eq!(months[0].from(), p.from());
        prop_assert_eq!(months[months.len() - 1].to(), p.to());
    }

    #[test]
    fn days_between_counts_days(a in any_date(), n in 0i64..4000) {
        let b = a.checked_add(n.days()).unwrap();
        prop_assert_eq!(days_between(a, b), n);
        prop_assert_eq!(days_between(b, a), -n);
    }
}

#[test]
fn a_procedure_report_is_due_for_the_last_whole_period() {
    use parley_core::procedure::ReportEvery;
    let due = |every, on| {
        let p = super::due_period(every, on).unwrap();
        (p.from(), p.to())
    };
    // Dorset §10: "the previous month", from the first day of the next.
    assert_eq!(
        due(ReportEvery::Month, date(2026, 12, 1)),
        (date(2026, 11, 1), date(2026, 11, 30))
    );
    assert_eq!(
        due(ReportEvery::Month, date(2027, 1, 31)),
        (date(2026, 12, 1), date(2026, 12, 31))
    );
    assert_eq!(
        due(ReportEvery::Quarter, date(2027, 1, 1)),
        (date(2026, 10, 1), date(2026, 12, 31))
    );
    assert_eq!(
        due(ReportEvery::CalendarYear, date(2027, 6, 30)),
        (date(2026, 1, 1), date(2026, 12, 31))
    );
    assert_eq!(
        due(ReportEvery::FinancialYear, date(2027, 3, 31)),
        (date(2025, 4, 1), date(2026, 3, 31))
    );
    assert_eq!(
        due(ReportEvery::FinancialYear, date(2027, 4, 1)),
        (date(2026, 4, 1), date(2027, 3, 31))
    );
}
