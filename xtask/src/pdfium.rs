//! `cargo xtask pdfium`: fetch PDFium from the `pypdfium2` wheel on PyPI.
//!
//! The wheel carries a prebuilt `libpdfium.so` (bblanchon/pdfium-binaries lineage),
//! its build number (`version.json`) and the licenses of everything linked into it
//! (`BUILD_LICENSES`). We copy those three into `$HOME/.cache/phonghop/pdfium/<build>/`
//! and check the library against the SHA-256 recorded here, so a changed upload is
//! refused rather than loaded. Running it again does nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tools::{cache_dir, ensure_venv, run, sha256_file};

/// The pinned wheel. Its PDFium build must be ≥ the pdfium-render API feature in the
/// root Cargo.toml (`pdfium_8125`); crates/pdf checks the same at start-up.
pub const PYPDFIUM2_VERSION: &str = "5.15.2";
pub const PDFIUM_BUILD: u32 = 8149;
/// SHA-256 of `pypdfium2_raw/libpdfium.so` in the manylinux x86_64 wheel.
const LIBPDFIUM_SHA256_X86_64: &str =
    "c76dc0f7839644bfa7c3e3107a6068df714e339c861bb7d4519907b821d427f9";

/// Directory holding `libpdfium.so`, `version.json` and `BUILD_LICENSES/`.
pub fn pdfium_dir() -> Result<PathBuf> {
    Ok(cache_dir()?.join("pdfium").join(PDFIUM_BUILD.to_string()))
}

/// Makes sure the pinned PDFium is in the cache and returns the path of the library.
pub fn ensure_pdfium() -> Result<PathBuf> {
    if std::env::consts::OS != "linux" || std::env::consts::ARCH != "x86_64" {
        bail!(
            "no recorded PDFium hash for {}-{}; set PHONGHOP_PDFIUM to a libpdfium of build {PDFIUM_BUILD}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    }
    let dir = pdfium_dir()?;
    let lib = dir.join("libpdfium.so");
    if lib.exists() && dir.join("version.json").exists() && dir.join("BUILD_LICENSES").is_dir() {
        // Cheap re-check in Rust-free Python would cost ~50 ms; do it: a half-written
        // or swapped file must not be loaded.
        let python = ensure_venv(&[])?;
        if sha256_file(&python, &lib)? == LIBPDFIUM_SHA256_X86_64 {
            return Ok(lib);
        }
        eprintln!(
            "xtask: {} has the wrong SHA-256; fetching again",
            lib.display()
        );
    }
    fetch(&dir)?;
    Ok(lib)
}

fn fetch(dir: &Path) -> Result<()> {
    let python = ensure_venv(&[])?;
    let parent = dir.parent().context("pdfium dir has no parent")?;
    fs::create_dir_all(parent)?;
    let work = parent.join(format!(".fetch-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)?;
    let result = (|| -> Result<()> {
        eprintln!("xtask: pip download pypdfium2=={PYPDFIUM2_VERSION}");
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-deps", "--only-binary=:all:"])
            .arg(format!("pypdfium2=={PYPDFIUM2_VERSION}"))
            .arg("-d")
            .arg(&work))?;
        let wheel = fs::read_dir(&work)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .context("pip downloaded no wheel")?;
        let unpacked = work.join("unpacked");
        run(Command::new(&python)
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&unpacked))?;
        let raw = unpacked.join("pypdfium2_raw");
        let lib = raw.join("libpdfium.so");
        let got = sha256_file(&python, &lib)?;
        if got != LIBPDFIUM_SHA256_X86_64 {
            bail!(
                "libpdfium.so from pypdfium2 {PYPDFIUM2_VERSION} has SHA-256 {got}, expected {LIBPDFIUM_SHA256_X86_64}"
            );
        }
        let version = fs::read_to_string(raw.join("version.json"))?;
        if !version.contains(&format!("\"build\": {PDFIUM_BUILD}")) {
            bail!("pypdfium2 {PYPDFIUM2_VERSION} is not PDFium build {PDFIUM_BUILD}: {version}");
        }
        let licenses = fs::read_dir(&unpacked)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(".dist-info"))
            .map(|d| d.join("licenses"))
            .context("wheel has no .dist-info")?;
        let staged = work.join("out");
        fs::create_dir_all(&staged)?;
        fs::copy(&lib, staged.join("libpdfium.so"))?;
        fs::write(staged.join("version.json"), version)?;
        copy_dir(
            &licenses.join("BUILD_LICENSES"),
            &staged.join("BUILD_LICENSES"),
        )?;
        copy_dir(&licenses.join("LICENSES"), &staged.join("LICENSES"))?;
        // Swap in whole, so a reader never sees a half-copied directory.
        let _ = fs::remove_dir_all(dir);
        fs::rename(&staged, dir).with_context(|| format!("moving into {}", dir.display()))?;
        Ok(())
    })();
    let _ = fs::remove_dir_all(&work);
    result?;
    eprintln!("xtask: PDFium build {PDFIUM_BUILD} in {}", dir.display());
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
