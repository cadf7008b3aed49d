//! Prompts a procedure gives the people involved in an escalation when a condition about it
//! holds (`[[prompt]]`; issue 14, item 7). Buckinghamshire 2.4.12: for a young person aged 16
//! or 17, "legal advice should be sought where no consensus or agreement can be reached
//! through following the escalation procedure".

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::Diagnostic;

/// The oldest age a condition may name: the raise form takes dates of birth up to 25 years
/// back (care leavers).
pub const OLDEST_AGE: i64 = 25;

/// A prompt and when it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// Where in the document, e.g. `2.4.12 Mental Capacity Act`.
    pub reference: String,
    /// What the people involved are shown.
    pub text: String,
    /// The child's ages, in whole years on the day the escalation was raised, for which it
    /// shows. An escalation with no child, or no date of birth, matches none.
    pub child_age: Vec<u8>,
}

impl Prompt {
    /// Whether it shows for a child of `age` (`None`: not known, or no child).
    pub fn applies(&self, age: Option<u8>) -> bool {
        age.is_some_and(|a| self.child_age.contains(&a))
    }
}

/// A child's age in whole years on `on`; `None` when born after it. A birthday on 29 February
/// comes on 1 March in other years.
pub fn age_on(born: Date, on: Date) -> Option<u8> {
    if born > on {
        return None;
    }
    let mut years = i32::from(on.year()) - i32::from(born.year());
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u8::try_from(years).ok()
}

/// A `[[prompt]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrompt {
    reference: Spanned<String>,
    text: Spanned<String>,
    child_age: Option<Spanned<Vec<Spanned<i64>>>>,
}

/// Checks the `[[prompt]]` tables: a reference and a text, and a condition (`child_age`, a
/// list of ages from 0 to [`OLDEST_AGE`], each once). Problems go to `diagnostics`; only the
/// good prompts are returned.
pub(super) fn check(
    raw: Vec<Spanned<RawPrompt>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Prompt> {
    let mut out = Vec::new();
    for entry in raw {
        let table = entry.span();
        let entry = entry.into_inner();
        let mut error = |span: std::ops::Range<usize>, message: String, help: Option<&str>| {
            diagnostics.push(Diagnostic {
                span: Some(span),
                message,
                help: help.map(str::to_owned),
            });
        };
        let mut text_of = |v: Spanned<String>, what: &str| {
            let span = v.span();
            let t = v.into_inner();
            if t.trim().is_empty() {
                error(span, format!("{what} must not be empty"), None);
                None
            } else {
                Some(t.trim().to_owned())
            }
        };
        let reference = text_of(entry.reference, "prompt reference");
        let text = text_of(entry.text, "prompt text");
        let Some(ages) = entry.child_age else {
            error(
                table,
                "a prompt needs a condition saying when it shows".to_owned(),
                Some("add child_age = [16, 17] (the child's ages on the day it is raised)"),
            );
            continue;
        };
        let list_span = ages.span();
        let ages = ages.into_inner();
        if ages.is_empty() {
            error(
                list_span,
                "child_age must name at least one age".to_owned(),
                Some("for example child_age = [16, 17]"),
            );
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut ok = true;
        for age in &ages {
            let a = *age.get_ref();
            if !(0..=OLDEST_AGE).contains(&a) {
                error(
                    age.span(),
                    format!("child_age {a} is not a child's age"),
                    Some(&format!("ages from 0 to {OLDEST_AGE}")),
                );
                ok = false;
            } else if !seen.insert(a) {
                error(age.span(), format!("child_age {a} is listed twice"), None);
                ok = false;
            }
        }
        if let (Some(reference), Some(text), true) = (reference, text, ok) {
            out.push(Prompt {
                reference,
                text,
                child_age: seen
                    .into_iter()
                    .filter_map(|a| u8::try_from(a).ok())
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::age_on;
    use jiff::civil::date;

    #[test]
    fn ages_in_whole_years() {
        let born = date(2010, 3, 2);
        assert_eq!(age_on(born, date(2026, 3, 1)), Some(15));
        assert_eq!(age_on(born, date(2026, 3, 2)), Some(16));
        assert_eq!(age_on(born, date(2010, 3, 2)), Some(0));
        assert_eq!(age_on(born, date(2010, 3, 1)), None);
        // 29 February: a year older on 1 March in a common year.
        let leap = date(2008, 2, 29);
        assert_eq!(age_on(leap, date(2025, 2, 28)), Some(16));
        assert_eq!(age_on(leap, date(2025, 3, 1)), Some(17));
        assert_eq!(age_on(leap, date(2024, 2, 29)), Some(16));
    }
}
