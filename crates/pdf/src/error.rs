use std::path::PathBuf;

/// Everything the PDF engine can fail with. Verdicts about signatures are not errors:
/// a document that could be examined yields a report, whatever it says.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// PDFium could not be found or bound; the message says where we looked and what to do.
    #[error("PDFium unavailable: {0}")]
    Library(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("empty file")]
    Empty,
    #[error("not a PDF or damaged beyond repair: {0}")]
    Malformed(String),
    #[error("the PDF is encrypted (password protected)")]
    Encrypted,
    #[error("page {page} out of range (document has {count} pages)")]
    PageOutOfRange { page: u32, count: u32 },
    #[error("document has {0} pages, more than the {max} we accept", max = crate::engine::MAX_PAGES)]
    TooManyPages(u64),
    #[error("invalid render size: {0}")]
    BadSize(String),
    #[error("cannot load trust store {path}: {why}")]
    TrustStore { path: PathBuf, why: String },
    #[error("image encoding failed: {0}")]
    Encode(String),
    #[error("PDFium failed: {0}")]
    Pdfium(String),
    /// The engine thread is gone (it panicked or the process is shutting down).
    #[error("the PDF engine stopped")]
    EngineStopped,
}
