//! The documents this crate lays out, as one list ([`Template::ALL`]): the engine loads its
//! templates from it and the tests walk it, so a new document cannot miss either.

use parley_core::procedure::FormLayout;

use crate::data::Data;

/// A typst template of this crate (a `.typ` file under `templates/`, compiled in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Template {
    /// The period report (issue 17, item 1).
    Report,
    /// A form sent to the partnership with the escalation's summary and what the raising
    /// agency wrote: Croydon Appendix A.
    PartnershipNotification,
    /// A referral to the partnership recording each step: Sunderland Appendix 1.
    ReferralProforma,
    /// The record of every stage, for the child's file: Buckinghamshire Appendix A, and the
    /// record of the procedures without a form of their own.
    StageRecord,
}

/// The template every other one imports: page, fonts, language, headings and shared pieces.
#[cfg_attr(not(feature = "pdf"), allow(dead_code))]
pub(crate) const BASE: (&str, &str) = ("base.typ", include_str!("../templates/base.typ"));

impl Template {
    pub const ALL: &'static [Template] = &[
        Template::Report,
        Template::PartnershipNotification,
        Template::ReferralProforma,
        Template::StageRecord,
    ];

    /// The template's file name, as the engine knows it.
    pub fn file(self) -> &'static str {
        match self {
            Template::Report => "report.typ",
            Template::PartnershipNotification => "partnership-notification.typ",
            Template::ReferralProforma => "referral-proforma.typ",
            Template::StageRecord => "stage-record.typ",
        }
    }

    #[cfg_attr(not(feature = "pdf"), allow(dead_code))]
    pub(crate) fn source(self) -> &'static str {
        match self {
            Template::Report => include_str!("../templates/report.typ"),
            Template::PartnershipNotification => {
                include_str!("../templates/partnership-notification.typ")
            }
            Template::ReferralProforma => include_str!("../templates/referral-proforma.typ"),
            Template::StageRecord => include_str!("../templates/stage-record.typ"),
        }
    }

    /// The template a procedure's `[[form]]` of this layout is printed with.
    pub fn for_layout(layout: FormLayout) -> Template {
        match layout {
            FormLayout::PartnershipNotification => Template::PartnershipNotification,
            FormLayout::ReferralProforma => Template::ReferralProforma,
            FormLayout::StageRecord => Template::StageRecord,
        }
    }

    /// What it is, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Template::Report => "the period report",
            Template::PartnershipNotification => "the notification to the partnership",
            Template::ReferralProforma => "the referral to the partnership",
            Template::StageRecord => "the stage record",
        }
    }
}

/// A document ready to lay out: which template, and everything it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub template: Template,
    /// The PDF's title (its metadata, and what a screen reader announces first).
    pub title: String,
    /// The template's `sys.inputs`; `title` is among them.
    pub inputs: Data,
}

impl Document {
    pub(crate) fn new(
        template: Template,
        title: String,
        inputs: Vec<(&'static str, Data)>,
    ) -> Self {
        let mut all = vec![("title", Data::Str(title.clone()))];
        all.extend(inputs);
        Document {
            template,
            title,
            inputs: Data::Dict(all),
        }
    }
}

/// A laid-out document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_listed_once_with_its_own_file() {
        let mut files: Vec<&str> = Template::ALL.iter().map(|t| t.file()).collect();
        files.push(BASE.0);
        let n = files.len();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), n);
        for t in Template::ALL {
            assert!(
                t.source().contains("#import \"base.typ\": *"),
                "{}",
                t.file()
            );
            assert!(t.source().contains("#import sys: inputs"), "{}", t.file());
        }
    }

    #[cfg(not(feature = "pdf"))]
    #[test]
    fn without_the_pdf_feature_a_document_says_so() {
        let doc = Document::new(Template::Report, "A report".to_owned(), Vec::new());
        assert_eq!(
            doc.pdf(),
            Err(crate::DocumentError::PdfNotBuilt {
                document: "the period report"
            })
        );
    }
}
