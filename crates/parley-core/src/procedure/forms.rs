//! The documents a procedure's forms are printed as (`[[form]]`; issue 17, item 4: "the forms
//! are described in the procedure file, so a partnership's own procedure gets its own
//! forms"). Each names a layout Parley knows, its title as the document gives it, and where
//! in the document it is. What a layout holds is fixed by the layout, not the file:
//!
//! - `partnership-notification`: the form sent to the partnership, laid out after Croydon
//!   Appendix A (who completed it, the `[partnership_form]` descriptions, the request for a
//!   meeting the partnership leads). Never a child's details.
//! - `referral-proforma`: the referral to the partnership recording each step, laid out after
//!   Sunderland Appendix 1 (the referrer, the reason, actions, outcome and learning per step,
//!   the date complete and the referrer's recorded confirmation as the signature). Never a
//!   child's details.
//! - `stage-record`: the record of every stage for the child's file (Buckinghamshire Appendix
//!   A; Solihull and Dorset: "recorded on the child's file"). The child's details only for a
//!   reader who may see them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::Diagnostic;

/// How a form is laid out, and so what it can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormLayout {
    PartnershipNotification,
    ReferralProforma,
    StageRecord,
}

impl FormLayout {
    pub const ALL: &'static [FormLayout] = &[
        FormLayout::PartnershipNotification,
        FormLayout::ReferralProforma,
        FormLayout::StageRecord,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            FormLayout::PartnershipNotification => "partnership-notification",
            FormLayout::ReferralProforma => "referral-proforma",
            FormLayout::StageRecord => "stage-record",
        }
    }

    /// Whether the form can ever hold the child's details. The two that go to the
    /// partnership cannot (Croydon Appendix A: "Do not include details of any child or
    /// family").
    pub fn may_hold_child(self) -> bool {
        matches!(self, FormLayout::StageRecord)
    }

    /// Whether its content comes from the procedure's `[partnership_form]`.
    pub fn needs_partnership_form(self) -> bool {
        !self.may_hold_child()
    }

    fn parse(s: &str) -> Option<FormLayout> {
        FormLayout::ALL.iter().copied().find(|l| l.as_str() == s)
    }
}

/// A form of the procedure, printed as a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormSpec {
    /// Unique in the file: lowercase letters, digits and hyphens, e.g. `appendix-a`.
    pub id: String,
    pub layout: FormLayout,
    /// The form's title as the document gives it.
    pub title: String,
    /// Where in the document: `Appendix A`.
    pub reference: Option<String>,
}

/// A `[[form]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFormSpec {
    id: Spanned<String>,
    layout: Spanned<String>,
    title: Spanned<String>,
    reference: Option<Spanned<String>>,
}

/// Checks the `[[form]]` tables: an id once each, a layout Parley knows (the two sent to the
/// partnership only with a `[partnership_form]` to fill them, each at most once), a title.
/// Problems go to `diagnostics`; only the good forms are returned.
pub(super) fn check(
    raw: Vec<Spanned<RawFormSpec>>,
    has_partnership_form: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<FormSpec> {
    let mut out = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut layouts: BTreeMap<FormLayout, usize> = BTreeMap::new();
    for (i, entry) in raw.into_iter().enumerate() {
        let entry = entry.into_inner();
        let mut error = |span: std::ops::Range<usize>, message: String, help: Option<String>| {
            diagnostics.push(Diagnostic {
                span: Some(span),
                message,
                help,
            });
        };
        let mut ok = true;
        let id_span = entry.id.span();
        let id = entry.id.into_inner();
        let id_ok = (2..=40).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            error(
                id_span.clone(),
                format!(
                    "form id \"{id}\" must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter"
                ),
                Some("for example id = \"appendix-a\"".to_owned()),
            );
            ok = false;
        } else if let Some(first) = ids.get(&id) {
            error(
                id_span,
                format!("form id \"{id}\" is used by form {first} already"),
                None,
            );
            ok = false;
        } else {
            ids.insert(id.clone(), i + 1);
        }
        let layout_span = entry.layout.span();
        let layout = FormLayout::parse(entry.layout.get_ref());
        let known = || {
            let names: Vec<&str> = FormLayout::ALL.iter().map(|l| l.as_str()).collect();
            names.join(", ")
        };
        match layout {
            None => {
                error(
                    layout_span,
                    format!("unknown form layout \"{}\"", entry.layout.get_ref()),
                    Some(format!("one of: {}", known())),
                );
                ok = false;
            }
            Some(l) if l.needs_partnership_form() && !has_partnership_form => {
                error(
                    layout_span,
                    format!(
                        "a {} form is filled from the [partnership_form], which this file does not have",
                        l.as_str()
                    ),
                    Some(
                        "add a [partnership_form] table, or use layout = \"stage-record\""
                            .to_owned(),
                    ),
                );
                ok = false;
            }
            Some(l) if l.needs_partnership_form() && layouts.contains_key(&l) => {
                error(
                    layout_span,
                    format!(
                        "only one {} form: form {} has that layout already",
                        l.as_str(),
                        layouts[&l]
                    ),
                    None,
                );
                ok = false;
            }
            Some(l) => {
                layouts.entry(l).or_insert(i + 1);
            }
        }
        let title_span = entry.title.span();
        let title = entry.title.into_inner().trim().to_owned();
        if title.is_empty() {
            error(
                title_span,
                "form title must not be empty".to_owned(),
                Some("give the form's title as the document does".to_owned()),
            );
            ok = false;
        }
        let reference = match entry.reference {
            Some(r) if r.get_ref().trim().is_empty() => {
                error(
                    r.span(),
                    "form reference must not be empty".to_owned(),
                    Some(
                        "where the form is in the document, e.g. \"Appendix A\"; or leave it out"
                            .to_owned(),
                    ),
                );
                ok = false;
                None
            }
            r => r.map(|r| r.into_inner().trim().to_owned()),
        };
        if let (true, Some(layout)) = (ok, layout) {
            out.push(FormSpec {
                id,
                layout,
                title,
                reference,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::FormLayout;
    use crate::procedure::test_support::problems_without;
    use crate::seeds;

    /// A built-in procedure without its `[[form]]` tables, with `extra` at its end.
    fn problems(seed: &str, extra: &str) -> Vec<(usize, String)> {
        problems_without(seed, "form", extra)
    }

    #[test]
    fn the_seeds_forms() {
        let forms = |id: &str| -> Vec<(String, FormLayout)> {
            seeds::get(id)
                .unwrap()
                .unwrap()
                .forms
                .iter()
                .map(|f| (f.id.clone(), f.layout))
                .collect()
        };
        let s = |x: &str| x.to_owned();
        assert_eq!(
            forms("croydon"),
            [
                (s("appendix-a"), FormLayout::PartnershipNotification),
                (s("stage-record"), FormLayout::StageRecord)
            ]
        );
        assert_eq!(
            forms("sunderland"),
            [
                (s("appendix-1"), FormLayout::ReferralProforma),
                (s("stage-record"), FormLayout::StageRecord)
            ]
        );
        assert_eq!(
            forms("buckinghamshire"),
            [(s("appendix-a"), FormLayout::StageRecord)]
        );
        for id in ["solihull", "dorset"] {
            assert_eq!(forms(id), [(s("stage-record"), FormLayout::StageRecord)]);
        }
    }

    #[test]
    fn a_good_form_reads() {
        let good = "[[form]]\nid = \"appendix-a\"\nlayout = \"partnership-notification\"\ntitle = \"Notice\"\nreference = \"Appendix A\"\n";
        assert_eq!(problems("croydon", good), []);
        assert_eq!(problems("buckinghamshire", ""), []);
    }

    /// Text added to a seed, the seed, and the problems expected: (line within the text,
    /// message).
    type Case = (&'static str, &'static str, &'static [(usize, &'static str)]);

    #[test]
    fn bad_forms_are_reported_where_they_are() {
        let cases: &[Case] = &[
            (
                "[[form]]\nid = \"A\"\nlayout = \"stage-record\"\ntitle = \"R\"\n",
                "croydon",
                &[(
                    2,
                    "form id \"A\" must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter",
                )],
            ),
            (
                "[[form]]\nid = \"record\"\nlayout = \"letter\"\ntitle = \"R\"\n",
                "croydon",
                &[(3, "unknown form layout \"letter\"")],
            ),
            (
                "[[form]]\nid = \"record\"\nlayout = \"stage-record\"\ntitle = \" \"\n",
                "croydon",
                &[(4, "form title must not be empty")],
            ),
            (
                "[[form]]\nid = \"record\"\nlayout = \"stage-record\"\ntitle = \"R\"\n[[form]]\nid = \"record\"\nlayout = \"stage-record\"\ntitle = \"S\"\n",
                "croydon",
                &[(6, "form id \"record\" is used by form 1 already")],
            ),
            (
                "[[form]]\nid = \"note\"\nlayout = \"partnership-notification\"\ntitle = \"N\"\n[[form]]\nid = \"again\"\nlayout = \"partnership-notification\"\ntitle = \"N\"\n",
                "croydon",
                &[(
                    7,
                    "only one partnership-notification form: form 1 has that layout already",
                )],
            ),
            (
                "[[form]]\nid = \"note\"\nlayout = \"referral-proforma\"\ntitle = \"N\"\n",
                "buckinghamshire",
                &[(
                    3,
                    "a referral-proforma form is filled from the [partnership_form], which this file does not have",
                )],
            ),
        ];
        for (extra, seed, expected) in cases {
            let found = problems(seed, extra);
            let expected: Vec<(usize, String)> = expected
                .iter()
                .map(|(l, m)| (*l, (*m).to_owned()))
                .collect();
            assert_eq!(found, expected, "{extra}");
        }
    }
}
