//! The app's state: the signed-in client (if any), open PDF documents keyed by blob, and
//! the background sync.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use lru::LruCache;
use phonghop_client::Client;
use phonghop_domain::{Document, DocumentVersion, Id, SignatureSummary};
use phonghop_pdf::{PdfDocument, PdfEngine};

use crate::dto::{SignatureStatus, SignatureView};
use crate::error::{AppError, AppResult, Code};
use crate::sync::SyncState;

/// Rendered pages the PDF engine keeps (RGBA): about a dozen pages at reading size.
const RENDER_CACHE_BYTES: usize = 96 * 1024 * 1024;

pub struct App {
    /// The client engine's cache root (`--data-dir`, `PHONGHOP_APP_DATA`, or the OS data dir).
    pub root: PathBuf,
    client: RwLock<Option<Arc<Client>>>,
    pub sync: Arc<SyncState>,
    /// Open documents by blob SHA-256; the page scheme renders from these.
    docs: Mutex<LruCache<String, PdfDocument>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl App {
    pub fn new(root: PathBuf) -> App {
        tracing::info!(root = %root.display(), "app state");
        App {
            root,
            client: RwLock::new(None),
            sync: Arc::new(SyncState::default()),
            docs: Mutex::new(LruCache::new(NonZeroUsize::MIN.saturating_add(7))),
        }
    }

    pub fn client(&self) -> AppResult<Arc<Client>> {
        self.client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| AppError::new(Code::NotLoggedIn, "not logged in"))
    }

    /// A change made here: `f` records it through the client engine (applied to the cache
    /// and queued in the outbox at once), then the push loop is woken to send it now.
    pub fn change<T>(&self, f: impl FnOnce(&Client) -> AppResult<T>) -> AppResult<T> {
        let client = self.client()?;
        let out = f(&client)?;
        self.sync.local_change();
        Ok(out)
    }

    pub fn set_client(&self, c: Option<Arc<Client>>) {
        *self
            .client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = c;
        lock(&self.docs).clear();
    }

    /// Closes the open documents whose files the cache no longer refers to (access
    /// removed, the document withdrawn): the page scheme serves nothing of them after
    /// a sync round has taken them away.
    pub fn close_unreferenced(&self, client: &Client) {
        let Ok(kept) = client.cache.referenced_blobs() else {
            return;
        };
        let kept: std::collections::HashSet<&str> = kept.iter().map(|k| k.as_str()).collect();
        let mut docs = lock(&self.docs);
        let gone: Vec<String> = docs
            .iter()
            .map(|(sha, _)| sha.clone())
            .filter(|sha| !kept.contains(sha.as_str()))
            .collect();
        for sha in gone {
            docs.pop(&sha);
        }
    }

    pub fn doc_by_blob(&self, sha: &str) -> Option<PdfDocument> {
        lock(&self.docs).get(sha).cloned()
    }

    /// Opens the current version's verified file with PDFium (once per blob).
    pub async fn open_pdf(&self, client: &Client, doc: &Document) -> AppResult<PdfDocument> {
        self.open_pdf_version(client, doc, None).await
    }

    /// Opens a version's file (the current one when `version` is `None`).
    pub async fn open_pdf_version(
        &self,
        client: &Client,
        doc: &Document,
        version: Option<u32>,
    ) -> AppResult<PdfDocument> {
        let v = version_of(doc, version)?;
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
        // A reader needs the pages around the one on screen, not a whole document's
        // worth: keep the app's memory modest (the webview caches the images too).
        static BUDGET: std::sync::Once = std::sync::Once::new();
        BUDGET.call_once(|| engine.set_cache_budget(RENDER_CACHE_BYTES));
        let opened = engine.open(&path).await?;
        if opened.blob() != &v.sha256 {
            // Damaged on disk: gone, so that the next round fetches it again.
            drop(opened);
            let _ = std::fs::remove_file(&path);
            self.sync.local_change();
            return Err(AppError::new(
                Code::Invalid,
                "the local file does not match its name; it will be fetched again",
            ));
        }
        let mut docs = lock(&self.docs);
        // The user may have signed out (or another signed in) while PDFium opened the
        // file: `set_client` clears the list after it changes the client, so checking the
        // client under the list's lock keeps an old session's document out of it.
        let current = self
            .client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|c| std::ptr::eq(c.as_ref(), client));
        // Access may have gone while PDFium opened the file: a round that closed the
        // documents no longer referenced ran before this one was in the list.
        if !current
            || !client
                .cache
                .referenced_blobs()
                .is_ok_and(|kept| kept.contains(&v.sha256))
        {
            return Err(AppError::new(
                Code::NotFound,
                "this document is no longer available to you",
            ));
        }
        docs.put(v.sha256.to_string(), opened.clone());
        Ok(opened)
    }

    /// The signature badge of a document's current version: this device's own check of
    /// the file (the client engine verifies each download against the trust roots), else
    /// what the server found on upload.
    pub fn signature_of(&self, client: &Client, doc: &Document) -> SignatureView {
        let Some(v) = doc.current() else {
            return view_of(&SignatureSummary::NotChecked);
        };
        match client.cache.verdict(&v.sha256) {
            Ok(Some(here)) => SignatureView {
                checked_here: true,
                ..view_of(&here)
            },
            _ => view_of(&v.signature),
        }
    }

    pub fn find_document(&self, client: &Client, id: &str) -> AppResult<Document> {
        let id = parse_id(id)?;
        client
            .cache
            .document(id)?
            .ok_or_else(|| AppError::new(Code::NotFound, format!("document {id}")))
    }
}

/// A version of the document: `version`, else the current one.
pub fn version_of(doc: &Document, version: Option<u32>) -> AppResult<&DocumentVersion> {
    match version {
        None => doc
            .current()
            .ok_or_else(|| AppError::new(Code::NotFound, "the document has no file")),
        Some(n) => doc.versions.iter().find(|v| v.version == n).ok_or_else(|| {
            AppError::new(
                Code::NotFound,
                format!("document {} has no version {n}", doc.id),
            )
        }),
    }
}

pub fn parse_id(s: &str) -> AppResult<Id> {
    Id::parse_str(s).map_err(|_| AppError::new(Code::Invalid, format!("{s:?} is not an id")))
}

fn view(
    status: SignatureStatus,
    signer: Option<&String>,
    organization: Option<&String>,
    signing_time: Option<&String>,
    why: Option<&String>,
) -> SignatureView {
    SignatureView {
        status,
        signer: signer.cloned(),
        organization: organization.cloned(),
        signing_time: signing_time.cloned(),
        why: why.cloned(),
        checked_here: false,
    }
}

/// The badge for a verdict.
pub fn view_of(s: &SignatureSummary) -> SignatureView {
    match s {
        SignatureSummary::NotChecked => view(SignatureStatus::Unknown, None, None, None, None),
        SignatureSummary::Unsigned => view(SignatureStatus::Unsigned, None, None, None, None),
        SignatureSummary::Valid {
            signer,
            organization,
            signing_time,
        } => view(
            SignatureStatus::Valid,
            Some(signer),
            organization.as_ref(),
            signing_time.as_ref(),
            None,
        ),
        SignatureSummary::Untrusted {
            signer,
            organization,
            signing_time,
        } => view(
            SignatureStatus::Untrusted,
            Some(signer),
            organization.as_ref(),
            signing_time.as_ref(),
            None,
        ),
        SignatureSummary::ModifiedAfterSigning { signer } => {
            view(SignatureStatus::Modified, signer.as_ref(), None, None, None)
        }
        SignatureSummary::Invalid { why } => {
            view(SignatureStatus::Invalid, None, None, None, Some(why))
        }
        SignatureSummary::Unsupported { why } => {
            view(SignatureStatus::Unsupported, None, None, None, Some(why))
        }
    }
}
