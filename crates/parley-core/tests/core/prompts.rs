//! `[[prompt]]` tables (issue 14, item 7): a text with its reference, shown when the child is
//! one of the ages listed on the day the escalation was raised (Buckinghamshire 2.4.12: a young
//! person aged 16 or 17). Read and checked with a position for every mistake.

use jiff::civil::date;
use parley_core::procedure::{self, Prompt, age_on};
use parley_core::seeds;

const FIXTURE: &str = include_str!("fixtures/machine.toml");

const PROMPT: &str =
    "\n[[prompt]]\nreference = \"2.4.12\"\nchild_age = [16, 17]\ntext = \"Seek legal advice.\"\n";

fn errors(text: &str) -> String {
    match procedure::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.render("x.toml", text),
    }
}

#[test]
fn prompts_are_read() {
    assert!(procedure::parse(FIXTURE).unwrap().prompts.is_empty());
    let text = FIXTURE.to_owned() + PROMPT + &PROMPT.replace("[16, 17]", "[0]");
    let p = procedure::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.prompts[0],
        Prompt {
            reference: "2.4.12".into(),
            text: "Seek legal advice.".into(),
            child_age: vec![16, 17],
        }
    );
    assert_eq!(p.prompts[1].child_age, [0]);
    // Buckinghamshire 2.4.12, in the document's words.
    let bucks = seeds::get("buckinghamshire").unwrap().unwrap();
    assert_eq!(bucks.prompts.len(), 1);
    let mca = &bucks.prompts[0];
    assert_eq!(mca.reference, "2.4.12 Mental Capacity Act");
    assert_eq!(mca.child_age, [16, 17]);
    assert!(mca.text.starts_with("Where there are disagreements about the care, treatment or welfare of a young person aged 16 or 17 who lacks capacity"));
    let born = date(2010, 5, 1);
    assert!(!mca.applies(age_on(born, date(2026, 4, 30))), "15");
    assert!(mca.applies(age_on(born, date(2026, 5, 1))), "16");
    assert!(mca.applies(age_on(born, date(2028, 4, 30))), "17");
    assert!(!mca.applies(age_on(born, date(2028, 5, 1))), "18");
    assert!(!mca.applies(None), "no date of birth, or no child");
    for id in ["solihull", "croydon", "dorset", "sunderland"] {
        assert!(seeds::get(id).unwrap().unwrap().prompts.is_empty(), "{id}");
    }
}

#[test]
fn prompt_mistakes_are_reported_where_they_are() {
    // (what, the prompt as written, where the mistake starts, what the message says)
    let cases: [(&str, String, &str, &str); 6] = [
        (
            "no condition",
            PROMPT.replace("child_age = [16, 17]\n", ""),
            "[[prompt]]",
            "a prompt needs a condition",
        ),
        (
            "no ages",
            PROMPT.replace("[16, 17]", "[]"),
            "[]",
            "child_age must name at least one age",
        ),
        (
            "not a child's age",
            PROMPT.replace("[16, 17]", "[16, 26]"),
            "26",
            "child_age 26 is not a child's age",
        ),
        (
            "an age twice",
            PROMPT.replace("[16, 17]", "[16, 16]"),
            "16]",
            "child_age 16 is listed twice",
        ),
        (
            "an empty text",
            PROMPT.replace("\"Seek legal advice.\"", "\"  \""),
            "\"  \"",
            "prompt text must not be empty",
        ),
        (
            "an unknown key",
            PROMPT.replace("child_age", "age"),
            "age =",
            "unknown field `age`",
        ),
    ];
    for (what, prompt, needle, says) in cases {
        let text = FIXTURE.to_owned() + &prompt;
        let out = errors(&text);
        let from = text.find("[[prompt]]").unwrap();
        let i = from + text[from..].find(needle).unwrap();
        let (line, col) = procedure::line_col(&text, i);
        assert!(
            out.contains(&format!("x.toml:{line}:")),
            "{what}: want line {line} (col {col}), got\n{out}"
        );
        assert!(out.contains(says), "{what}: want {says:?}, got\n{out}");
    }
}
