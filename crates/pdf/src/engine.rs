//! The PDFium thread and the async, cancellable API in front of it.
//!
//! PDFium is not thread-safe and pdfium-render binds it once per process, so there is one
//! engine per process ([`PdfEngine::global`]) and one thread that does all PDFium work,
//! taking jobs from a queue. Every call enqueues at once and returns a [`Pending`]
//! future; dropping it before the thread reaches the job removes the job (a page that
//! scrolled away is never rendered). Rendered pages are kept in an LRU cache keyed by
//! (blob, page, pixel size), bounded by bytes.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use lru::LruCache;
use pdfium_render::prelude::{
    PdfBitmap, PdfBitmapFormat, PdfDocument as RawDocument, PdfRenderConfig, Pdfium, PdfiumError,
    PdfiumInternalError,
};
use phonghop_domain::Sha256;
use sha2::Digest;
use tokio::sync::oneshot;

use crate::PdfError;
use crate::image_enc::{self, ImageFormat};
use crate::library::{self, PdfiumLibrary};
use crate::search::{self, SearchHit};
use crate::text::{self, PageSize, PageText};

/// Documents claiming more pages than this are refused rather than walked.
pub(crate) const MAX_PAGES: u64 = 100_000;
/// Largest side and area of one rendered bitmap (a 100 MP RGBA bitmap is 400 MB).
const MAX_SIDE: u32 = 20_000;
const MAX_PIXELS: u64 = 100_000_000;
const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// How big to render a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RenderSize {
    /// Exactly this many pixels wide; height keeps the page's aspect ratio.
    Width(u32),
    /// Pixels per point (1.0 = 72 DPI).
    Scale(f32),
    /// Dots per inch.
    Dpi(f32),
}

impl RenderSize {
    /// Pixel size for a page of `size` points.
    pub fn pixels(self, size: PageSize) -> Result<(u32, u32), PdfError> {
        let scale = match self {
            RenderSize::Width(w) => w as f32 / size.width,
            RenderSize::Scale(s) => s,
            RenderSize::Dpi(d) => d / 72.0,
        };
        if !(scale.is_finite() && scale > 0.0) {
            return Err(PdfError::BadSize(format!("{self:?}")));
        }
        let w = match self {
            RenderSize::Width(w) => w,
            _ => (size.width * scale).round().max(1.0) as u32,
        };
        let h = (size.height * scale).round().max(1.0) as u32;
        if w == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
            return Err(PdfError::BadSize(format!(
                "{w}×{h} pixels is outside 1..={MAX_SIDE} per side / {MAX_PIXELS} in all"
            )));
        }
        Ok((w, h))
    }
}

/// A rendered page: tightly packed RGBA, 8 bits per channel, top row first.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl RenderedPage {
    /// Encodes as PNG or (lossless) WebP.
    pub fn encode(&self, format: ImageFormat) -> Result<Vec<u8>, PdfError> {
        image_enc::encode(&self.rgba, self.width, self.height, format)
    }
}

/// Counters, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Jobs the PDFium thread ran.
    pub jobs_run: u64,
    /// Jobs dropped from the queue because their caller had gone.
    pub jobs_cancelled: u64,
    /// Pages PDFium rendered.
    pub renders: u64,
    /// Renders answered from the cache.
    pub cache_hits: u64,
}

/// The result of an engine call, still to come. Dropping it cancels the job if the
/// PDFium thread has not started it.
pub struct Pending<T> {
    state: PendingState<T>,
}

enum PendingState<T> {
    Ready(Option<Result<T, PdfError>>),
    Waiting(oneshot::Receiver<Result<T, PdfError>>),
}

impl<T> Pending<T> {
    fn ready(r: Result<T, PdfError>) -> Self {
        Pending {
            state: PendingState::Ready(Some(r)),
        }
    }

    /// Blocks the current thread until the result arrives. Not for use inside an async
    /// runtime's worker (await the future there).
    pub fn wait(self) -> Result<T, PdfError> {
        match self.state {
            PendingState::Ready(r) => r.unwrap_or(Err(PdfError::EngineStopped)),
            PendingState::Waiting(rx) => rx.blocking_recv().unwrap_or(Err(PdfError::EngineStopped)),
        }
    }
}

// We never pin-project into T: the result is moved out whole.
impl<T> Unpin for Pending<T> {}

impl<T> Future for Pending<T> {
    type Output = Result<T, PdfError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            PendingState::Ready(r) => Poll::Ready(r.take().unwrap_or(Err(PdfError::EngineStopped))),
            PendingState::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Ready(r) => Poll::Ready(r.unwrap_or(Err(PdfError::EngineStopped))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// A handle to the process's PDFium thread. Cheap to clone.
#[derive(Clone)]
pub struct PdfEngine {
    shared: Arc<Shared>,
}

type CacheKey = (String, u32, u32, u32);

struct Cache {
    lru: LruCache<CacheKey, Arc<RenderedPage>>,
    bytes: usize,
    budget: usize,
}

struct Shared {
    queue: Mutex<VecDeque<Box<dyn Job>>>,
    wake: Condvar,
    cache: Mutex<Cache>,
    next_doc: AtomicU64,
    jobs_run: AtomicU64,
    jobs_cancelled: AtomicU64,
    renders: AtomicU64,
    cache_hits: AtomicU64,
    library: PdfiumLibrary,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

static GLOBAL: OnceLock<Result<PdfEngine, String>> = OnceLock::new();

impl PdfEngine {
    /// The process's engine, started (PDFium located, bound and initialised) on first use.
    /// A failure to start is remembered and returned on every call.
    pub fn global() -> Result<PdfEngine, PdfError> {
        GLOBAL
            .get_or_init(|| PdfEngine::start().map_err(|e| e.to_string()))
            .clone()
            .map_err(PdfError::Library)
    }

    fn start() -> Result<PdfEngine, PdfError> {
        let library = library::locate_pdfium()?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            cache: Mutex::new(Cache {
                lru: LruCache::unbounded(),
                bytes: 0,
                budget: DEFAULT_CACHE_BYTES,
            }),
            next_doc: AtomicU64::new(1),
            jobs_run: AtomicU64::new(0),
            jobs_cancelled: AtomicU64::new(0),
            renders: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            library: library.clone(),
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let worker_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("pdfium".into())
            .spawn(move || match library::bind(&library) {
                Ok(pdfium) => {
                    let _ = ready_tx.send(Ok(()));
                    run_worker(&pdfium, &worker_shared);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| PdfError::Library(format!("cannot start the PDFium thread: {e}")))?;
        ready_rx.recv().map_err(|_| PdfError::EngineStopped)??;
        tracing::info!(path = %shared.library.path.display(), build = ?shared.library.build, "PDFium ready");
        Ok(PdfEngine { shared })
    }

    /// The library in use.
    pub fn library(&self) -> &PdfiumLibrary {
        &self.shared.library
    }

    pub fn stats(&self) -> EngineStats {
        EngineStats {
            jobs_run: self.shared.jobs_run.load(Ordering::Relaxed),
            jobs_cancelled: self.shared.jobs_cancelled.load(Ordering::Relaxed),
            renders: self.shared.renders.load(Ordering::Relaxed),
            cache_hits: self.shared.cache_hits.load(Ordering::Relaxed),
        }
    }

    /// Sets the render cache's size in bytes (0 disables it) and empties it.
    pub fn set_cache_budget(&self, bytes: usize) {
        let mut c = lock(&self.shared.cache);
        c.lru.clear();
        c.bytes = 0;
        c.budget = bytes;
    }

    /// Opens a PDF file. The file is read and hashed on the calling thread (the hash is
    /// the blob name the render cache is keyed by); parsing happens on the PDFium thread.
    pub fn open(&self, path: &Path) -> Pending<PdfDocument> {
        match std::fs::read(path) {
            Ok(bytes) => self.open_bytes(bytes),
            Err(source) => Pending::ready(Err(PdfError::Io {
                path: path.to_path_buf(),
                source,
            })),
        }
    }

    /// Opens a PDF held in memory.
    pub fn open_bytes(&self, bytes: Vec<u8>) -> Pending<PdfDocument> {
        if bytes.is_empty() {
            return Pending::ready(Err(PdfError::Empty));
        }
        let blob = Sha256::from_digest(&sha2::Sha256::digest(&bytes).into());
        let id = self.shared.next_doc.fetch_add(1, Ordering::Relaxed);
        let engine = self.clone();
        self.submit(move |w| {
            let doc = w
                .pdfium
                .load_pdf_from_byte_vec(bytes, None)
                .map_err(open_error)?;
            let count = u64::try_from(doc.pages().len()).unwrap_or(0);
            if count > MAX_PAGES {
                return Err(PdfError::TooManyPages(count));
            }
            let sizes = doc
                .pages()
                .page_sizes()
                .map_err(|e| PdfError::Malformed(format!("page sizes: {}", one_line(&e))))?;
            let pages = sizes
                .iter()
                .map(|r| PageSize {
                    width: r.width().value,
                    height: r.height().value,
                })
                .collect();
            w.docs.insert(id, doc);
            Ok(PdfDocument {
                inner: Arc::new(DocInner {
                    engine,
                    id,
                    blob,
                    pages,
                    texts: Mutex::new(HashMap::new()),
                }),
            })
        })
    }

    /// Keeps the PDFium thread busy from when this returns until the guard is dropped:
    /// jobs queue up behind it. For tests of queueing and cancellation.
    #[doc(hidden)]
    pub fn hold(&self) -> HoldGuard {
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
        let done = self.submit(move |_| {
            let _ = entered_tx.send(());
            // Returns when the guard's sender is dropped.
            let _ = release_rx.recv();
            Ok(())
        });
        // Blocks briefly: the thread is held once this returns.
        let _ = entered_rx.recv();
        HoldGuard {
            _release: release_tx,
            _done: done,
        }
    }

    fn submit<T, F>(&self, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: for<'w, 'p> FnOnce(&'w mut Worker<'p>) -> Result<T, PdfError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.enqueue(Box::new(Task { tx, f }));
        Pending {
            state: PendingState::Waiting(rx),
        }
    }

    fn enqueue(&self, job: Box<dyn Job>) {
        let mut q = lock(&self.shared.queue);
        if q.len() >= 64 {
            // Don't let a long scroll pile up dead jobs.
            let before = q.len();
            q.retain(|j| !j.cancelled());
            let dropped = (before - q.len()) as u64;
            self.shared
                .jobs_cancelled
                .fetch_add(dropped, Ordering::Relaxed);
        }
        q.push_back(job);
        drop(q);
        self.shared.wake.notify_one();
    }
}

fn open_error(e: PdfiumError) -> PdfError {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError)
        | PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
            PdfError::Encrypted
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            PdfError::Malformed("PDFium cannot parse it".into())
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FileError) => {
            PdfError::Malformed("PDFium cannot read it".into())
        }
        other => PdfError::Malformed(one_line(&other)),
    }
}

/// pdfium-render's errors print as multi-line debug structures; keep messages on a line.
fn one_line(e: &PdfiumError) -> String {
    format!("{e:?}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// See [`PdfEngine::hold`].
#[doc(hidden)]
pub struct HoldGuard {
    _release: std::sync::mpsc::Sender<()>,
    // Kept so the hold job is not skipped as cancelled.
    _done: Pending<()>,
}

/// An open document. Cheap to clone; PDFium closes it when the last clone is dropped.
#[derive(Clone)]
pub struct PdfDocument {
    inner: Arc<DocInner>,
}

struct DocInner {
    engine: PdfEngine,
    id: u64,
    blob: Sha256,
    pages: Vec<PageSize>,
    texts: Mutex<HashMap<u32, Arc<PageText>>>,
}

impl Drop for DocInner {
    fn drop(&mut self) {
        self.engine.enqueue(Box::new(Close(self.id)));
    }
}

impl PdfDocument {
    /// SHA-256 of the file: the blob name.
    pub fn blob(&self) -> &Sha256 {
        &self.inner.blob
    }

    pub fn page_count(&self) -> u32 {
        self.inner.pages.len() as u32
    }

    /// Sizes of all pages in points, in page order.
    pub fn page_sizes(&self) -> &[PageSize] {
        &self.inner.pages
    }

    pub fn page_size(&self, page: u32) -> Result<PageSize, PdfError> {
        self.inner
            .pages
            .get(page as usize)
            .copied()
            .ok_or(PdfError::PageOutOfRange {
                page,
                count: self.page_count(),
            })
    }

    /// Renders page `page` (0-based) to RGBA, from the cache when it is there.
    pub fn render(&self, page: u32, size: RenderSize) -> Pending<Arc<RenderedPage>> {
        let (w, h) = match self.page_size(page).and_then(|s| size.pixels(s)) {
            Ok(wh) => wh,
            Err(e) => return Pending::ready(Err(e)),
        };
        let shared = &self.inner.engine.shared;
        let key: CacheKey = (self.inner.blob.as_str().to_owned(), page, w, h);
        if let Some(hit) = lock(&shared.cache).lru.get(&key) {
            shared.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Pending::ready(Ok(Arc::clone(hit)));
        }
        let id = self.inner.id;
        let worker_shared = Arc::clone(shared);
        self.inner.engine.submit(move |wk| {
            let _span = tracing::debug_span!("render", page, w, h).entered();
            let doc = wk.docs.get(&id).ok_or(PdfError::EngineStopped)?;
            let pdf_page = doc
                .pages()
                .get(page as i32)
                .map_err(|e| PdfError::Pdfium(format!("page {}: {e}", page + 1)))?;
            let config = PdfRenderConfig::new()
                .set_fixed_size(w as i32, h as i32)
                .set_format(PdfBitmapFormat::BGRA)
                .set_reverse_byte_order(true)
                .render_form_data(true)
                .render_annotations(true);
            let bitmap = wk.bitmap(w, h)?;
            pdf_page
                .render_into_bitmap_with_config(bitmap, &config)
                .map_err(|e| PdfError::Pdfium(format!("render page {}: {e}", page + 1)))?;
            // BGRA rendered with reversed byte order is RGBA already.
            let rgba = bitmap.as_raw_bytes();
            if rgba.len() != (w as usize) * (h as usize) * 4 {
                return Err(PdfError::Pdfium(format!(
                    "bitmap of {} bytes for {w}×{h}",
                    rgba.len()
                )));
            }
            worker_shared.renders.fetch_add(1, Ordering::Relaxed);
            let rendered = Arc::new(RenderedPage {
                width: w,
                height: h,
                rgba,
            });
            let mut cache = lock(&worker_shared.cache);
            let size = rendered.rgba.len();
            if size <= cache.budget {
                if let Some(old) = cache.lru.put(key, Arc::clone(&rendered)) {
                    cache.bytes -= old.rgba.len();
                }
                cache.bytes += size;
                while cache.bytes > cache.budget {
                    match cache.lru.pop_lru() {
                        Some((_, old)) => cache.bytes -= old.rgba.len(),
                        None => break,
                    }
                }
            }
            Ok(rendered)
        })
    }

    /// Renders a thumbnail whose longer side is `max_side` pixels.
    pub fn thumbnail(&self, page: u32, max_side: u32) -> Pending<Arc<RenderedPage>> {
        match self.page_size(page) {
            Ok(s) => {
                let longer = s.width.max(s.height);
                self.render(page, RenderSize::Scale(max_side as f32 / longer))
            }
            Err(e) => Pending::ready(Err(e)),
        }
    }

    /// Text of page `page` (0-based) with a box per character.
    pub fn page_text(&self, page: u32) -> Pending<Arc<PageText>> {
        if let Err(e) = self.page_size(page) {
            return Pending::ready(Err(e));
        }
        if let Some(t) = lock(&self.inner.texts).get(&page) {
            return Pending::ready(Ok(Arc::clone(t)));
        }
        let id = self.inner.id;
        let this = self.clone();
        self.inner.engine.submit(move |wk| {
            let doc = wk.doc(id)?;
            let pdf_page = doc
                .pages()
                .get(page as i32)
                .map_err(|e| PdfError::Pdfium(format!("page {}: {e}", page + 1)))?;
            let t = Arc::new(text::extract(&pdf_page, page)?);
            lock(&this.inner.texts).insert(page, Arc::clone(&t));
            Ok(t)
        })
    }

    /// Every occurrence of `query` in the document, page by page (Vietnamese case- and
    /// diacritic-insensitive). Pages are read as separate jobs, so renders interleave.
    pub async fn search(&self, query: &str) -> Result<Vec<SearchHit>, PdfError> {
        let mut hits = Vec::new();
        for page in 0..self.page_count() {
            let text = self.page_text(page).await?;
            hits.extend(search::search_page(&text, query));
        }
        Ok(hits)
    }
}

struct Worker<'p> {
    pdfium: &'p Pdfium,
    docs: HashMap<u64, RawDocument<'p>>,
    /// The last bitmap rendered into, reused while the size stays the same: a fresh
    /// 9 MB bitmap per page costs more in page faults than the copy out of it.
    bitmap: Option<((u32, u32), PdfBitmap<'p>)>,
}

impl<'p> Worker<'p> {
    fn bitmap(&mut self, w: u32, h: u32) -> Result<&mut PdfBitmap<'p>, PdfError> {
        if self.bitmap.as_ref().is_none_or(|(size, _)| *size != (w, h)) {
            self.bitmap = None;
            let b = PdfBitmap::empty(w as i32, h as i32, PdfBitmapFormat::BGRA)
                .map_err(|e| PdfError::Pdfium(format!("bitmap {w}×{h}: {e}")))?;
            self.bitmap = Some(((w, h), b));
        }
        match &mut self.bitmap {
            Some((_, b)) => Ok(b),
            None => Err(PdfError::EngineStopped),
        }
    }

    fn doc(&self, id: u64) -> Result<&RawDocument<'p>, PdfError> {
        self.docs.get(&id).ok_or(PdfError::EngineStopped)
    }
}

trait Job: Send {
    fn cancelled(&self) -> bool;
    fn run(self: Box<Self>, worker: &mut Worker<'_>);
}

struct Task<T, F> {
    tx: oneshot::Sender<Result<T, PdfError>>,
    f: F,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: for<'w, 'p> FnOnce(&'w mut Worker<'p>) -> Result<T, PdfError> + Send,
{
    fn cancelled(&self) -> bool {
        self.tx.is_closed()
    }

    fn run(self: Box<Self>, worker: &mut Worker<'_>) {
        let Task { tx, f } = *self;
        let _ = tx.send(f(worker));
    }
}

struct Close(u64);

impl Job for Close {
    fn cancelled(&self) -> bool {
        false
    }

    fn run(self: Box<Self>, worker: &mut Worker<'_>) {
        worker.docs.remove(&self.0);
    }
}

fn run_worker(pdfium: &Pdfium, shared: &Shared) {
    let mut worker = Worker {
        pdfium,
        docs: HashMap::new(),
        bitmap: None,
    };
    loop {
        let job = {
            let mut q = lock(&shared.queue);
            loop {
                match q.pop_front() {
                    Some(j) if j.cancelled() => {
                        shared.jobs_cancelled.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(j) => break j,
                    None => {
                        q = shared
                            .wake
                            .wait(q)
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                }
            }
        };
        shared.jobs_run.fetch_add(1, Ordering::Relaxed);
        // A panic inside PDFium glue must not take the thread (and every later call)
        // down; the job's caller sees EngineStopped through the dropped sender.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(&mut worker)));
        if outcome.is_err() {
            tracing::error!("a PDFium job panicked");
        }
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<PdfEngine>();
    is_send::<PdfDocument>();
    is_send::<Pending<PdfDocument>>();
}
