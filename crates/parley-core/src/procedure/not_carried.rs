//! What a procedure's document asks of people that Parley does not carry: `[[not_carried]]`
//! entries, each the document's own sentence with its section, and Parley's note on what the
//! people must do themselves instead. Kept in its own file so that the rest of the format can
//! grow without touching it.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::Diagnostic;

/// One sentence of the document that Parley does not carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotCarried {
    /// Where in the document: its section or paragraph, e.g. `2.4.12` or `§4 Stage 2`.
    pub reference: String,
    /// The document's sentence, quoted exactly.
    pub text: String,
    /// In Parley's own words: why it is not carried, and what the people do instead.
    pub why: String,
}

/// A `[[not_carried]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotCarried {
    reference: Spanned<String>,
    text: Spanned<String>,
    why: Spanned<String>,
}

/// Checks the `[[not_carried]]` tables: every key present and not empty, and no sentence
/// listed twice. Problems go to `diagnostics`; only the good entries are returned.
pub(super) fn check(
    raw: Vec<Spanned<RawNotCarried>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<NotCarried> {
    let mut out = Vec::new();
    // Each sentence once: the same words twice would show twice on the procedure page.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, entry) in raw.into_iter().enumerate() {
        let entry = entry.into_inner();
        let reference = non_empty(entry.reference, "not_carried reference", diagnostics);
        let text_span = entry.text.span();
        let text = non_empty(entry.text, "not_carried text", diagnostics);
        let why = non_empty(entry.why, "not_carried why", diagnostics);
        if let Some(text) = &text {
            let key = normalise_whitespace(text);
            if let Some(first) = seen.get(&key) {
                diagnostics.push(Diagnostic {
                    span: Some(text_span),
                    message: format!(
                        "not_carried entry {} quotes the same text as entry {first}",
                        i + 1
                    ),
                    help: Some("list each sentence of the document once".to_owned()),
                });
                continue;
            }
            seen.insert(key, i + 1);
        }
        if let (Some(reference), Some(text), Some(why)) = (reference, text, why) {
            out.push(NotCarried {
                reference,
                text,
                why,
            });
        }
    }
    out
}

fn non_empty(
    value: Spanned<String>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let span = value.span();
    let text = value.into_inner();
    if text.trim().is_empty() {
        diagnostics.push(Diagnostic {
            span: Some(span),
            message: format!("{what} must not be empty"),
            help: Some(match what {
                "not_carried text" => "quote the document's sentence exactly".to_owned(),
                "not_carried why" => {
                    "say in Parley's words what the people do instead, and why Parley does not"
                        .to_owned()
                }
                _ => "give the document's section or paragraph, e.g. \"2.4.12\"".to_owned(),
            }),
        });
        return None;
    }
    Some(text.trim().to_owned())
}

/// Text with every run of white space made one space, for comparing quotations.
pub fn normalise_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::procedure::{line_col, parse};
    use crate::seeds;

    /// A built-in procedure with `extra` added at its end, parsed; the problems as
    /// (line, column, message) with the line counted within `extra` (1 = its first line).
    fn problems(extra: &str) -> Vec<(usize, usize, String)> {
        let base = without_list();
        let source = format!("{base}\n{extra}");
        let first_line = line_col(&source, base.len() + 1).0;
        match parse(&source) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| {
                    let (line, col) = d
                        .span
                        .as_ref()
                        .map_or((0, 0), |s| line_col(&source, s.start));
                    (line + 1 - first_line, col, d.message.clone())
                })
                .collect(),
        }
    }

    /// A built-in procedure without its own `[[not_carried]]` list.
    fn without_list() -> &'static str {
        let base = seeds::source("buckinghamshire").unwrap();
        &base[..base.find("[[not_carried]]").unwrap_or(base.len())]
    }

    #[test]
    fn entries_are_read_in_order_and_trimmed() {
        let base = seeds::source("buckinghamshire").unwrap();
        let source = format!(
            "{base}\n[[not_carried]]\nreference = \" 2.4.3 \"\ntext = \"  One.\"\nwhy = \"Because. \"\n\
             [[not_carried]]\nreference = \"2.4.4\"\ntext = \"Two.\"\nwhy = \"Also.\"\n"
        );
        let p = parse(&source).unwrap();
        let got: Vec<(&str, &str, &str)> = p
            .not_carried
            .iter()
            .map(|n| (n.reference.as_str(), n.text.as_str(), n.why.as_str()))
            .collect();
        let tail: Vec<_> = got[got.len() - 2..].to_vec();
        assert_eq!(
            tail,
            [("2.4.3", "One.", "Because."), ("2.4.4", "Two.", "Also.")]
        );
    }

    /// A problem expected: line within the added text, column, words of the message.
    type Want = (usize, usize, &'static str);

    #[test]
    fn every_mistake_is_reported_at_its_place() {
        // (what is added, then every problem as (line within it, column, words of the message)).
        let cases: &[(&str, &[Want])] = &[
            (
                "[[not_carried]]\nreference = \"1\"\nwhy = \"w\"\n",
                &[(1, 1, "missing field `text`")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = \"t\"\n",
                &[(1, 1, "missing field `why`")],
            ),
            (
                "[[not_carried]]\ntext = \"t\"\nwhy = \"w\"\n",
                &[(1, 1, "missing field `reference`")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = \"  \"\nwhy = \"w\"\n",
                &[(3, 8, "not_carried text must not be empty")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = \"t\"\nwhy = \"\"\n",
                &[(4, 7, "not_carried why must not be empty")],
            ),
            (
                "[[not_carried]]\nreference = \"\"\ntext = \"t\"\nwhy = \"w\"\n",
                &[(2, 13, "not_carried reference must not be empty")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = \"t\"\nwhy = \"w\"\nsection = \"x\"\n",
                &[(5, 1, "unknown field `section`")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = 3\nwhy = \"w\"\n",
                &[(3, 8, "invalid type")],
            ),
            (
                "[[not_carried]]\nreference = \"1\"\ntext = \"Same  words.\"\nwhy = \"w\"\n\
                 [[not_carried]]\nreference = \"2\"\ntext = \"Same words.\"\nwhy = \"w\"\n",
                &[(7, 8, "not_carried entry 2 quotes the same text as entry 1")],
            ),
            (
                "[[not_carried]]\nreference = \"\"\ntext = \"\"\nwhy = \" \"\n",
                &[
                    (2, 13, "not_carried reference must not be empty"),
                    (3, 8, "not_carried text must not be empty"),
                    (4, 7, "not_carried why must not be empty"),
                ],
            ),
        ];
        for (extra, want) in cases {
            let got = problems(extra);
            assert_eq!(got.len(), want.len(), "{extra}: {got:?}");
            for ((line, col, message), (wl, wc, words)) in got.iter().zip(want.iter()) {
                assert_eq!((line, col), (wl, wc), "{extra}: {message}");
                assert!(message.contains(words), "{extra}: {message}");
            }
        }
    }

    #[test]
    fn a_procedure_may_list_nothing() {
        // The key is optional: a partnership's own file need not have it.
        assert!(parse(without_list()).unwrap().not_carried.is_empty());
    }
}
