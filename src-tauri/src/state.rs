//! The app's state: the signed-in client (if any), open PDF documents keyed by blob, the
//! signature verdicts this device computed, and the background sync.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use lru::LruCache;
use phonghop_client::Client;
use phonghop_domain::{Document, Id};
use phonghop_pdf::{DocumentVerdict, PdfDocument, PdfEngine, TrustStore, Verdict, VerifyReport};

use crate::dto::{SignatureStatus, SignatureView};
use crate::error::{AppError, AppResult, Code};
use crate::sync::SyncState;

pub struct App {
    /// The client engine's cache root (`--data-dir`, `PHONGHOP_APP_DATA`, or the OS data dir).
    pub root: PathBuf,
    client: RwLock<Option<Arc<Client>>>,
    pub sync: Arc<SyncState>,
    /// Open documents by blob SHA-256; the page scheme renders from these.
    docs: Mutex<LruCache<String, PdfDocument>>,
    verdicts: Mutex<HashMap<String, SignatureView>>,
    trust: TrustStore,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Root certificates: `<root>/trust/*.pem`, plus `PHONGHOP_TRUST` when set.
fn load_trust(root: &Path) -> TrustStore {
    let mut dirs = vec![root.join("trust")];
    if let Some(d) = std::env::var_os("PHONGHOP_TRUST") {
        dirs.push(PathBuf::from(d));
    }
    let mut roots = Vec::new();
    for d in dirs.iter().filter(|d| d.is_dir()) {
        match TrustStore::from_dir(d) {
            Ok(t) => roots.push(t),
            Err(e) => tracing::warn!(dir = %d.display(), "trust store unreadable: {e}"),
        }
    }
    // One directory is the common case; with two, the second wins only if the first is empty.
    roots
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

impl App {
    pub fn new(root: PathBuf) -> App {
        let trust = load_trust(&root);
        tracing::info!(root = %root.display(), trusted_roots = trust.len(), "app state");
        App {
            root,
            client: RwLock::new(None),
            sync: Arc::new(SyncState::default()),
            docs: Mutex::new(LruCache::new(NonZeroUsize::MIN.saturating_add(7))),
            verdicts: Mutex::new(HashMap::new()),
            trust,
        }
    }

    pub fn client(&self) -> AppResult<Arc<Client>> {
        self.client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| AppError::new(Code::NotLoggedIn, "not logged in"))
    }

    pub fn set_client(&self, c: Option<Arc<Client>>) {
        *self
            .client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = c;
        lock(&self.docs).clear();
    }

    pub fn doc_by_blob(&self, sha: &str) -> Option<PdfDocument> {
        lock(&self.docs).get(sha).cloned()
    }

    /// Opens the current version's verified file with PDFium (once per blob).
    pub async fn open_pdf(&self, client: &Client, doc: &Document) -> AppResult<PdfDocument> {
        let v = doc
            .current()
            .ok_or_else(|| AppError::new(Code::NotFound, "the document has no file"))?;
        if let Some(d) = self.doc_by_blob(v.sha256.as_str()) {
            return Ok(d);
        }
        let path = client.blobs.path(&v.sha256);
        if !path.is_file() {
            return Err(AppError::new(
                Code::NotDownloaded,
                format!("document {} is not downloaded yet", doc.id),
            ));
        }
        let engine = PdfEngine::global()?;
        let opened = engine.open(&path).await?;
        if opened.blob() != &v.sha256 {
            return Err(AppError::new(
                Code::Invalid,
                "the local file does not match its name; it will be fetched again",
            ));
        }
        lock(&self.docs).put(v.sha256.to_string(), opened.clone());
        Ok(opened)
    }

    /// The signature badge of a document's current version, verified on this device
    /// against the trust store (once per blob).
    pub fn signature_of(&self, client: &Client, doc: &Document) -> SignatureView {
        let Some(v) = doc.current() else {
            return unknown();
        };
        if let Some(s) = lock(&self.verdicts).get(v.sha256.as_str()) {
            return s.clone();
        }
        let path = client.blobs.path(&v.sha256);
        let Ok(bytes) = std::fs::read(&path) else {
            return unknown();
        };
        let view = match phonghop_pdf::verify_pdf(&bytes, &self.trust) {
            Ok(report) => view_of(&report),
            Err(e) => SignatureView {
                status: SignatureStatus::Invalid,
                signer: None,
                organization: None,
                signing_time: None,
                why: Some(e.to_string()),
                count: 0,
            },
        };
        lock(&self.verdicts).insert(v.sha256.to_string(), view.clone());
        view
    }

    pub fn find_document(&self, client: &Client, id: &str) -> AppResult<Document> {
        let id = parse_id(id)?;
        client
            .cache
            .document(id)?
            .ok_or_else(|| AppError::new(Code::NotFound, format!("document {id}")))
    }
}

pub fn parse_id(s: &str) -> AppResult<Id> {
    Id::parse_str(s).map_err(|_| AppError::new(Code::Invalid, format!("{s:?} is not an id")))
}

fn unknown() -> SignatureView {
    SignatureView {
        status: SignatureStatus::Unknown,
        signer: None,
        organization: None,
        signing_time: None,
        why: None,
        count: 0,
    }
}

/// The badge for a verification report: the document's state first, then the worst
/// verdict of its signatures.
pub fn view_of(report: &VerifyReport) -> SignatureView {
    let first = report.signatures.first();
    let worst = report
        .signatures
        .iter()
        .find(|s| s.verdict == Verdict::Invalid)
        .or_else(|| {
            report
                .signatures
                .iter()
                .find(|s| s.verdict == Verdict::Untrusted)
        })
        .or_else(|| {
            report
                .signatures
                .iter()
                .find(|s| s.verdict == Verdict::Unsupported)
        });
    let status = match report.document {
        DocumentVerdict::Unsigned => SignatureStatus::Unsigned,
        DocumentVerdict::ModifiedAfterSigning => SignatureStatus::Modified,
        DocumentVerdict::SignedUnmodified => match worst.map(|s| s.verdict) {
            Some(Verdict::Invalid) => SignatureStatus::Invalid,
            Some(Verdict::Untrusted) => SignatureStatus::Untrusted,
            Some(Verdict::Unsupported) => SignatureStatus::Unsupported,
            _ => SignatureStatus::Valid,
        },
    };
    SignatureView {
        status,
        signer: first.and_then(|s| s.signer.clone()),
        organization: first.and_then(|s| s.organization.clone()),
        signing_time: first.and_then(|s| s.signing_time.clone()),
        why: worst.or(first).and_then(|s| s.why.clone()),
        count: report.signatures.len() as u32,
    }
}
