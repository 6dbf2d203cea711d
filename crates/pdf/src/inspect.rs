//! The upload check: what the server needs to know about a PDF before accepting it.

use std::path::Path;

use serde::Serialize;

use crate::PdfError;
use crate::signature::{self, DocumentVerdict, TrustStore, Verdict, VerifyReport};

/// Where the PDF is.
#[derive(Debug, Clone, Copy)]
pub enum PdfSource<'a> {
    Bytes(&'a [u8]),
    Path(&'a Path),
}

/// Summary of a PDF for the upload check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    pub pages: u32,
    pub document: DocumentVerdict,
    /// The verdict on the first signature (in signing order), if any.
    pub first_verdict: Option<Verdict>,
    /// CN of the first signer.
    pub signer: Option<String>,
    /// O of the first signer.
    pub organization: Option<String>,
    pub report: VerifyReport,
}

/// Parses the PDF, counts its pages and verifies its signatures, in pure Rust (no
/// PDFium). Blocking and CPU-bound: call it from `spawn_blocking` in async code.
/// `trust_dir: None` trusts nothing, so any signature is at best `untrusted`.
pub fn inspect_pdf(
    source: PdfSource<'_>,
    trust_dir: Option<&Path>,
) -> Result<Inspection, PdfError> {
    let owned;
    let bytes = match source {
        PdfSource::Bytes(b) => b,
        PdfSource::Path(p) => {
            owned = std::fs::read(p).map_err(|source| PdfError::Io {
                path: p.to_path_buf(),
                source,
            })?;
            &owned
        }
    };
    let trust = match trust_dir {
        Some(dir) => TrustStore::from_dir(dir)?,
        None => TrustStore::default(),
    };
    inspect_bytes(bytes, &trust)
}

/// [`inspect_pdf`] with a trust store loaded once (a server checking many uploads).
pub fn inspect_pdf_with(source: PdfSource<'_>, trust: &TrustStore) -> Result<Inspection, PdfError> {
    match source {
        PdfSource::Bytes(b) => inspect_bytes(b, trust),
        PdfSource::Path(p) => {
            let bytes = std::fs::read(p).map_err(|source| PdfError::Io {
                path: p.to_path_buf(),
                source,
            })?;
            inspect_bytes(&bytes, trust)
        }
    }
}

fn inspect_bytes(bytes: &[u8], trust: &TrustStore) -> Result<Inspection, PdfError> {
    let doc = signature::load(bytes)?;
    let pages = doc.get_pages().len();
    if pages == 0 {
        return Err(PdfError::Malformed("the document has no pages".into()));
    }
    if pages as u64 > crate::engine::MAX_PAGES {
        return Err(PdfError::TooManyPages(pages as u64));
    }
    let report = signature::verify_pdf(bytes, trust)?;
    let (signer, organization) = signature::first_signer(&report).unwrap_or((None, None));
    Ok(Inspection {
        pages: pages as u32,
        document: report.document,
        first_verdict: report.signatures.first().map(|s| s.verdict),
        signer,
        organization,
        report,
    })
}

/// The one-line verdict the app shows on a document's badge, from a full report.
pub fn summarize(report: &VerifyReport) -> phonghop_domain::SignatureSummary {
    use phonghop_domain::SignatureSummary as S;
    let first = report.signatures.first();
    let signer = || first.and_then(|s| s.signer.clone()).unwrap_or_default();
    let organization = || first.and_then(|s| s.organization.clone());
    let signing_time = || first.and_then(|s| s.signing_time.clone());
    let why_of = |v: Verdict| {
        report
            .signatures
            .iter()
            .find(|s| s.verdict == v)
            .map(|s| s.why.clone().unwrap_or_else(|| v.as_str().to_owned()))
    };
    if report.document == DocumentVerdict::Unsigned {
        return S::Unsigned;
    }
    if let Some(why) = why_of(Verdict::Invalid) {
        return S::Invalid { why };
    }
    if report.document == DocumentVerdict::ModifiedAfterSigning {
        // The signer whose signed revision was changed, named only when its signature
        // itself verified.
        let last = report.signatures.len().saturating_sub(1);
        let changed = report
            .signatures
            .iter()
            .enumerate()
            .find(|(i, s)| s.changed_after.is_some() || (*i == last && s.bytes_after > 0));
        return S::ModifiedAfterSigning {
            signer: changed
                .map(|(_, s)| s)
                .filter(|s| matches!(s.verdict, Verdict::Valid | Verdict::Untrusted))
                .and_then(|s| s.signer.clone()),
        };
    }
    if let Some(why) = why_of(Verdict::Unsupported) {
        return S::Unsupported { why };
    }
    if why_of(Verdict::Untrusted).is_some() {
        return S::Untrusted {
            signer: signer(),
            organization: organization(),
            signing_time: signing_time(),
        };
    }
    S::Valid {
        signer: signer(),
        organization: organization(),
        signing_time: signing_time(),
    }
}

impl Inspection {
    pub fn summary(&self) -> phonghop_domain::SignatureSummary {
        summarize(&self.report)
    }
}
