//! Whether a free text that others will read shows what it holds (issue 13, item 11): a text
//! made only of invisible characters (zero-width space, word joiner, byte order mark, soft
//! hyphen, Hangul fillers, Braille blank...) reads as empty, and bidirectional controls make a
//! text display in another order than it is stored ("Trojan Source"), so that a reader sees
//! something other than what was checked. Both are refused wherever a text is shown to
//! someone else.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The bidirectional formatting characters: the embeddings and overrides (U+202A to U+202E),
/// the isolates (U+2066 to U+2069) and the marks (U+200E LRM, U+200F RLM, U+061C ALM). Marks
/// are refused too: nothing Parley asks for needs them, and a mark can reorder neutral
/// characters (digits, punctuation) around it.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// What is wrong with a text shown to others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfit {
    /// It holds characters but none that shows.
    Invisible,
    /// It holds a bidirectional control character.
    BidiControl,
}

impl Unfit {
    /// What is wrong, after the field's name: "… is made only of invisible characters".
    pub fn describe(self) -> &'static str {
        match self {
            Unfit::Invisible => {
                "is made only of invisible characters: enter words that can be read"
            }
            Unfit::BidiControl => {
                "holds a character that changes the direction text is shown in: take it out"
            }
        }
    }
}

/// Whether `c` shows as something: not white space, not a control, format, mark, separator,
/// private-use or unassigned character, and not a default-ignorable code point (its TR39
/// skeleton is empty) nor a blank one (U+2800 Braille blank, U+3164 and U+FFA0 Hangul fillers).
fn shows(c: char) -> bool {
    use GeneralCategory as G;
    if c.is_whitespace()
        || matches!(
            c,
            '\u{2800}' | '\u{3164}' | '\u{FFA0}' | '\u{115F}' | '\u{1160}'
        )
    {
        return false;
    }
    let category_shows = !matches!(
        c.general_category(),
        G::Control
            | G::Format
            | G::NonspacingMark
            | G::EnclosingMark
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::PrivateUse
            | G::Surrogate
            | G::Unassigned
    );
    let mut buf = [0u8; 4];
    category_shows
        && unicode_security::skeleton(c.encode_utf8(&mut buf))
            .next()
            .is_some()
}

/// `Ok` for an empty text (whether one is required is the caller's rule) and for a text that
/// shows something and holds no bidirectional control.
pub fn check(text: &str) -> Result<(), Unfit> {
    if text.chars().any(is_bidi_control) {
        return Err(Unfit::BidiControl);
    }
    if !text.is_empty() && !text.chars().any(shows) {
        return Err(Unfit::Invisible);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_that_show_nothing_or_reorder_are_refused() {
        let table: &[(&str, Option<Unfit>)] = &[
            ("\u{200B}", Some(Unfit::Invisible)),
            ("\u{2060}\u{2060}", Some(Unfit::Invisible)),
            ("\u{FEFF}", Some(Unfit::Invisible)),
            ("\u{00AD}\u{00AD}", Some(Unfit::Invisible)),
            ("\u{200B} \u{200C}\u{200D}\t", Some(Unfit::Invisible)),
            ("\u{3164}", Some(Unfit::Invisible)),
            ("\u{FFA0}\u{115F}", Some(Unfit::Invisible)),
            ("\u{2800}\u{2800}", Some(Unfit::Invisible)),
            ("\u{034F}\u{180E}", Some(Unfit::Invisible)),
            ("\u{E000}", Some(Unfit::Invisible)),
            ("\u{0301}\u{0301}", Some(Unfit::Invisible)),
            ("\u{3000}\u{2003}\u{00A0}", Some(Unfit::Invisible)),
            ("\u{1D173}\u{1D17A}", Some(Unfit::Invisible)),
            ("\u{E0001}\u{E0020}", Some(Unfit::Invisible)),
            ("abc\u{202E}fed", Some(Unfit::BidiControl)),
            ("\u{202A}x", Some(Unfit::BidiControl)),
            ("\u{202B}x", Some(Unfit::BidiControl)),
            ("\u{202C}", Some(Unfit::BidiControl)),
            ("\u{202D}x", Some(Unfit::BidiControl)),
            ("x\u{2066}y\u{2069}", Some(Unfit::BidiControl)),
            ("\u{2067}x", Some(Unfit::BidiControl)),
            ("\u{2068}x", Some(Unfit::BidiControl)),
            ("x\u{200E}", Some(Unfit::BidiControl)),
            ("x\u{200F}", Some(Unfit::BidiControl)),
            ("x\u{061C}", Some(Unfit::BidiControl)),
            ("", None),
            ("Late referral to the panel", None),
            ("café", None),
            ("שלום עולם", None),
            ("مرحبا", None),
            ("日本語", None),
            ("👍", None),
            ("a\u{200B}b", None),
            ("-", None),
            ("1", None),
        ];
        for (text, want) in table {
            assert_eq!(check(text).err(), *want, "{text:?}");
        }
    }
}
