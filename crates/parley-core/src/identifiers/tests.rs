//! The matcher from the attacker's side: tables of evasions that must be found, of ordinary
//! texts that must not be, and properties over generated names, dates and numbers.

use super::*;
use proptest::prelude::*;

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).unwrap()
}

/// Jamie Smith, born 2 March 2015, NHS number 943 476 5919.
fn jamie() -> ChildIdentifiers {
    ChildIdentifiers::new(
        "Jamie Smith",
        Some(date(2015, 3, 2)),
        Some("NHS 943 476 5919"),
    )
}

#[test]
fn the_reported_text_is_found() {
    assert_eq!(
        jamie().find("Discussed Jamie Smith (DOB 2/3/2015) at 14 Acacia Road"),
        Some(Found::Name)
    );
}

#[test]
fn evasions_of_the_name_are_found() {
    let table = [
        "Discussed Jamie today",
        "discussed JAMIE today",
        "discussed jAmIe today",
        "the Smith family",
        "the SMITH family",
        "the smiths attended",
        "Jamie's school",
        "Ja\u{200B}mie",
        "Ja\u{200C}mie",
        "Ja\u{200D}mie",
        "Ja\u{2060}mie",
        "Ja\u{FEFF}mie",
        "Ja\u{00AD}mie",
        "Ja\u{034F}mie",
        "Ja\u{180E}mie",
        "Ja-mie",
        "Ja\u{2010}mie",
        "J.a.m.i.e",
        "J a m i e",
        "J_a_m_i_e",
        "Jam ie",
        "\u{0408}amie",                             // Cyrillic Je
        "J\u{0430}mie",                             // Cyrillic a
        "Jam\u{0456}e",                             // Cyrillic i
        "Jami\u{0435}",                             // Cyrillic e
        "\u{0405}mith",                             // Cyrillic Dze
        "Sm\u{0456}th",                             // Cyrillic i
        "Sm\u{03B9}th",                             // Greek iota
        "J\u{03B1}mie",                             // Greek alpha
        "\u{FF2A}\u{FF41}\u{FF4D}\u{FF49}\u{FF45}", // full-width Ｊａｍｉｅ
        "\u{FF33}\u{FF4D}\u{FF49}\u{FF54}\u{FF48}", // full-width Ｓｍｉｔｈ
        "Ja\u{0301}mie",                            // combining acute
        "Jámie",
        "Jamié",
        "J\u{0308}amie",
        "\u{1D409}\u{1D41A}\u{1D426}\u{1D422}\u{1D41E}", // mathematical bold 𝐉𝐚𝐦𝐢𝐞
        "Ⓙⓐⓜⓘⓔ",
        "JamieSmith",
        "#jamiesmith",
        "jamie.smith@example.org",
        "smith, jamie",
    ];
    let child = jamie();
    let mut missed = Vec::new();
    for text in table {
        if child.find(text).is_none() {
            missed.push(text);
        }
    }
    assert!(missed.is_empty(), "not found: {missed:?}");
}

#[test]
fn dates_of_birth_in_the_ways_people_write_them_are_found() {
    let table = [
        "2/3/2015",
        "02/03/2015",
        "2.3.15",
        "02.03.15",
        "2-3-2015",
        "2015-03-02",
        "2015/3/2",
        "2015.03.02",
        "2 March 2015",
        "2nd March 2015",
        "2nd Mar 2015",
        "2nd of March 2015",
        "the 2nd of march, 2015",
        "02 MAR 15",
        "March 2, 2015",
        "Mar 2nd 2015",
        "3/2/2015",
        "03/02/15",
        "02032015",
        "20150302",
        "born 2\u{200B}/3/2015",
        "\u{FF12}/\u{FF13}/\u{FF12}\u{FF10}\u{FF11}\u{FF15}", // full-width digits
        "2/3/2O15",                                           // letter O for zero
        "2/3/20l5",                                           // letter l for one
        "DOB: 2 3 2015",
    ];
    let child = jamie();
    let missed: Vec<_> = table
        .iter()
        .filter(|t| child.find(t) != Some(Found::DateOfBirth))
        .collect();
    assert!(missed.is_empty(), "not found: {missed:?}");
}

#[test]
fn identifiers_with_and_without_prefix_and_separators_are_found() {
    let table = [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        "943.476.5919",
        "NHS 943 476 5919",
        "NHS9434765919",
        "nhs no. 943 476 5919",
        "NHS: 943\u{200B}476\u{00AD}5919",
        "\u{FF19}\u{FF14}\u{FF13}\u{FF14}\u{FF17}\u{FF16}\u{FF15}\u{FF19}\u{FF11}\u{FF19}",
        "ref (9434765919)",
    ];
    let child = jamie();
    let missed: Vec<_> = table
        .iter()
        .filter(|t| child.find(t) != Some(Found::Identifier))
        .collect();
    assert!(missed.is_empty(), "not found: {missed:?}");

    // An identifier given without its prefix is found with one, and other references by
    // their letters and digits.
    let bare = ChildIdentifiers::new("A B", None, Some("9434765919"));
    assert_eq!(bare.find("NHS 943 476 5919"), Some(Found::Identifier));
    let case = ChildIdentifiers::new("A B", None, Some("LCS-12/3456"));
    for t in ["LCS 12 3456", "lcs123456", "case 123456", "LCS—12—3456"] {
        assert_eq!(case.find(t), Some(Found::Identifier), "{t}");
    }
    // Digits in the name (the demo's markers) count as an identifier.
    let marked = ChildIdentifiers::new("Leo K. MARKER-SOLIHULL-00020", None, None);
    assert_eq!(marked.find("ref 00020"), Some(Found::Identifier));
}

#[test]
fn ordinary_texts_are_not_refused() {
    let child = jamie();
    let table = [
        "The agencies met on 2 March 2026 and agreed a plan.",
        "We will meet again on 3/3/2015 to review.",
        "Samuel from the school attended; the smithy was closed.",
        "James and Jami are not the child's names, nor is Smithson.",
        "Referral number 943 476 is incomplete",
        "Phone 01632 960 123",
        "Jam, honey and mieux",
        "Two thousand and fifteen",
        "The child's father attended.",
        "",
    ];
    for t in table {
        assert_eq!(child.find(t), None, "{t}");
    }
}

#[test]
fn common_words_in_a_name_count_only_with_a_capital_or_beside_the_name() {
    let will = ChildIdentifiers::new("Will Brown", None, None);
    for t in [
        "We will meet next week.",
        "A brown envelope was sent.",
        "the will of the panel",
    ] {
        assert_eq!(will.find(t), None, "{t}");
    }
    for t in [
        "Will said he was happy.",
        "we met Will today",
        "WILL attended",
        "the Brown family",
        "will brown",
        "brown, will",
        "\u{0412}rown family", // Cyrillic capital Ve
    ] {
        assert_eq!(will.find(t), Some(Found::Name), "{t}");
    }
    // Split-up words that are all common do not spell a name.
    let isa = ChildIdentifiers::new("Isa Ng", None, None);
    assert_eq!(isa.find("This is a concern"), None);
    assert_eq!(isa.find("I.s.a"), Some(Found::Name));
    assert_eq!(isa.find("NG"), Some(Found::Name));
}

#[test]
fn initials_and_one_letter_parts_are_not_looked_for() {
    let child = ChildIdentifiers::new("J S", None, None);
    assert!(child.is_empty());
    assert_eq!(child.find("J S attended"), None);
    let child = ChildIdentifiers::new("Jo O'Neil", None, None);
    assert_eq!(child.find("Jo attended"), Some(Found::Name));
    assert_eq!(child.find("o'clock"), None);
    assert_eq!(child.find("the O'Neils"), Some(Found::Name));
}

#[test]
fn names_with_apostrophes_and_hyphens_are_found_run_together() {
    let child = ChildIdentifiers::new("Jamie O'Brien Smith-Jones", None, None);
    for t in [
        "OBrien",
        "O\u{2019}Brien",
        "SmithJones",
        "smith jones",
        "JamieOBrien",
    ] {
        assert_eq!(child.find(t), Some(Found::Name), "{t}");
    }
    // A plural beyond "s" is not looked for: "Joneses" is not "Jones" or "Joness".
    assert_eq!(child.find("the Joneses"), None);
}

#[test]
fn more_evasions_are_found() {
    let child = jamie();
    let table = [
        "J\u{2009}a\u{2009}m\u{2009}i\u{2009}e", // thin spaces
        "J\u{00A0}a\u{00A0}m\u{00A0}i\u{00A0}e", // no-break spaces
        "Ja\u{2061}mie",                         // invisible operator
        "Ja\u{FE0F}mie",                         // variation selector
        "Ja\u{E0020}mie",                        // tag space
        "Ja\u{1D173}mie",                        // musical formatting
        "Ja\u{2011}mie",                         // non-breaking hyphen
        "\u{1D5A9}\u{1D5BA}\u{1D5C6}\u{1D5C2}\u{1D5BE}", // sans-serif
        "\u{24BF}\u{24D0}\u{24DC}\u{24D8}\u{24D4}", // circled
        "Ja\u{FF4D}ie",                          // one full-width letter
        "SMI\u{0422}H",                          // Cyrillic capital Te
        "\u{0405}\u{041C}\u{0406}\u{0422}\u{041D}", // all Cyrillic capitals
        "Jam\u{0131}e",                          // dotless i
        "02-Mar-2015",
        "2 Mar. 2015",
        "March 2nd 2015",
        "DOB 2nd of Mar '15",
        "943\u{2011}476\u{2011}5919",
    ];
    let missed: Vec<_> = table.iter().filter(|t| child.find(t).is_none()).collect();
    assert!(missed.is_empty(), "not found: {missed:?}");
}

#[test]
fn names_in_other_scripts_are_found_through_look_alikes() {
    // A name given in Cyrillic is found written in Latin look-alikes, and the other way.
    let child = ChildIdentifiers::new("Анна Сорокина", None, None);
    assert_eq!(child.find("met Aнна"), Some(Found::Name));
    let child = ChildIdentifiers::new("Ava Cole", None, None);
    assert_eq!(child.find("Ava"), Some(Found::Name));
    assert_eq!(child.find("Аvа"), Some(Found::Name));
    assert_eq!(child.find("COLE"), Some(Found::Name));
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Names of three to nine letters that are not common words.
fn name() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{2,8}".prop_filter("not a common word", |n| {
        !COMMON_WORDS.contains(&n.to_lowercase().as_str())
    })
}

const INVISIBLE: [char; 7] = [
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{034F}',
];

fn full_width(c: char) -> char {
    if c.is_ascii_graphic() {
        char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
    } else {
        c
    }
}

proptest! {
    #[test]
    fn a_name_is_found_whatever_is_hidden_in_it(
        first in name(),
        last in name(),
        inserts in proptest::collection::vec((0usize..10, 0usize..INVISIBLE.len()), 0..6),
        upper in proptest::collection::vec(any::<bool>(), 10),
        wide in any::<bool>(),
        before in "[a-z ]{0,20}",
        after in "[a-z ]{0,20}",
    ) {
        let child = ChildIdentifiers::new(&format!("{first} {last}"), None, None);
        let mut hidden: Vec<char> = last.chars().enumerate().map(|(i, c)| {
            let c = if upper[i % upper.len()] { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            if wide { full_width(c) } else { c }
        }).collect();
        for (at, which) in inserts {
            hidden.insert(at.min(hidden.len()), INVISIBLE[which]);
        }
        let hidden: String = hidden.into_iter().collect();
        let text = format!("{before} {hidden} {after}");
        prop_assert_eq!(child.find(&text), Some(Found::Name), "{:?}", text);
    }

    #[test]
    fn a_date_of_birth_is_found_in_every_form(
        y in 2001i16..2026, m in 1i8..=12, d in 1i8..=28,
        sep in prop::sample::select(vec!["/", ".", "-", " ", " / "]),
        form in 0usize..6,
    ) {
        let child = ChildIdentifiers::new("A B", Some(date(y, m, d)), None);
        let month = MONTHS[(m - 1) as usize];
        let text = match form {
            0 => format!("{d}{sep}{m}{sep}{y}"),
            1 => format!("{d:02}{sep}{m:02}{sep}{:02}", y % 100),
            2 => format!("{y}{sep}{m:02}{sep}{d:02}"),
            3 => format!("{} {} {y}", ordinal(d), &month[..3]),
            4 => format!("{month} {d}, {y}"),
            _ => format!("{d:02}{m:02}{y}"),
        };
        prop_assert_eq!(child.find(&format!("seen {text} at clinic")), Some(Found::DateOfBirth), "{}", text);
    }

    #[test]
    fn an_identifier_is_found_however_it_is_spaced(
        digits in "[2-9][0-9]{9}",
        cuts in proptest::collection::vec(1usize..10, 0..4),
        sep in prop::sample::select(vec![" ", "-", ".", "\u{200B}", " - "]),
        prefix in prop::sample::select(vec!["", "NHS ", "nhs", "NHS no: "]),
    ) {
        let child = ChildIdentifiers::new("A B", None, Some(&format!("NHS {digits}")));
        let mut spaced = String::new();
        for (i, c) in digits.chars().enumerate() {
            if cuts.contains(&i) { spaced.push_str(sep); }
            spaced.push(c);
        }
        let text = format!("The number is {prefix}{spaced}.");
        prop_assert_eq!(child.find(&text), Some(Found::Identifier), "{}", text);
    }

    #[test]
    fn ordinary_words_never_match_a_name_not_among_them(
        words in proptest::collection::vec(prop::sample::select(vec![
            "the", "panel", "agreed", "school", "health", "visitor", "will", "meet", "again",
            "and", "review", "plan", "is", "a", "concern", "social", "worker", "attended",
            "on", "Monday", "report", "was", "late", "no", "further", "action", "brown",
        ]), 0..30),
    ) {
        let child = ChildIdentifiers::new(
            "Jamie Smith",
            Some(date(2015, 3, 2)),
            Some("NHS 943 476 5919"),
        );
        let text = words.join(" ");
        prop_assert_eq!(child.find(&text), None, "{}", text);
    }

    #[test]
    fn finding_never_panics(text in "\\PC{0,80}", name in "\\PC{0,20}", id in "\\PC{0,12}") {
        let child = ChildIdentifiers::new(&name, Some(date(2015, 3, 2)), Some(&id));
        let _ = child.find(&text);
    }
}
