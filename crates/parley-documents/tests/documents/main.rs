//! The documents as PDF, read back with poppler-utils: their text (pdftotext), their
//! properties (pdfinfo: tagged, titled, PDF/UA-1, en-GB) and a page drawn as an image
//! (pdftoppm).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;
mod tools;

use std::collections::BTreeSet;

use fixtures::{CHILD_MARKERS, HOSTILE, case, croydon, march_figures, stage_name, sunderland};
use parley_core::procedure::FormLayout;
use parley_documents::data::Data;
use parley_documents::input::{
    FormHeading, PartnershipNotification, ReferralProforma, StageRecordForm,
};
use parley_documents::{Document, Publication, ReportInput, Template, report};
use parley_report::suppress::Threshold;

fn report_of(text: &str, publication: Publication) -> Document {
    report(&ReportInput {
        partnership: "Croydon Safeguarding Children Board",
        figures: &march_figures(text),
        stage_name: &stage_name,
        publication,
    })
    .unwrap()
}

/// One of every document, with `text` in every free-text value.
fn every_document(text: &str) -> Vec<(&'static str, Document)> {
    let c = case(text);
    let mut without_child = case(text);
    without_child.child = None;
    vec![
        (
            "report-published",
            report_of(text, Publication::Published(Threshold::DEFAULT)),
        ),
        ("report-exact", report_of(text, Publication::Exact)),
        ("croydon", croydon(&c, text).document()),
        ("sunderland", sunderland(&c, text).document()),
        ("record", fixtures::stage_record(c).document()),
        (
            "record-without-child",
            fixtures::stage_record(without_child).document(),
        ),
    ]
}

/// The value of `key` in a dictionary of the inputs.
fn field<'a>(d: &'a Data, key: &str) -> &'a Data {
    match d {
        Data::Dict(entries) => entries
            .iter()
            .find_map(|(k, v)| (*k == key).then_some(v))
            .unwrap_or_else(|| panic!("no {key}")),
        other => panic!("not a dictionary: {other:?}"),
    }
}

trait List {
    fn array(&self) -> &[Data];
}

impl List for Data {
    fn array(&self) -> &[Data] {
        match self {
            Data::Array(items) => items,
            other => panic!("not a list: {other:?}"),
        }
    }
}

fn no_space(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn every_template_makes_a_tagged_titled_a4_pdf() {
    let docs = every_document("Plain words");
    let used: BTreeSet<&str> = docs.iter().map(|(_, d)| d.template.file()).collect();
    let all: BTreeSet<&str> = Template::ALL.iter().map(|t| t.file()).collect();
    assert_eq!(used, all, "a template without a test document");
    let poppler = tools::poppler();
    for (name, doc) in &docs {
        let rendered = doc.render().unwrap();
        assert!(rendered.pdf.starts_with(b"%PDF-"), "{name}");
        assert_eq!(rendered.warnings, Vec::<String>::new(), "{name}");
        assert_eq!(
            doc.pdf().unwrap(),
            rendered.pdf,
            "{name}: the same input, another PDF"
        );
        // To look at them: PARLEY_DOCUMENTS_OUT=DIR cargo test -p parley-documents.
        if let Ok(dir) = std::env::var("PARLEY_DOCUMENTS_OUT") {
            std::fs::write(format!("{dir}/{name}.pdf"), &rendered.pdf).unwrap();
        }
        let Some(p) = &poppler else { continue };
        let info = p.info(name, &rendered.pdf);
        let field = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
                .unwrap_or_else(|| panic!("{name}: no {key} in\n{info}"))
        };
        assert_eq!(field("Tagged:"), "yes", "{name}");
        assert_eq!(field("Title:"), doc.title, "{name}");
        assert_eq!(field("Page size:"), "595.276 x 841.89 pts (A4)", "{name}");
        let meta = p.meta(name, &rendered.pdf);
        for claim in ["<pdfuaid:part>1</pdfuaid:part>", "<rdf:li>en-GB</rdf:li>"] {
            assert!(meta.contains(claim), "{name}: no {claim} in\n{meta}");
        }
        let page = p.page(name, &rendered.pdf, 1);
        assert_eq!(page.size(), (414, 585), "{name}: A4 at 50 dpi");
        assert!(
            page.ink > 0.01 && page.ink < 0.5,
            "{name}: {:.3} of the first page is ink",
            page.ink
        );
    }
}

#[test]
fn hostile_text_prints_as_written() {
    let Some(p) = tools::poppler() else { return };
    for (name, doc) in every_document(HOSTILE) {
        let text = p.text(name, &doc.pdf().unwrap());
        for piece in [
            "#panic(\"boom\")",
            "]",
            "$x^2$",
            "*strong*",
            "_em_",
            "<script>",
        ] {
            assert!(text.contains(piece), "{name}: no {piece} in\n{text}");
        }
        assert!(
            no_space(&text).contains(&no_space(HOSTILE)),
            "{name}: the text is not whole in\n{text}"
        );
    }
}

#[test]
fn forms_for_the_partnership_never_hold_the_child() {
    let poppler = tools::poppler();
    let c = case("Plain words");
    let partnership = [
        ("croydon", croydon(&c, "Plain words").document()),
        ("sunderland", sunderland(&c, "Plain words").document()),
        (
            "report",
            report_of("Plain words", Publication::Published(Threshold::DEFAULT)),
        ),
    ];
    let record = fixtures::stage_record(c).document();
    for marker in CHILD_MARKERS {
        assert!(
            record.inputs.strings().iter().any(|s| s.contains(marker)),
            "the stage record should hold {marker}"
        );
        for (name, doc) in &partnership {
            assert!(
                !doc.inputs.strings().iter().any(|s| s.contains(marker)),
                "{name} holds {marker}"
            );
        }
    }
    let Some(p) = poppler else { return };
    // The markers can be found in a PDF: the stage record shows them.
    let shown = p.flat_text("record", &record.pdf().unwrap());
    for marker in CHILD_MARKERS {
        assert!(shown.contains(marker), "record: no {marker} in\n{shown}");
    }
    assert!(shown.contains("CONTAINS A CHILD'S DETAILS"), "{shown}");
    for (name, doc) in &partnership {
        let text = p.flat_text(name, &doc.pdf().unwrap());
        for marker in CHILD_MARKERS {
            assert!(!text.contains(marker), "{name} shows {marker}");
        }
        assert!(!text.contains("Quillifer"), "{name}");
    }
}

#[test]
fn croydon_appendix_a_asks_for_the_meeting_and_says_when_it_was_sent() {
    let Some(p) = tools::poppler() else { return };
    let c = case("Plain words");
    let text = p.flat_text(
        "croydon",
        &croydon(&c, "Plain words").document().pdf().unwrap(),
    );
    for line in [
        "Escalation Notification to Croydon Safeguarding Children Board",
        "NO CHILD OR FAMILY DETAILS",
        "Name Jo Lead",
        "Role Operational manager",
        "Agency Police",
        "Contact jo.lead@police.example",
        "Brief description of the outcome of these actions Not recorded",
        "If unresolved: request for a CSCB-led dispute resolution meeting",
        "Please convene a meeting.",
        "Submitted at Stage 3 on 12 March 2026. Updated at Stage 4 on 19 March 2026.",
        "Parley reference CR-0042",
        "Completed forms go to SafeguardingChildrenBoard@croydon.gov.uk.",
    ] {
        assert!(text.contains(line), "no \"{line}\" in\n{text}");
    }
}

#[test]
fn sunderland_appendix_1_is_signed_by_the_recorded_confirmation() {
    let Some(p) = tools::poppler() else { return };
    let c = case("Plain words");
    let mut form = sunderland(&c, "Plain words");
    let text = p.flat_text("sunderland", &form.document().pdf().unwrap());
    for line in [
        "Name and designation of referrer Pat Referrer, Head of Service, Police",
        "Date information passed to the SSCP Strategic Business Manager 23 March 2026",
        "Step 2: Resolution by line manager",
        "Has any learning been identified? Yes: share plans sooner.",
        "Date complete 24 March 2026",
        "Signed Confirmed in Parley by Pat Referrer, Head of Service, Police, on 24 March 2026 at 3:05pm (event evt-000123)",
    ] {
        assert!(text.contains(line), "no \"{line}\" in\n{text}");
    }
    form.signed = None;
    let text = p.flat_text("unsigned", &form.document().pdf().unwrap());
    assert!(text.contains("Signed Not recorded"), "{text}");
}

#[test]
fn the_published_report_shows_no_small_number() {
    let published = report_of("Plain words", Publication::Published(Threshold::DEFAULT));
    let exact = report_of("Plain words", Publication::Exact);
    // Every count of every published table is 0, at least 5, or hidden.
    let mut counts = 0;
    for s in field(&published.inputs, "sections").array() {
        for row in field(s, "rows").array() {
            for cell in &row.array()[1..] {
                let Data::Str(text) = cell else {
                    panic!("{cell:?}")
                };
                if let Ok(n) = text.parse::<u64>() {
                    assert!(n == 0 || n >= 5, "{text} in {row:?}");
                    counts += 1;
                } else {
                    assert!(
                        ["fewer than 5", "suppressed"].contains(&text.as_str()),
                        "{text}"
                    );
                }
            }
        }
    }
    assert!(counts > 20, "only {counts} counts");
    let strings = published.inputs.strings();
    assert!(strings.iter().any(|s| s.starts_with("fewer than 5")));
    assert!(!strings.iter().any(|s| s.contains("CR-0")), "a reference");
    assert!(
        !exact
            .inputs
            .strings()
            .iter()
            .any(|s| s.starts_with("fewer than")),
        "the exact form hides a number"
    );
    let Some(p) = tools::poppler() else { return };
    let text = p.flat_text("published", &published.pdf().unwrap());
    assert!(text.contains("FOR PUBLICATION"), "{text}");
    assert!(!text.contains("NOT FOR PUBLICATION"), "{text}");
    assert!(
        text.contains("Period 1 March 2026 to 31 March 2026"),
        "{text}"
    );
    // Information sharing (3) and the third category (1) are small; Threshold (7) is not.
    assert!(text.contains("Information sharing fewer than 5"), "{text}");
    assert!(text.contains("Threshold 7"), "{text}");
    assert!(
        text.contains("The chart of \"Escalations raised, by category\" is left out of this form"),
        "{text}"
    );
    assert!(!text.contains("Learning log"), "{text}");
    let text = p.flat_text("exact", &exact.pdf().unwrap());
    assert!(
        text.contains("NOT FOR PUBLICATION: EXACT FIGURES"),
        "{text}"
    );
    assert!(text.contains("Information sharing 3"), "{text}");
    assert!(!text.contains("fewer than 5"), "{text}");
    assert!(!text.contains("is left out of this form"), "{text}");
    assert!(text.contains("Learning log"), "{text}");
    assert!(text.contains("Share the plan sooner (1)"), "{text}");
}

#[test]
fn every_form_of_the_built_in_procedures_prints() {
    let poppler = tools::poppler();
    let c = case("Plain words");
    let mut layouts = BTreeSet::new();
    for p in parley_core::seeds::all().unwrap() {
        for spec in &p.forms {
            let heading = FormHeading::of(&p, spec);
            let doc = match Template::for_layout(spec.layout) {
                Template::PartnershipNotification => PartnershipNotification {
                    heading,
                    ..croydon(&c, "Plain words")
                }
                .document(),
                Template::ReferralProforma => ReferralProforma {
                    heading,
                    ..sunderland(&c, "Plain words")
                }
                .document(),
                Template::StageRecord | Template::Report => StageRecordForm {
                    heading,
                    case: c.clone(),
                }
                .document(),
            };
            let name = format!("{}-{}", p.id, spec.id);
            assert_eq!(doc.template, Template::for_layout(spec.layout), "{name}");
            assert_eq!(doc.title, spec.title, "{name}");
            layouts.insert(spec.layout);
            let rendered = doc.render().unwrap();
            assert_eq!(rendered.warnings, Vec::<String>::new(), "{name}");
            let Some(t) = &poppler else { continue };
            let text = t.flat_text(&name, &rendered.pdf);
            assert!(text.contains(&spec.title), "{name}: {text}");
            if let Some(r) = &spec.reference {
                assert!(text.contains(r.as_str()), "{name}: {text}");
            }
        }
    }
    assert_eq!(
        layouts.len(),
        FormLayout::ALL.len(),
        "a layout no procedure uses"
    );
}
