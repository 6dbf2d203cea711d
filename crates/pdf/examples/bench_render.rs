//! Timing our API for `cargo xtask bench render` (run in release):
//! `bench_render PDF DPI ROUNDS SIG_DIR TRUST_DIR` prints one JSON line with the median
//! ms per page rendered to RGBA through the engine (cache off) and the mean ms per
//! signed document verified.

use std::path::PathBuf;
use std::time::Instant;

use phonghop_pdf::{PdfEngine, RenderSize, TrustStore, verify_pdf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pdf, dpi, rounds, sig_dir, trust_dir] = args.as_slice() else {
        return Err("usage: bench_render PDF DPI ROUNDS SIG_DIR TRUST_DIR".into());
    };
    let dpi: f32 = dpi.parse()?;
    let rounds: usize = rounds.parse()?;

    let engine = PdfEngine::global()?;
    engine.set_cache_budget(0);
    let doc = engine.open(&PathBuf::from(pdf)).wait()?;
    // Warm-up: fonts and the first page's resources load once.
    doc.render(0, RenderSize::Dpi(dpi)).wait()?;
    let mut times = Vec::new();
    let mut size = (0, 0);
    for _ in 0..rounds {
        for page in 0..doc.page_count() {
            let t = Instant::now();
            let img = doc.render(page, RenderSize::Dpi(dpi)).wait()?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            size = (img.width, img.height);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];

    let trust = TrustStore::from_dir(&PathBuf::from(trust_dir))?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(sig_dir)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "pdf") {
            files.push(std::fs::read(&p)?);
        }
    }
    let verify_rounds = 5;
    let t = Instant::now();
    let mut signatures = 0;
    for _ in 0..verify_rounds {
        for f in &files {
            signatures += verify_pdf(f, &trust)?.signatures.len();
        }
    }
    let per_doc = t.elapsed().as_secs_f64() * 1000.0 / (verify_rounds * files.len()) as f64;
    println!(
        "{{\"median_ms\": {median:.3}, \"pages\": {}, \"width\": {}, \"height\": {}, \"verify_ms_per_doc\": {per_doc:.3}, \"docs\": {}, \"signatures\": {}}}",
        times.len(),
        size.0,
        size.1,
        files.len(),
        signatures / verify_rounds
    );
    Ok(())
}
