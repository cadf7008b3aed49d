//! The stage key `agreed_with` (issue 14, item 2): whom an agreed timescale is agreed with.
//! Sunderland step 2: "They should do this within an agreed timescale with the practitioner
//! raising the concern". Such a timescale is proposed and takes effect only once that person
//! confirms it (`crate::agreement`).

use super::{Checker, S};
use crate::names::Actor;
use crate::procedure::Timescale;

/// The people a timescale can be agreed with: the two parties to the disagreement.
const PEOPLE: [Actor; 2] = [Actor::Raiser, Actor::Receiver];

impl Checker {
    /// `Some(None)` without the key; `None` (reported) when the key is wrong. Checked against
    /// the stage's timescale when that parsed: a fixed timescale is agreed with nobody.
    pub(super) fn agreed_with(
        &mut self,
        raw: Option<S<String>>,
        timescale: Option<Timescale>,
        stage: i64,
    ) -> Option<Option<Actor>> {
        let Some(raw) = raw else {
            return Some(None);
        };
        let known = PEOPLE.map(Actor::as_str).join(", ");
        let Ok(actor) = raw.get_ref().parse::<Actor>() else {
            self.error(
                raw.span(),
                format!(
                    "stage {stage} agreed_with \"{}\" is not a person the timescale can be agreed with",
                    raw.get_ref()
                ),
                Some(format!("write one of: {known}")),
            );
            return None;
        };
        if !PEOPLE.contains(&actor) {
            self.error(
                raw.span(),
                format!(
                    "stage {stage} agreed_with \"{actor}\" is not one person: a timescale is agreed with {}",
                    "the person who raised it or the person it was raised with"
                ),
                Some(format!("write one of: {known}")),
            );
            return None;
        }
        if let Some(Timescale::Fixed { .. }) = timescale {
            self.error(
                raw.span(),
                format!("stage {stage} has a fixed timescale, so it is not agreed with anyone"),
                Some(
                    "agreed_with goes with timescale = { agreed = true, max_working_days = N }"
                        .to_owned(),
                ),
            );
            return None;
        }
        Some(Some(actor))
    }
}

#[cfg(test)]
mod tests {
    use crate::names::Actor;
    use crate::procedure::{StageNumber, parse};

    const SUNDERLAND: &str = include_str!("../../../procedures/sunderland.toml");
    const SOLIHULL: &str = include_str!("../../../procedures/solihull.toml");
    const KEY: &str = "agreed_with = \"raiser\"";

    /// The 1-based line of the first occurrence of `needle`.
    fn line_of(source: &str, needle: &str) -> usize {
        source[..source.find(needle).unwrap()].lines().count() + 1
    }

    #[test]
    fn sunderland_step_two_is_agreed_with_the_raiser() {
        let p = parse(SUNDERLAND).unwrap();
        let with = |n| p.stage(StageNumber::new(n).unwrap()).unwrap().agreed_with;
        assert_eq!(with(2), Some(Actor::Raiser));
        assert_eq!(with(1), None);
        assert_eq!(with(3), None);
        let receiver = SUNDERLAND.replace(KEY, "agreed_with = \"receiver\"");
        let p = parse(&receiver).unwrap();
        assert_eq!(
            p.stage(StageNumber::new(2).unwrap()).unwrap().agreed_with,
            Some(Actor::Receiver)
        );
    }

    #[test]
    fn a_wrong_agreed_with_is_reported_at_its_value() {
        for (value, words) in [
            (
                "\"chair\"",
                "is not a person the timescale can be agreed with",
            ),
            ("\"stage-leads\"", "is not one person"),
            ("\"managers\"", "is not one person"),
        ] {
            let source = SUNDERLAND.replace(KEY, &format!("agreed_with = {value}"));
            let line = line_of(&source, "agreed_with =");
            let text = parse(&source)
                .unwrap_err()
                .render("sunderland.toml", &source);
            // The value starts after `agreed_with = `.
            assert!(
                text.contains(&format!(
                    "sunderland.toml:{line}:15: error: stage 2 agreed_with"
                )),
                "{value}: {text}"
            );
            assert!(text.contains(words), "{value}: {text}");
            assert!(
                text.contains("help: write one of: raiser, receiver"),
                "{text}"
            );
        }
        // Not a string at all: the reader names the key's place.
        let source = SUNDERLAND.replace(KEY, "agreed_with = 2");
        let text = parse(&source)
            .unwrap_err()
            .render("sunderland.toml", &source);
        assert!(
            text.contains(&format!(
                "sunderland.toml:{}:",
                line_of(&source, "agreed_with =")
            )),
            "{text}"
        );
    }

    #[test]
    fn a_fixed_timescale_is_agreed_with_nobody() {
        let fixed = "timescale = { working_days = 1, from = \"stage-start\" }";
        let source = SOLIHULL.replacen(fixed, &format!("{fixed}\n{KEY}"), 1);
        let line = line_of(&source, KEY);
        let text = parse(&source).unwrap_err().render("solihull.toml", &source);
        assert!(
            text.contains(&format!(
                "solihull.toml:{line}:15: error: stage 1 has a fixed timescale, so it is not agreed with anyone"
            )),
            "{text}"
        );
        assert!(text.contains("help: agreed_with goes with timescale = { agreed = true"));
    }
}
