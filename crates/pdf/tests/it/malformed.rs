//! Malformed input is an error, never a crash or a hang.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use phonghop_pdf::{PdfError, PdfSource, RenderSize, TrustStore, inspect_pdf, verify_pdf};

use crate::{engine, fixtures};

fn bad(name: &str) -> PathBuf {
    fixtures().join("bad").join(name)
}

/// Runs `f` on a thread and fails the test if it takes longer than 30 s.
fn within_time<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what}: hung or panicked"))
}

const UNOPENABLE: &[&str] = &[
    "empty.pdf",
    "random.pdf",
    "random-with-header.pdf",
    "truncated.pdf",
    "encrypted.pdf",
    "cyclic-pages.pdf",
];

#[tokio::test]
async fn engine_refuses_broken_files() {
    let (engine, _g) = engine();
    for name in UNOPENABLE {
        let res = engine.open(&bad(name)).await;
        assert!(res.is_err(), "{name} opened");
    }
    assert!(matches!(
        engine.open(&bad("empty.pdf")).await,
        Err(PdfError::Empty)
    ));
    assert!(matches!(
        engine.open(&bad("encrypted.pdf")).await,
        Err(PdfError::Encrypted)
    ));
    assert!(matches!(
        engine.open(&bad("random.pdf")).await,
        Err(PdfError::Malformed(_))
    ));
    assert!(matches!(
        engine.open(&bad("does-not-exist.pdf")).await,
        Err(PdfError::Io { .. })
    ));
    // The engine is still fine afterwards.
    let doc = crate::open(&engine, "text.pdf").await;
    assert_eq!(
        doc.render(0, RenderSize::Width(50)).await.unwrap().width,
        50
    );
}

#[tokio::test]
async fn absurd_page_count_is_the_real_count() {
    let (engine, _g) = engine();
    let doc = engine.open(&bad("absurd-count.pdf")).await.unwrap();
    assert_eq!(doc.page_count(), 1);
    let img = doc.render(0, RenderSize::Width(100)).await.unwrap();
    assert_eq!(img.height, 129);
    assert!(doc.page_text(0).await.unwrap().text.is_empty());
}

#[test]
fn verifier_and_inspector_survive_everything() {
    let trust = TrustStore::default();
    let mut names: Vec<String> = UNOPENABLE.iter().map(|s| s.to_string()).collect();
    names.push("absurd-count.pdf".into());
    names.push("deep-nesting.pdf".into());
    for name in names {
        let bytes = std::fs::read(bad(&name)).unwrap();
        let trust = trust.clone();
        let b = bytes.clone();
        let verified = within_time(&name, move || verify_pdf(&b, &trust).map(|r| r.document));
        let inspected = within_time(&name, move || {
            inspect_pdf(PdfSource::Bytes(&bytes), None).map(|i| i.pages)
        });
        match name.as_str() {
            "empty.pdf" => assert!(matches!(verified, Err(PdfError::Empty))),
            "encrypted.pdf" => assert!(matches!(inspected, Err(PdfError::Encrypted))),
            "random.pdf" | "random-with-header.pdf" | "truncated.pdf" => {
                assert!(verified.is_err() && inspected.is_err(), "{name}")
            }
            "absurd-count.pdf" => assert_eq!(inspected.unwrap(), 1),
            _ => {}
        }
    }
}

#[test]
fn every_truncation_of_a_signed_file_is_handled() {
    // Cut a signed PDF at many points: each is an error or a report, never a panic.
    let bytes = std::fs::read(fixtures().join("sig/two-signatures.pdf")).unwrap();
    let trust = TrustStore::default();
    within_time("truncations", move || {
        let step = bytes.len() / 97;
        for cut in (0..bytes.len()).step_by(step.max(1)) {
            let _ = verify_pdf(&bytes[..cut], &trust);
            let _ = inspect_pdf(PdfSource::Bytes(&bytes[..cut]), None);
        }
    });
}
