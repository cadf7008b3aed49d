//! The five built-in procedures, each run on its own stated timescales, with dates chosen
//! around weekends, Christmas, Easter and one-off bank holidays. Every expected date was
//! worked out by hand from the bank-holiday list; the working is in the comments.

use jiff::civil::Date;
use parley_core::calendar::{BankHolidays, Calendar, Region, WorkingDays};
use parley_core::deadline::{calendar_for, timeline};
use parley_core::describe;
use parley_core::names::RouteKind;
use parley_core::seeds;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// Checks a timeline: `stages` as (stage, starts, due).
#[track_caller]
fn check(
    id: &str,
    raised: &str,
    route: RouteKind,
    stages: &[(u8, &str, &str)],
    overall: Option<&str>,
) {
    let p = seeds::get(id).unwrap().unwrap();
    let cal = calendar_for(&p, &BankHolidays::built_in()).unwrap();
    let t = timeline(&p, &cal, d(raised), route).unwrap();
    let got: Vec<(u8, Date, Date)> = t
        .stages
        .iter()
        .map(|s| (s.number.get(), s.starts, s.due))
        .collect();
    let want: Vec<(u8, Date, Date)> = stages.iter().map(|(n, s, e)| (*n, d(s), d(e))).collect();
    assert_eq!(got, want, "{id} raised {raised} ({route})");
    assert_eq!(
        t.overall_due,
        overall.map(d),
        "{id} raised {raised}: overall"
    );
}

#[test]
fn solihull_one_two_two_three_working_days_after_each_stage() {
    use RouteKind::Individual as I;
    // §4: stage 1 within 1 wd of initiation, 2 within 2 of stage 1, 3 within 2, 4 within 3.
    // Christmas 2026: 25 Dec (Fri) and 28 Dec (Mon, Boxing Day substitute), 1 Jan 2027.
    check(
        "solihull",
        "2026-12-23",
        I,
        &[
            (1, "2026-12-23", "2026-12-24"), // DESIGN §5 example
            (2, "2026-12-24", "2026-12-30"), // 29 (1), 30 (2)
            (3, "2026-12-30", "2027-01-04"), // 31 (1), 4 Jan (2)
            (4, "2027-01-04", "2027-01-07"), // 5, 6, 7
        ],
        None,
    );
    // The State Funeral, Monday 19 September 2022.
    check(
        "solihull",
        "2022-09-16",
        I,
        &[
            (1, "2022-09-16", "2022-09-20"),
            (2, "2022-09-20", "2022-09-22"),
            (3, "2022-09-22", "2022-09-26"),
            (4, "2022-09-26", "2022-09-29"),
        ],
        None,
    );
    // Raised on Easter Saturday 2026: Sunday, then Easter Monday 6 April.
    check(
        "solihull",
        "2026-04-04",
        I,
        &[
            (1, "2026-04-04", "2026-04-07"),
            (2, "2026-04-07", "2026-04-09"),
            (3, "2026-04-09", "2026-04-13"),
            (4, "2026-04-13", "2026-04-16"),
        ],
        None,
    );
}

#[test]
fn croydon_seven_working_days_per_stage() {
    use RouteKind::Individual as I;
    // "Each stage of resolving the issue should take no longer than 7 working days."
    // Platinum Jubilee: Thursday 2 and Friday 3 June 2022.
    check(
        "croydon",
        "2022-06-01",
        I,
        &[
            (1, "2022-06-01", "2022-06-14"), // 6, 7, 8, 9, 10, 13, 14
            (2, "2022-06-14", "2022-06-23"),
            (3, "2022-06-23", "2022-07-04"),
            (4, "2022-07-04", "2022-07-13"),
            (5, "2022-07-13", "2022-07-22"),
        ],
        None,
    );
    check(
        "croydon",
        "2026-12-21",
        I,
        &[
            (1, "2026-12-21", "2027-01-04"), // 22, 23, 24, 29, 30, 31, 4 Jan
            (2, "2027-01-04", "2027-01-13"),
            (3, "2027-01-13", "2027-01-22"),
            (4, "2027-01-22", "2027-02-02"),
            (5, "2027-02-02", "2027-02-11"),
        ],
        None,
    );
}

#[test]
fn dorset_cumulative_from_day_one() {
    use RouteKind::{Individual, Strategic, Thematic};
    // §4: "The date of this decision is Day One"; §5-§8: days 3, 6, 9, 12.
    // DESIGN §5 example: Day One Tuesday 22 December 2026, day 3 is Thursday 24th.
    check(
        "dorset",
        "2026-12-22",
        Individual,
        &[
            (1, "2026-12-22", "2026-12-24"), // days 1-3: 22, 23, 24
            (2, "2026-12-24", "2026-12-31"), // days 4-6: 29, 30, 31
            (3, "2026-12-31", "2027-01-06"), // days 7-9: 4, 5, 6 Jan
            (4, "2027-01-06", "2027-01-11"), // days 10-12: 7, 8, 11 Jan
        ],
        None,
    );
    // §1: thematic issues start at stage 3, strategic at stage 4, with the same Day One.
    check(
        "dorset",
        "2026-12-22",
        Thematic,
        &[
            (3, "2026-12-22", "2027-01-06"),
            (4, "2027-01-06", "2027-01-11"),
        ],
        None,
    );
    check(
        "dorset",
        "2026-12-22",
        Strategic,
        &[(4, "2026-12-22", "2027-01-11")],
        None,
    );
    // Day One on the Coronation bank holiday (Monday 8 May 2023): day 1 is Tuesday 9th.
    check(
        "dorset",
        "2023-05-08",
        Individual,
        &[
            (1, "2023-05-08", "2023-05-11"),
            (2, "2023-05-11", "2023-05-16"),
            (3, "2023-05-16", "2023-05-19"),
            (4, "2023-05-19", "2023-05-24"),
        ],
        None,
    );
    // Day One on Easter Saturday 2026: day 1 is Tuesday 7 April.
    check(
        "dorset",
        "2026-04-04",
        Individual,
        &[
            (1, "2026-04-04", "2026-04-09"),
            (2, "2026-04-09", "2026-04-14"),
            (3, "2026-04-14", "2026-04-17"),
            (4, "2026-04-17", "2026-04-22"),
        ],
        None,
    );
}

#[test]
fn sunderland_at_most_five_per_step_and_within_a_month() {
    use RouteKind::Individual as I;
    // "Timescales, not exceeding 5 working days, should be agreed for each stage.
    // The process should be completed within a month."
    check(
        "sunderland",
        "2026-12-21",
        I,
        &[
            (1, "2026-12-21", "2026-12-30"), // 22, 23, 24, 29, 30
            (2, "2026-12-30", "2027-01-07"), // 31, 4, 5, 6, 7
            (3, "2027-01-07", "2027-01-14"),
            (4, "2027-01-14", "2027-01-21"),
        ],
        Some("2027-01-21"),
    ); // 21 January is a Thursday
    // 31 January: February has no 31st, so the month ends on the 28th (a Friday).
    check(
        "sunderland",
        "2025-01-31",
        I,
        &[
            (1, "2025-01-31", "2025-02-07"),
            (2, "2025-02-07", "2025-02-14"),
            (3, "2025-02-14", "2025-02-21"),
            (4, "2025-02-21", "2025-02-28"),
        ],
        Some("2025-02-28"),
    );
    // 28 December 2025 is a Sunday, after Christmas and Boxing Day (Thu, Fri): the last
    // working day before it is Wednesday 24 December. Step 4, run to its maximum, would end
    // on 30 December (22, 23, 24, 29, 30); no stage runs past the month (issue 14), so it is
    // due on the 24th.
    check(
        "sunderland",
        "2025-11-28",
        I,
        &[
            (1, "2025-11-28", "2025-12-05"),
            (2, "2025-12-05", "2025-12-12"),
            (3, "2025-12-12", "2025-12-19"),
            (4, "2025-12-19", "2025-12-24"),
        ],
        Some("2025-12-24"),
    );
    // A month from 19 August 2022 is the State Funeral: Friday 16 September.
    let p = seeds::get("sunderland").unwrap().unwrap();
    let cal = calendar_for(&p, &BankHolidays::built_in()).unwrap();
    assert_eq!(
        timeline(&p, &cal, d("2022-08-19"), I).unwrap().overall_due,
        Some(d("2022-09-16"))
    );
}

#[test]
fn buckinghamshire_five_per_stage_fifteen_at_most() {
    use RouteKind::Individual as I;
    // 2.4.24: "Each stage should be completed in 5 working days (15 days maximum)."
    check(
        "buckinghamshire",
        "2026-12-23",
        I,
        &[
            (1, "2026-12-23", "2027-01-04"), // 24, 29, 30, 31, 4
            (2, "2027-01-04", "2027-01-11"),
            (3, "2027-01-11", "2027-01-18"),
        ],
        Some("2027-01-18"),
    );
    // Easter 2020 (Good Friday 10 April, Easter Monday 13 April); the early May bank
    // holiday moved from Monday 4 May to Friday 8 May (VE Day), so 4 May is a working day.
    check(
        "buckinghamshire",
        "2020-04-09",
        I,
        &[
            (1, "2020-04-09", "2020-04-20"),
            (2, "2020-04-20", "2020-04-27"),
            (3, "2020-04-27", "2020-05-04"),
        ],
        Some("2020-05-04"),
    );
}

#[test]
fn routes_a_procedure_does_not_have_are_refused() {
    for id in ["solihull", "croydon", "sunderland", "buckinghamshire"] {
        let p = seeds::get(id).unwrap().unwrap();
        let cal = calendar_for(&p, &BankHolidays::built_in()).unwrap();
        for route in [RouteKind::Thematic, RouteKind::Strategic] {
            let err = timeline(&p, &cal, d("2026-12-23"), route).unwrap_err();
            assert!(
                err.to_string().contains("its routes: individual"),
                "{id}: {err}"
            );
        }
    }
}

/// Differences between the three divisions, and one-off days, through the calendar itself.
#[test]
fn the_three_calendars() {
    let data = BankHolidays::built_in();
    let add = |region: Region, from: &str, n: i64| {
        Calendar::new(region, &data, &[])
            .unwrap()
            .add_working_days(d(from), WorkingDays::new(n).unwrap())
            .unwrap()
            .to_string()
    };
    use Region::{EnglandAndWales as EW, NorthernIreland as NI, Scotland as SC};
    let cases = [
        // 2 January is a bank holiday in Scotland only.
        (EW, "2025-12-31", 1, "2026-01-02"),
        (SC, "2025-12-31", 1, "2026-01-05"),
        (NI, "2025-12-31", 1, "2026-01-02"),
        // St Patrick's Day, Tuesday 17 March 2026: Northern Ireland only.
        (NI, "2026-03-16", 1, "2026-03-18"),
        (EW, "2026-03-16", 1, "2026-03-17"),
        // Easter Monday is not a bank holiday in Scotland.
        (EW, "2026-04-02", 1, "2026-04-07"),
        (SC, "2026-04-02", 1, "2026-04-06"),
        (NI, "2026-04-02", 1, "2026-04-07"),
        // 12 July 2026 is a Sunday: Northern Ireland's holiday moves to Monday 13th.
        (NI, "2026-07-10", 1, "2026-07-14"),
        (EW, "2026-07-10", 1, "2026-07-13"),
        // Scotland's summer holiday is the first Monday of August, 3 August 2026.
        (SC, "2026-07-31", 1, "2026-08-04"),
        (EW, "2026-07-31", 1, "2026-08-03"),
        (EW, "2026-08-28", 1, "2026-09-01"), // late summer bank holiday, 31 August
        (SC, "2026-08-28", 1, "2026-08-31"),
        // St Andrew's Day, Monday 30 November 2026: Scotland only.
        (SC, "2026-11-27", 1, "2026-12-01"),
        (EW, "2026-11-27", 1, "2026-11-30"),
        // New Year 2027: 1 January is a Friday; Scotland's 2 January moves to Monday 4th.
        (SC, "2026-12-31", 1, "2027-01-05"),
        (EW, "2026-12-31", 1, "2027-01-04"),
        // One-off days everywhere: the State Funeral and the Coronation.
        (EW, "2022-09-16", 1, "2022-09-20"),
        (SC, "2022-09-16", 1, "2022-09-20"),
        (NI, "2022-09-16", 1, "2022-09-20"),
        (EW, "2023-05-05", 1, "2023-05-09"),
        (SC, "2023-05-05", 1, "2023-05-09"),
        (NI, "2023-05-05", 1, "2023-05-09"),
        // Predicted years: Easter 2030 is 21 April (Good Friday 19th, Easter Monday 22nd);
        // Christmas 2027 falls on a weekend (substitutes Monday 27th and Tuesday 28th).
        (EW, "2030-04-18", 1, "2030-04-23"),
        (SC, "2030-04-18", 1, "2030-04-22"),
        (EW, "2027-12-24", 1, "2027-12-29"),
        (EW, "2030-12-24", 1, "2030-12-27"),
    ];
    for (region, from, n, want) in cases {
        assert_eq!(add(region, from, n), want, "{region} from {from} + {n}");
    }
}

#[test]
fn procedure_show_for_every_seed() {
    for id in seeds::ids() {
        let p = seeds::get(id).unwrap().unwrap();
        insta::assert_snapshot!(format!("show_{id}"), describe::summary(&p));
    }
}

#[test]
fn procedure_diagrams_for_every_seed() {
    for id in seeds::ids() {
        let p = seeds::get(id).unwrap().unwrap();
        insta::assert_snapshot!(format!("mermaid_{id}"), describe::mermaid(&p));
        insta::assert_snapshot!(format!("svg_{id}"), describe::svg(&p));
    }
}

/// The complete example in `docs/procedure-format.md` is a valid file, and every other TOML
/// snippet there at least reads as TOML.
#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../../../docs/procedure-format.md");
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let complete: Vec<&&str> = blocks
        .iter()
        .filter(|b| b.contains("format = 1") && b.contains("[[stage]]"))
        .collect();
    assert!(!complete.is_empty(), "expected a complete example");
    for example in complete {
        parley_core::procedure::parse(example)
            .unwrap_or_else(|e| panic!("{}", e.render("example", example)));
    }
    for b in blocks {
        assert!(
            b.parse::<toml::Table>().is_ok() || b.contains("..."),
            "not TOML:\n{b}"
        );
    }
}

/// The five documents the procedures come from: the specification, copied into the repository.
const DOCUMENTS: [(&str, &str); 5] = [
    ("solihull", include_str!("fixtures/documents/solihull.txt")),
    ("croydon", include_str!("fixtures/documents/croydon.txt")),
    ("dorset", include_str!("fixtures/documents/dorset.txt")),
    (
        "sunderland",
        include_str!("fixtures/documents/sunderland.txt"),
    ),
    (
        "buckinghamshire",
        include_str!("fixtures/documents/buckinghamshire.txt"),
    ),
];

/// Every built-in procedure lists what its document asks that Parley does not carry, and each
/// entry quotes its document word for word (white space aside), with a note in Parley's words.
#[test]
fn not_carried_quotes_each_document_exactly() {
    use parley_core::procedure::normalise_whitespace;
    for (id, document) in DOCUMENTS {
        let p = seeds::get(id).unwrap().unwrap();
        assert!(
            !p.not_carried.is_empty(),
            "{id}: no [[not_carried]] entries"
        );
        let document = normalise_whitespace(document);
        for n in &p.not_carried {
            let quoted = normalise_whitespace(&n.text);
            assert!(
                document.contains(&quoted),
                "{id} {}: not in the document: {quoted}",
                n.reference
            );
            // The note is Parley's own words, not another quotation of the document.
            assert!(
                !document.contains(&normalise_whitespace(&n.why)),
                "{id} {}: the note quotes the document",
                n.reference
            );
        }
    }
}

/// Issue 14: `learning = true` marks a record field only, and `[compliments]` is only where the
/// document invites compliments (Dorset §2 alone of the five).
#[test]
fn learning_and_compliments_keys() {
    for p in seeds::all().unwrap() {
        let learning: Vec<&str> = p
            .record_fields
            .iter()
            .filter(|f| f.learning)
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(learning, ["learning"], "{}", p.id);
        assert_eq!(
            p.compliments.is_some(),
            p.id.as_str() == "dorset",
            "{}",
            p.id
        );
    }
    let source = seeds::source("solihull").unwrap();
    let marked_category = source.replacen(
        "[[category]]\nid = ",
        "[[category]]\nlearning = true\nid = ",
        1,
    );
    assert_ne!(marked_category, source);
    let empty_compliments = format!("{source}\n[compliments]\ntext = \"\"\n");
    for (what, text, says) in [
        (
            "a category marked learning",
            marked_category.as_str(),
            "cannot be marked as learning",
        ),
        (
            "compliments without text",
            empty_compliments.as_str(),
            "compliments.text",
        ),
    ] {
        let e = parley_core::procedure::parse(text)
            .unwrap_err()
            .render("f.toml", text);
        assert!(e.contains(says), "{what}: {e}");
        assert!(e.contains("f.toml:"), "{what}: a position: {e}");
    }
}
