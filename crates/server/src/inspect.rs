//! The upload check of documents: a PDF with 1..=MAX_PAGES pages, its digital signatures
//! verified against the data directory's `trust/` (PDF engine, pure Rust: no PDFium).

use std::path::Path;
use std::sync::RwLock;

use phonghop_domain::SignatureSummary;
use phonghop_pdf::{PdfSource, TrustStore};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub pages: u32,
    pub signature: SignatureSummary,
}

pub trait DocumentInspector: Send + Sync + 'static {
    /// Err carries a message for the uploader: why this file is not an acceptable PDF.
    fn inspect(&self, path: &Path) -> Result<Inspection, String>;
}

pub const MAX_PAGES: usize = 20_000;

/// Page count and signature verdict by the PDF engine.
pub struct PdfInspector {
    trust: RwLock<TrustStore>,
}

impl PdfInspector {
    /// Loads the trust store once; an empty or missing directory trusts nothing.
    pub fn from_trust_dir(dir: &Path) -> Result<PdfInspector, String> {
        let trust = if dir.is_dir() {
            TrustStore::from_dir(dir).map_err(|e| e.to_string())?
        } else {
            TrustStore::default()
        };
        Ok(PdfInspector {
            trust: RwLock::new(trust),
        })
    }
}

impl DocumentInspector for PdfInspector {
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
        let trust = self.trust.read().unwrap_or_else(|p| p.into_inner());
        let inspection = phonghop_pdf::inspect_pdf_with(PdfSource::Path(path), &trust)
            .map_err(|e| format!("the PDF cannot be read: {e}"))?;
        if inspection.pages as usize > MAX_PAGES {
            return Err(format!(
                "the PDF has {} pages; at most {MAX_PAGES} are accepted",
                inspection.pages
            ));
        }
        Ok(Inspection {
            pages: inspection.pages,
            signature: inspection.summary(),
        })
    }
}
