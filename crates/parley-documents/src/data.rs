//! What a template is given: a tree of plain values that becomes typst's `sys.inputs` and
//! nothing else. Text stays text all the way: a template shows a string as it is, and typst
//! never reads it as markup, so a category called `#panic()` or `*bold*` prints those
//! characters (issue 17; the injection pitfall in the ecosystem note). No code in this crate
//! builds typst source from data.
//!
//! The tree is ours rather than typst's so that the documents' contents are made, and can be
//! tested, without the `pdf` feature; [`crate::engine`] turns it into typst values in one
//! place.

use jiff::civil::Date;
use jiff::{Unit, Zoned, ZonedRound};
use parley_report::period::{long_date, month_name};

use crate::input::{Confirmation, Entry, Person, StageRecord};

/// A value a template can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    /// An image's bytes (the charts' SVG).
    Bytes(Vec<u8>),
    Array(Vec<Data>),
    /// Keys in the order given, each a name the template reads.
    Dict(Vec<(&'static str, Data)>),
}

impl Data {
    pub fn str(s: &str) -> Data {
        Data::Str(s.to_owned())
    }

    pub fn dict<const N: usize>(entries: [(&'static str, Data); N]) -> Data {
        Data::Dict(entries.into())
    }

    pub fn list<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> Data) -> Data {
        Data::Array(items.into_iter().map(f).collect())
    }

    pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Data) -> Data {
        value.map_or(Data::None, f)
    }

    /// A date as GOV.UK writes it: "1 April 2026".
    pub fn date(d: Date) -> Data {
        Data::Str(long_date(d))
    }

    /// Every string in the tree, depth first (for tests that look for text).
    pub fn strings(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Data::Str(s) => out.push(s),
            Data::Array(items) => items.iter().for_each(|i| i.collect(out)),
            Data::Dict(entries) => entries.iter().for_each(|(_, v)| v.collect(out)),
            Data::None | Data::Bool(_) | Data::Int(_) | Data::Bytes(_) => {}
        }
    }
}

/// A moment as GOV.UK writes it: "14 March 2026 at 3:05pm", to the minute, in its own zone.
pub fn long_time(at: &Zoned) -> String {
    let at = at
        .round(ZonedRound::new().smallest(Unit::Minute))
        .unwrap_or_else(|_| at.clone());
    let (h, m) = (at.hour(), at.minute());
    let half = if h < 12 { "am" } else { "pm" };
    let h12 = match h % 12 {
        0 => 12,
        n => n,
    };
    let clock = match (h, m) {
        (12, 0) => "midday".to_owned(),
        (0, 0) => "midnight".to_owned(),
        _ => format!("{h12}:{m:02}{half}"),
    };
    format!(
        "{} {} {} at {clock}",
        at.day(),
        month_name(at.month()),
        at.year()
    )
}

pub fn person(p: &Person) -> Data {
    Data::dict([
        ("name", Data::str(&p.name)),
        ("designation", Data::str(&p.designation)),
    ])
}

pub fn entries(list: &[Entry]) -> Data {
    Data::list(list, |e| {
        Data::dict([
            ("label", Data::str(&e.label)),
            ("value", Data::str(&e.value)),
        ])
    })
}

pub fn stage(s: &StageRecord) -> Data {
    let mut dates = Vec::new();
    for (label, d) in [
        ("Started", s.started_on),
        ("Due by", s.due_on),
        ("Ended", s.ended_on),
    ] {
        if let Some(d) = d {
            dates.push(Entry::new(label, &long_date(d)));
        }
    }
    Data::dict([
        ("title", Data::str(&s.title)),
        ("dates", entries(&dates)),
        ("people", Data::list(&s.people, person)),
        ("entries", entries(&s.entries)),
    ])
}

pub fn confirmation(c: &Confirmation) -> Data {
    Data::dict([
        ("person", person(&c.person)),
        ("at", Data::Str(long_time(&c.at))),
        ("event", Data::str(&c.event)),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(s: &str) -> String {
        long_time(&s.parse::<Zoned>().unwrap())
    }

    #[test]
    fn times_read_as_govuk_writes_them() {
        assert_eq!(
            at("2026-03-14T15:05:40[Europe/London]"),
            "14 March 2026 at 3:06pm"
        );
        assert_eq!(
            at("2026-03-14T09:00:00[Europe/London]"),
            "14 March 2026 at 9:00am"
        );
        assert_eq!(
            at("2026-03-14T12:00:00[Europe/London]"),
            "14 March 2026 at midday"
        );
        assert_eq!(
            at("2026-03-14T00:00:10[Europe/London]"),
            "14 March 2026 at midnight"
        );
        assert_eq!(
            at("2026-07-01T00:30:00[Europe/London]"),
            "1 July 2026 at 12:30am"
        );
    }
}
