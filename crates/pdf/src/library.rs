//! Finding and binding the PDFium shared library.
//!
//! We bind by absolute path only — never the system search path — so the library in use
//! is always the one we fetched and checked: `PHONGHOP_PDFIUM`, else next to the
//! executable, else the cache `cargo xtask pdfium` fills.

use std::path::{Path, PathBuf};

use pdfium_render::prelude::Pdfium;

use crate::PdfError;

/// The PDFium API version pdfium-render is compiled for (its `pdfium_8125` feature,
/// set in the root Cargo.toml). A library older than this lacks functions we bind.
pub const PDFIUM_API_BUILD: u32 = 8125;
/// The build `cargo xtask pdfium` fetches (pypdfium2 5.15.2); keep in step with
/// `xtask/src/pdfium.rs`.
pub const PDFIUM_PINNED_BUILD: u32 = 8149;

const LIB_NAME: &str = "libpdfium.so";

/// A located PDFium library and what we know about its build.
#[derive(Debug, Clone)]
pub struct PdfiumLibrary {
    pub path: PathBuf,
    /// From `version.json` beside the library, when there is one.
    pub build: Option<u32>,
}

/// Where the library is, by the documented order. Errors list every place tried.
pub fn locate_pdfium() -> Result<PdfiumLibrary, PdfError> {
    let mut tried = Vec::new();
    if let Some(value) = std::env::var_os("PHONGHOP_PDFIUM") {
        let p = PathBuf::from(value);
        let p = if p.is_dir() { p.join(LIB_NAME) } else { p };
        if !p.is_absolute() {
            return Err(PdfError::Library(format!(
                "PHONGHOP_PDFIUM must be an absolute path, got {}",
                p.display()
            )));
        }
        if p.is_file() {
            return Ok(describe(p));
        }
        // An explicit setting that points nowhere is a mistake to report, not to skip.
        return Err(PdfError::Library(format!(
            "PHONGHOP_PDFIUM points to {}, which does not exist",
            p.display()
        )));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        let p = dir.join(LIB_NAME);
        if p.is_file() {
            return Ok(describe(p));
        }
        tried.push(p);
    }
    if let Some(cache) = dirs::cache_dir() {
        let p = cache
            .join("phonghop")
            .join("pdfium")
            .join(PDFIUM_PINNED_BUILD.to_string())
            .join(LIB_NAME);
        if p.is_file() {
            return Ok(describe(p));
        }
        tried.push(p);
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    Err(PdfError::Library(format!(
        "libpdfium not found (PHONGHOP_PDFIUM unset; tried {}); run `cargo xtask pdfium`",
        tried.join(", ")
    )))
}

fn describe(path: PathBuf) -> PdfiumLibrary {
    let build = path
        .parent()
        .and_then(|d| std::fs::read_to_string(d.join("version.json")).ok())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v.get("build").and_then(serde_json::Value::as_u64))
        .and_then(|b| u32::try_from(b).ok());
    PdfiumLibrary { path, build }
}

/// Binds the library and initialises PDFium. Must run on the engine thread, once.
pub(crate) fn bind(lib: &PdfiumLibrary) -> Result<Pdfium, PdfError> {
    if let Some(build) = lib.build {
        if build < PDFIUM_API_BUILD {
            return Err(PdfError::Library(format!(
                "{} is PDFium build {build}, older than the API this program is built for \
                 (pdfium-render feature pdfium_{PDFIUM_API_BUILD}); run `cargo xtask pdfium` \
                 for build {PDFIUM_PINNED_BUILD}",
                lib.path.display()
            )));
        }
        if build != PDFIUM_PINNED_BUILD {
            tracing::warn!(
                build,
                pinned = PDFIUM_PINNED_BUILD,
                "PDFium build differs from the pinned one"
            );
        }
    }
    let bindings = Pdfium::bind_to_library(&lib.path).map_err(|e| {
        PdfError::Library(format!(
            "cannot bind {} (build {}): {e}; this program needs PDFium ≥ {PDFIUM_API_BUILD} \
             (pinned {PDFIUM_PINNED_BUILD}, `cargo xtask pdfium`)",
            lib.path.display(),
            lib.build
                .map_or_else(|| "unknown".to_owned(), |b| b.to_string())
        ))
    })?;
    Ok(Pdfium::new(bindings))
}
