//! The typst engine (feature `pdf`): the templates and the two fonts compiled in, no system
//! fonts and no packages, so laying out a document reads no file and opens no connection, and
//! the same input gives the same PDF on every machine.
//!
//! Data reaches a template only as `sys.inputs`, converted here from [`Data`]: strings become
//! typst strings, never source.

use std::sync::LazyLock;

use typst::diag::SourceDiagnostic;
use typst::foundations::{Array, Bytes, Dict, Str, Value};
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::DocumentError;
use crate::data::Data;
use crate::document::{BASE, Document, Rendered, Template};

/// Liberation Sans 2.1.5 (SIL OFL 1.1; `fonts/README.md`): the only fonts typst can use.
static FONTS: [&[u8]; 2] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
];

static ENGINE: LazyLock<TypstEngine> = LazyLock::new(|| {
    let mut sources = vec![BASE];
    sources.extend(Template::ALL.iter().map(|t| (t.file(), t.source())));
    TypstEngine::builder()
        .fonts(FONTS)
        .with_static_source_file_resolver(sources)
        .build()
});

pub(crate) fn render(doc: &Document) -> Result<Rendered, DocumentError> {
    let document = doc.template.name();
    let Value::Dict(inputs) = value(&doc.inputs) else {
        return Err(DocumentError::Layout {
            document,
            message: "the inputs are not a dictionary".to_owned(),
        });
    };
    let warned = ENGINE.compile_with_input::<_, _, PagedDocument>(doc.template.file(), inputs);
    let warnings = warned.warnings.iter().map(message).collect();
    let paged = warned.output.map_err(|e| DocumentError::Layout {
        document,
        message: match e {
            typst_as_lib::TypstAsLibError::TypstSource(diags) => messages(&diags),
            other => other.to_string(),
        },
    })?;
    let options = PdfOptions {
        // PDF/UA-1: typst checks the title, the language and every image's alt text, and
        // refuses to write the file without them.
        standards: PdfStandards::new(&[PdfStandard::Ua_1]).map_err(|e| DocumentError::Pdf {
            document,
            message: e.message().to_string(),
        })?,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&paged, &options).map_err(|diags| DocumentError::Pdf {
        document,
        message: messages(&diags),
    })?;
    Ok(Rendered { pdf, warnings })
}

fn message(d: &SourceDiagnostic) -> String {
    let mut out = d.message.to_string();
    for hint in &d.hints {
        out.push_str(" (");
        out.push_str(hint.v.as_str());
        out.push(')');
    }
    out
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags.iter().map(message).collect::<Vec<_>>().join("; ")
}

/// Our data as typst values: the only way data enters a template.
fn value(d: &Data) -> Value {
    match d {
        Data::None => Value::None,
        Data::Bool(b) => Value::Bool(*b),
        Data::Int(i) => Value::Int(*i),
        Data::Str(s) => Value::Str(Str::from(s.as_str())),
        Data::Bytes(b) => Value::Bytes(Bytes::new(b.clone())),
        Data::Array(items) => Value::Array(items.iter().map(value).collect::<Array>()),
        Data::Dict(entries) => Value::Dict(
            entries
                .iter()
                .map(|(k, v)| (Str::from(*k), value(v)))
                .collect::<Dict>(),
        ),
    }
}
