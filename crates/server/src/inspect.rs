//! The upload check of documents. The server accepts only PDFs; the full check
//! (PDFium page count, digital-signature verification against `DATA/trust`) plugs in
//! through [`DocumentInspector`] once the PDF engine is wired in.

use std::path::Path;

use phonghop_domain::SignatureSummary;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub pages: u32,
    pub signature: SignatureSummary,
}

pub trait DocumentInspector: Send + Sync + 'static {
    /// Err carries a message for the uploader: why this file is not an acceptable PDF.
    fn inspect(&self, path: &Path) -> Result<Inspection, String>;
}

/// Parses the PDF structure (lopdf) and counts pages; signatures are not checked yet.
pub struct BasicInspector;

pub const MAX_PAGES: usize = 20_000;

impl DocumentInspector for BasicInspector {
    fn inspect(&self, path: &Path) -> Result<Inspection, String> {
        let mut head = [0u8; 5];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
            f.read_exact(&mut head)
                .map_err(|_| "the file is too short to be a PDF".to_owned())?;
        }
        if &head != b"%PDF-" {
            return Err("the file is not a PDF (it does not start with %PDF-)".into());
        }
        let doc =
            lopdf::Document::load(path).map_err(|e| format!("the PDF cannot be read: {e}"))?;
        let pages = doc.get_pages().len();
        if pages == 0 || pages > MAX_PAGES {
            return Err(format!(
                "the PDF has {pages} pages; expected 1 to {MAX_PAGES}"
            ));
        }
        Ok(Inspection {
            pages: pages as u32,
            signature: SignatureSummary::NotChecked,
        })
    }
}
