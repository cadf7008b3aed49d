//! Whether a free text identifies a child: their name or a part of it, their date of birth in
//! the ways people write dates, or their case or NHS number (issue 13, item 3). Every text the
//! partnership business team reads (the summary, stage records, the reasons given with
//! actions, compliments) is checked against the child of its escalation before it is kept.
//! Croydon Appendix A: "Do not include details of any child or family."
//!
//! Matching is done on a folded form of both the text and the child's details, so that what
//! looks the same to a reader compares the same:
//!
//! 1. each character is decomposed by Unicode compatibility normalisation (NFKD: full-width
//!    `Ｊ` is `J`, `ﬁ` is `fi`; the same characters as NFKC, taken apart so that marks can go);
//! 2. format characters (general category Cf: zero-width space, soft hyphen, word joiner, byte
//!    order mark, bidirectional controls) and combining marks (Mn, Me: `é` is `e`) are dropped;
//! 3. letters are lower-cased;
//! 4. each character is replaced by its confusable prototype, the skeleton of Unicode TR39
//!    (`unicode-security`: Cyrillic `а`, Greek `ο`, `ⅼ` become Latin `a`, `o`, `l`; the skeleton
//!    also drops default-ignorable code points), then lower-cased again.
//!
//! The folded text is cut into words (runs of letters and digits); anything else, a hyphen or
//! a full stop included, separates words, and a dropped character separates nothing
//! (`Ja\u{200B}mie` is one word).
//!
//! - **Name.** Each part of the name of two letters or more is looked for as a whole word:
//!   "Sam" is not found in "Samuel", but is in "Sam's". A part split by separators is found
//!   too ("Ja-mie", "J.a.m.i.e", "J a m i e"): consecutive words that spell the part exactly,
//!   unless every one of them is a common word ("is a" does not spell "Isa"). A part followed
//!   by "s" ("the Smiths") counts. A part that is also a common English word ("Will", "May",
//!   "Brown", see [`COMMON_WORDS`]) counts only where it is written with a capital, or next to
//!   another part of the name: "we will meet" passes for a child called Will, "Will said"
//!   and "will brown" do not for Will Brown. The name run together ("JamieSmith", two
//!   neighbouring words or all of them), and a word of it written with an apostrophe or
//!   hyphen run together ("OBrien"), are found anywhere, even inside a longer word.
//! - **Date of birth.** Day, month and year in that order, month first (US) or year first
//!   (ISO), with any separators, day with or without a leading zero or as an ordinal
//!   ("2nd"), month as a number, a name or an abbreviation, year of four digits or two;
//!   "2nd of March 2015" too; and the eight-digit forms run together (`02032015`,
//!   `20150302`, `03022015`) anywhere. A day and month without the year are not looked for:
//!   meetings have dates.
//! - **Identifier.** The identifier's letters and digits, separators ignored, anywhere in the
//!   text's letters and digits run together; and each run of its words that hold digits on
//!   its own, so that an NHS number is found with or without "NHS" and with or without spaces
//!   or hyphens. Words of digits in the child's name count as an identifier.
//!
//! What this cannot catch (see ARCHITECTURE.md): initials, nicknames and short forms not
//! given as the name, a sibling's or parent's name, an address, school or other detail that
//! was not given as an identifier, dates written in words ("the second of March"), spaced-out
//! digits of an unpadded date, and misspellings. It is a guard against slips and
//! the obvious evasions, not a proof that a text is anonymous.

use jiff::civil::Date;
use unicode_normalization::char::decompose_compatible;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Ordinary English words that are also names (given names and surnames) or are too short
/// to tell from one: as a part of a child's name, such a word counts only when written with a
/// capital or next to another part of the name. Lower case, ASCII.
pub const COMMON_WORDS: &[&str] = &[
    // Short words, which a split-up name could otherwise be spelt from.
    "a", "i", "o", "ad", "ah", "am", "an", "as", "at", "be", "by", "do", "go", "ha", "he", "hi",
    "if", "in", "is", "it", "me", "my", "no", "of", "oh", "ok", "on", "or", "ox", "so", "to", "up",
    "us", "we", "ye", "yo", "all", "and", "any", "are", "ask", "bed", "but", "can", "day", "did",
    "due", "end", "few", "for", "get", "got", "had", "has", "her", "him", "his", "how", "its",
    "let", "met", "new", "not", "now", "off", "old", "one", "our", "out", "own", "per", "put",
    "say", "see", "set", "she", "the", "too", "two", "use", "via", "was", "way", "who", "why",
    "yes", "yet", "you", // Names that are ordinary words.
    "amber", "angel", "april", "art", "august", "autumn", "baker", "banks", "bell", "best", "bill",
    "bishop", "black", "bloom", "bob", "bond", "brook", "brooks", "brown", "bush", "carter",
    "case", "chance", "chase", "cherry", "clay", "cliff", "cook", "cross", "crystal", "dale",
    "daisy", "dawn", "dean", "dell", "don", "drew", "east", "eve", "faith", "field", "fields",
    "fisher", "forest", "fox", "frank", "free", "glen", "gold", "golden", "good", "grace", "gray",
    "green", "grey", "guy", "hale", "hall", "hardy", "hay", "hazel", "heath", "heather", "hill",
    "holly", "honey", "hope", "house", "hunter", "iris", "ivy", "jack", "jasmine", "jay", "joy",
    "june", "just", "kind", "king", "knight", "lake", "lamb", "lane", "little", "long", "lord",
    "love", "lucky", "major", "march", "mark", "marsh", "mason", "may", "mercy", "miles", "miller",
    "mills", "moss", "noble", "north", "page", "pat", "pearl", "penny", "poppy", "pope", "power",
    "price", "prince", "rain", "ray", "rich", "river", "rivers", "rob", "rock", "rose", "royal",
    "ruby", "sandy", "sharp", "short", "sky", "small", "south", "sparks", "star", "sterling",
    "stone", "storm", "strong", "summer", "sunny", "sue", "swan", "sweet", "taylor", "turner",
    "violet", "walker", "wall", "ward", "waters", "wells", "west", "white", "will", "wise", "wood",
    "woods", "worth", "wren", "young",
];

/// Which of a child's details a text holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Name,
    DateOfBirth,
    Identifier,
}

impl Found {
    /// The detail in words, for messages: "their name".
    pub fn describe(self) -> &'static str {
        match self {
            Found::Name => "their name",
            Found::DateOfBirth => "their date of birth",
            Found::Identifier => "their case or NHS number",
        }
    }
}

/// A child's details folded for matching. Built once per escalation, used for each field.
#[derive(Clone, Debug, Default)]
pub struct ChildIdentifiers {
    parts: Vec<NamePart>,
    /// The name's words run together: all of them, and each two neighbours.
    whole_name: Vec<String>,
    /// Date forms: one set of accepted words per position.
    dates: Vec<Vec<Vec<String>>>,
    /// Date forms of eight digits, looked for anywhere.
    compact_dates: Vec<String>,
    /// Identifier forms, looked for anywhere in the text run together.
    ids: Vec<String>,
}

#[derive(Clone, Debug)]
struct NamePart {
    folded: String,
    common: bool,
}

/// One word of a folded text.
#[derive(Clone, Debug)]
struct Word {
    text: String,
    /// The first character it came from was upper or title case.
    capital: bool,
    /// How many letters and digits of the original text it holds.
    original_len: usize,
}

/// A text folded and cut into words.
#[derive(Clone, Debug)]
struct Folded {
    words: Vec<Word>,
    compact: String,
}

/// A character is dropped before matching: a format character or a combining mark.
fn dropped(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format | GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

/// One character of a text in folded form (steps 1 to 4 of the module's description). A
/// character that is not a letter or digit folds to a space, whatever its skeleton (the
/// skeleton of `|` is `l`, of an em dash a Hangul letter), so it always separates words.
fn fold_char(c: char, out: &mut String) {
    if dropped(c) {
        return;
    }
    if !c.is_alphanumeric() {
        out.push(' ');
        return;
    }
    let mut decomposed = Vec::with_capacity(2);
    decompose_compatible(c, |d| decomposed.push(d));
    for d in decomposed.into_iter().filter(|d| !dropped(*d)) {
        // Lower case first, so that `I` and `i` fold the same (the skeleton of `I` is `l`);
        // but a capital whose lower case looks like nothing Latin (Cyrillic `В`, `М`, whose
        // small forms `в`, `м` do not look like `b`, `m`) is taken by its own look-alike.
        let small = skeleton_lower(d.to_lowercase());
        if small.is_ascii() {
            out.push_str(&small);
            continue;
        }
        let mut buf = [0u8; 4];
        let capital: String = unicode_security::skeleton(d.encode_utf8(&mut buf)).collect();
        let by_capital = skeleton_lower(capital.chars().flat_map(char::to_lowercase));
        out.push_str(if by_capital.is_ascii() {
            &by_capital
        } else {
            &small
        });
    }
}

/// The skeleton of each character, lower-cased, without marks.
fn skeleton_lower(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut buf = [0u8; 4];
    for e in chars {
        for f in unicode_security::skeleton(e.encode_utf8(&mut buf)) {
            out.extend(f.to_lowercase().filter(|g| !dropped(*g)));
        }
    }
    out
}

/// A whole text in folded form: for tests and for folding the needles.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

fn fold_words(text: &str) -> Folded {
    let mut words: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    let mut buf = String::new();
    for c in text.chars() {
        buf.clear();
        fold_char(c, &mut buf);
        for f in buf.chars() {
            if f.is_alphanumeric() {
                let w = current.get_or_insert_with(|| Word {
                    text: String::new(),
                    capital: c.is_uppercase()
                        || c.general_category() == GeneralCategory::TitlecaseLetter,
                    original_len: 0,
                });
                w.text.push(f);
            } else if let Some(w) = current.take() {
                words.push(w);
            }
        }
        if let Some(w) = current.as_mut()
            && c.is_alphanumeric()
        {
            w.original_len += 1;
        }
    }
    words.extend(current);
    let compact = words.iter().map(|w| w.text.as_str()).collect();
    Folded { words, compact }
}

fn is_common(folded: &str) -> bool {
    COMMON_WORDS.iter().any(|w| fold(w) == folded)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn ordinal(day: i8) -> String {
    let suffix = match (day % 10, day) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// The date forms of `date`: sequences of positions, each a set of accepted folded words.
fn date_forms(date: Date) -> (Vec<Vec<Vec<String>>>, Vec<String>) {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let month_name = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    let mut month_words = vec![month_name.to_owned(), month_name[..3].to_owned()];
    if m == 9 {
        month_words.push("sept".to_owned());
    }
    let month_numbers = [m.to_string(), format!("{m:02}")];
    let months: Vec<String> = month_numbers.iter().chain(&month_words).cloned().collect();
    let days = vec![d.to_string(), format!("{d:02}"), ordinal(d)];
    let years = vec![y.to_string(), format!("{:02}", y.rem_euclid(100))];
    let long_year = vec![y.to_string()];
    let of = vec!["of".to_owned()];
    let folded = |v: &Vec<String>| -> Vec<String> { v.iter().map(|s| fold(s)).collect() };
    let forms = vec![
        // 2/3/2015, 2 March 2015, 2nd Mar 15
        vec![folded(&days), folded(&months), folded(&years)],
        // 2nd of March 2015
        vec![folded(&days), folded(&of), folded(&months), folded(&years)],
        // 3/2/2015, March 2, 2015, Mar 2nd 15
        vec![folded(&months), folded(&days), folded(&years)],
        // 2015-03-02, 2015 March 2
        vec![folded(&long_year), folded(&months), folded(&days)],
    ];
    let compact = [
        format!("{d:02}{m:02}{y:04}"),
        format!("{y:04}{m:02}{d:02}"),
        format!("{m:02}{d:02}{y:04}"),
    ]
    .iter()
    .map(|s| fold(s))
    .collect();
    (forms, compact)
}

/// Whether an original text holds a decimal digit (before folding).
fn has_digit(text: &str) -> bool {
    text.chars()
        .any(|c| c.general_category() == GeneralCategory::DecimalNumber)
}

impl ChildIdentifiers {
    /// `date_of_birth` and `identifier` as given with the child (either may be absent).
    pub fn new(name: &str, date_of_birth: Option<Date>, identifier: Option<&str>) -> Self {
        let mut ids = Vec::new();
        let mut parts = Vec::new();
        // The name, word by word in the original, so that digits are told from letters.
        let mut name_digits = Vec::new();
        for piece in name.split(|c: char| !c.is_alphanumeric() && !dropped(c)) {
            let f = fold_words(piece);
            for w in f.words {
                if has_digit(piece) {
                    name_digits.push(w);
                } else if w.original_len >= 2 {
                    let common = is_common(&w.text);
                    if !parts.iter().any(|p: &NamePart| p.folded == w.text) {
                        parts.push(NamePart {
                            folded: w.text,
                            common,
                        });
                    }
                }
            }
        }
        digit_runs(&name_digits, &mut ids);
        // A word of the name written with an apostrophe or hyphen counts run together too
        // ("O'Brien" as "OBrien", "Smith-Jones" as "SmithJones").
        let mut letters_only = Vec::new();
        for word in name.split_whitespace().filter(|w| !has_digit(w)) {
            let f = fold_words(word);
            letters_only.push(f.compact.clone());
            if f.words.len() > 1 && !parts.iter().any(|p| p.folded == f.compact) {
                parts.push(NamePart {
                    common: is_common(&f.compact),
                    folded: f.compact,
                });
            }
        }
        // The whole name run together, and each two neighbouring words of it.
        let mut whole_name: Vec<String> = letters_only.windows(2).map(|w| w.concat()).collect();
        if letters_only.len() > 2 {
            whole_name.push(letters_only.concat());
        }
        whole_name.retain(|w| w.chars().count() >= 6);
        if let Some(identifier) = identifier {
            let mut words = Vec::new();
            let mut digit_words = Vec::new();
            for piece in identifier.split(|c: char| !c.is_alphanumeric() && !dropped(c)) {
                for w in fold_words(piece).words {
                    if has_digit(piece) {
                        digit_words.push(Some(w.clone()));
                    } else {
                        digit_words.push(None);
                    }
                    words.push(w);
                }
            }
            let whole: String = words.iter().map(|w| w.text.as_str()).collect();
            if whole.chars().count() >= 4 {
                ids.push(whole);
            }
            let mut run = Vec::new();
            for w in digit_words {
                match w {
                    Some(w) => run.push(w),
                    None => {
                        digit_runs(&run, &mut ids);
                        run.clear();
                    }
                }
            }
            digit_runs(&run, &mut ids);
        }
        ids.sort();
        ids.dedup();
        let (dates, compact_dates) = date_of_birth.map(date_forms).unwrap_or_default();
        ChildIdentifiers {
            parts,
            whole_name,
            dates,
            compact_dates,
            ids,
        }
    }

    /// Whether nothing would ever be found (a name of initials only, nothing else given).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
            && self.whole_name.is_empty()
            && self.dates.is_empty()
            && self.ids.is_empty()
    }

    /// The first of the child's details found in `text`, if any.
    pub fn find(&self, text: &str) -> Option<Found> {
        if self.is_empty() {
            return None;
        }
        let f = fold_words(text);
        if self.find_name(&f) {
            return Some(Found::Name);
        }
        if self.find_date(&f) {
            return Some(Found::DateOfBirth);
        }
        if self.ids.iter().any(|id| f.compact.contains(id.as_str())) {
            return Some(Found::Identifier);
        }
        None
    }

    fn find_name(&self, f: &Folded) -> bool {
        if self
            .whole_name
            .iter()
            .any(|w| f.compact.contains(w.as_str()))
        {
            return true;
        }
        // (part, first word, past the last word, written with a capital)
        let mut hits: Vec<(usize, usize, usize, bool)> = Vec::new();
        for (pi, part) in self.parts.iter().enumerate() {
            for start in 0..f.words.len() {
                if let Some(end) = spells(&f.words, start, &part.folded) {
                    hits.push((pi, start, end, f.words[start].capital));
                }
            }
        }
        hits.iter().any(|&(pi, start, end, capital)| {
            !self.parts[pi].common
                || capital
                || hits
                    .iter()
                    .any(|&(pj, s, e, _)| pj != pi && (e == start || s == end))
        })
    }

    fn find_date(&self, f: &Folded) -> bool {
        if self
            .compact_dates
            .iter()
            .any(|d| f.compact.contains(d.as_str()))
        {
            return true;
        }
        self.dates.iter().any(|form| {
            f.words.windows(form.len()).any(|ws| {
                ws.iter()
                    .zip(form)
                    .all(|(w, accepted)| accepted.contains(&w.text))
            })
        })
    }
}

/// Runs of words holding digits, each at least five characters, as identifier forms.
fn digit_runs(words: &[Word], out: &mut Vec<String>) {
    let run: String = words.iter().map(|w| w.text.as_str()).collect();
    if run.chars().count() >= 5 {
        out.push(run);
    }
}

/// Whether the words from `start` spell `part` exactly (or `part` and an "s"): the index past
/// the last word if so. Words joined must not all be common words.
fn spells(words: &[Word], start: usize, part: &str) -> Option<usize> {
    let mut joined = String::new();
    for (i, w) in words.iter().enumerate().skip(start) {
        joined.push_str(&w.text);
        let end = i + 1;
        let several = end - start > 1;
        let all_common = || words[start..end].iter().all(|w| is_common(&w.text));
        let plural = joined.len() == part.len() + 1 && joined.ends_with('s');
        if joined == part || (plural && joined.starts_with(part)) {
            if several && all_common() {
                return None;
            }
            return Some(end);
        }
        let prefix_of_plural = joined.len() <= part.len() + 1
            && (part.starts_with(joined.as_str())
                || (joined.len() == part.len() + 1 && joined.starts_with(part)));
        if !prefix_of_plural {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests;
