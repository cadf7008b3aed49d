//! A [`Document`] laid out: the PDF, and what typst warned about. Apart from `document.rs` so
//! that the engine depends on the documents and nothing depends back on the engine.

use crate::DocumentError;
use crate::document::{Document, Rendered};

impl Document {
    /// The document as a tagged PDF (PDF/UA-1), fonts embedded.
    pub fn pdf(&self) -> Result<Vec<u8>, DocumentError> {
        self.render().map(|r| r.pdf)
    }

    /// The PDF, with anything typst warned about while laying it out (a template's defect:
    /// the tests require none).
    pub fn render(&self) -> Result<Rendered, DocumentError> {
        #[cfg(feature = "pdf")]
        {
            crate::engine::render(self)
        }
        #[cfg(not(feature = "pdf"))]
        {
            Err(DocumentError::PdfNotBuilt {
                document: self.template.name(),
            })
        }
    }
}
