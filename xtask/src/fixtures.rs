//! `cargo xtask fixtures`: the PDF engine's test files (test PKI, pyHanko-signed and
//! tampered PDFs, Vietnamese text PDFs, malformed inputs), made by
//! `crates/pdf/tests/fixtures/make_fixtures.py` on top of `tools/pdfkit` into
//! `$HOME/.cache/phonghop/fixtures/pdf`. Regenerated only when the scripts change
//! (or with `--force`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::setup::ensure_apt;
use crate::tools::{self, cache_dir, ensure_venv};

/// Python packages the fixtures, the pyHanko parity test and the render benchmark use.
pub const PY_PACKAGES: &[&str] = &[
    "pyHanko==0.38.0",
    "pyhanko-certvalidator==0.33.0",
    "pyhanko-cli==0.6.0",
    "cryptography==50.0.2",
    "fpdf2==2.8.9",
    "pypdfium2==5.15.2",
];

/// Debian packages: DejaVu for Vietnamese glyphs, poppler's pdfsig/pdftoppm as outside
/// references.
pub const APT_PACKAGES: &[(&str, &str)] = &[
    (
        "fonts-dejavu-core",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
    ("poppler-utils", "/usr/bin/pdfsig"),
];

pub fn repo_root() -> PathBuf {
    crate::root()
}

/// Where the fixtures go; the tests read `PHONGHOP_PDF_FIXTURES` or this.
pub fn fixtures_dir() -> Result<PathBuf> {
    Ok(cache_dir()?.join("fixtures").join("pdf"))
}

pub fn run(args: &[&str]) -> Result<()> {
    let force = args.contains(&"--force");
    let dir = make(force)?;
    println!("{}", dir.display());
    Ok(())
}

/// Makes the fixtures when they are missing or stale. `cargo xtask test` calls this.
pub fn ensure_fixtures() -> Result<()> {
    make(false).map(|_| ())
}

fn make(force: bool) -> Result<PathBuf> {
    ensure_apt(APT_PACKAGES)?;
    let python = ensure_venv(PY_PACKAGES)?;
    let root = repo_root();
    let script = root.join("crates/pdf/tests/fixtures/make_fixtures.py");
    let stamp = inputs_stamp(&root, &script)?;
    let dir = fixtures_dir()?;
    let stamp_file = dir.join(".stamp");
    if !force && fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return Ok(dir);
    }
    eprintln!("xtask: making PDF fixtures in {}", dir.display());
    let parent = dir.parent().context("fixtures dir has no parent")?;
    fs::create_dir_all(parent)?;
    let staging = parent.join(format!(".pdf-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    tools::run(Command::new(&python).arg(&script).arg(&staging))?;
    fs::write(staging.join(".stamp"), &stamp)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir)?;
    Ok(dir)
}

/// A fingerprint of everything the fixtures are made from (FNV-1a over the scripts).
fn inputs_stamp(root: &Path, script: &Path) -> Result<String> {
    let mut files = vec![script.to_path_buf()];
    let pdfkit = root.join("tools/pdfkit");
    let mut kit: Vec<PathBuf> = fs::read_dir(&pdfkit)
        .with_context(|| format!("{} is missing", pdfkit.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    kit.sort();
    files.extend(kit);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        for b in fs::read(f).with_context(|| format!("reading {}", f.display()))? {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{h:016x} {}", PY_PACKAGES.join(" ")))
}
