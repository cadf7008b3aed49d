//! Whatever a procedure file holds, reading it never panics: random edits of the five seeds
//! (and random bytes) either parse or give diagnostics whose positions lie inside the file.
//! A longer, coverage-guided run lives in `fuzz/` (`scripts/fuzz`).

use jiff::civil::date;
use parley_core::calendar::BankHolidays;
use parley_core::deadline::{calendar_for, timeline};
use parley_core::procedure::{self, line_col};
use parley_core::seeds::SEEDS;
use proptest::prelude::*;

/// Fragments that are likely to make a TOML file interesting rather than merely broken.
const TOKENS: &[&str] = &[
    "\n",
    "=",
    "\"",
    "[",
    "]",
    "[[stage]]\n",
    "[[route]]\n",
    "{",
    "}",
    ",",
    "0",
    "-1",
    "99999999999999999999",
    "1.5",
    "true",
    "\"\"\"",
    "'",
    "#",
    "number = 0\n",
    "from = \"day-one\"",
    "agreed = true",
    "é",
    "\u{0}",
    "entry_stage = 9\n",
    "kind = \"thematic\"\n",
    "working_days = 0",
    "months = 0",
    "\\u00e9",
    "\t",
    "\r\n",
];

#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    match *edit {
        Edit::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len);
            let end = end.max(start);
            format!("{}{}", &text[..start], &text[end..])
        }
        Edit::Insert { at, token } => {
            let at = boundary(text, at);
            format!("{}{}{}", &text[..at], TOKENS[token], &text[at..])
        }
        Edit::DuplicateLine { line } if !lines.is_empty() => {
            let i = line % lines.len();
            lines.insert(i, lines[i]);
            lines.concat()
        }
        Edit::SwapLines { a, b } if !lines.is_empty() => {
            let n = lines.len();
            lines.swap(a % n, b % n);
            lines.concat()
        }
        Edit::Truncate { at } => text[..boundary(text, at)].to_owned(),
        _ => text.to_owned(),
    }
}

/// Parses, and checks that whatever comes back is usable.
fn exercise(text: &str) {
    match procedure::parse(text) {
        Ok(p) => {
            let holidays = BankHolidays::built_in();
            if let Ok(cal) = calendar_for(&p, &holidays) {
                for route in p.routes.iter().map(|r| r.kind) {
                    let _ = timeline(&p, &cal, date(2026, 12, 23), route);
                }
            }
            let _ = parley_core::describe::summary(&p);
            let _ = parley_core::describe::dot(&p);
            let svg = parley_core::describe::svg(&p);
            if let Err(e) = crate::svg::Document::parse(&svg) {
                panic!("not well-formed: {e}\n{svg}");
            }
        }
        Err(errors) => {
            assert!(!errors.diagnostics.is_empty());
            for d in &errors.diagnostics {
                if let Some(span) = &d.span {
                    assert!(
                        span.start <= text.len(),
                        "span {span:?} beyond {} bytes",
                        text.len()
                    );
                    let _ = line_col(text, span.start);
                }
            }
            let rendered = errors.render("fuzz.toml", text);
            assert!(rendered.contains(": error: "));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn edited_seeds_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        let mut text = SEEDS[seed].1.to_owned();
        for e in &edits {
            text = apply(&text, e);
        }
        exercise(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        exercise(&text);
    }
}
