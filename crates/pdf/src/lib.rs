//! The PhòngHọp PDF engine.
//!
//! - [`PdfEngine`]: PDFium (through pdfium-render) on one dedicated thread, fed by a
//!   queue; async, cancellable calls to open documents, read page sizes, render pages
//!   (RGBA, PNG, WebP, thumbnails), extract page text with character boxes and search
//!   it with Vietnamese case- and diacritic-insensitive matching.
//! - [`verify_pdf`]: PDF signature (ký số) verification — ByteRange, CMS digest and
//!   signature, certificate chain to a [`TrustStore`], validity at signing time — in pure
//!   Rust, so a server can check uploads without loading PDFium.
//! - [`inspect_pdf`]: the one-call upload check (page count, document verdict, first
//!   signer).

mod engine;
mod error;
mod flatten;
mod geom;
mod image_enc;
mod inspect;
mod library;
pub mod search;
mod signature;
mod text;

pub use engine::{EngineStats, PdfDocument, PdfEngine, RenderSize, RenderedPage};
pub use error::PdfError;
pub use flatten::FlatMark;
pub use image_enc::ImageFormat;
pub use inspect::{Inspection, PdfSource, inspect_pdf, inspect_pdf_with, summarize};
pub use library::{PDFIUM_API_BUILD, PDFIUM_PINNED_BUILD, PdfiumLibrary, locate_pdfium};
pub use search::SearchHit;
pub use signature::{
    DocumentVerdict, SignatureReport, TrustStore, Verdict, VerifyReport, verify_pdf,
};
pub use text::{PageSize, PageText, Quad, Rect, TextChar};
