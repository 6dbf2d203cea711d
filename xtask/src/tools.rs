//! The project's Python venv (pip reaches PyPI) and small helpers the PDF steps share.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// `$HOME/.cache/phonghop`: everything fetched or generated outside the repository.
pub fn cache_dir() -> Result<PathBuf> {
    let base = dirs::cache_dir().context("no cache directory ($HOME unset?)")?;
    Ok(base.join("phonghop"))
}

/// The venv at `$HOME/.cache/phonghop/venv`, created if missing, with `packages`
/// (pip requirement specifiers) installed when any is missing.
pub fn ensure_venv(packages: &[&str]) -> Result<PathBuf> {
    let venv = cache_dir()?.join("venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!("xtask: creating Python venv at {}", venv.display());
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .context("python3 -m venv failed (Debian: apt-get install python3-venv)")?;
    }
    if !packages.is_empty() {
        // `pip install` with pinned versions is a no-op when they are present, but it
        // still costs a second or two; ask pip first so repeated runs stay quiet.
        let missing: Vec<&str> = packages
            .iter()
            .copied()
            .filter(|spec| !pip_has(&python, spec))
            .collect();
        if !missing.is_empty() {
            eprintln!("xtask: pip install {}", missing.join(" "));
            run(Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(&missing))?;
        }
    }
    Ok(python)
}

fn pip_has(python: &Path, spec: &str) -> bool {
    let (name, version) = match spec.split_once("==") {
        Some((n, v)) => (n, Some(v)),
        None => (spec, None),
    };
    let code = format!(
        "import importlib.metadata as m,sys\ntry:\n v=m.version({name:?})\nexcept Exception:\n sys.exit(1)\nsys.exit(0 if {want:?} in ('', v) else 1)",
        want = version.unwrap_or("")
    );
    Command::new(python)
        .arg("-c")
        .arg(code)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs a command to completion, failing with its command line when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

/// SHA-256 of a file, as lowercase hex (via Python's hashlib: xtask stays dependency-light).
pub fn sha256_file(python: &Path, path: &Path) -> Result<String> {
    let out = Command::new(python)
        .arg("-c")
        .arg("import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())")
        .arg(path)
        .output()
        .context("running python for sha256")?;
    if !out.status.success() {
        bail!("hashing {} failed", path.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
