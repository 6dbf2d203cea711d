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

/// The first `/ByteRange [a b c d]` of a signed file: the bytes its signature covers.
fn covered_ranges(bytes: &[u8]) -> [std::ops::Range<usize>; 2] {
    let at = bytes
        .windows(10)
        .position(|w| w == b"/ByteRange")
        .expect("a signed file");
    let open = at + bytes[at..].iter().position(|&b| b == b'[').unwrap();
    let close = open + bytes[open..].iter().position(|&b| b == b']').unwrap();
    let n: Vec<usize> = std::str::from_utf8(&bytes[open + 1..close])
        .unwrap()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    [n[0]..n[0] + n[1], n[2]..n[2] + n[3]]
}

/// Documents must be trustworthy: a signed file changed anywhere its signature covers —
/// one byte, a few, a number made huge — is never called valid, whatever the change
/// does to the file's structure; and no change makes the verifier or the upload check
/// panic or hang.
#[test]
fn no_change_to_signed_bytes_passes_as_valid() {
    use rand::{Rng, SeedableRng};
    let trust = TrustStore::from_dir(&fixtures().join("trust")).expect("trust store");
    for name in ["pades-rsa.pdf", "pkcs7-ec256.pdf", "two-signatures.pdf"] {
        let original = std::fs::read(fixtures().join("sig").join(name)).unwrap();
        let first_valid = |report: &phonghop_pdf::VerifyReport| {
            report
                .signatures
                .first()
                .is_some_and(|s| s.verdict == phonghop_pdf::Verdict::Valid)
        };
        assert!(
            first_valid(&verify_pdf(&original, &trust).unwrap()),
            "{name} is not valid to start with"
        );
        let [head, tail] = covered_ranges(&original);
        let trust = trust.clone();
        let name = name.to_owned();
        within_time(&name.clone(), move || {
            let mut rng = rand::rngs::StdRng::seed_from_u64(0x5048_4f4e_4748_4f50);
            for round in 0..150 {
                let mut bytes = original.clone();
                let mut changed = Vec::new();
                for _ in 0..rng.gen_range(1..=3) {
                    let range = if rng.gen_bool(0.5) { &head } else { &tail };
                    let i = rng.gen_range(range.clone());
                    let new = match round % 3 {
                        // Any byte.
                        0 => rng.r#gen::<u8>(),
                        // A digit where the structure keeps numbers (offsets, lengths).
                        1 => b'0' + rng.gen_range(0..10u8),
                        // Whitespace, which a parser may skip but the digest does not.
                        _ => b" \n\r\t"[rng.gen_range(0..4)],
                    };
                    if bytes[i] != new {
                        bytes[i] = new;
                        changed.push(i);
                    }
                }
                if changed.is_empty() {
                    continue;
                }
                if let Ok(report) = verify_pdf(&bytes, &trust) {
                    assert!(
                        !first_valid(&report),
                        "{name}: bytes {changed:?} changed, still valid"
                    );
                }
                let _ = inspect_pdf(PdfSource::Bytes(&bytes), None);
            }
        });
    }
}
