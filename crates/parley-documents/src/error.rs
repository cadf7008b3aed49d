//! The one error type of the documents.

use parley_report::ReportError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// This Parley was built without the `pdf` feature.
    #[error("{document} cannot be made as PDF: this Parley was built without PDF support")]
    PdfNotBuilt { document: &'static str },
    /// typst could not lay the document out: a defect in a template, never in the data.
    #[error("laying out {document}: {message}")]
    Layout {
        document: &'static str,
        message: String,
    },
    /// The laid-out document could not be written as PDF/UA-1.
    #[error("writing {document} as PDF: {message}")]
    Pdf {
        document: &'static str,
        message: String,
    },
    /// The report's figures could not be made into tables or charts.
    #[error(transparent)]
    Report(#[from] ReportError),
}
