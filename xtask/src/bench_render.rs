//! `cargo xtask bench render`: median ms per page to render the 50-page Vietnamese A4
//! fixture at 150 DPI into an RGBA image through our API, against pypdfium2 rendering
//! the same pages in the same run; and ms per signed document verified.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::fixtures::{PY_PACKAGES, ensure_fixtures, fixtures_dir, repo_root};
use crate::pdfium::ensure_pdfium;
use crate::tools::ensure_venv;

const DPI: &str = "150";

pub fn render(args: &[&str]) -> Result<()> {
    let rounds = match args {
        ["--rounds", n] => n.to_string(),
        [] => "3".to_owned(),
        _ => bail!("usage: cargo xtask bench render [--rounds N]"),
    };
    let lib = ensure_pdfium()?;
    ensure_fixtures()?;
    let python = ensure_venv(PY_PACKAGES)?;
    let fx = fixtures_dir()?;
    let pdf = fx.join("bench-50p.pdf");
    let root = repo_root();

    // Ours first, so a failed build fails before a long reference run.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "phonghop-pdf",
            "--example",
            "bench_render",
            "--",
        ])
        .arg(&pdf)
        .arg(DPI)
        .arg(&rounds)
        .arg(fx.join("sig"))
        .arg(fx.join("trust"))
        .env("PHONGHOP_PDFIUM", &lib)
        .output()
        .context("running the bench_render example")?;
    if !out.status.success() {
        bail!(
            "bench_render failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ours = String::from_utf8_lossy(&out.stdout).trim().to_owned();

    let out = Command::new(&python)
        .arg(root.join("crates/pdf/examples/bench_render_reference.py"))
        .arg(&pdf)
        .arg(DPI)
        .arg(&rounds)
        .output()
        .context("running the pypdfium2 reference")?;
    if !out.status.success() {
        bail!("reference failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let reference = String::from_utf8_lossy(&out.stdout).trim().to_owned();

    println!("ours:      {ours}");
    println!("reference: {reference}");
    let ours_ms = field(&ours, "median_ms")?;
    let ref_ms = field(&reference, "median_ms")?;
    let verify_ms = field(&ours, "verify_ms_per_doc")?;
    println!("verify: {verify_ms:.2} ms per signed document");
    println!(
        "bench render: ours={ours_ms:.2} ms reference={ref_ms:.2} ms ratio={:.2} (lower is better)",
        ours_ms / ref_ms
    );
    Ok(())
}

/// A number from a flat one-line JSON object (xtask stays free of a JSON dependency).
fn field(json: &str, key: &str) -> Result<f64> {
    let pat = format!("\"{key}\":");
    let start = json
        .find(&pat)
        .with_context(|| format!("no {key} in {json}"))?
        + pat.len();
    let rest = json[start..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .with_context(|| format!("{key} in {json} is not a number"))
}
