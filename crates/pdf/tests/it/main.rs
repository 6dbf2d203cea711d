//! Integration tests of the PDF engine: real PDFium, real pyHanko-signed fixtures
//! (`cargo xtask fixtures` makes them; `cargo xtask pdfium` fetches PDFium).

// Tests unwrap freely; and they hold the engine lock across awaits on purpose, to run
// one at a time against the one PDFium thread (each test has its own runtime).
#![allow(clippy::unwrap_used, clippy::await_holding_lock)]

mod flatten;
mod malformed;
mod render;
mod text;
mod verify;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use phonghop_pdf::{PdfDocument, PdfEngine};

/// The fixtures directory; a missing one fails the test with the command to run.
pub fn fixtures() -> PathBuf {
    let dir = std::env::var_os("PHONGHOP_PDF_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|c| c.join("phonghop/fixtures/pdf")))
        .expect("no cache dir");
    assert!(
        dir.join("manifest.json").is_file(),
        "PDF fixtures missing in {}: run `cargo xtask fixtures`",
        dir.display()
    );
    dir
}

pub fn manifest() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// The project's Python (pyHanko, pypdfium2).
pub fn python() -> PathBuf {
    let p = std::env::var_os("PHONGHOP_VENV")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|c| c.join("phonghop/venv")))
        .expect("no cache dir")
        .join("bin/python");
    assert!(
        p.is_file(),
        "{} missing: run `cargo xtask fixtures`",
        p.display()
    );
    p
}

static ENGINE_LOCK: Mutex<()> = Mutex::new(());

/// The engine, with a lock held so tests that read the engine's counters see only
/// their own work.
pub fn engine() -> (PdfEngine, MutexGuard<'static, ()>) {
    let guard = ENGINE_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let engine = PdfEngine::global().expect("PDFium available (cargo xtask pdfium)");
    (engine, guard)
}

pub async fn open(engine: &PdfEngine, name: &str) -> PdfDocument {
    engine
        .open(&fixtures().join(name))
        .await
        .unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// The same PDF with its first page turned `degrees` clockwise (/Rotate).
pub fn rotated(bytes: &[u8], degrees: i64) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let first = *doc.get_pages().get(&1).expect("a first page");
    doc.get_object_mut(first)
        .and_then(lopdf::Object::as_dict_mut)
        .expect("a page dictionary")
        .set("Rotate", degrees);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saved");
    out
}
