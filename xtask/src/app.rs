//! The desktop app's commands: building it (UI with npm, shell with cargo), running it
//! under Xvfb, `cargo xtask e2e` (tauri-driver + WebKitWebDriver + webdriverio),
//! `cargo xtask bundle` (.deb), `cargo xtask bench app`, and the app half of
//! `cargo xtask demo`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::setup::{ensure_apt, run_with_stdin};
use crate::tools::cache_dir;
use crate::{cargo, pdfium, root, run_cmd, target_dir};

/// Debian packages the app builds and runs with, and what the tests drive it with.
const APT: &[(&str, &str)] = &[
    ("libwebkit2gtk-4.1-dev", "pkg-config"),
    ("librsvg2-dev", "pkg-config"),
    ("libssl-dev", "pkg-config"),
    ("pkg-config", "pkg-config"),
    ("build-essential", "cc"),
    ("file", "file"),
    ("procps", "kill"),
    ("xvfb", "Xvfb"),
    ("webkit2gtk-driver", "WebKitWebDriver"),
    ("imagemagick", "import"),
    ("fonts-noto-core", "fonts"),
];

const DEMO_USER: &str = "daibieu01";
const PASSWORD: &str = "phonghop-demo";

fn tools_dir() -> Result<PathBuf> {
    Ok(cache_dir()?.join("tools"))
}

pub fn tauri_driver() -> Result<PathBuf> {
    Ok(tools_dir()?.join("bin/tauri-driver"))
}

/// npm dependencies of a package directory, installed from its lock file when missing
/// or older than the lock.
pub fn ensure_npm(dir: &Path) -> Result<()> {
    let modules = dir.join("node_modules");
    let lock = dir.join("package-lock.json");
    let stamp = modules.join(".package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(l), Ok(s)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    let mut npm = crate::tools::node_cmd("npm");
    if lock.exists() {
        npm.args(["ci", "--no-audit", "--no-fund"]);
    } else {
        npm.args(["install", "--no-audit", "--no-fund"]);
    }
    run_cmd(npm.current_dir(dir))
}

/// Everything the app, its tests and its bundle need, installed when missing.
pub fn ensure_app_tools() -> Result<()> {
    ensure_apt(APT)?;
    crate::tools::ensure_node()?;
    pdfium::ensure_pdfium()?;
    ensure_npm(&root().join("ui"))?;
    ensure_npm(&root().join("tests/e2e"))?;
    let driver = tauri_driver()?;
    if !driver.exists() {
        eprintln!(
            "xtask: installing tauri-driver into {}",
            tools_dir()?.display()
        );
        run_cmd(
            cargo()
                .args([
                    "install",
                    "tauri-driver",
                    "--version",
                    "^2",
                    "--locked",
                    "--root",
                ])
                .arg(tools_dir()?)
                .env("CARGO_TARGET_DIR", cache_dir()?.join("tools-target")),
        )?;
    }
    Ok(())
}

/// The newest modification time under `path`: its files, and its directories (a file
/// removed changes its directory's).
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|e| newest(&e.path()))
        .chain(own)
        .max()
}

/// Builds the UI (`ui/dist`, type-checked first) and the app binary. The UI is built
/// again only when its sources changed since the last build: the app's crate embeds
/// `ui/dist`, and files written anew (even unchanged) make it compile again.
pub fn build_app(release: bool) -> Result<PathBuf> {
    let ui = root().join("ui");
    // One stamp per source tree (clones share the build cache); its time is when the
    // last successful build of that tree began.
    let tree: u64 = ui
        .display()
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let stamp = target_dir().join(format!("ui-dist-{tree:016x}.stamp"));
    let sources = [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "svelte.config.js",
        "tsconfig.json",
    ]
    .iter()
    .filter_map(|p| newest(&ui.join(p)))
    .max();
    let built = ui.join("dist/index.html").exists()
        && match (newest(&stamp), sources) {
            (Some(at), Some(src)) => at >= src,
            _ => false,
        };
    if !built {
        // The stamp first: a source saved during the build is newer, and builds again.
        std::fs::create_dir_all(target_dir())?;
        let _ = std::fs::remove_file(&stamp);
        std::fs::write(&stamp, ui.display().to_string())?;
        let result = run_cmd(
            crate::tools::node_cmd("npm")
                .args(["run", "--silent", "check"])
                .current_dir(&ui),
        )
        .and_then(|()| {
            run_cmd(
                crate::tools::node_cmd("npm")
                    .args(["run", "--silent", "build"])
                    .current_dir(&ui),
            )
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&stamp);
        }
        result?;
    }
    let mut build = cargo();
    build.args(["build", "--quiet", "-p", "phonghop-desktop"]);
    if release {
        build.arg("--release");
    }
    run_cmd(&mut build)?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("phonghop-desktop"))
}

fn build_server(release: bool) -> Result<PathBuf> {
    let mut build = cargo();
    build.args([
        "build",
        "--quiet",
        "-p",
        "phonghop-server",
        "-p",
        "phonghop-cli",
    ]);
    if release {
        build.arg("--release");
    }
    run_cmd(&mut build)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }))
}

/// An X server for the app when there is no display: `Xvfb :N`, killed on drop.
pub struct Xvfb {
    child: Option<Child>,
    pub display: String,
}

impl Xvfb {
    /// The current display if there is one, else a new Xvfb at 1280×800.
    pub fn ensure() -> Result<Xvfb> {
        if let Ok(d) = std::env::var("DISPLAY")
            && !d.is_empty()
        {
            return Ok(Xvfb {
                child: None,
                display: d,
            });
        }
        Xvfb::start(1280, 800)
    }

    pub fn start(width: u32, height: u32) -> Result<Xvfb> {
        let n = (90..200)
            .find(|&n| display_free(n))
            .context("no free X display number")?;
        let child = Command::new("Xvfb")
            .arg(format!(":{n}"))
            .args([
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start Xvfb")?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("Xvfb :{n} did not come up");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Xvfb {
            child: Some(child),
            display: format!(":{n}"),
        })
    }

    /// Saves a screenshot of the whole screen (ImageMagick's `import`).
    pub fn screenshot(&self, to: &Path) -> Result<()> {
        run_cmd(
            Command::new("import")
                .args(["-window", "root"])
                .arg(to)
                .env("DISPLAY", &self.display),
        )
    }
}

/// Display `:n` is free: no lock, or a lock left by an X server that is gone (its
/// files are removed then; a killed Xvfb leaves them, and runs would use up the range).
fn display_free(n: u32) -> bool {
    let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    let owner = std::fs::read_to_string(&lock)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    match owner {
        Some(pid) if Path::new(&format!("/proc/{pid}")).exists() => false,
        Some(_) => {
            std::fs::remove_file(&lock).is_ok() && {
                let _ = std::fs::remove_file(&socket);
                true
            }
        }
        None if lock.exists() => false,
        None => !socket.exists(),
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            // SIGTERM: Xvfb removes its lock and socket as it exits (SIGKILL leaves them).
            let asked = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            let deadline = Instant::now() + Duration::from_secs(3);
            while asked && Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The environment the Node scripts (e2e, bench, screenshots) read.
fn node_env(cmd: &mut Command, app: &Path, bin_dir: &Path, display: &str) -> Result<()> {
    cmd.env("PHONGHOP_APP_BIN", app)
        .env("PHONGHOP_SERVER_BIN", bin_dir.join("phonghop-server"))
        .env("TAURI_DRIVER", tauri_driver()?)
        .env("PHONGHOP_PDFIUM", pdfium::ensure_pdfium()?)
        .env("PHONGHOP_VENV_PYTHON", cache_dir()?.join("venv/bin/python"))
        .env("DISPLAY", display)
        // Software rendering: Xvfb has no GPU, and WebKit's compositor otherwise warns.
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("LIBGL_ALWAYS_SOFTWARE", "1");
    Ok(())
}

/// `cargo xtask e2e`: the WebDriver suite on the real app and the real server.
pub fn run_e2e() -> Result<()> {
    ensure_app_tools()?;
    let app = build_app(false)?;
    let bins = build_server(false)?;
    run_cmd(
        crate::tools::node_cmd("npm")
            .args(["run", "--silent", "test"])
            .current_dir(root().join("ui")),
    )?;
    let x = Xvfb::start(1280, 800)?;
    // run.mjs: one delegate reads, annotates, works offline. live.mjs: the chair and two
    // delegates run a vote, with the projector window.
    for suite in ["run.mjs", "live.mjs"] {
        let mut node = crate::tools::node_cmd("node");
        node.arg(suite).current_dir(root().join("tests/e2e"));
        node_env(&mut node, &app, &bins, &x.display)?;
        run_cmd(&mut node)?;
    }
    Ok(())
}

/// `cargo xtask screenshots`: every screen, in Vietnamese and English, into
/// `docs/screenshots/`, at 1280×800 and the 1024×768 tablet size.
pub fn screenshots() -> Result<()> {
    ensure_app_tools()?;
    let app = build_app(false)?;
    let bins = build_server(false)?;
    let out = root().join("docs/screenshots");
    std::fs::create_dir_all(&out)?;
    for (w, h) in [(1280, 800), (1024, 768)] {
        let x = Xvfb::start(w, h)?;
        let mut node = crate::tools::node_cmd("node");
        node.arg("screenshots.mjs")
            .arg(&out)
            .arg(format!("{w}x{h}"))
            .current_dir(root().join("tests/e2e"));
        node_env(&mut node, &app, &bins, &x.display)?;
        run_cmd(&mut node)?;
        let mut live = crate::tools::node_cmd("node");
        live.arg("live.mjs")
            .env("PHONGHOP_SHOTS", &out)
            .env("PHONGHOP_WINDOW_SIZE", format!("{w}x{h}"))
            .current_dir(root().join("tests/e2e"));
        node_env(&mut live, &app, &bins, &x.display)?;
        run_cmd(&mut live)?;
    }
    println!("xtask: screenshots in {}", out.display());
    Ok(())
}

/// `cargo xtask bench app`: cold start, first page of a 50-page document, page flips,
/// RSS with a 300-page document, beside the raw PDFium render of the same page.
pub fn bench_app() -> Result<()> {
    ensure_app_tools()?;
    crate::tools::ensure_venv(&["pypdfium2==5.15.2"])?;
    let app = build_app(true)?;
    let bins = build_server(true)?;
    let x = Xvfb::start(1280, 800)?;
    let mut node = crate::tools::node_cmd("node");
    node.arg("bench.mjs").current_dir(root().join("tests/e2e"));
    node_env(&mut node, &app, &bins, &x.display)?;
    run_cmd(&mut node)
}

/// `cargo xtask bundle`: the .deb, with PDFium inside (`/usr/lib/PhongHop/libpdfium.so`).
pub fn bundle() -> Result<()> {
    ensure_app_tools()?;
    let ui = root().join("ui");
    run_cmd(
        crate::tools::node_cmd("npm")
            .args(["run", "--silent", "check"])
            .current_dir(&ui),
    )?;
    let lib = pdfium::ensure_pdfium()?;
    // PDFium ships with its licences (the wheel's LICENSES and BUILD_LICENSES) beside it.
    // (Debug formatting of a path string is valid JSON for the paths used here.)
    let mut resources = vec![format!("{:?}:\"libpdfium.so\"", lib.display().to_string())];
    if let Some(dir) = lib.parent() {
        for licences in ["LICENSES", "BUILD_LICENSES"] {
            let src = dir.join(licences);
            if src.is_dir() {
                resources.push(format!(
                    "{:?}:\"licenses/pdfium/{licences}/\"",
                    format!("{}/", src.display())
                ));
            }
        }
    }
    let config = format!(
        r#"{{"bundle":{{"resources":{{{}}}}}}}"#,
        resources.join(",")
    );
    run_cmd(
        crate::tools::node_cmd(ui.join("node_modules/.bin/tauri"))
            .args(["build", "--bundles", "deb", "--config", &config])
            .env("TAURI_APP_PATH", "src-tauri")
            .env("TAURI_FRONTEND_PATH", "ui")
            .env("CARGO_TARGET_DIR", target_dir())
            .current_dir(root()),
    )?;
    let debs = target_dir().join("release/bundle/deb");
    let found: Vec<PathBuf> = std::fs::read_dir(&debs)
        .with_context(|| format!("no bundle in {}", debs.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    for d in &found {
        println!("xtask: built {}", d.display());
    }
    if found.is_empty() {
        bail!("tauri build made no .deb in {}", debs.display());
    }
    Ok(())
}

/// The app half of `cargo xtask demo`: log `daibieu01` in (the same client engine, into
/// the app's data dir), open the app (under Xvfb when there is no
/// display), save a screenshot once the meeting list is up, and keep it open.
pub fn demo_app(server_url: &str) -> Result<Child> {
    ensure_app_tools()?;
    let app = build_app(false)?;
    let bins = build_server(false)?;
    let data = dirs::data_dir()
        .context("no user data directory")?
        .join("phonghop/app");
    std::fs::create_dir_all(&data)?;
    let mut login = Command::new(bins.join("phonghop"));
    login.arg("--cache").arg(&data).args([
        "login",
        "--server",
        server_url,
        "--username",
        DEMO_USER,
        "--password-stdin",
    ]);
    run_with_stdin(&mut login, PASSWORD)?;
    let x = Xvfb::ensure()?;
    let mut cmd = Command::new(&app);
    cmd.arg("--data-dir")
        .arg(&data)
        .env("DISPLAY", &x.display)
        .env("PHONGHOP_PDFIUM", pdfium::ensure_pdfium()?)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    let child = cmd.spawn().context("start the app")?;
    // Give it time to open, sync and paint the meetings.
    std::thread::sleep(Duration::from_secs(8));
    let shot = std::env::temp_dir().join("phonghop-demo-app.png");
    x.screenshot(&shot)?;
    println!(
        "PhòngHọp app: signed in as {DEMO_USER} (display {})",
        x.display
    );
    println!("  screenshot: {}", shot.display());
    // The Xvfb (if ours) lives as long as the demo.
    std::mem::forget(x);
    Ok(child)
}
